"""Baskets, frequent itemsets and association rules (mlxtend), bundles and cross-sell offers.

How baskets are formed (this decides every support figure, so it is stated once, here):

* Only purchase events of the cleaned data count. Rows the quality report removed (duplicates,
  rows without a user id, cancellations and returns, non-positive prices) are not in any basket.
* A basket is one order id, or, with ``by='user-day'`` or when the data has no order id, one
  user's purchases on one calendar day. A basket file's lines are its baskets.
* An item bought twice in one basket counts once. Baskets that the cleaning left empty do not
  exist any more, so they are not in the denominator; single-item baskets are.
* Baskets with more than ``max_basket_size`` distinct items (wholesale orders, data errors) are
  left out of mining and of the denominator, and counted in ``Baskets.n_oversized``.

Support of an itemset = baskets containing it ÷ baskets mined. Rules are mlxtend's
``association_rules`` with ``num_itemsets`` = baskets mined, so every metric has mlxtend's
definition: confidence(X→Y) = support(X∪Y)/support(X); lift = confidence/support(Y);
leverage = support(X∪Y) − support(X)·support(Y); conviction = (1 − support(Y))/(1 − confidence).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import apriori, association_rules, fpgrowth
from mlxtend.preprocessing import TransactionEncoder
from scipy.stats import chi2_contingency, hypergeom
from statsmodels.stats.multitest import multipletests

from .features import order_keys
from .schema import DataError, line_amount

BasketBy = Literal["order", "user-day"]
Level = Literal["item", "category"]
Algorithm = Literal["fpgrowth", "apriori"]
#: Apriori (mlxtend, low_memory on sparse input) is the default: on every size measured in
#: docs/PERFORMANCE.md it was 1.4-4.5x faster than FP-Growth, which densifies its input.
ALGORITHMS = {"apriori": "Apriori (low memory)", "fpgrowth": "FP-Growth"}
RULE_COLUMNS = ["antecedents", "consequents", "antecedent_support", "consequent_support", "support",
                "confidence", "lift", "representativity", "leverage", "conviction", "zhangs_metric",
                "jaccard", "certainty", "kulczynski"]
CONTRACT_COLUMNS = ["antecedents", "consequents", "support", "confidence", "lift", "leverage", "conviction"]
MAX_FREQUENT_ITEMS = 3000
MAX_CANDIDATE_PAIRS = 3_000_000
MAX_ITEMSETS = 300_000


@dataclass(frozen=True)
class Baskets:
    """Baskets as lists of item labels, with how they were formed."""

    baskets: list[list[str]]
    by: str
    level: str
    n_oversized: int
    n_single: int
    labels: dict[str, str] = field(default_factory=dict)   # item id -> label shown
    basket_users: list[str] = field(default_factory=list)  # the user of each basket

    @property
    def n(self) -> int:
        return len(self.baskets)


def item_labels(events: pd.DataFrame) -> dict[str, str]:
    """item_id -> the label shown: its most frequent name, with the id added where two items share
    a name; the id itself when the data has no names. Labels are always str (never numpy str)."""
    if "item_name" not in events or events["item_name"].isna().all():
        return {str(i): str(i) for i in events["item_id"].dropna().unique()}
    named = events.dropna(subset=["item_id"])
    top = (named.groupby(["item_id", "item_name"], observed=True).size().reset_index(name="n")
           .sort_values(["item_id", "n"], ascending=[True, False]).drop_duplicates("item_id"))
    labels = dict(zip(top["item_id"].astype(str), top["item_name"].astype(str), strict=True))
    for i in named["item_id"].astype(str).unique():
        labels.setdefault(i, i)
    counts = pd.Series(list(labels.values())).value_counts()
    dup = set(counts[counts > 1].index)
    return {i: (f"{lab} [{i}]" if lab in dup else lab) for i, lab in labels.items()}


def make_baskets(events: pd.DataFrame, by: BasketBy = "order", level: Level = "item",
                 max_basket_size: int = 100, users: set[str] | None = None) -> Baskets:
    """Form baskets from purchase events (see the module docstring for the rules).

    Parameters
    ----------
    by : {'order', 'user-day'}
        Basket key; 'order' falls back to user-day when the data has no order id.
    level : {'item', 'category'}
        Mine items (labelled by name where names exist) or their categories.
    max_basket_size : int
        Baskets with more distinct items are left out (and counted).
    users : set of str, optional
        Only baskets of these users (rules per segment).
    """
    if by not in ("order", "user-day"):
        raise DataError(f"Unknown basket definition {by!r}", hint="Use 'order' or 'user-day'")
    if level not in ("item", "category"):
        raise DataError(f"Unknown level {level!r}", hint="Use 'item' or 'category'")
    if not isinstance(max_basket_size, (int, np.integer)) or max_basket_size < 2:
        raise DataError(f"The largest basket size must be a whole number of at least 2; got {max_basket_size!r}",
                        hint="Try 100")
    col = "item_id" if level == "item" else "category"
    if col not in events or events[col].isna().all():
        what = "an item column" if level == "item" else "a category column"
        raise DataError(f"Basket rules at {level} level need {what}, and this dataset has none",
                        hint="Map the item (or category) column on the Data page"
                             + ("" if level == "item" else ", or mine at item level"))
    buys = events[(events["event"] == "purchase") & events[col].notna()]
    if users is not None:
        buys = buys[buys["user_id"].isin(users)]
    if buys.empty:
        raise DataError("There are no purchases to form baskets from",
                        hint="Basket rules need purchase rows with items")
    if by == "user-day" and buys["timestamp"].isna().all():
        by = "order"
    key = (order_keys(buys) if by == "order" else
           buys["user_id"].astype(str) + "|" + buys["timestamp"].dt.strftime("%Y-%m-%d"))
    labels = item_labels(events) if level == "item" else {}
    values = buys[col].astype(str)
    if labels:
        values = values.map(labels)
    pairs = pd.DataFrame({"key": key.to_numpy(), "item": values.to_numpy(),
                          "user": buys["user_id"].astype(str).to_numpy()}).drop_duplicates(["key", "item"])
    grouped = pairs.groupby("key", sort=True)
    items = grouped["item"].agg(list)
    basket_users = grouped["user"].first()
    size = items.map(len)
    oversized = size > max_basket_size
    kept = items[~oversized]
    return Baskets(baskets=[[str(x) for x in b] for b in kept], by=by, level=level,
                   n_oversized=int(oversized.sum()), n_single=int((size[~oversized] == 1).sum()),
                   labels=labels, basket_users=basket_users[~oversized].tolist())


def baskets_from_lists(baskets: list[list[object]]) -> Baskets:
    """Baskets given directly (tests, benchmarks, basket files already split)."""
    clean = [list(dict.fromkeys(str(x) for x in b)) for b in baskets]
    clean = [b for b in clean if b]
    return Baskets(clean, by="given", level="item", n_oversized=0, n_single=sum(len(b) == 1 for b in clean))


def one_hot(baskets: Baskets) -> pd.DataFrame:
    """Sparse one-hot basket x item frame (mlxtend's TransactionEncoder, sparse output)."""
    te = TransactionEncoder()
    matrix = te.fit(baskets.baskets).transform(baskets.baskets, sparse=True)
    return pd.DataFrame.sparse.from_spmatrix(matrix, columns=[str(c) for c in te.columns_])


@dataclass(frozen=True)
class WorkEstimate:
    """What mining will face, from item frequencies alone (computed before mining)."""

    baskets: int
    items: int
    frequent_items: int
    candidate_pairs: int
    largest_basket: int

    def problem(self) -> str | None:
        if self.frequent_items > MAX_FREQUENT_ITEMS or self.candidate_pairs > MAX_CANDIDATE_PAIRS:
            return (f"{self.frequent_items:,} items reach this support, which means up to "
                    f"{self.candidate_pairs:,} pairs to count")
        return None


def estimate_work(baskets: Baskets, min_support: float) -> WorkEstimate:
    counts = pd.Series([i for b in baskets.baskets for i in b]).value_counts() if baskets.n else pd.Series()
    f = int((counts >= min_support * baskets.n).sum())
    return WorkEstimate(baskets.n, int(len(counts)), f, f * (f - 1) // 2,
                        max((len(b) for b in baskets.baskets), default=0))


def mine_itemsets(baskets: Baskets, min_support: float = 0.01, max_len: int | None = 3,
                  algorithm: Algorithm = "apriori") -> pd.DataFrame:
    """Frequent itemsets (mlxtend) with columns support, itemsets (frozenset of labels), length.

    Guard rails: the work is estimated from item frequencies first, and a threshold that would
    count millions of pairs, or yield more than 300,000 itemsets, raises DataError with advice
    instead of exhausting memory.
    """
    if algorithm not in ALGORITHMS:
        raise DataError(f"Unknown algorithm {algorithm!r}", hint="Use apriori or fpgrowth")
    if not isinstance(min_support, (int, float)) or not 0 < min_support <= 1:
        raise DataError(f"Minimum support must be a share between 0 and 1; got {min_support!r}",
                        hint="Try 0.01 (1% of baskets)")
    if max_len is not None and (not isinstance(max_len, (int, np.integer)) or max_len < 2):
        raise DataError(f"The longest itemset must be at least 2 items; got {max_len!r}", hint="Try 3")
    if baskets.n == 0:
        raise DataError("There are no baskets to mine", hint="Check that the data has purchases with items")
    work = estimate_work(baskets, min_support)
    if work.problem():
        raise DataError("This minimum support would make mining too large for this machine",
                        where=work.problem(),
                        hint=f"Raise the minimum support (items must be in at least {min_support:.2%} of "
                             f"{baskets.n:,} baskets), lower the longest itemset, or mine at category level")
    if work.frequent_items == 0:
        return pd.DataFrame({"support": pd.Series(dtype=float), "itemsets": pd.Series(dtype=object),
                             "length": pd.Series(dtype=int)})
    oh = one_hot(baskets)
    if algorithm == "fpgrowth":
        freq = fpgrowth(oh, min_support=min_support, use_colnames=True, max_len=max_len)
    else:
        freq = apriori(oh, min_support=min_support, use_colnames=True, max_len=max_len, low_memory=True)
    if len(freq) > MAX_ITEMSETS:
        raise DataError(f"This minimum support yields {len(freq):,} itemsets, too many to turn into rules",
                        hint="Raise the minimum support or lower the longest itemset")
    freq["itemsets"] = freq["itemsets"].map(lambda s: frozenset(str(x) for x in s))
    freq["length"] = freq["itemsets"].map(len)
    return freq.sort_values(["length", "support"], ascending=[True, False]).reset_index(drop=True)


@dataclass(frozen=True)
class RuleSet:
    """Rules and how they were made. ``rules`` columns: RULE_COLUMNS (antecedents/consequents as
    frozensets), then n_baskets, p_value and p_adjusted when tested, redundant."""

    rules: pd.DataFrame
    n_baskets: int
    n_itemsets: int
    ok: bool = True
    notes: tuple[str, ...] = ()


def make_rules(itemsets: pd.DataFrame, n_baskets: int, min_confidence: float = 0.2, min_lift: float = 1.0,
               single_consequent: bool = True, test: Literal["fisher", "chi2", "none"] = "fisher",
               alpha: float = 0.05) -> RuleSet:
    """Association rules from itemsets (mlxtend), plus redundancy and significance.

    A rule X→Y is *redundant* when a rule X'→Y with X' a proper subset of X has at least its
    confidence. Significance: one-sided Fisher exact test of X and Y co-occurring more than by
    chance (hypergeometric upper tail on the 2×2 basket table), or Pearson chi-square
    (scipy ``chi2_contingency``, no continuity correction); p-values adjusted with
    Benjamini-Hochberg (statsmodels ``multipletests``).
    """
    if not 0 <= min_confidence <= 1:
        raise DataError(f"Minimum confidence must be between 0 and 1; got {min_confidence!r}", hint="Try 0.2")
    if min_lift < 0:
        raise DataError(f"Minimum lift cannot be negative; got {min_lift!r}", hint="Try 1")
    if test not in ("fisher", "chi2", "none"):
        raise DataError(f"Unknown test {test!r}", hint="Use fisher, chi2 or none")
    empty = pd.DataFrame(columns=[*RULE_COLUMNS, "n_baskets", "redundant", "p_value", "p_adjusted"])
    if len(itemsets) == 0 or (itemsets["length"] < 2).all():
        return RuleSet(empty, n_baskets, len(itemsets), ok=False,
                       notes=("No two items are bought together often enough at this minimum support; "
                              "lower it to see rules",))
    raw = association_rules(itemsets[["support", "itemsets"]], num_itemsets=n_baskets, metric="confidence",
                            min_threshold=min_confidence)
    raw.columns = [c.replace(" ", "_") for c in raw.columns]
    raw = raw[raw["lift"] >= min_lift]
    if single_consequent:
        raw = raw[raw["consequents"].map(len) == 1]
    if raw.empty:
        return RuleSet(empty, n_baskets, len(itemsets), ok=False,
                       notes=("No rule reaches this confidence and lift; lower them to see rules",))
    rules = raw.loc[:, RULE_COLUMNS].reset_index(drop=True)
    rules["n_baskets"] = np.rint(rules["support"] * n_baskets).astype(int)
    rules["redundant"] = redundant(rules)
    if test != "none":
        rules["p_value"] = rule_p_values(rules, n_baskets, test)
        rules["p_adjusted"] = multipletests(rules["p_value"], alpha=alpha, method="fdr_bh")[1]
    else:
        rules["p_value"] = rules["p_adjusted"] = np.nan
    rules = rules.sort_values(["lift", "confidence"], ascending=False).reset_index(drop=True)
    return RuleSet(rules, n_baskets, len(itemsets))


def redundant(rules: pd.DataFrame) -> np.ndarray:
    """True for rules X→Y when some X'→Y (X' ⊂ X) has at least the same confidence."""
    best: dict[tuple[frozenset, frozenset], float] = {
        (a, c): conf for a, c, conf in zip(rules["antecedents"], rules["consequents"], rules["confidence"],
                                            strict=True)}
    out = np.zeros(len(rules), dtype=bool)
    for i, (a, c, conf) in enumerate(zip(rules["antecedents"], rules["consequents"], rules["confidence"],
                                         strict=True)):
        if len(a) < 2:
            continue
        for item in a:
            sub = a - {item}
            if best.get((sub, c), -1.0) >= conf - 1e-12:
                out[i] = True
                break
    return out


def contingency(rules: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Basket counts (both, X only, Y only, neither) for each rule."""
    both = np.rint(rules["support"].to_numpy() * n)
    x = np.rint(rules["antecedent_support"].to_numpy() * n)
    y = np.rint(rules["consequent_support"].to_numpy() * n)
    return both, x - both, y - both, n - x - y + both


def rule_p_values(rules: pd.DataFrame, n: int, test: str = "fisher") -> np.ndarray:
    both, x_only, y_only, neither = contingency(rules, n)
    if test == "fisher":
        x, y = both + x_only, both + y_only
        return hypergeom.sf(both - 1, n, x, y)
    out = np.empty(len(rules))
    for i, cells in enumerate(zip(both, x_only, y_only, neither, strict=True)):
        table = np.array(cells, dtype=float).reshape(2, 2)
        out[i] = 1.0 if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any() else \
            chi2_contingency(table, correction=False)[1]
    return out


def filter_rules(rules: pd.DataFrame, *, antecedent_has: str | None = None, consequent_has: str | None = None,
                 drop_redundant: bool = False, significant_only: bool = False, alpha: float = 0.05) -> pd.DataFrame:
    """Rules with an item in the antecedent/consequent, without redundant or non-significant ones."""
    keep = np.ones(len(rules), dtype=bool)
    if antecedent_has:
        keep &= rules["antecedents"].map(lambda s: antecedent_has in s).to_numpy(dtype=bool)
    if consequent_has:
        keep &= rules["consequents"].map(lambda s: consequent_has in s).to_numpy(dtype=bool)
    if drop_redundant:
        keep &= ~rules["redundant"].to_numpy(dtype=bool)
    if significant_only and rules["p_adjusted"].notna().any():
        keep &= (rules["p_adjusted"] < alpha).to_numpy()
    return rules[keep].reset_index(drop=True)


def rules_for_display(rules: pd.DataFrame) -> pd.DataFrame:
    """Antecedents and consequents as readable text ('A + B'); Arrow cannot show frozensets."""
    out = rules.copy()
    for c in ("antecedents", "consequents"):
        out[c] = out[c].map(lambda s: " + ".join(sorted(s)))
    return out


def rules_contract(rules: pd.DataFrame) -> pd.DataFrame:
    """The rules.csv contract: antecedents, consequents as JSON arrays, then the five metrics."""
    out = rules.loc[:, CONTRACT_COLUMNS].copy()
    for c in ("antecedents", "consequents"):
        out[c] = out[c].map(lambda s: json.dumps(sorted(s), ensure_ascii=False))
    return out


# ---------------------------------------------------------------- promotion hooks

def item_prices(events: pd.DataFrame, labels: dict[str, str]) -> pd.Series:
    """Median unit price paid per item label (before any discount where the data has one)."""
    buys = events[(events["event"] == "purchase") & events["price"].notna() & events["item_id"].notna()]
    if buys.empty:
        return pd.Series(dtype=float)
    paid = line_amount(buys) / buys["quantity"] + (buys["discount"].fillna(0) if "discount" in buys else 0)
    med = paid.groupby(buys["item_id"].astype(str), observed=True).median()
    med.index = [labels.get(i, i) for i in med.index]
    return med.groupby(level=0).median()


def suggest_bundles(itemsets: pd.DataFrame, rules: pd.DataFrame, prices: pd.Series, n_baskets: int,
                    min_lift: float = 1.5, top: int = 20) -> pd.DataFrame:
    """Pairs and triples that sell together, with a combined price and a suggested bundle discount.

    Candidates: itemsets of 2-3 items whose best rule has lift ≥ ``min_lift``. The suggested
    discount is an assumption stated in the output: 5% plus 10% × (1 − the best confidence), so
    items that already nearly always sell together get a small incentive (5-15%).
    Columns: bundle, items, support, baskets, best_confidence, lift, combined_price,
    suggested_discount_pct, bundle_price.
    """
    cols = ["bundle", "items", "support", "baskets", "best_confidence", "lift", "combined_price",
            "suggested_discount_pct", "bundle_price"]
    if rules.empty:
        return pd.DataFrame(columns=cols)
    union = rules["antecedents"].combine(rules["consequents"], lambda a, c: a | c)
    best = (pd.DataFrame({"items": union, "confidence": rules["confidence"], "lift": rules["lift"]})
            .groupby("items").agg(best_confidence=("confidence", "max"), lift=("lift", "max")))
    sets = itemsets[itemsets["length"].between(2, 3)].set_index("itemsets")
    out = best.join(sets["support"], how="inner").reset_index().rename(columns={"index": "items"})
    out = out[out["lift"] >= min_lift]
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["bundle"] = out["items"].map(lambda s: " + ".join(sorted(s)))
    out["baskets"] = np.rint(out["support"] * n_baskets).astype(int)
    out["combined_price"] = out["items"].map(lambda s: float(sum(prices.get(i, np.nan) for i in s)))
    out["suggested_discount_pct"] = (5 + 10 * (1 - out["best_confidence"])).round(1)
    out["bundle_price"] = (out["combined_price"] * (1 - out["suggested_discount_pct"] / 100)).round(2)
    out["items"] = out["items"].map(lambda s: sorted(s))
    out = out.sort_values(["lift", "support"], ascending=False).head(top)
    return out.loc[:, cols].reset_index(drop=True)


def cross_sell(rules: pd.DataFrame, baskets: Baskets, top: int = 20) -> pd.DataFrame:
    """'Customers who buy X: offer Y' from single-item rules, with how many X buyers never bought Y.

    Columns: if_bought, offer, confidence, lift, buyers_of_x, targetable_users.
    """
    cols = ["if_bought", "offer", "confidence", "lift", "buyers_of_x", "targetable_users"]
    single = rules[(rules["antecedents"].map(len) == 1) & (rules["consequents"].map(len) == 1)]
    if single.empty or not baskets.basket_users:
        return pd.DataFrame(columns=cols)
    single = single.sort_values("lift", ascending=False).head(top)
    owned: dict[str, set[str]] = {}
    for user, items in zip(baskets.basket_users, baskets.baskets, strict=True):
        for i in items:
            owned.setdefault(i, set()).add(user)
    rows = []
    for r in single.itertuples(index=False):
        x, y = next(iter(r.antecedents)), next(iter(r.consequents))
        bx, by = owned.get(x, set()), owned.get(y, set())
        rows.append({"if_bought": x, "offer": y, "confidence": r.confidence, "lift": r.lift,
                     "buyers_of_x": len(bx), "targetable_users": len(bx - by)})
    return pd.DataFrame(rows, columns=cols)
