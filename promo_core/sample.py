"""Deterministic generator of the bundled demo data, with its ground truth.

A shop of 150 items in 10 categories, a few thousand users over 13 weeks with five planted
personas, four planted product associations, and a two-week randomized promotion experiment
on the same users whose true effects differ by persona. Everything is drawn from one seeded
``numpy.random.Generator``, so the same seed writes byte-identical files.

Files written by :func:`write_sample` (see sample_data/README.md):

* ``events.csv.gz``: user_id, timestamp, event, item_id, item_name, category, price, quantity,
  order_id, discount, age_band, region
* ``experiment.csv``: one row per user: user_id, variant, converted, orders, revenue,
  discount, cost, pre_revenue, region, age_band
* ``experiment_summary.csv``: the same experiment aggregated per variant
* ``truth/personas.csv``, ``truth/planted_rules.json``, ``truth/experiment_truth.json``
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .schema import DataError

START = pd.Timestamp("2026-06-01")
DAYS = 91
TEST_START = START + pd.Timedelta(days=DAYS + 3)
TEST_DAYS = 14
CURRENCY = "£"

CATEGORIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "Coffee": (9.0, ("Espresso beans 1kg", "Milk frother", "House blend 250g", "Decaf beans", "Cold brew kit",
                     "Pour-over cone", "Coffee grinder", "Single origin Kenya", "Barista syrup",
                     "Travel mug", "Paper filters", "Cafetiere", "Moka pot", "Latte glasses",
                     "Descaler")),
    "Tea": (6.0, ("Earl Grey tin", "Green sencha", "Chai masala", "Rooibos", "Tea infuser", "Teapot",
                  "Jasmine pearls", "Matcha powder", "Peppermint tea", "Breakfast tea 80",
                  "Oolong", "Tea cosy", "Honey jar", "Lemon ginger", "Tea caddy")),
    "Bakery": (7.0, ("Sourdough starter kit", "Banneton basket", "Bread tin", "Rye flour",
                     "Bread knife", "Dough scraper", "Croissant kit", "Proving cloth", "Bread flour 1.5kg",
                     "Baking stone", "Pastry brush", "Cake tin", "Muffin tray", "Piping set",
                     "Cooling rack")),
    "Snacks": (3.5, ("Sea salt crisps", "Dark chocolate", "Trail mix", "Oat biscuits", "Salted caramels",
                     "Rice crackers", "Dried mango", "Roasted almonds", "Flapjacks", "Popcorn kernels",
                     "Fruit jellies", "Cheese straws", "Pretzels", "Nougat", "Brownie bites")),
    "Kitchen": (18.0, ("Chef's knife", "Cast iron pan", "Chopping board", "Mixing bowls", "Oven gloves",
                       "Measuring jugs", "Salad spinner", "Garlic press", "Spice rack", "Pasta maker",
                       "Stock pot", "Tongs", "Grater", "Colander", "Apron")),
    "Home fragrance": (12.0, ("Lavender candle", "Reed diffuser", "Cedar candle", "Incense set",
                              "Room spray", "Wax melts", "Fig candle", "Diffuser oil", "Candle snuffer",
                              "Tealights 50", "Linen spray", "Sandalwood candle", "Matches tin",
                              "Oil burner", "Pine candle")),
    "Stationery": (5.0, ("Watercolour paint set", "Sketchbook A4", "Fountain pen", "Notebook dotted",
                         "Ink bottle", "Brush pens", "Washi tape", "Pencil set", "Desk planner",
                         "Envelope pack", "Eraser", "Ruler", "Greeting cards", "Sticky notes",
                         "Calligraphy nibs")),
    "Toys": (14.0, ("Wooden train", "Puzzle 500", "Building blocks", "Plush fox", "Kite", "Yo-yo",
                    "Card game", "Marble run", "Craft kit", "Bubble wand", "Spinning top",
                    "Jigsaw 1000", "Finger puppets", "Skipping rope", "Dominoes")),
    "Garden": (10.0, ("Herb seed collection", "Terracotta pot set", "Peat-free compost", "Watering can",
                      "Pruning shears", "Garden gloves", "Bird feeder", "Plant labels", "Trowel",
                      "Seed trays", "Twine", "Kneeler", "Hose nozzle", "Bulb planter", "Plant food")),
    "Personal care": (8.0, ("Hand cream", "Lip balm", "Bath salts", "Shea soap", "Body scrub",
                            "Face mask", "Nail kit", "Shampoo bar", "Bath bomb", "Loofah", "Comb",
                            "Sleep mask", "Foot cream", "Beard oil", "Sunscreen")),
}

#: (antecedent item names, consequent item name, planted confidence)
PLANTED_RULES: tuple[tuple[tuple[str, ...], str, float], ...] = (
    (("Espresso beans 1kg",), "Milk frother", 0.55),
    (("Sourdough starter kit",), "Banneton basket", 0.5),
    (("Watercolour paint set",), "Sketchbook A4", 0.6),
    (("Herb seed collection", "Terracotta pot set"), "Peat-free compost", 0.7),
)


@dataclass(frozen=True)
class Persona:
    """How one planted persona behaves (all counts are per user over the 13 weeks)."""

    share: float
    orders_base: int
    orders_extra: float      # Poisson mean added to orders_base
    items_per_order: tuple[int, int]
    views_per_item: tuple[int, int]
    browse_views: tuple[int, int]   # views outside orders
    abandoned_carts: tuple[int, int]
    price_tier: str          # 'high', 'low' or 'any'
    discount_prob: float
    window: str              # 'all', 'new', 'early'


PERSONAS: dict[str, Persona] = {
    "Loyal big spender": Persona(0.15, 7, 4.0, (3, 6), (1, 2), (4, 10), (0, 2), "high", 0.05, "all"),
    "Bargain hunter": Persona(0.25, 3, 2.0, (1, 3), (3, 5), (12, 25), (1, 4), "low", 0.85, "all"),
    "Window shopper": Persona(0.25, 0, 0.0, (1, 1), (2, 3), (40, 90), (3, 8), "any", 0.3, "all"),
    "New user": Persona(0.15, 1, 0.4, (1, 3), (2, 3), (3, 8), (0, 2), "any", 0.3, "new"),
    "Lapsed user": Persona(0.20, 2, 1.0, (1, 3), (1, 3), (3, 8), (0, 2), "any", 0.2, "early"),
}

VARIANTS = ("control", "10% off", "spend 80 get 12")
COUPON_THRESHOLD, COUPON_VALUE, PCT_OFF = 80.0, 12.0, 0.10
CONTACT_COST = 0.15
#: how likely each category is to be among a user's two favourites
CATEGORY_PREFERENCE = np.array([1.4, 1.0, 1.2, 1.3, 0.9, 0.9, 1.0, 0.8, 1.1, 1.0]) / 10.6

#: true two-week conversion probability per persona and variant
TRUE_CONVERSION: dict[str, dict[str, float]] = {
    "Loyal big spender": {"control": 0.45, "10% off": 0.46, "spend 80 get 12": 0.52},
    "Bargain hunter": {"control": 0.18, "10% off": 0.30, "spend 80 get 12": 0.21},
    "Window shopper": {"control": 0.03, "10% off": 0.05, "spend 80 get 12": 0.035},
    "New user": {"control": 0.12, "10% off": 0.17, "spend 80 get 12": 0.15},
    "Lapsed user": {"control": 0.04, "10% off": 0.06, "spend 80 get 12": 0.09},
}
#: typical gross order value (median of a log-normal with sigma 0.45) per persona
ORDER_VALUE: dict[str, float] = {"Loyal big spender": 120.0, "Bargain hunter": 30.0, "Window shopper": 45.0,
                                 "New user": 55.0, "Lapsed user": 65.0}


def catalogue(rng: np.random.Generator) -> pd.DataFrame:
    """The 150 items: item_id, item_name, category, price (£), popularity weight."""
    rows = []
    planted_consequents = {r[1] for r in PLANTED_RULES}
    planted_antecedents = {a for r in PLANTED_RULES for a in r[0]}
    for ci, (cat, (base, names)) in enumerate(CATEGORIES.items()):
        for ii, name in enumerate(names):
            price = round(float(base * rng.lognormal(0.0, 0.5)), 2) + 0.99
            weight = 1.0 / (ii + 1) ** 0.6
            if name in planted_consequents:
                weight *= 0.35
            if name in planted_antecedents:
                weight *= 1.8
            rows.append({"item_id": f"SKU{ci:02d}{ii:02d}", "item_name": name, "category": cat,
                         "price": round(price, 2), "weight": weight})
    return pd.DataFrame(rows)


def generate(n_users: int = 3000, seed: int = 7) -> dict[str, object]:
    """Generate the sample in memory.

    Returns a dict with frames ``events``, ``experiment``, ``experiment_summary``,
    ``personas`` and the JSON-ready ``planted_rules`` and ``experiment_truth``.
    """
    if not isinstance(n_users, (int, np.integer)) or not 200 <= n_users <= 200_000:
        raise DataError(f"--users must be a whole number from 200 to 200,000; got {n_users!r}",
                        hint="Pick, for example, 3000")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"--seed must be a whole number of 0 or more; got {seed!r}", hint="Pick, for example, 7")
    rng = np.random.default_rng(seed)
    cat = catalogue(rng)
    names = list(PERSONAS)
    shares = np.array([PERSONAS[p].share for p in names])
    persona_of = rng.choice(len(names), size=n_users, p=shares / shares.sum())
    users = [f"U{i + 1:05d}" for i in range(n_users)]
    age = rng.choice(["18-24", "25-34", "35-44", "45-54", "55+"], size=n_users, p=[.15, .3, .25, .17, .13])
    region = rng.choice(["London", "North", "Midlands", "South", "Scotland", "Wales"], size=n_users,
                        p=[.25, .2, .18, .22, .1, .05])
    cats = list(CATEGORIES)
    price_rank = cat.groupby("category")["price"].rank(pct=True)
    name_to_idx = {n: i for i, n in enumerate(cat["item_name"])}
    ev_cols: dict[str, list] = {k: [] for k in ("user_id", "t", "event", "item", "qty", "order_id", "disc")}
    order_no = 0

    def add(u, t, event, item, qty=1.0, order="", disc=0.0):
        ev_cols["user_id"].append(u)
        ev_cols["t"].append(t)
        ev_cols["event"].append(event)
        ev_cols["item"].append(item)
        ev_cols["qty"].append(qty)
        ev_cols["order_id"].append(order)
        ev_cols["disc"].append(disc)

    tables = {}
    for c in cats:
        idx = cat.index[cat["category"] == c].to_numpy()
        w, pr = cat.loc[idx, "weight"].to_numpy(), price_rank.loc[idx].to_numpy()
        for tier, tw in (("high", w * (0.2 + 2 * pr)), ("low", w * (2.2 - 2 * pr)), ("any", w)):
            tables[c, tier] = (idx, tw / tw.sum())

    def pick_items(fav, tier, k):
        chosen = []
        for _ in range(k):
            c = fav[0] if rng.random() < 0.55 else fav[1] if rng.random() < 0.6 else cats[rng.integers(10)]
            idx, w = tables[c, tier]
            chosen.append(int(idx[rng.choice(len(idx), p=w)]))
        return list(dict.fromkeys(chosen))

    for ui, u in enumerate(users):
        p = PERSONAS[names[persona_of[ui]]]
        if p.window == "new":
            t0, t1 = DAYS - rng.uniform(4, 20), DAYS - rng.uniform(0, 2)
        elif p.window == "early":
            t0, t1 = rng.uniform(0, 12), rng.uniform(24, 38)
        else:
            t0, t1 = rng.uniform(0, 25), DAYS - rng.uniform(0, 8)
        fav = list(rng.choice(cats, size=2, replace=False, p=CATEGORY_PREFERENCE))
        n_orders = p.orders_base + int(rng.poisson(p.orders_extra))
        if p.window == "all" and p.orders_base == 0:
            n_orders = int(rng.random() < 0.25)
        for t in np.sort(rng.uniform(t0, t1, size=n_orders)):
            order_no += 1
            oid = f"O{order_no:06d}"
            items = pick_items(fav, p.price_tier, int(rng.integers(p.items_per_order[0], p.items_per_order[1] + 1)))
            for ante, cons, conf in PLANTED_RULES:
                if {name_to_idx[a] for a in ante} <= set(items) and rng.random() < conf:
                    items.append(name_to_idx[cons])
            items = list(dict.fromkeys(items))
            discounted = rng.random() < p.discount_prob
            ts = t
            for it in items:
                for _ in range(int(rng.integers(p.views_per_item[0], p.views_per_item[1] + 1))):
                    ts += rng.uniform(0.0005, 0.01)
                    add(u, ts, "view", it)
                ts += rng.uniform(0.0005, 0.005)
                add(u, ts, "cart", it)
            ts += rng.uniform(0.001, 0.01)
            for it in items:
                q = float(1 + rng.poisson(0.3))
                d = round(cat.at[it, "price"] * rng.choice([0.1, 0.2, 0.3]), 2) if discounted else 0.0
                add(u, ts, "purchase", it, q, oid, d)
        for _ in range(int(rng.integers(p.browse_views[0], p.browse_views[1] + 1))):
            add(u, rng.uniform(t0, t1), "view", pick_items(fav, p.price_tier, 1)[0])
        for _ in range(int(rng.integers(p.abandoned_carts[0], p.abandoned_carts[1] + 1))):
            tt = rng.uniform(t0, t1)
            it = pick_items(fav, p.price_tier, 1)[0]
            add(u, tt, "view", it)
            add(u, tt + 0.002, "cart", it)

    item = np.array(ev_cols["item"])
    ev = pd.DataFrame({
        "user_id": ev_cols["user_id"],
        "timestamp": (START + pd.to_timedelta(np.array(ev_cols["t"]) * 86400, unit="s")).floor("s"),
        "event": ev_cols["event"],
        "item_id": cat["item_id"].to_numpy()[item],
        "item_name": cat["item_name"].to_numpy()[item],
        "category": cat["category"].to_numpy()[item],
        "price": np.where(np.array(ev_cols["event"]) == "purchase",
                          cat["price"].to_numpy()[item] - np.array(ev_cols["disc"]), np.nan).round(2),
        "quantity": np.where(np.array(ev_cols["event"]) == "purchase", ev_cols["qty"], np.nan),
        "order_id": ev_cols["order_id"],
        "discount": np.where(np.array(ev_cols["event"]) == "purchase", ev_cols["disc"], np.nan),
    })
    uidx = ev["user_id"].str.slice(1).astype(int).to_numpy() - 1
    ev["age_band"], ev["region"] = age[uidx], region[uidx]
    ev = ev.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)
    personas = pd.DataFrame({"user_id": users, "persona": [names[i] for i in persona_of]})
    pre = (ev.loc[ev["event"] == "purchase"].assign(v=lambda d: d["price"] * d["quantity"])
           .groupby("user_id")["v"].sum())
    experiment = _experiment(rng, personas, pre, region, age)
    return {"events": ev, "personas": personas, "experiment": experiment,
            "experiment_summary": summarise_experiment(experiment),
            "planted_rules": _planted_rules_truth(ev), "experiment_truth": _experiment_truth(seed)}




def _order_value(rng, persona: str, variant: str, size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Gross order value and discount given for `size` orders under a variant."""
    gross = ORDER_VALUE[persona] * rng.lognormal(0.0, 0.45, size=size)
    disc = np.zeros(size)
    if variant == "10% off":
        disc = PCT_OFF * gross
    elif variant == "spend 80 get 12":
        near = (gross >= 0.7 * COUPON_THRESHOLD) & (gross < COUPON_THRESHOLD) & (rng.random(size) < 0.5)
        gross = np.where(near, COUPON_THRESHOLD + rng.uniform(0, 8, size=size), gross)
        disc = np.where(gross >= COUPON_THRESHOLD, COUPON_VALUE, 0.0)
    return gross, disc


