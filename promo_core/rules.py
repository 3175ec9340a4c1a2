"""Baskets, frequent itemsets and association rules, bundles and cross-sell offers.

How baskets are formed (this decides every support figure, so it is stated once, here):

* Only purchase lines of the cleaned data count (:func:`basket_lines`, the single place that
  decides which lines form baskets). Rows the quality report removed (duplicates, rows without a
  user id, cancellations and returns, non-positive prices) are not in any basket.
* A basket is one order id, or, with ``by='user-day'`` or when the data has no order id, one
  user's purchases on one calendar day. A basket file's lines are its baskets.
* An item bought twice in one basket counts once. Baskets that the cleaning left empty do not
  exist any more, so they are not in the denominator; single-item baskets are.
* Every basket is mined and counts in the denominator. Only when the user asks
  (``max_basket_size``) are baskets with more distinct items left out, and then they are counted
  in ``Baskets.n_oversized`` and reported wherever the rules are shown.

Mining has no default length limit (``max_len=None``), as in mlxtend and pyfim; R's arules
stops at 10 items by default. Engines (same itemsets, tested): pyfim's FP-Growth in C (Borgelt;
the default) and mlxtend's FP-Growth or Apriori. pyfim's conventions are translated here: its
support threshold (a percentage by default) is passed as an absolute basket count, the smallest
count whose share reaches the minimum support (mlxtend and arules compare shares); itemsets made
only of items present in every basket, which pyfim 6.28 leaves out, are added back. Rules are
made from the itemsets, whichever engine mined them, so rule support is the support of antecedent
and consequent together (arules' and mlxtend's definition, pyfim's ``mode='o'``), not pyfim's
default of the antecedent's support.

Support of an itemset = baskets containing it ÷ baskets mined. Every rule metric has mlxtend's
``association_rules`` definition (with ``num_itemsets`` = baskets mined): confidence(X→Y) =
support(X∪Y)/support(X); lift = confidence/support(Y); leverage = support(X∪Y) −
support(X)·support(Y); conviction = (1 − support(Y))/(1 − confidence). Rules keep one item on
the right-hand side by default, as R's arules does.
"""

from __future__ import annotations

import gc
import json
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, combinations
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from mlxtend.frequent_patterns import apriori, association_rules, fpgrowth
from scipy.stats import chi2_contingency, hypergeom
from statsmodels.stats.multitest import multipletests

from .features import order_keys
from .i18n import N_, _
from .schema import DataError, line_amount

try:  # pyfim builds from source (gcc); where it could not be installed, mlxtend mines instead
    import fim as _fim
except ImportError:  # pragma: no cover - exercised by monkeypatching _fim in the tests
    _fim = None

BasketBy = Literal["order", "user-day"]
Level = Literal["item", "category"]
Algorithm = Literal["pyfim", "fpgrowth", "apriori"]
#: pyfim (C) is the default engine; mlxtend's two miners are selectable and give the same itemsets.
ALGORITHMS = {"pyfim": N_("pyfim FP-Growth"), "fpgrowth": N_("mlxtend FP-Growth"), "apriori": N_("mlxtend Apriori")}
DEFAULT_ALGORITHM: Algorithm = "pyfim"
RULE_COLUMNS = ["antecedents", "consequents", "antecedent_support", "consequent_support", "support",
                "confidence", "lift", "representativity", "leverage", "conviction", "zhangs_metric",
                "jaccard", "certainty", "kulczynski"]
CONTRACT_COLUMNS = ["antecedents", "consequents", "support", "confidence", "lift", "leverage", "conviction"]
#: Guard rail: mining stops (with advice) rather than count more frequent pairs or keep more
#: itemsets than this; these limits never change a result, they only refuse to compute one.
MAX_FREQUENT_PAIRS = 5_000_000
MAX_ITEMSETS = 2_000_000
#: Pairs counted (with repeats) above which not even the pair table is built.
MAX_PAIR_TABLE = 50_000_000
#: A rule whose confidence equals the minimum (20 of 50 baskets at 0.4) reaches it, although
#: (20/n)/(50/n) is 0.39999999999999997 in floating point: comparisons allow this relative slack,
#: far below the gap between two different count ratios (mlxtend and Spark keep these rules too).
CONFIDENCE_TIE = 1e-12


