"""Item-to-item recommendations from co-purchase, with a hold-out check.

Users × items is a 0/1 matrix of who bought what (purchase events, item labels as in
:func:`promo_core.rules.item_labels`). Item similarity is the cosine of two items' buyer vectors
(scikit-learn ``cosine_similarity`` on the sparse matrix). A user's score for an item is the sum of
its similarities to the items the user bought; items the user already bought are not recommended.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.metrics.pairwise import cosine_similarity

from .features import order_keys
from .i18n import _, fmt_date
from .rules import item_labels
from .schema import DataError

MAX_ITEMS = 20_000


@dataclass(frozen=True)
class Model:
    users: pd.Index
    items: pd.Index
    matrix: sparse.csr_matrix      # users x items, 1 = bought
    similarity: np.ndarray         # items x items, zero diagonal
    popularity: np.ndarray         # buyers per item


def _purchases(events: pd.DataFrame, nonproduct: tuple[str, ...] = ()) -> pd.DataFrame:
    from .nonproduct import product_lines
    if "item_id" not in events or events["item_id"].isna().all():
        raise DataError(_("Recommendations need an item column, and this dataset has none"),
                        hint=_("Map the item column on the Data page"))
    buys = product_lines(events[(events["event"] == "purchase") & events["item_id"].notna()], nonproduct)
    if buys.empty:
        raise DataError(_("There are no purchases to learn from"), hint=_("Recommendations need purchase rows"))
    labels = item_labels(events)
    return pd.DataFrame({"user_id": buys["user_id"].astype(str).to_numpy(),
                         "item": buys["item_id"].astype(str).map(labels).to_numpy(),
                         "timestamp": buys["timestamp"].to_numpy(),
                         "order": order_keys(buys).to_numpy() if buys["timestamp"].notna().all()
                         else buys["user_id"].astype(str).to_numpy()})


def fit(pairs: pd.DataFrame) -> Model:
    """A model from (user_id, item) purchase pairs."""
    pairs = pairs.drop_duplicates(["user_id", "item"])
    users = pd.Index(sorted(pairs["user_id"].unique()))
    items = pd.Index(sorted(pairs["item"].unique()))
    if len(items) > MAX_ITEMS:
        raise DataError(_("{n} items is more than the {limit} the similarity table can hold").format(
            n=f"{len(items):,}", limit=f"{MAX_ITEMS:,}"), hint=_("Recommend at category level, or filter the catalogue"))
    m = sparse.csr_matrix((np.ones(len(pairs)), (users.get_indexer(pairs["user_id"]), items.get_indexer(pairs["item"]))),
                          shape=(len(users), len(items)))
    sim = cosine_similarity(m.T, dense_output=True)
    np.fill_diagonal(sim, 0.0)
    return Model(users, items, m, sim, np.asarray(m.sum(axis=0)).ravel())


def purchase_pairs(events: pd.DataFrame, nonproduct: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per product purchase line: user_id, item (its label), timestamp, order. What :func:`fit_model` and
    :func:`hold_out` read; an engine computes the same table (:func:`promo_core.engines.relational.purchase_pairs`)."""
    return _purchases(events, nonproduct)


def fit_model(events: pd.DataFrame | None, nonproduct: tuple[str, ...] = (), *,
              pairs: pd.DataFrame | None = None) -> Model:
    """A model from canonical events (or their :func:`purchase_pairs`); ``nonproduct`` items (postage, fees, ...)
    are left out."""
    return fit(_purchases(events, nonproduct) if pairs is None else pairs)


def _top(scores: np.ndarray, owned: np.ndarray, n: int) -> np.ndarray:
    s = scores.astype(float).copy()
    s[owned] = -np.inf
    k = min(n, int(np.isfinite(s).sum()))
    if k <= 0:
        return np.array([], dtype=int)
    idx = np.argpartition(-s, k - 1)[:k]
    return idx[np.argsort(-s[idx], kind="stable")]