def _experiment(rng, personas: pd.DataFrame, pre: pd.Series, region, age) -> pd.DataFrame:
    n = len(personas)
    variant = rng.choice(len(VARIANTS), size=n)
    rows = {"user_id": personas["user_id"], "variant": [VARIANTS[v] for v in variant]}
    conv, orders, revenue, discount = np.zeros(n, int), np.zeros(n, int), np.zeros(n), np.zeros(n)
    for i, (persona, v) in enumerate(zip(personas["persona"], variant, strict=True)):
        vname = VARIANTS[v]
        if rng.random() < TRUE_CONVERSION[persona][vname]:
            k = 1 + int(rng.poisson(0.25))
            gross, disc = _order_value(rng, persona, vname, k)
            conv[i], orders[i] = 1, k
            revenue[i], discount[i] = round(float((gross - disc).sum()), 2), round(float(disc.sum()), 2)
    rows.update({"converted": conv, "orders": orders, "revenue": revenue, "discount": discount,
                 "cost": np.where(variant > 0, CONTACT_COST, 0.0),
                 "pre_revenue": personas["user_id"].map(pre).fillna(0.0).round(2).to_numpy(),
                 "region": region, "age_band": age})
    return pd.DataFrame(rows)


def summarise_experiment(exp: pd.DataFrame) -> pd.DataFrame:
    """Per variant: users, conversions, revenue_sum, revenue_sum_sq (the aggregated file form)."""
    g = exp.assign(rev_sq=exp["revenue"] ** 2).groupby("variant", sort=False)
    out = pd.DataFrame({"users": g.size(), "conversions": g["converted"].sum(),
                        "revenue_sum": g["revenue"].sum().round(2), "revenue_sum_sq": g["rev_sq"].sum().round(4)})
    return out.reindex([v for v in VARIANTS if v in out.index]).reset_index()