@contextmanager
def _paused_gc():
    """Pause Python's cyclic garbage collector while millions of small lists and tuples are made
    (basket lists for pyfim, its results): none of them forms a cycle, and collections triggered by
    their allocation would rescan the whole heap (1.5 s → 0.3 s for 500,000 baskets)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def engine(algorithm: str) -> tuple[str, str | None]:
    """The engine that will really mine for ``algorithm``, and a notice when it is not the one asked for."""
    if algorithm not in ALGORITHMS:
        raise DataError(_("Unknown algorithm {value}").format(value=repr(algorithm)),
                        hint=_("Use one of: {options}").format(options=", ".join(ALGORITHMS)))
    if algorithm == "pyfim" and _fim is None:
        return "fpgrowth", _("pyfim (the C miner) could not be imported on this machine, so mlxtend's FP-Growth "
                             "mined instead: the same rules, only slower. Install it with `pip install pyfim`.")
    return algorithm, None


@dataclass(frozen=True)
class Baskets:
    """Baskets as a sparse basket × item structure of integer codes, with how they were formed.

    ``indptr``/``codes`` are CSR row pointers and item codes (sorted, distinct within a basket);
    ``items`` holds the label of each code.
    """

    indptr: np.ndarray
    codes: np.ndarray
    items: np.ndarray
    by: str
    level: str
    n_oversized: int
    n_single: int
    labels: dict[str, str] = field(default_factory=dict)   # item id -> label shown
    basket_users: list[str] = field(default_factory=list)  # the user of each basket
    max_basket_size: int | None = None                     # the exclusion the user asked for, if any

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @cached_property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def largest(self) -> int:
        return int(self.sizes.max()) if self.n else 0

    @cached_property
    def item_counts(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=len(self.items))

    def matrix(self) -> sp.csr_matrix:
        """Basket × item 0/1 matrix (scipy CSR, built straight from the codes)."""
        return sp.csr_matrix((np.ones(len(self.codes), dtype=bool), self.codes, self.indptr),
                             shape=(self.n, len(self.items)))

    @cached_property
    def transactions(self) -> list[list[int]]:
        """Baskets as lists of item codes: the input pyfim takes (one C-level conversion, then slices)."""
        with _paused_gc():
            flat = self.codes.tolist()
            ptr = self.indptr.tolist()
            return [flat[a:b] for a, b in zip(ptr[:-1], ptr[1:], strict=True)]

    @cached_property
    def baskets(self) -> list[list[str]]:
        """Baskets as lists of labels."""
        with _paused_gc():
            flat = self.items[self.codes].tolist()
            ptr = self.indptr.tolist()
            return [flat[a:b] for a, b in zip(ptr[:-1], ptr[1:], strict=True)]

    def label_sets(self, code_tuples) -> list[frozenset]:
        """frozensets of labels from tuples of item codes (pyfim's output)."""
        get = self.items.tolist().__getitem__
        with _paused_gc():
            return [frozenset(map(get, t)) for t in code_tuples]


def _from_pairs(basket_code: np.ndarray, item_code: np.ndarray, n_baskets: int, items: np.ndarray,
                max_basket_size: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """CSR (indptr, codes) from (basket, item) integer pairs: duplicates merged and items sorted by
    scipy; baskets above ``max_basket_size`` dropped. Returns indptr, codes, kept basket rows, dropped."""
    m = sp.csr_matrix((np.ones(len(item_code), dtype=np.int32), (basket_code, item_code)),
                      shape=(n_baskets, len(items)))
    return _kept(m, max_basket_size)


def _kept(m: sp.csr_matrix, max_basket_size: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(indptr, codes, kept rows, dropped) of a basket × item CSR matrix: items sorted and merged,
    empty baskets and (when asked) baskets above ``max_basket_size`` left out."""
    m.sum_duplicates()
    sizes = np.diff(m.indptr)
    keep = sizes > 0
    if max_basket_size is not None:
        keep &= sizes <= max_basket_size
    dropped = int(((sizes > 0) & ~keep).sum())
    rows = np.flatnonzero(keep)
    if dropped or not keep.all():
        m = m[rows]
    return m.indptr.astype(np.int64), m.indices.astype(np.int32), rows, dropped


def _check_size(max_basket_size) -> None:
    if max_basket_size is not None and (not isinstance(max_basket_size, (int, np.integer)) or max_basket_size < 2):
        raise DataError(_("The largest basket size must be a whole number of at least 2; got {value}").format(
            value=repr(max_basket_size)), hint=_("Leave it out to mine every basket, or try 100"))


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


def basket_lines(events: pd.DataFrame, column: str = "item_id") -> pd.DataFrame:
    """The purchase lines that form baskets: the single entry point for which lines count.

    Every filter on lines (e.g. leaving out non-product lines such as postage) belongs here, so
    the page, the CLI and the benchmarks mine the same baskets.
    """
    return events[(events["event"] == "purchase") & events[column].notna()]


def make_baskets(events: pd.DataFrame, by: BasketBy = "order", level: Level = "item",
                 max_basket_size: int | None = None, users: set[str] | None = None) -> Baskets:
    """Form baskets from purchase events (see the module docstring for the rules).

    Parameters
    ----------
    by : {'order', 'user-day'}
        Basket key; 'order' falls back to user-day when the data has no order id.
    level : {'item', 'category'}
        Mine items (labelled by name where names exist) or their categories.
    max_basket_size : int, optional
        Only when given: baskets with more distinct items are left out (and counted). Default: none.
    users : set of str, optional
        Only baskets of these users (rules per segment).
    """
    if by not in ("order", "user-day"):
        raise DataError(_("Unknown basket definition {value}").format(value=repr(by)),
                        hint=_("Use 'order' or 'user-day'"))
    if level not in ("item", "category"):
        raise DataError(_("Unknown level {value}").format(value=repr(level)), hint=_("Use 'item' or 'category'"))
    _check_size(max_basket_size)
    col = "item_id" if level == "item" else "category"
    if col not in events or events[col].isna().all():
        raise DataError(_("Basket rules at item level need an item column, and this dataset has none")
                        if level == "item" else
                        _("Basket rules at category level need a category column, and this dataset has none"),
                        hint=_("Map the item (or category) column on the Data page") if level == "item" else
                        _("Map the item (or category) column on the Data page, or mine at item level"))
    buys = basket_lines(events, col)
    if users is not None:
        buys = buys[buys["user_id"].isin(users)]
    if buys.empty:
        raise DataError(_("There are no purchases to form baskets from"),
                        hint=_("Basket rules need purchase rows with items"))
    if by == "user-day" and buys["timestamp"].isna().all():
        by = "order"
    key = (order_keys(buys) if by == "order" else
           buys["user_id"].astype(str) + "|" + buys["timestamp"].dt.strftime("%Y-%m-%d"))
    labels = item_labels(events) if level == "item" else {}
    values = buys[col].astype(str)
    item_code, uniq = pd.factorize(values.to_numpy(), sort=False)
    names = np.array([labels.get(u, u) for u in uniq] if labels else [str(u) for u in uniq], dtype=object)
    # two ids with one label (rare: labels are made unique) merge into one item
    label_code, items = pd.factorize(names)
    item_code = label_code[item_code]
    basket_code, _codes = pd.factorize(key.to_numpy(), sort=True)
    n_keys = int(basket_code.max()) + 1
    first = np.full(n_keys, -1, dtype=np.int64)
    first[basket_code[::-1]] = np.arange(len(basket_code))[::-1]  # first line of each basket
    user = buys["user_id"].astype(str).to_numpy()[first]
    indptr, codes, rows, dropped = _from_pairs(basket_code, item_code, n_keys, np.asarray(items, dtype=object),
                                               max_basket_size)
    sizes = np.diff(indptr)
    return Baskets(indptr, codes, np.asarray(items, dtype=object), by=by, level=level, n_oversized=dropped,
                   n_single=int((sizes == 1).sum()), labels=labels, basket_users=user[rows].tolist(),
                   max_basket_size=max_basket_size)


def baskets_from_lists(baskets: list[list[object]], max_basket_size: int | None = None) -> Baskets:
    """Baskets given directly (tests, benchmarks, basket files already split). Items are compared
    as text (1 and '1' are one item); empty baskets are dropped."""
    _check_size(max_basket_size)
    lengths = np.fromiter(map(len, baskets), dtype=np.int64, count=len(baskets))
    flat = np.fromiter(chain.from_iterable(baskets), dtype=object, count=int(lengths.sum()))
    code, uniq = pd.factorize(flat)
    as_text = np.array([str(u) for u in uniq], dtype=object)
    text_code, items = pd.factorize(as_text)
    # the lines are already grouped by basket: CSR straight from the lengths (no COO step)
    m = sp.csr_matrix((np.ones(len(code), dtype=np.int32), text_code[code] if len(code) else code,
                       np.concatenate(([0], np.cumsum(lengths)))), shape=(len(baskets), len(items)))
    indptr, codes, _rows, dropped = _kept(m, max_basket_size)
    return Baskets(indptr, codes, np.asarray(items, dtype=object), by="given", level="item", n_oversized=dropped,
                   n_single=int((np.diff(indptr) == 1).sum()), max_basket_size=max_basket_size)


def one_hot(baskets: Baskets) -> pd.DataFrame:
    """Sparse one-hot basket × item frame for mlxtend, from the integer codes (no per-basket loop)."""
    return pd.DataFrame.sparse.from_spmatrix(baskets.matrix(), columns=[str(c) for c in baskets.items])


def min_count(min_support: float, n: int) -> int:
    """The fewest baskets whose share reaches ``min_support`` (count / n >= min_support, as mlxtend
    and arules compare)."""
    c = max(1, math.ceil(min_support * n))
    while c > 1 and (c - 1) / n >= min_support:
        c -= 1
    while c / n < min_support:
        c += 1
    return c


@dataclass(frozen=True)
class WorkEstimate:
    """What mining will face, computed before mining from item and pair counts.

    ``longest`` is the longest itemset the data allows at this support (an upper bound: at least
    ``min_count`` baskets must hold that many frequent items), ``longest_found`` the exact longest
    when the maximal-itemset pre-pass ran, ``itemsets_at_least`` a lower bound on the itemsets
    that mining would return (within ``max_len``).
    """

    baskets: int
    items: int
    frequent_items: int
    frequent_pairs: int | None  # None: not counted, as f(f-1)/2 is below every limit
    largest_basket: int
    min_count: int
    longest: int
    max_len: int | None = None
    longest_found: int | None = None
    itemsets_at_least: int = 0
    support_for_pairs: float | None = None

    @property
    def candidate_pairs(self) -> int:  # kept for callers of the earlier estimate
        f = self.frequent_items
        return f * (f - 1) // 2 if self.frequent_pairs is None else self.frequent_pairs

    def problem(self) -> str | None:
        if self.candidate_pairs > MAX_FREQUENT_PAIRS:
            return _("{items} items and {pairs} pairs of items reach this support (the limit is {limit} "
                     "pairs)").format(items=f"{self.frequent_items:,}", pairs=f"{self.frequent_pairs:,}",
                                      limit=f"{MAX_FREQUENT_PAIRS:,}")
        if self.itemsets_at_least > MAX_ITEMSETS:
            return _("{k} items are bought together in enough baskets, so there would be at least {n} frequent "
                     "itemsets (the limit is {limit})").format(k=self.longest_found or self.longest,
                                                                n=f"{self.itemsets_at_least:,}",
                                                                limit=f"{MAX_ITEMSETS:,}")
        return None

    def advice(self, min_support: float) -> str:
        """What to change so that mining fits: support, longest itemset, or items."""
        tips = []
        if self.support_for_pairs:
            tips.append(_("raise the minimum support to at least {support}").format(
                support=f"{self.support_for_pairs:.2%}"))
        else:
            tips.append(_("raise the minimum support (now {support} = {n} baskets)").format(
                support=f"{min_support:.2%}", n=f"{self.min_count:,}"))
        longest = self.longest_found or self.longest
        if self.itemsets_at_least > MAX_ITEMSETS:
            ok = max((k for k in range(2, longest + 1) if _subsets(longest, k) <= MAX_ITEMSETS), default=2)
            tips.append(_("set the longest itemset to {k} or less").format(k=ok))
        tips.append(_("mine categories instead of items, or leave out the largest baskets or most common items"))
        text = _("{tips}; or {last}").format(tips=_("; ").join(tips[:-1]), last=tips[-1])
        return text[0].upper() + text[1:]


def _subsets(n: int, k: int | None) -> int:
    """Non-empty subsets of an n-set with at most k items."""
    k = n if k is None else min(n, k)
    return sum(math.comb(n, j) for j in range(1, k + 1)) if k < n else 2 ** n - 1


def estimate_work(baskets: Baskets, min_support: float, max_len: int | None = None) -> WorkEstimate:
    """Estimate the work before mining: frequent items (counts), frequent pairs (exact, one sparse
    product over the frequent items), the longest possible itemset, and, where that is long, the
    longest actual one from a maximal-itemset pre-pass (pyfim, or skipped without it)."""
    n = baskets.n
    mc = min_count(min_support, n) if n else 1
    counts = baskets.item_counts
    frequent = counts >= mc
    f = int(frequent.sum())
    if f < 2 or n == 0:
        return WorkEstimate(n, len(counts), f, 0, baskets.largest, mc, min(f, 1), max_len)
    # frequent items per basket, from the codes (no matrix unless the pair table is needed)
    held = np.concatenate(([0], np.cumsum(frequent[baskets.codes], dtype=np.int64)))
    per_basket = held[baskets.indptr[1:]] - held[baskets.indptr[:-1]]
    # the longest itemset that min-count baskets can all contain
    longest = int(np.sort(per_basket)[::-1][mc - 1]) if mc <= n else 0
    full = int((counts == n).sum())  # items in every basket: all their subsets are frequent
    if f * (f - 1) // 2 <= MAX_FREQUENT_PAIRS and _subsets(min(longest, max_len or longest), max_len) <= MAX_ITEMSETS:
        # nothing can exceed a limit: the pair table is not needed (pairs: at most f(f-1)/2)
        return WorkEstimate(n, len(counts), f, None, baskets.largest, mc, min(longest, max_len or longest),
                            max_len, None, max(f, _subsets(full, max_len) if full else 0))
    occurrences = int((per_basket * (per_basket - 1) // 2).sum())  # pairs counted, with repeats
    if min(occurrences, f * (f - 1) // 2) > MAX_PAIR_TABLE:
        # too many pairs even to count them: stop before the pair table is built
        return WorkEstimate(n, len(counts), f, min(occurrences, f * (f - 1) // 2), baskets.largest, mc, longest,
                            max_len)
    m = baskets.matrix()[:, np.flatnonzero(frequent)].astype(np.int32)
    co = sp.triu(m.T @ m, k=1).tocsr()
    frequent_pair = co.data >= mc
    pairs = int(frequent_pair.sum())
    need = None
    if pairs > MAX_FREQUENT_PAIRS:
        top = np.sort(co.data)[::-1]
        need = float(top[MAX_FREQUENT_PAIRS] + 1) / n
    else:
        # an itemset of L items needs all its pairs frequent, so its items lie in the (L-1)-core of the
        # frequent-pair graph, and min-count baskets must each hold L of those core items: shrink L
        # until both bounds agree
        co.data = frequent_pair
        co.eliminate_zeros()
        graph = (co + co.T).tocsr()
        longest = min(longest, 1 + _degeneracy(graph))
        while longest > 2:
            in_core = _core(graph, longest - 1)
            held = np.sort(np.asarray(m[:, np.flatnonzero(in_core)].sum(axis=1)).ravel())[::-1]
            bound = int(held[mc - 1]) if mc <= n else 0
            if bound >= longest:
                break
            longest = bound
    longest = min(longest, max_len or longest)
    found, at_least = None, max(f + pairs, _subsets(full, max_len) if full else 0)
    if _subsets(longest, max_len) > MAX_ITEMSETS and _fim is not None and pairs <= MAX_FREQUENT_PAIRS:
        tracts = baskets.transactions
        with _paused_gc():
            maximal = _fim.fpgrowth(tracts, target="m", supp=-mc, zmin=1, report="a")
        found = max((len(s) for s, _ in maximal), default=0)
        at_least = max(at_least, _subsets(found, max_len))
    return WorkEstimate(n, len(counts), f, pairs, baskets.largest, mc, longest, max_len, found, at_least, need)


def _core(adjacency: sp.csr_matrix, k: int) -> np.ndarray:
    """Vertices of the k-core (repeatedly drop vertices with fewer than k neighbours left)."""
    deg = np.asarray(adjacency.sum(axis=1)).ravel().astype(np.int64)
    alive = deg >= 0
    while True:
        gone = alive & (deg < k)
        if not gone.any():
            return alive
        alive &= ~gone
        deg -= adjacency @ gone.astype(np.int64)


def _degeneracy(adjacency: sp.csr_matrix) -> int:
    """The largest k with a non-empty k-core (every vertex with at least k neighbours inside),
    by peeling: vectorised over vertices, one sparse product per round."""
    deg = np.asarray(adjacency.sum(axis=1)).ravel().astype(np.int64)
    alive = deg > 0
    k = 0
    while alive.any():
        while True:
            gone = alive & (deg <= k)
            if not gone.any():
                break
            alive &= ~gone
            deg -= adjacency @ gone.astype(np.int64)
        if alive.any():
            k += 1
    return k


def _zmax(max_len: int | None) -> dict:
    return {} if max_len is None else {"zmax": int(max_len)}


def _in_every_basket(baskets: Baskets, max_len: int | None) -> list[frozenset]:
    """Itemsets made only of items that are in every basket, which pyfim 6.28 does not report:
    every such set has support 1. The guard rail counts them."""
    full = baskets.items[baskets.item_counts == baskets.n].tolist() if baskets.n else []
    top = len(full) if max_len is None else min(max_len, len(full))
    return [frozenset(c) for k in range(1, top + 1) for c in combinations(full, k)]


def _empty_itemsets() -> pd.DataFrame:
    return pd.DataFrame({"support": pd.Series(dtype=float), "itemsets": pd.Series(dtype=object),
                         "length": pd.Series(dtype=int)})


def _check_mining_args(baskets: Baskets, min_support, max_len) -> None:
    if not isinstance(min_support, (int, float)) or isinstance(min_support, bool) or not 0 < min_support <= 1:
        raise DataError(_("Minimum support must be a share between 0 and 1; got {value}").format(
            value=repr(min_support)), hint=_("Try 0.01 (1% of baskets)"))
    if max_len is not None and (not isinstance(max_len, (int, np.integer)) or max_len < 2):
        raise DataError(_("The longest itemset must be at least 2 items; got {value}").format(value=repr(max_len)),
                        hint=_("Leave it out for no limit, or try 3"))
    if baskets.n == 0:
        raise DataError(_("There are no baskets to mine"), hint=_("Check that the data has purchases with items"))


def guard(baskets: Baskets, min_support: float, max_len: int | None = None) -> WorkEstimate:
    """Estimate the work and stop with advice (DataError) when it would exhaust memory."""
    work = estimate_work(baskets, min_support, max_len)
    if work.problem():
        raise DataError(_("This minimum support would make mining too large for this machine; nothing was mined"),
                        where=work.problem(), hint=work.advice(min_support))
    return work


def mine_itemsets(baskets: Baskets, min_support: float = 0.01, max_len: int | None = None,
                  algorithm: Algorithm = DEFAULT_ALGORITHM) -> pd.DataFrame:
    """Frequent itemsets with columns support, itemsets (frozenset of labels), length.

    ``max_len=None`` (the default) mines itemsets of every length. Guard rail: the work is
    estimated first (:func:`guard`); mining that would exhaust memory raises DataError saying
    what to change, and is never silently cut short.
    """
    used, _note = engine(algorithm)
    _check_mining_args(baskets, min_support, max_len)
    work = guard(baskets, min_support, max_len)
    if work.frequent_items == 0:
        return _empty_itemsets()
    if used == "pyfim":
        tracts = baskets.transactions
        with _paused_gc():
            found = _fim.fpgrowth(tracts, target="s", supp=-work.min_count, zmin=1, report="a", **_zmax(max_len))
            code_sets, counts = (list(x) for x in zip(*found, strict=True)) if found else ([], [])
            lengths = list(map(len, code_sets))
            sets = baskets.label_sets(code_sets)
            del found, code_sets
        for extra in _in_every_basket(baskets, max_len):  # pyfim leaves these out (see below)
            sets.append(extra)
            counts.append(baskets.n)
            lengths.append(len(extra))
        support = np.asarray(counts, dtype=float) / baskets.n
    else:
        oh = one_hot(baskets)
        # mlxtend compares count/n >= min_support; the same threshold as the count used by pyfim
        if used == "fpgrowth":
            freq = fpgrowth(oh, min_support=min_support, use_colnames=True, max_len=max_len)
        else:
            freq = apriori(oh, min_support=min_support, use_colnames=True, max_len=max_len, low_memory=True)
        sets = [frozenset(str(x) for x in s) for s in freq["itemsets"]]
        lengths = list(map(len, sets))
        support = freq["support"].to_numpy(dtype=float)
    if len(sets) > MAX_ITEMSETS:
        raise DataError(_("This minimum support yields {n} itemsets, too many to turn into rules").format(
                            n=f"{len(sets):,}"),
                        hint=work.advice(min_support))
    lengths = np.asarray(lengths, dtype=np.int64)
    order = np.lexsort((-support, lengths))  # shortest first, then the most frequent (a stable sort)
    with _paused_gc():
        sets = np.fromiter(sets, dtype=object, count=len(sets))
    return pd.DataFrame({"support": support[order], "itemsets": sets[order], "length": lengths[order]})


@dataclass(frozen=True)
class RuleSet:
    """Rules and how they were made. ``rules`` columns: RULE_COLUMNS (antecedents/consequents as
    frozensets), then n_baskets, p_value and p_adjusted when tested, redundant."""

    rules: pd.DataFrame
    n_baskets: int
    n_itemsets: int
    ok: bool = True
    notes: tuple[str, ...] = ()


def _metrics(ant, con, s_ac: np.ndarray, s_a: np.ndarray, s_c: np.ndarray) -> dict[str, object]:
    """RULE_COLUMNS from the three supports, with mlxtend's formulas (no missing values), as columns."""
    conf = s_ac / s_a
    lev = s_ac - s_a * s_c
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.where(conf < 1.0, (1.0 - s_c) / (1.0 - conf), np.inf)
        denom = np.maximum(s_ac * (1 - s_a), s_a * (s_c - s_ac))
        zhang = np.where(denom == 0, 0, lev / denom)
        certainty = np.where(1 - s_c == 0, 0, (conf - s_c) / (1 - s_c))
    return {"antecedents": ant, "consequents": con, "antecedent_support": s_a,
            "consequent_support": s_c, "support": s_ac, "confidence": conf, "lift": conf / s_c,
            "representativity": np.ones(len(s_ac)), "leverage": lev, "conviction": conviction,
            "zhangs_metric": zhang, "jaccard": s_ac / (s_a + s_c - s_ac), "certainty": certainty,
            "kulczynski": (conf + s_ac / s_c) / 2}


class _SetIndex:
    """Itemsets of a frame as sorted rows of item ids, found by their items without a Python loop
    per itemset. Item id = position among the one-item itemsets; an itemset of k items is keyed by
    (row of its first k-1 items) × items + its last item, so every lookup is k-1 ``searchsorted``
    steps over integer keys (its prefixes are frequent too, hence in the frame)."""

    def __init__(self, sets: np.ndarray, lengths: np.ndarray):
        lengths = np.asarray(lengths, dtype=np.int64)
        self.single = np.flatnonzero(lengths == 1)  # item id -> row of its one-item itemset
        self.m = max(len(self.single), 1)
        item_id = {next(iter(s)): i for i, s in enumerate(sets[self.single].tolist())}
        try:
            ids = np.fromiter(map(item_id.__getitem__, chain.from_iterable(sets.tolist())), dtype=np.int64,
                              count=int(lengths.sum()))
        except KeyError:
            raise DataError(_("These itemsets miss some of their single items, so rule supports cannot be looked up"),
                            hint=_("Make rules from all frequent itemsets, as mined, not from a filtered list")) from None
        starts = np.cumsum(lengths) - lengths
        self.rows: dict[int, np.ndarray] = {}
        self.items: dict[int, np.ndarray] = {}
        self.keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.prefixes: dict[int, list[np.ndarray]] = {}  # k -> rows of the first 1, 2, ..., k-1 items
        for k in np.unique(lengths[lengths > 0]).tolist():
            rows = np.flatnonzero(lengths == k)
            mat = np.sort(ids[starts[rows][:, None] + np.arange(k)], axis=1)
            self.rows[k], self.items[k] = rows, mat
            if k >= 2:
                prefixes = [self.single[mat[:, 0]]]
                for c in range(1, k - 1):
                    prefixes.append(self.step(prefixes[-1], mat[:, c], c + 1))
                key = prefixes[-1] * self.m + mat[:, -1]
                order = np.argsort(key, kind="stable")
                self.keys[k] = (key[order], rows[order])
                self.prefixes[k] = prefixes

    def step(self, found: np.ndarray, item: np.ndarray, k: int) -> np.ndarray:
        """Rows of the k-itemsets made of the (k-1)-itemsets at rows ``found`` plus ``item`` (-1: none)."""
        keys, rows = self.keys.get(k, (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)))
        if not len(keys):
            return np.full(len(found), -1, dtype=np.int64)
        key = found * self.m + item
        pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        return np.where((found >= 0) & (keys[pos] == key), rows[pos], -1)

    def without(self, k: int, j: int) -> np.ndarray:
        """Rows of the k-itemsets with their j-th (sorted) item left out."""
        mat = self.items[k]
        if j == k - 1:
            return self.prefixes[k][k - 2]
        found = self.prefixes[k][j - 1] if j else self.single[mat[:, 1]]
        for c in range(j + 1 if j else 2, k):
            found = self.step(found, mat[:, c], c)
        return found


def _raw_rules(itemsets: pd.DataFrame, n_baskets: int, min_confidence: float,
               single_consequent: bool) -> dict[str, object]:
    """All rules reaching the confidence, from the itemsets alone (no second pass over the baskets,
    so a confidence or lift change never re-mines). One consequent item: every (itemset, item) pair,
    its antecedent's support looked up among the itemsets (all subsets of a frequent itemset are
    there), vectorised over integer item ids (:class:`_SetIndex`); several: mlxtend's
    ``association_rules``. Both give mlxtend's rules and metrics (tested)."""
    if not single_consequent:
        raw = association_rules(itemsets[["support", "itemsets"]], num_itemsets=n_baskets, metric="confidence",
                                min_threshold=min_confidence)
        raw.columns = [c.replace(" ", "_") for c in raw.columns]
        return {c: raw[c].to_numpy() for c in RULE_COLUMNS}
    sets = itemsets["itemsets"].to_numpy(dtype=object)
    sup = itemsets["support"].to_numpy(dtype=float)
    index = _SetIndex(sets, itemsets["length"].to_numpy())
    body, head, whole, place = [], [], [], []
    for k, mat in index.items.items():
        if k < 2:
            continue
        for j in range(k):  # the rule with the j-th item of each k-itemset on the right-hand side
            body.append(index.without(k, j))
            head.append(index.single[mat[:, j]])
            whole.append(index.rows[k])
            place.append(np.full(len(mat), j))
    body, head, whole, place = (np.concatenate(x) for x in (body, head, whole, place))
    if (body < 0).any():
        raise DataError(_("These itemsets miss some of their subsets, so rule supports cannot be looked up"),
                        hint=_("Make rules from all frequent itemsets, as mined, not from a filtered list"))
    order = np.lexsort((place, whole))  # itemset by itemset, as the frame lists them
    body, head, whole = body[order], head[order], whole[order]
    keep = sup[whole] / sup[body] >= min_confidence * (1 - CONFIDENCE_TIE)
    body, head, whole = body[keep], head[keep], whole[keep]
    return _metrics(sets[body], sets[head], sup[whole], sup[body], sup[head])


def make_rules(itemsets: pd.DataFrame, n_baskets: int, min_confidence: float = 0.2, min_lift: float = 1.0,
               single_consequent: bool = True, test: Literal["fisher", "chi2", "none"] = "fisher",
               alpha: float = 0.05, *, flag_redundant: bool = True, raw: dict | None = None) -> RuleSet:
    """Association rules from itemsets, plus redundancy and significance.

    Rules are made from ``itemsets`` alone (see :func:`_raw_rules`), whichever engine mined them.

    A rule X→Y is *redundant* when a rule X'→Y with X' a proper subset of X has at least its
    confidence. Significance: one-sided Fisher exact test of X and Y co-occurring more than by
    chance (hypergeometric upper tail on the 2×2 basket table), or Pearson chi-square
    (scipy ``chi2_contingency``, no continuity correction); p-values adjusted with
    Benjamini-Hochberg (statsmodels ``multipletests``).
    """
    if not 0 <= min_confidence <= 1:
        raise DataError(_("Minimum confidence must be between 0 and 1; got {value}").format(value=repr(min_confidence)),
                        hint=_("Try 0.2"))
    if min_lift < 0:
        raise DataError(_("Minimum lift cannot be negative; got {value}").format(value=repr(min_lift)),
                        hint=_("Try 1"))
    if test not in ("fisher", "chi2", "none"):
        raise DataError(_("Unknown test {value}").format(value=repr(test)), hint=_("Use fisher, chi2 or none"))
    empty = pd.DataFrame(columns=[*RULE_COLUMNS, "n_baskets", "redundant", "p_value", "p_adjusted"])
    if len(itemsets) == 0 or (itemsets["length"] < 2).all():
        return RuleSet(empty, n_baskets, len(itemsets), ok=False,
                       notes=(_("No two items are bought together often enough at this minimum support; "
                                "lower it to see rules"),))
    # ``raw``: RULE_COLUMNS already made by a mining backend (promo_core.mining), e.g. Spark's own rules
    cols = raw if raw is not None else _raw_rules(itemsets, n_baskets, min_confidence, single_consequent)
    keep = np.asarray(cols["lift"]) >= min_lift
    if not keep.any():
        return RuleSet(empty, n_baskets, len(itemsets), ok=False,
                       notes=(_("No rule reaches this confidence and lift; lower them to see rules"),))
    # highest lift first, then confidence; ties keep the order of the itemsets (a stable sort)
    order = np.flatnonzero(keep)
    order = order[np.lexsort((-np.asarray(cols["confidence"])[order], -np.asarray(cols["lift"])[order]))]
    cols = {c: np.asarray(cols[c])[order] for c in RULE_COLUMNS}
    cols["n_baskets"] = np.rint(cols["support"] * n_baskets).astype(int)
    cols["redundant"] = (_redundant(cols["antecedents"], cols["consequents"], cols["confidence"]) if flag_redundant
                         else np.zeros(len(order), dtype=bool))
    if test != "none":
        cols["p_value"] = rule_p_values(cols, n_baskets, test)
        cols["p_adjusted"] = multipletests(cols["p_value"], alpha=alpha, method="fdr_bh")[1]
    else:
        cols["p_value"] = cols["p_adjusted"] = np.full(len(order), np.nan)
    rules = pd.DataFrame(cols)
    return RuleSet(rules, n_baskets, len(itemsets))


def mine_rules(baskets: Baskets, min_support: float, min_confidence: float = 0.2, min_lift: float = 0.0,
               max_len: int | None = None, algorithm: Algorithm = DEFAULT_ALGORITHM,
               single_consequent: bool = True, test: Literal["fisher", "chi2", "none"] = "none",
               flag_redundant: bool = True) -> tuple[pd.DataFrame, RuleSet]:
    """Itemsets and rules in one call (the CLI's and the benchmarks' path)."""
    itemsets = mine_itemsets(baskets, min_support, max_len, algorithm)
    return itemsets, make_rules(itemsets, baskets.n, min_confidence, min_lift, single_consequent, test,
                                flag_redundant=flag_redundant)


def redundant(rules: pd.DataFrame) -> np.ndarray:
    """True for rules X→Y when some X'→Y (X' ⊂ X) has at least the same confidence."""
    return _redundant(rules["antecedents"].to_numpy(dtype=object), rules["consequents"].to_numpy(dtype=object),
                      rules["confidence"].to_numpy(dtype=float))


def _redundant(ants: np.ndarray, cons: np.ndarray, confs: np.ndarray) -> np.ndarray:
    best: dict[tuple[frozenset, frozenset], float] = {
        (a, c): conf for a, c, conf in zip(ants.tolist(), cons.tolist(), confs.tolist(), strict=True)}
    out = np.zeros(len(ants), dtype=bool)
    for i, (a, c, conf) in enumerate(zip(ants.tolist(), cons.tolist(), confs.tolist(), strict=True)):
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
    both = np.rint(np.asarray(rules["support"], dtype=float) * n)
    x = np.rint(np.asarray(rules["antecedent_support"], dtype=float) * n)
    y = np.rint(np.asarray(rules["consequent_support"], dtype=float) * n)
    return both, x - both, y - both, n - x - y + both


def rule_p_values(rules: pd.DataFrame, n: int, test: str = "fisher") -> np.ndarray:
    both, x_only, y_only, neither = contingency(rules, n)
    if test == "fisher":
        x, y = both + x_only, both + y_only
        return hypergeom.sf(both - 1, n, x, y)
    out = np.empty(len(both))
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


def extra_baskets_low(rules: pd.DataFrame, n: int, z: float = 1.96) -> np.ndarray:
    """Per rule, how many more baskets with the bought items also hold the offer than chance would give,
    counted at the cautious end of the 95% interval: baskets with the bought items × (the Wilson lower bound
    of the confidence − the offer's share of all baskets). Leverage × baskets, made cautious: it grows with
    the baskets a rule reaches and with its lift, and a rule seen in few baskets gets little credit however
    perfect (22 of 22 baskets: lower bound 85%, not 100%). Negative when the rule may be chance."""
    both = np.rint(np.asarray(rules["support"], dtype=float) * n)
    ant = np.maximum(np.rint(np.asarray(rules["antecedent_support"], dtype=float) * n), 1.0)
    p = np.clip(both / ant, 0.0, 1.0)
    z2 = z * z
    low = (p + z2 / (2 * ant) - z * np.sqrt(p * (1 - p) / ant + z2 / (4 * ant * ant))) / (1 + z2 / ant)
    return ant * (low - np.asarray(rules["consequent_support"], dtype=float))


def headline_rule(rules: pd.DataFrame, n: int) -> int | None:
    """Position in ``rules`` of the rule a marketer can act on: the most :func:`extra_baskets_low` (ties: the
    earlier rule); None without rules.

    Ranking by lift (the table's order) heads the list with rare rules: beer + chips + soy sauce → salsa in 22 of
    2,000 baskets at 100% outranks tea → teapot in 450 baskets at 75%, though the pair brings about 20 times the
    extra baskets. Supersets of a strong pair that reach a higher confidence in a few dozen baskets by chance
    (item m + teapot → tea, 40 baskets, 98%) lose to the pair too."""
    if rules is None or len(rules) == 0:
        return None
    score = extra_baskets_low(rules, n)
    return int(np.argmax(np.where(np.isfinite(score), score, -np.inf)))


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
