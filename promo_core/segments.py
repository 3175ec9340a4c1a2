"""Customer segments: clustering of profiles, RFM value groups, lifecycle stages.

Clustering takes the profile frame of :func:`promo_core.features.build_profiles`, standardises the
chosen features (optionally after log1p for counts and money) and groups users with one of four
scikit-learn methods behind one signature and one result (:class:`Clustering`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.preprocessing import StandardScaler

from .features import feature_frame
from .i18n import N_, _
from .schema import DataError, Msg

Method = Literal["kmeans", "gmm", "agglomerative", "dbscan"]
METHODS: dict[str, str] = {"kmeans": N_("K-means"), "gmm": N_("Gaussian mixture"),
                           "agglomerative": N_("Agglomerative (Ward, on a sample)"),
                           "dbscan": N_("DBSCAN (density; noise kept apart)")}
DEFAULT_FEATURES = ("recency_days", "frequency", "monetary", "tenure_days", "views", "view_to_cart",
                    "discount_share")
K_RANGE = (2, 10)
SCAN_SAMPLE = 5000
FIT_SAMPLE = 5000
NOISE = -1

#: (phrase when high, phrase when low) for auto-generated segment names
PHRASES: dict[str, tuple[str, str]] = {
    "recency_days": (N_("Not bought for a while"), N_("Bought recently")),
    "frequency": (N_("Frequent"), N_("Rarely buys")),
    "monetary": (N_("High spend"), N_("Low spend")),
    "tenure_days": (N_("Long-standing"), N_("New")),
    "views": (N_("Browses a lot"), N_("Browses little")),
    "view_to_cart": (N_("Carts what they view"), N_("Views without carting")),
    "discount_share": (N_("Buys on discount"), N_("Pays full price")),
    "avg_order_value": (N_("Big baskets"), N_("Small baskets")),
    "days_since_last_event": (N_("Gone quiet"), N_("Seen lately")),
    "purchase_interval_days": (N_("Long gaps between orders"), N_("Short gaps between orders")),
    "carts": (N_("Carts a lot"), N_("Carts little")),
    "cart_to_purchase": (N_("Buys what they cart"), N_("Abandons carts")),
    "purchase_lines": (N_("Many items"), N_("Few items")),
}


#: how strongly a feature may name a segment (business features before ratios)
NAME_WEIGHT: dict[str, float] = {"recency_days": 1.2, "monetary": 1.1, "frequency": 1.1, "tenure_days": 1.0,
                                 "discount_share": 1.0, "views": 0.9, "view_to_cart": 0.6,
                                 "cart_to_purchase": 0.6}


@dataclass(frozen=True)
class Clustering:
    """The outcome of :func:`cluster`.

    ``labels`` is aligned with the profiles' rows (segment ids 0..k-1; -1 is DBSCAN noise).
    ``scan`` has one row per k tried (k, silhouette, calinski_harabasz, inertia) when k was chosen
    automatically. ``centers`` holds the standardised mean of every feature per segment;
    ``profile`` the per-segment table in original units. ``stability`` is the mean adjusted Rand
    index between this result and reruns with other seeds (1 = identical).
    """

    labels: np.ndarray
    k: int
    method: str
    features: tuple[str, ...]
    names: dict[int, str]
    centers: pd.DataFrame
    profile: pd.DataFrame
    scan: pd.DataFrame
    silhouette: float | None
    stability: float | None
    pca: pd.DataFrame
    pca_explained: tuple[float, float]
    ok: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def named_labels(self) -> np.ndarray:
        return np.array([self.names[int(i)] for i in self.labels], dtype=object)


def prepare_matrix(profiles: pd.DataFrame, features: list[str] | tuple[str, ...], use_log: bool = True
                   ) -> tuple[np.ndarray, list[str], list[str]]:
    """Standardised feature matrix; returns (X, features used, notes).

    Gaps are filled as :func:`promo_core.features.feature_frame` says; constant features are
    dropped with a note.
    """
    frame = feature_frame(profiles, features, use_log)
    constant = [f for f in frame.columns if frame[f].std(ddof=0) < 1e-12]
    notes = [Msg(N_("'{feature}' is the same for every user and was left out"), feature=f) for f in constant]
    frame = frame.drop(columns=constant)
    if frame.shape[1] == 0:
        raise DataError(_("Every chosen feature is constant, so there is nothing to tell users apart"),
                        hint=_("Choose other features, or load data with more varied customers"))
    return StandardScaler().fit_transform(frame.to_numpy()), list(frame.columns), notes


def scan_k(X: np.ndarray, k_range: tuple[int, int] = K_RANGE, seed: int = 0,
           sample_size: int = SCAN_SAMPLE) -> pd.DataFrame:
    """K-means for each k: silhouette and Calinski-Harabasz on a seeded sample, inertia on all."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(X), size=min(sample_size, len(X)), replace=False)
    rows = []
    for k in range(k_range[0], min(k_range[1], len(X) - 1) + 1):
        km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(X)
        lab = km.labels_[idx]
        ok = len(np.unique(lab)) > 1
        rows.append({"k": k, "silhouette": float(silhouette_score(X[idx], lab)) if ok else np.nan,
                     "calinski_harabasz": float(calinski_harabasz_score(X[idx], lab)) if ok else np.nan,
                     "inertia": float(km.inertia_)})
    return pd.DataFrame(rows, columns=["k", "silhouette", "calinski_harabasz", "inertia"])