def _planted_rules_truth(ev: pd.DataFrame) -> list[dict]:
    """Planted rules with the confidence and lift they have in the generated orders."""
    baskets = ev.loc[ev["event"] == "purchase"].groupby("order_id")["item_name"].agg(frozenset)
    n = len(baskets)
    out = []
    for ante, cons, conf in PLANTED_RULES:
        has_a = baskets.map(lambda b, a=frozenset(ante): a <= b)
        has_c = baskets.map(lambda b, c=cons: c in b)
        n_a, n_c, n_ac = int(has_a.sum()), int(has_c.sum()), int((has_a & has_c).sum())
        out.append({"antecedents": list(ante), "consequents": [cons], "planted_confidence": conf,
                    "baskets": n, "support": n_ac / n, "confidence": n_ac / n_a if n_a else 0.0,
                    "lift": (n_ac / n_a) / (n_c / n) if n_a and n_c else 0.0})
    return out


def _experiment_truth(seed: int) -> dict:
    """True per-user conversion, net revenue and discount per persona and variant.

    Revenue and discount expectations are Monte-Carlo means over 400,000 simulated orders each
    (a separate seeded generator, so they do not depend on the sample size).
    """
    rng = np.random.default_rng(seed + 1_000_003)
    truth: dict = {"variants": list(VARIANTS), "control": "control", "contact_cost": CONTACT_COST,
                   "currency": CURRENCY, "coupon": {"threshold": COUPON_THRESHOLD, "value": COUPON_VALUE},
                   "pct_off": PCT_OFF, "orders_per_converter": 1.25, "personas": {}}
    for persona in PERSONAS:
        cells = {}
        for v in VARIANTS:
            gross, disc = _order_value(rng, persona, v, 400_000)
            p = TRUE_CONVERSION[persona][v]
            cells[v] = {"conversion": p, "net_order_value": float((gross - disc).mean()),
                        "discount_per_order": float(disc.mean()),
                        "net_revenue_per_user": p * 1.25 * float((gross - disc).mean()),
                        "discount_per_user": p * 1.25 * float(disc.mean())}
        truth["personas"][persona] = {"share": PERSONAS[persona].share, "variants": cells}
    return truth


