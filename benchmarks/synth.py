"""Large synthetic event logs for benchmarks (vectorised; 1,000,000 events in about a second)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promo_core.quality import EVENT_DTYPE


def synthetic_events(n_events: int = 1_000_000, n_users: int = 100_000, n_items: int = 5_000, seed: int = 0
                     ) -> pd.DataFrame:
    """Canonical events: 70% views, 15% carts, 15% purchases over 90 days; orders are user-days."""
    rng = np.random.default_rng(seed)
    activity = rng.gamma(0.8, 1.0, n_users)
    user = rng.choice(n_users, size=n_events, p=activity / activity.sum())
    item = np.minimum(rng.zipf(1.3, n_events) - 1, n_items - 1)
    price = np.round(np.exp(rng.normal(2.5, 0.8, n_items)), 2)
    t = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.uniform(0, 90 * 86400, n_events).astype("int64"), unit="s")
    kind = rng.choice(np.array(["view", "cart", "purchase"]), size=n_events, p=[0.7, 0.15, 0.15])
    users = np.char.add("u", user.astype(str))
    ev = pd.DataFrame({"user_id": pd.array(users, dtype="str"), "timestamp": t.astype("datetime64[ns]"),
                       "event": pd.Categorical(kind, dtype=EVENT_DTYPE),
                       "item_id": pd.array(np.char.add("i", item.astype(str)), dtype="str"),
                       "category": pd.array(np.char.add("c", (item % 50).astype(str)), dtype="str")})
    buy = kind == "purchase"
    ev["order_id"] = pd.array(np.where(buy, np.char.add(np.char.add(users, "-"),
                                                         (t.dayofyear.to_numpy()).astype(str)), None), dtype="str")
    ev["price"] = np.where(buy, price[item], np.nan)
    ev["quantity"] = np.where(buy, 1 + rng.poisson(0.3, n_events), 1).astype("float64")
    ev["discount"] = np.where(buy & (rng.random(n_events) < 0.3), 0.1 * price[item], 0.0)
    return ev.sort_values("timestamp", kind="stable").reset_index(drop=True)


def synthetic_baskets(n_baskets: int = 500_000, n_items: int = 5_000, seed: int = 0) -> list[list[str]]:
    """Baskets of 1-8 items drawn from a Zipf-like popularity, with no repeated item in a basket."""
    rng = np.random.default_rng(seed)
    sizes = 1 + rng.binomial(7, 0.3, n_baskets)
    items = np.minimum(rng.zipf(1.15, sizes.sum()) - 1, n_items - 1)
    out, pos = [], 0
    for s in sizes:
        out.append(sorted({f"item{v}" for v in items[pos:pos + s]}))
        pos += s
    return out


def groceries_like(n_baskets: int = 9_835, n_items: int = 169, seed: int = 0) -> list[list[str]]:
    """A basket file's baskets shaped like R arules' Groceries (9,835 baskets, 169 items, 4.4 items
    per basket, the top item in about a quarter of baskets), with planted shopping themes so that
    rules of 2-6 items reach confidence 0.5 at support 0.001."""
    rng = np.random.default_rng(seed)
    names = [f"product {i:03d}" for i in range(n_items)]
    pop = 1.0 / (np.arange(n_items) + 4.0) ** 1.05
    pop /= pop.sum()
    themes = [rng.choice(n_items, size=rng.integers(4, 9), replace=False, p=pop) for _ in range(30)]
    strength = rng.uniform(0.35, 0.8, len(themes))
    out = []
    for _ in range(n_baskets):
        chosen: set[int] = set()
        for t in rng.choice(len(themes), size=rng.poisson(0.6), replace=False):
            members = themes[t]
            chosen.update(members[rng.random(len(members)) < strength[t]].tolist())
        extra = max(0, int(rng.geometric(0.3)) - len(chosen))
        if extra:
            chosen.update(rng.choice(n_items, size=extra, p=pop).tolist())
        if not chosen:
            chosen.add(int(rng.choice(n_items, p=pop)))
        out.append([names[i] for i in sorted(chosen)])
    return out


def write_basket_file(baskets: list[list[str]], path) -> None:
    """One basket per line, items separated by commas (the classic basket-file layout)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(",".join(b) + "\n" for b in baskets)