def _fit(X: np.ndarray, method: str, k: int, seed: int, eps: float | None) -> np.ndarray:
    if method == "kmeans":
        return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(X)
    if method == "gmm":
        return GaussianMixture(n_components=k, covariance_type="full", n_init=2,
                               random_state=seed).fit(X).predict(X)
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(X), size=min(FIT_SAMPLE, len(X)), replace=False))
    if method == "agglomerative":
        sample_labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(X[idx])
        if len(idx) == len(X):
            return sample_labels
        return KNeighborsClassifier(n_neighbors=5).fit(X[idx], sample_labels).predict(X)
    if method == "dbscan":
        min_samples = max(5, 2 * X.shape[1])
        if eps is None:
            dist, _ = NearestNeighbors(n_neighbors=min_samples).fit(X[idx]).kneighbors(X[idx])
            eps = knee_eps(dist[:, -1])
        db = DBSCAN(eps=eps, min_samples=min_samples).fit(X[idx])
        sample_labels = db.labels_
        if len(idx) == len(X):
            return sample_labels
        core = db.core_sample_indices_
        if len(core) == 0:
            return np.full(len(X), NOISE)
        nn = NearestNeighbors(n_neighbors=1).fit(X[idx][core])
        dist, near = nn.kneighbors(X)
        return np.where(dist[:, 0] <= eps, sample_labels[core][near[:, 0]], NOISE)
    raise DataError(_("Unknown clustering method {method}").format(method=repr(method)),
                    hint=_("Use one of: {options}").format(options=", ".join(METHODS)))


def knee_eps(k_distances: np.ndarray) -> float:
    """DBSCAN's eps at the knee of the sorted k-nearest-neighbour distances.

    The knee is the point of the sorted curve furthest below the straight line from its first to
    its last point (both axes scaled to 0-1): past it, distances shoot up and points are outliers.
    """
    d = np.sort(np.asarray(k_distances, dtype=float))
    if len(d) < 3 or d[-1] - d[0] < 1e-12:
        return float(d[-1]) if len(d) else 0.5
    x = np.linspace(0.0, 1.0, len(d))
    y = (d - d[0]) / (d[-1] - d[0])
    return float(d[int(np.argmax(x - y))])