def _top_rows(scores: np.ndarray, owned: sparse.csr_matrix, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-n column indices (and their scores) of a dense block, owned cells excluded."""
    s = scores.astype(float, copy=True)
    r, c = owned.nonzero()
    s[r, c] = -np.inf
    k = min(n, s.shape[1])
    idx = np.argpartition(-s, k - 1, axis=1)[:, :k]
    part = np.take_along_axis(s, idx, axis=1)
    order = np.argsort(-part, axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(part, order, axis=1)


def similar_items(model: Model, item: str, n: int = 10) -> pd.DataFrame:
    """The n items most often bought by the same customers. Columns: item, similarity."""
    if item not in model.items:
        raise DataError(_("No purchases of {item}").format(item=repr(item)), hint=_("Pick an item that has been bought"))
    row = model.similarity[model.items.get_loc(item)]
    idx = _top(row, np.zeros(len(row), dtype=bool), n)
    return pd.DataFrame({"item": model.items[idx], "similarity": row[idx]})


def recommend_users(model: Model, users: list[str] | None = None, n: int = 10, chunk: int = 2000) -> pd.DataFrame:
    """Top-n items per user. Columns: user_id, rank, item, score (sum of similarities).

    Users whose items have no co-buyers get the most popular items they do not have (score 0).
    """
    rows = model.users.get_indexer(users) if users is not None else np.arange(len(model.users))
    rows = rows[rows >= 0]
    parts = []
    for start in range(0, len(rows), chunk):
        block = rows[start:start + chunk]
        owned = model.matrix[block]
        scores = np.asarray(owned @ model.similarity)
        scores += model.popularity / (model.popularity.max() * 1e6 + 1)  # tie-break and fallback
        idx, val = _top_rows(scores, owned, n)
        ok = np.isfinite(val)
        user = np.repeat(model.users[block].to_numpy(), idx.shape[1]).reshape(idx.shape)
        rank = np.tile(np.arange(1, idx.shape[1] + 1), (len(block), 1))
        parts.append(pd.DataFrame({"user_id": user[ok], "rank": rank[ok], "item": model.items[idx[ok]],
                                   "score": np.round(val[ok], 6)}))
    if not parts:
        return pd.DataFrame(columns=["user_id", "rank", "item", "score"])
    return pd.concat(parts, ignore_index=True)


def recommend_segments(model: Model, segments: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Top-n items per segment: the summed scores of its members, excluding nothing (a segment
    offer goes to everyone in it). ``segments``: user_id, segment. Columns: segment, rank, item,
    score, share_of_segment_already_bought (%)."""
    seg = segments.set_index("user_id")["segment"]
    out = []
    for name, members in seg.groupby(seg):
        rows = model.users.get_indexer(members.index)
        rows = rows[rows >= 0]
        if len(rows) == 0:
            continue
        bought = np.asarray(model.matrix[rows].sum(axis=0)).ravel()
        s = bought @ model.similarity + bought
        for rank, i in enumerate(_top(s, np.zeros(len(s), dtype=bool), n), start=1):
            out.append((name, rank, model.items[i], float(s[i]), 100.0 * bought[i] / len(rows)))
    return pd.DataFrame(out, columns=["segment", "rank", "item", "score", "share_of_segment_already_bought"])


@dataclass(frozen=True)
class HoldOut:
    """Hit rate@n: the model vs recommending the most popular items, on the same split.

    ``method`` is 'time split' (train on purchases before ``cutoff``; test on the new items of each
    customer's next order after it) or 'last item' (no times: hide each customer's last new item).
    ``users``: customers tested; a hit is at least one of the n items in the hidden set.
    """

    users: int
    n: int
    hit_rate: float
    hit_rate_ci: tuple[float, float]
    popularity_hit_rate: float
    popularity_ci: tuple[float, float]
    method: str = "time split"
    cutoff: pd.Timestamp | None = None

    @property
    def ratio(self) -> float:
        """Model hit rate ÷ popularity hit rate (NaN when popularity never hits)."""
        return self.hit_rate / self.popularity_hit_rate if self.popularity_hit_rate > 0 else float("nan")


def _score(model: Model, targets: pd.DataFrame, n: int) -> tuple[int, int]:
    """(model hits, popularity hits) over users, for target (user_id, item) pairs."""
    users = list(dict.fromkeys(targets["user_id"]))
    recs = recommend_users(model, users, n)
    hit = recs.merge(targets[["user_id", "item"]], on=["user_id", "item"])["user_id"].nunique()
    rows = model.users.get_indexer(users)
    target_sets = targets.groupby("user_id")["item"].agg(set).reindex(users)
    pop_hits = 0
    for start in range(0, len(rows), 2000):
        block = rows[start:start + 2000]
        pop = np.broadcast_to(model.popularity.astype(float), (len(block), len(model.items)))
        idx, _scores = _top_rows(pop, model.matrix[block], n)
        for picks, wanted in zip(idx, target_sets.iloc[start:start + 2000], strict=True):
            pop_hits += bool(set(model.items[picks]) & wanted)
    return int(hit), int(pop_hits)


def hold_out(events: pd.DataFrame | None, n: int = 10, nonproduct: tuple[str, ...] = (),
             cutoff: pd.Timestamp | None = None, *, pairs: pd.DataFrame | None = None) -> HoldOut:
    """Hit rate@n of the recommendations against the popularity baseline on the same split.

    With times: learn from purchases before ``cutoff`` (default: the time by which 80% of the
    purchase lines had happened); for every customer who bought before it and placed an order after
    it with at least one item new to them, the test set is the new items of that next order. Both the
    model and the popularity baseline (the n best sellers before the cutoff the customer does not
    have) are learned on the training part only, so neither sees the basket it is tested on.
    Without times (basket files): hide each customer's last new item instead. ``pairs`` (an engine's
    :func:`purchase_pairs`) replace the events.
    """
    from statsmodels.stats.proportion import proportion_confint
    pairs = _purchases(events, nonproduct) if pairs is None else pairs
    if pairs["timestamp"].isna().any():
        return _leave_last_out(pairs, n)
    cut = pd.Timestamp(cutoff) if cutoff is not None else pairs["timestamp"].quantile(0.8)
    train = pairs[pairs["timestamp"] < cut]
    test = pairs[pairs["timestamp"] >= cut]
    if train.empty or test.empty:
        raise DataError(_("The hold-out check needs purchases both before and after the split date"),
                        hint=_("Load a longer history"))
    first_order = test.groupby("user_id")["timestamp"].transform("min")
    nxt = test[(test["timestamp"] == first_order) & test["user_id"].isin(set(train["user_id"]))]
    owned = train[["user_id", "item"]].drop_duplicates().assign(_owned=True)
    nxt = nxt[["user_id", "item"]].drop_duplicates().merge(owned, on=["user_id", "item"], how="left")
    targets = nxt[nxt["_owned"].isna()].drop(columns="_owned")
    model = fit(train)
    targets = targets[targets["item"].isin(model.items)]
    k = targets["user_id"].nunique()
    if k < 10:
        raise DataError(_("Only {n} customers came back after {date} for items new to them").format(
            n=k, date=fmt_date(cut)), hint=_("The hold-out check needs at least 10 such customers; load a longer history"))
    hit, pop_hits = _score(model, targets, n)
    ci = proportion_confint(hit, k, method="wilson")
    pci = proportion_confint(pop_hits, k, method="wilson")
    return HoldOut(k, n, hit / k, (float(ci[0]), float(ci[1])), pop_hits / k, (float(pci[0]), float(pci[1])),
                   "time split", cut)


def _leave_last_out(pairs: pd.DataFrame, n: int) -> HoldOut:
    from statsmodels.stats.proportion import proportion_confint
    first = pairs.drop_duplicates(["user_id", "item"])
    counts = first.groupby("user_id").size()
    eligible = counts[counts >= 2].index
    if len(eligible) < 10:
        raise DataError(_("Only {n} customers bought two or more different items").format(n=len(eligible)),
                        hint=_("The hold-out check needs at least 10 such customers"))
    last = first[first["user_id"].isin(eligible)].groupby("user_id").tail(1)
    model = fit(first.drop(last.index))
    last = last[last["item"].isin(model.items)]
    hit, pop_hits = _score(model, last[["user_id", "item"]], n)
    k = len(last)
    ci = proportion_confint(hit, k, method="wilson")
    pci = proportion_confint(pop_hits, k, method="wilson")
    return HoldOut(k, n, hit / k, (float(ci[0]), float(ci[1])), pop_hits / k, (float(pci[0]), float(pci[1])),
                   "last item", None)