def write_sample(out_dir: str | Path, n_users: int = 3000, seed: int = 7) -> dict[str, Path]:
    """Generate and write the sample files; returns {name: path}. Same seed, same bytes."""
    data = generate(n_users=n_users, seed=seed)
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    paths = {"events": out / "events.csv.gz", "experiment": out / "experiment.csv",
             "experiment_summary": out / "experiment_summary.csv", "personas": out / "truth" / "personas.csv",
             "planted_rules": out / "truth" / "planted_rules.json",
             "experiment_truth": out / "truth" / "experiment_truth.json"}
    data["events"].to_csv(paths["events"], index=False, date_format="%Y-%m-%d %H:%M:%S",
                          compression={"method": "gzip", "mtime": 0, "compresslevel": 9})
    data["experiment"].to_csv(paths["experiment"], index=False)
    data["experiment_summary"].to_csv(paths["experiment_summary"], index=False)
    data["personas"].to_csv(paths["personas"], index=False)
    for key in ("planted_rules", "experiment_truth"):
        paths[key].write_text(json.dumps(data[key], indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out / "truth" / "params.json").write_text(json.dumps({"n_users": n_users, "seed": seed,
                                                           "personas": {k: asdict(v) for k, v in PERSONAS.items()}},
                                                          indent=2) + "\n", encoding="utf-8")
    return paths