def cluster(profiles: pd.DataFrame, features: list[str] | tuple[str, ...] | None = None, *,
            k: int | Literal["auto"] = "auto", method: Method = "kmeans", use_log: bool = True,
            seed: int = 0, k_range: tuple[int, int] = K_RANGE, eps: float | None = None,
            stability_runs: int = 3, fit_sample: int | Literal["auto"] | None = "auto") -> Clustering:
    """Group users into segments.

    Parameters
    ----------
    profiles : DataFrame
        From :func:`promo_core.features.build_profiles`.
    features : list of str, optional
        Numeric profile columns; defaults to :data:`DEFAULT_FEATURES` that exist.
    k : int or 'auto'
        Number of segments; 'auto' picks the k with the best silhouette in ``k_range`` (K-means
        scan, shown with Calinski-Harabasz and inertia for the elbow). Ignored by DBSCAN.
    method : {'kmeans', 'gmm', 'agglomerative', 'dbscan'}
        Agglomerative and DBSCAN fit on a seeded sample of 5,000 users and assign the rest to the
        nearest fitted users (DBSCAN: noise when no core user is within eps).
    use_log : bool
        log1p-transform counts and money before standardising.
    seed : int
        Random seed; the same seed gives the same segments.
    fit_sample : 'auto', int or None
        Large tables (issue 17): 'auto' fits on a sample and assigns the rest when there are more
        users than the operator's threshold (:mod:`promo_core.clustering_scale`, stated in a note);
        an int fits on a sample of that many users whenever there are more; None fits every user.
    """
    if method not in METHODS:
        raise DataError(_("Unknown clustering method {method}").format(method=repr(method)),
                        hint=_("Use one of: {options}").format(options=", ".join(METHODS)))
    if not features:
        features = [f for f in DEFAULT_FEATURES if f in profiles.columns]
    n = len(profiles)
    if n < 10:
        raise DataError(_("Only {n} users: too few to form segments").format(n=n),
                        hint=_("Segments need at least 10 users"))
    if k != "auto" and (not isinstance(k, (int, np.integer)) or not 2 <= k <= min(30, n - 1)):
        raise DataError(_("The number of segments must be a whole number from 2 to {most}; got {k}").format(
                        most=min(30, n - 1), k=repr(k)), hint=_("Pick a smaller number, or 'auto'"))
    if fit_sample is not None:  # large tables: fit on a sample, assign the rest (promo_core.clustering_scale)
        from .clustering_scale import cluster_on_sample, planned_sample
        explicit = fit_sample != "auto"
        size = planned_sample(n, int(fit_sample), int(fit_sample)) if explicit else planned_sample(n)
        if size:
            return cluster_on_sample(profiles, features, sample_size=size, k=k, method=method, use_log=use_log,
                                     seed=seed, k_range=k_range, eps=eps, stability_runs=stability_runs,
                                     threshold=int(fit_sample) if explicit else None)
    X, used, notes = prepare_matrix(profiles, features, use_log)
    distinct = len(np.unique(X.round(9), axis=0))
    if distinct < 2:
        raise DataError(_("All users have identical profiles, so there is nothing to segment"),
                        hint=_("Choose other features, or load data with more varied customers"))
    k_max = min(k_range[1], distinct - 1, n - 1)
    scan = pd.DataFrame(columns=["k", "silhouette", "calinski_harabasz", "inertia"])
    if method != "dbscan":
        if k == "auto":
            scan = scan_k(X, (k_range[0], max(k_range[0], k_max)), seed)
            k = int(scan.loc[scan["silhouette"].idxmax(), "k"]) if scan["silhouette"].notna().any() else 2
        elif k > distinct:
            notes.append(Msg(N_("Only {distinct} distinct profiles; the number of segments was lowered from {k} to "
                                "{distinct}"), distinct=distinct, k=k))
            k = distinct
    labels = _fit(X, method, int(k) if k != "auto" else 2, seed, eps)
    labels = _relabel_by_size(labels)
    k_found = int(len(set(labels) - {NOISE}))
    ok = k_found >= 2
    if not ok:
        notes.append(Msg(N_("The method found fewer than two segments; try K-means or other features")))
    small = [s for s, c in zip(*np.unique(labels, return_counts=True), strict=True) if s != NOISE and c < 10]
    if small:
        notes.append(Msg(N_("{n} segment(s) have fewer than 10 users; their averages are unreliable"), n=len(small)))
    sil = None
    if ok:
        rng = np.random.default_rng(seed)
        idx = rng.choice(n, size=min(SCAN_SAMPLE, n), replace=False)
        keep = labels[idx] != NOISE
        if len(np.unique(labels[idx][keep])) > 1:
            sil = float(silhouette_score(X[idx][keep], labels[idx][keep]))
    stability = None
    if ok and stability_runs > 0:
        others = [_fit(X, method, k_found, seed + 1 + r, eps) for r in range(stability_runs)]
        stability = float(np.mean([adjusted_rand_score(labels, o) for o in others]))
    centers = pd.DataFrame(X, columns=used).groupby(labels).mean()
    names = name_segments(centers)
    pca_model = PCA(n_components=2, random_state=seed).fit(X) if X.shape[1] >= 2 else None
    coords = pca_model.transform(X) if pca_model is not None else np.column_stack([X[:, 0], np.zeros(n)])
    pca = pd.DataFrame({"user_id": profiles["user_id"].to_numpy(), "pc1": coords[:, 0], "pc2": coords[:, 1],
                        "segment": labels})
    explained = tuple(float(v) for v in pca_model.explained_variance_ratio_) if pca_model else (1.0, 0.0)
    return Clustering(labels=labels, k=k_found, method=method, features=tuple(used), names=names,
                      centers=centers, profile=segment_profile(profiles, labels, names, used), scan=scan,
                      silhouette=sil, stability=stability, pca=pca, pca_explained=explained, ok=ok,
                      notes=tuple(notes))


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Segment 0 is the largest, then 1, ...; noise stays -1. Makes ids stable across methods."""
    ids, counts = np.unique(labels[labels != NOISE], return_counts=True)
    order = ids[np.argsort(-counts, kind="stable")]
    mapping = {int(old): new for new, old in enumerate(order)}
    return np.array([mapping.get(int(v), NOISE) for v in labels], dtype=int)


def name_segments(centers: pd.DataFrame, threshold: float = 0.35) -> dict[int, str]:
    """Readable names from what sets each segment apart (its standardised means).

    The two features furthest from the average (|z| above ``threshold``) give the name, e.g.
    'High spend, frequent'. Window shoppers get 'Browses a lot, rarely buys'. Noise is
    'Unusual users (noise)'. Duplicate names get a number.
    """
    names: dict[int, str] = {}
    for seg, row in centers.iterrows():
        if seg == NOISE:
            names[int(seg)] = Msg(N_("Unusual users (noise)"))
            continue
        z = row.dropna()
        if z.get("views", 0) > 0.4 and z.get("frequency", 0) < -0.4:
            names[int(seg)] = Msg(N_("Browses a lot, rarely buys"))
            continue
        weight = pd.Series({f: NAME_WEIGHT.get(f, 0.8) for f in z.index})
        top = z.reindex((z.abs() * weight).sort_values(ascending=False).index)
        parts = [(Msg(PHRASES[f][0 if v > 0 else 1]) if f in PHRASES
                  else Msg(N_("High {feature}") if v > 0 else N_("Low {feature}"), feature=f))
                 for f, v in top.items() if abs(v) >= threshold][:2]
        if not parts:
            names[int(seg)] = Msg(N_("Average customers"))
        elif len(parts) == 1:
            names[int(seg)] = parts[0]
        else:  # "High spend, frequent": the second phrase lower-cased in English
            second = Msg.worded(parts[1][0].lower() + parts[1][1:], parts[1].template, **parts[1].values)
            names[int(seg)] = Msg(N_("{first}, {second}"), first=parts[0], second=second)
    seen: dict[str, int] = {}
    for seg in sorted(names):
        base = names[seg]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            names[seg] = Msg(N_("{name} ({n})"), name=base, n=seen[base])
    return names


def segment_profile(profiles: pd.DataFrame, labels: np.ndarray, names: dict[int, str],
                    features: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Per segment: users, share of users (%), revenue share (%, NaN without revenue), then the
    mean of each feature."""
    cols = list(dict.fromkeys([c for c in ("monetary", *features) if c in profiles.columns]))
    df = profiles.loc[:, cols].copy()
    df["segment"] = labels
    g = df.groupby("segment")
    out = pd.DataFrame({"segment_name": [names[int(s)] for s in g.size().index], "users": g.size().to_numpy()})
    out.index = g.size().index
    total_rev = df["monetary"].sum() if "monetary" in df else 0.0
    out["share_of_users_pct"] = 100 * out["users"] / len(df)
    out["share_of_revenue_pct"] = 100 * g["monetary"].sum() / total_rev if total_rev > 0 else np.nan
    means = g[[f for f in features]].mean()
    out = out.join(means.add_prefix("mean_"))
    out.index.name = "segment"
    return out.reset_index()


# ---------------------------------------------------------------- RFM value groups

RFM_SEGMENTS: tuple[str, ...] = (N_("Champions"), N_("Loyal"), N_("Potential Loyalist"), N_("New"),
                                 N_("Promising"), N_("Need Attention"), N_("About to Sleep"), N_("At Risk"),
                                 N_("Can't Lose Them"), N_("Hibernating"), N_("Lost"))

#: segment, R score range, F score range (inclusive); a segment may have several rows
RFM_RULES = pd.DataFrame(
    [("Champions", 5, 5, 4, 5), ("Loyal", 3, 4, 4, 5), ("Potential Loyalist", 4, 5, 2, 3),
     ("New", 5, 5, 1, 1), ("Promising", 4, 4, 1, 1), ("Need Attention", 3, 3, 3, 3),
     ("About to Sleep", 3, 3, 1, 2), ("At Risk", 1, 2, 3, 4), ("Can't Lose Them", 1, 2, 5, 5),
     ("Hibernating", 2, 2, 1, 2), ("Hibernating", 1, 1, 2, 2), ("Lost", 1, 1, 1, 1)],
    columns=["segment", "r_min", "r_max", "f_min", "f_max"])
NO_PURCHASE = N_("No purchase yet")
RETURNED_ALL = N_("Returned (nearly) everything")
#: buyers who returned at least this share of what they bought get RETURNED_ALL, whatever R and F say
RETURNED_ALL_RATE = 0.95


def rules_to_json(rules: pd.DataFrame) -> str:
    return json.dumps(rules.to_dict(orient="records"), default=str)


def rules_from_json(text: str) -> pd.DataFrame:
    """A rule table from JSON; the default table when ``text`` is empty."""
    if not text:
        return RFM_RULES.copy()
    try:
        return pd.DataFrame(json.loads(text), columns=list(RFM_RULES.columns))
    except (ValueError, TypeError) as exc:
        raise DataError(_("The RFM rule table could not be read ({error})").format(error=exc),
                        hint=_("Reset the rules")) from None


def quintile_score(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """Scores 1-5 that keep ties together and use the whole scale when the data allows.

    Equal values always share a score (two customers with one order each get the same F score).
    The four cut points between scores are placed, in order, at the ends of groups of equal values
    whose cumulative share of users is nearest to 20%, 40%, 60% and 80%, each cut after the
    previous one and leaving at least one group of values for every higher score. With five or
    more distinct values every score 1-5 is used; without ties this is exactly the textbook
    quintile score. (Scoring by average rank, ``ceil(5 x percentile)``, skips scores when a tie
    straddles a boundary: on Online Retail no customer got F = 2.)
    """
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    v = v if higher_is_better else -v
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    ok = v.dropna()
    if ok.empty:
        return out
    counts = ok.value_counts().sort_index()
    cum = counts.cumsum().to_numpy() / len(ok)
    m = len(counts)
    n_scores = min(5, m)
    cuts: list[int] = []
    for k in range(1, n_scores):
        lo = cuts[-1] + 1 if cuts else 0
        hi = m - (n_scores - k) - 1
        cand = np.arange(lo, hi + 1)
        cuts.append(int(cand[np.argmin(np.abs(cum[cand] - k / 5))]))
    group = np.searchsorted(np.array(cuts), np.arange(m), side="left") + 1
    if n_scores < 5:  # fewer distinct values than scores: spread them over 1-5 by their position
        group = np.ceil(cum * 5).clip(1, 5).astype(int)
    score = pd.Series(group, index=counts.index)
    out.loc[ok.index] = ok.map(score).astype("int64").to_numpy()
    return out


def textbook_quintiles(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """The textbook score: quintiles of the rank with ties broken by row order
    (``pd.qcut(rank(method='first'), 5)``), so equal values may get different scores."""
    v = values if higher_is_better else -values
    return pd.qcut(v.rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype("int64")


def rfm_agreement(profiles: pd.DataFrame) -> pd.DataFrame:
    """Per dimension (R, F, M): share of buyers whose score equals the textbook quintile score,
    and how many users each score holds under both. Columns: dimension, agreement_pct,
    users_per_score, textbook_users_per_score."""
    b = profiles[profiles["frequency"] > 0]
    rows = []
    if len(b) < 5:
        return pd.DataFrame(columns=["dimension", "agreement_pct", "users_per_score", "textbook_users_per_score"])
    for dim, col, hib in (("Recency", "recency_days", False), ("Frequency", "frequency", True),
                          ("Monetary", "monetary", True)):
        ours = quintile_score(b[col], hib).astype("int64")
        book = textbook_quintiles(b[col], hib)
        rows.append({"dimension": dim, "agreement_pct": 100 * float((ours == book).mean()),
                     "users_per_score": " / ".join(str(int((ours == k).sum())) for k in range(1, 6)),
                     "textbook_users_per_score": " / ".join(str(int((book == k).sum())) for k in range(1, 6))})
    return pd.DataFrame(rows)


def check_rfm_rules(rules: pd.DataFrame) -> list[str]:
    """Problems with a rule table: every R x F cell must land in exactly one segment."""
    problems = []
    need = {"segment", "r_min", "r_max", "f_min", "f_max"}
    if not need <= set(rules.columns):
        return [f"The rule table needs the columns {', '.join(sorted(need))}"]
    cover: dict[tuple[int, int], list[str]] = {(r, f): [] for r in range(1, 6) for f in range(1, 6)}
    for row in rules.itertuples(index=False):
        try:
            r0, r1, f0, f1 = (int(row.r_min), int(row.r_max), int(row.f_min), int(row.f_max))
        except (TypeError, ValueError):
            problems.append(f"Rule '{row.segment}' has a missing or non-numeric score")
            continue
        for r in range(max(r0, 1), min(r1, 5) + 1):
            for f in range(max(f0, 1), min(f1, 5) + 1):
                cover[(r, f)].append(str(row.segment))
    gaps = [f"R{r}F{f}" for (r, f), segs in cover.items() if not segs]
    overlaps = [f"R{r}F{f} ({' and '.join(segs)})" for (r, f), segs in cover.items() if len(segs) > 1]
    if gaps:
        problems.append("No segment for " + ", ".join(gaps))
    if overlaps:
        problems.append("More than one segment for " + ", ".join(overlaps))
    return problems


def rfm(profiles: pd.DataFrame, rules: pd.DataFrame = RFM_RULES) -> pd.DataFrame:
    """RFM scores and named segments for every user.

    Buyers get r_score (5 = bought most recently), f_score (orders), m_score (net sales: gross
    minus returns, so a customer who returned everything scores M = 1), each by
    :func:`quintile_score` (ties share a score, the whole 1-5 scale used), the
    string rfm_score ('545') and rfm_segment from ``rules`` on the R x F grid. Users who never
    bought get rfm_segment 'No purchase yet' and empty scores; buyers who returned 95% or more of
    what they bought (``return_rate``) get 'Returned (nearly) everything' whatever R and F say.

    Returns columns: user_id, r_score, f_score, m_score, rfm_score, rfm_segment.
    """
    problems = check_rfm_rules(rules)
    if problems:
        raise DataError("The RFM rule table does not cover every score exactly once",
                        where="; ".join(problems), hint="Edit the rules so each R x F cell has one segment")
    buyers = profiles["frequency"] > 0
    out = pd.DataFrame({"user_id": profiles["user_id"]})
    b = profiles[buyers]
    for col, score in (("r_score", quintile_score(b["recency_days"], higher_is_better=False)),
                       ("f_score", quintile_score(b["frequency"])), ("m_score", quintile_score(b["monetary"]))):
        out[col] = pd.array(score.reindex(out.index), dtype="Int64")
    out["rfm_score"] = (out["r_score"].astype("string") + out["f_score"].astype("string")
                        + out["m_score"].astype("string"))
    lookup = {}
    for row in rules.itertuples(index=False):
        for r in range(int(row.r_min), int(row.r_max) + 1):
            for f in range(int(row.f_min), int(row.f_max) + 1):
                lookup[(r, f)] = str(row.segment)
    seg = [lookup.get((int(r), int(f))) if buy else NO_PURCHASE
           for r, f, buy in zip(out["r_score"].fillna(0), out["f_score"].fillna(0), buyers, strict=True)]
    if "return_rate" in profiles:
        returned_all = (profiles["return_rate"] >= RETURNED_ALL_RATE).fillna(False).to_numpy() & buyers.to_numpy()
        seg = [RETURNED_ALL if r else s for s, r in zip(seg, returned_all, strict=True)]
    out["rfm_segment"] = seg
    return out


def rf_grid(scores: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """Users and mean revenue per R x F cell (for the heat map). Columns: r_score, f_score,
    users (every scored buyer in the cell), mean_monetary, rfm_segment (the group holding most of
    the cell's users), segment_users (how many of them) and mix (every group in the cell with its
    users, largest first, as (group, users) pairs).

    A cell usually holds one group, but buyers who returned (nearly) everything keep their own
    group whatever R and F say, so a cell can mix two; the label is the majority, never the first
    row, and ``users`` summed over the grid is the number of scored buyers."""
    b = scores.dropna(subset=["r_score", "f_score"]).merge(profiles[["user_id", "monetary"]], on="user_id",
                                                             how="left")
    g = b.groupby(["r_score", "f_score"]).agg(users=("user_id", "size"), mean_monetary=("monetary", "mean"))
    per = (b.groupby(["r_score", "f_score", "rfm_segment"]).size().rename("n").reset_index()
           .sort_values(["r_score", "f_score", "n", "rfm_segment"], ascending=[True, True, False, True]))
    g["rfm_segment"] = per.groupby(["r_score", "f_score"])["rfm_segment"].first()
    g["segment_users"] = per.groupby(["r_score", "f_score"])["n"].first()
    g["mix"] = per.groupby(["r_score", "f_score"]).apply(
        lambda d: tuple(zip(d["rfm_segment"], d["n"].astype(int), strict=True)), include_groups=False)
    full = pd.MultiIndex.from_product([range(1, 6), range(1, 6)], names=["r_score", "f_score"])
    out = g.reindex(full).fillna({"users": 0, "segment_users": 0}).reset_index()
    out["users"] = out["users"].astype("int64")
    out["segment_users"] = out["segment_users"].astype("int64")
    out["mix"] = [m if isinstance(m, tuple) else () for m in out["mix"]]
    return out


# ---------------------------------------------------------------- lifecycle stages

LIFECYCLE_STAGES = (N_("New"), N_("Active"), N_("Occasional"), N_("Silent"), N_("Churned"), N_("Never bought"))


@dataclass(frozen=True)
class LifecycleRules:
    """Thresholds for lifecycle stages (days count back from the reference date).

    Stages are assigned in this order, first match wins:
    New (first seen within ``new_days``), Never bought (seen longer, no purchase ever), Churned
    (last purchase more than ``churn_days`` ago), Silent (no activity at all within ``silent_days``), Active (within
    ``active_days``: more than ``active_views`` views and more than ``active_purchases``
    orders — distinct orders, not purchase lines; the view condition is skipped when the data has
    no views), otherwise Occasional. :func:`suggest_lifecycle` proposes thresholds from the data's
    own gaps between orders; :func:`lifecycle_backtest` checks them against what customers did next.
    """

    new_days: int = 30
    churn_days: int = 90
    silent_days: int = 30
    active_days: int = 30
    active_views: int = 10
    active_purchases: int = 2

    def validate(self) -> LifecycleRules:
        for name, value in self.__dict__.items():
            if not isinstance(value, (int, np.integer)) or value < 0 or value > 3650:
                raise DataError(f"Lifecycle threshold {name} must be a whole number from 0 to 3650; got {value!r}",
                                hint="Use the defaults, for example 30 days")
        return self


def lifecycle(events: pd.DataFrame, rules: LifecycleRules = LifecycleRules(),
              as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Lifecycle stage per user. Returns columns user_id, lifecycle."""
    from .features import default_as_of, order_keys
    rules.validate()
    as_of = default_as_of(events) if as_of is None else pd.Timestamp(as_of)
    ev = events[events["timestamp"] < as_of]
    day = pd.Timedelta(days=1)
    g = ev.groupby("user_id", observed=True)["timestamp"]
    first, last = g.min(), g.max()
    buys = ev[ev["event"] == "purchase"]
    last_buy = buys.groupby("user_id", observed=True)["timestamp"].max().reindex(first.index)
    recent = ev[ev["timestamp"] >= as_of - rules.active_days * day]
    kind = recent["event"].astype("str")
    n_views = (kind == "view").groupby(recent["user_id"], observed=True).sum().reindex(first.index, fill_value=0)
    recent_buys = recent[kind == "purchase"]
    n_buys = (pd.Series(order_keys(recent_buys).to_numpy(), index=recent_buys.index)
              .groupby(recent_buys["user_id"], observed=True).nunique().reindex(first.index, fill_value=0))
    has_views = (ev["event"] == "view").any()
    stage = np.select(
        [first >= as_of - rules.new_days * day,
         last_buy.isna(),
         last_buy < as_of - rules.churn_days * day,
         last < as_of - rules.silent_days * day,
         ((n_views > rules.active_views) | (not has_views)) & (n_buys > rules.active_purchases)],
        ["New", "Never bought", "Churned", "Silent", "Active"], default="Occasional")
    return pd.DataFrame({"user_id": first.index.to_numpy(), "lifecycle": stage})


def order_gaps(events: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.Series:
    """Each repeat customer's typical gap between orders, in days: (last order − first order) ÷
    (orders − 1), one value per customer with two or more orders before ``as_of`` (so a few very
    frequent buyers do not set the rhythm for everyone)."""
    from .features import order_keys
    buys = events[(events["event"] == "purchase") & events["timestamp"].notna()]
    if as_of is not None:
        buys = buys[buys["timestamp"] < pd.Timestamp(as_of)]
    if buys.empty:
        return pd.Series(dtype="float64", name="gap_days")
    o = pd.DataFrame({"u": buys["user_id"].to_numpy(), "k": order_keys(buys).to_numpy(), "t": buys["timestamp"].to_numpy()})
    return gaps_of_orders(o.groupby(["u", "k"], sort=False)["t"].min().reset_index())


def gaps_of_orders(orders: pd.DataFrame) -> pd.Series:
    """:func:`order_gaps` from one row per order (u: user, k: order, t: its time), as an engine returns them."""
    g = orders.groupby("u")["t"].agg(["min", "max", "size"])
    g = g[g["size"] >= 2]
    gaps = (g["max"] - g["min"]) / pd.Timedelta(days=1) / (g["size"] - 1)
    return gaps.reset_index(drop=True).rename("gap_days")


@dataclass(frozen=True)
class LifecycleSuggestion:
    """Thresholds proposed from the gaps between orders, with the figures they come from."""

    rules: LifecycleRules
    gaps: int                # repeat customers the gaps come from
    median_gap: float | None
    p75_gap: float | None
    p90_gap: float | None
    ok: bool = True
    notes: tuple[str, ...] = ()


def suggest_lifecycle(events: pd.DataFrame | None, current: LifecycleRules = LifecycleRules(), *,
                      gaps: pd.Series | None = None) -> LifecycleSuggestion:
    """Lifecycle thresholds from the data's own rhythm (days between a customer's orders).

    Gaps are per repeat customer (:func:`order_gaps`). New and Active look back one median gap;
    Active needs two or more orders in it (more than one); Silent is no activity for the 75th
    percentile of gaps; Churned is no purchase for the 90th percentile (only one repeat customer in
    ten has gaps that long, so someone silent longer is unlikely to be between orders). Views
    thresholds are kept. With fewer than 20 repeat customers the current rules stay. ``gaps`` given (an
    engine's :func:`gaps_of_orders`) are used instead of the events'.
    """
    gaps = order_gaps(events) if gaps is None else gaps
    if len(gaps) < 20:
        return LifecycleSuggestion(current, len(gaps), None, None, None, ok=False,
                                   notes=(f"Only {len(gaps)} repeat customers: too few to suggest thresholds",))
    med, p75, p90 = (float(gaps.quantile(q)) for q in (0.5, 0.75, 0.9))
    r = replace(current, new_days=max(1, round(med)), active_days=max(1, round(med)), active_purchases=1,
                silent_days=max(1, round(p75)), churn_days=max(1, round(p90)))
    return LifecycleSuggestion(r.validate(), len(gaps), med, p75, p90)


def lifecycle_backtest(events, rules: LifecycleRules = LifecycleRules(),
                       horizon_days: int = 90) -> pd.DataFrame:
    """What customers did next: stages as the rules would have set them ``horizon_days`` before the
    end of the data, and the share of each stage that bought in those last days.

    Columns: stage, users, bought_again (users with a purchase after the back-test date),
    bought_again_pct, labelled_on (the back-test date). A good Churned rule has a low share; a
    good Active rule a high one. ``events`` are canonical events or a :class:`promo_core.features.EventHistory`
    (an engine's answers the same questions in the engine).
    """
    from .features import event_history
    src = event_history(events)
    if not isinstance(horizon_days, (int, np.integer)) or not 1 <= horizon_days <= 3650:
        raise DataError(_("The back-test horizon must be 1 to 3650 days; got {days}").format(days=repr(horizon_days)),
                        hint=_("Try 90"))
    end = src.as_of()
    cutoff = end - pd.Timedelta(days=int(horizon_days))
    if src.first() >= cutoff:
        raise DataError(f"The data covers less than {horizon_days} days, so there is nothing to back-test",
                        hint="Choose a shorter horizon")
    stages = src.lifecycle(rules, cutoff)
    later = src.buyers_since(cutoff)
    stages["bought"] = stages["user_id"].isin(set(later))
    g = stages.groupby("lifecycle")["bought"].agg(["size", "sum"])
    out = pd.DataFrame({"stage": g.index, "users": g["size"].to_numpy(), "bought_again": g["sum"].to_numpy()})
    out["bought_again_pct"] = 100 * out["bought_again"] / out["users"]
    order = {s: i for i, s in enumerate(LIFECYCLE_STAGES)}
    out = out.sort_values("stage", key=lambda c: c.map(order)).reset_index(drop=True)
    out["labelled_on"] = cutoff
    return out


def user_table(profiles: pd.DataFrame, clustering: Clustering | None, names: dict[int, str] | None,
               rfm_scores: pd.DataFrame, stages: pd.DataFrame, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """The users.csv contract: user_id, the profile features, segment, segment_name, rfm_score,
    rfm_segment, lifecycle, and propensity when scores are given."""
    out = profiles.copy()
    if clustering is not None:
        names = names or clustering.names
        out["segment"] = clustering.labels
        out["segment_name"] = [names[int(i)] for i in clustering.labels]
    out = out.merge(rfm_scores[["user_id", "rfm_score", "rfm_segment"]], on="user_id", how="left")
    out = out.merge(stages, on="user_id", how="left")
    if scores is not None:
        out = out.merge(scores, on="user_id", how="left")
    return out
