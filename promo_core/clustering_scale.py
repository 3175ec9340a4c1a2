"""Clustering at scale: fit on a sample and assign the rest, or Spark ML K-means.

When the users table has more than :func:`fit_threshold` rows (default 200,000),
:func:`promo_core.segments.cluster` hands over to :func:`cluster_on_sample`:

1. a seeded random sample of :func:`fit_sample_size` users (default 100,000) is clustered exactly as
   a small table is (same method, automatic k, names, stability reruns, silhouette), its features
   standardised with the sample's means and deviations;
2. every user is then assigned with scikit-learn: K-means users go to the nearest fitted segment
   centre (``pairwise_distances_argmin``, what ``KMeans.predict`` does), the other methods to the
   majority segment of their 5 nearest sampled users (``KNeighborsClassifier``);
3. the centres, profile table and PCA map are computed over all users, with the sample's segment
   names.

Measured on planted clusters (tests/test_clustering_scale.py): fit-on-sample + assign agrees with a
full K-means fit with an adjusted Rand index ≥ 0.95 (1.0 on well separated clusters). Both settings
are read from the environment (``PROMOSCOPE_CLUSTER_THRESHOLD``, ``PROMOSCOPE_CLUSTER_SAMPLE``) or
passed as arguments; a threshold of 0 switches the sampling off (every user is fitted). The page
states the sample in a note whenever it is used.

For a users table beyond one machine, ``backend="spark"`` fits Spark ML's K-means
(``pyspark.ml.clustering.KMeans``) on all users with the k chosen on the sample; it gives the same
segments as scikit-learn's K-means on well separated planted clusters (tested). It has a single
k-means|| start (scikit-learn keeps the best of several), so on overlapping groups it can stop in
another local optimum (docs/PERFORMANCE.md: ARI 0.61 with the full fit on 1M users).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances, pairwise_distances_argmin
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from .features import feature_frame
from .i18n import _, fmt_int
from .progress import Progress, report
from .schema import DataError

DEFAULT_THRESHOLD = 200_000
DEFAULT_SAMPLE = 100_000
ScaleBackend = Literal["sklearn", "spark"]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip().replace("_", "").replace(",", "")
    if not value:
        return default
    try:
        n = int(value)
    except ValueError:
        raise DataError(_("The setting {name} must be a whole number; got {value!r}").format(name=name, value=value),
                        hint=_("Set it to a number of users, e.g. 200000, or remove it")) from None
    if n < 0:
        raise DataError(_("The setting {name} cannot be negative; got {value}").format(name=name, value=n),
                        hint=_("Set it to a number of users, or 0 to switch sampling off"))
    return n


def fit_threshold() -> int:
    """Users above which segments are fitted on a sample (``PROMOSCOPE_CLUSTER_THRESHOLD``; 0 = never)."""
    return _env_int("PROMOSCOPE_CLUSTER_THRESHOLD", DEFAULT_THRESHOLD)


def fit_sample_size() -> int:
    """How many users the sample holds (``PROMOSCOPE_CLUSTER_SAMPLE``)."""
    return _env_int("PROMOSCOPE_CLUSTER_SAMPLE", DEFAULT_SAMPLE)


def planned_sample(n_users: int, sample_size: int | None = None, threshold: int | None = None) -> int | None:
    """The sample size to fit on for ``n_users``, or None when every user is fitted."""
    threshold = fit_threshold() if threshold is None else threshold
    sample_size = fit_sample_size() if sample_size is None else sample_size
    if threshold <= 0 or n_users <= threshold or sample_size <= 0 or sample_size >= n_users:
        return None
    return int(sample_size)


def sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted row numbers of a seeded random sample without replacement."""
    return np.sort(np.random.default_rng(seed).choice(n, size=min(size, n), replace=False))


def fit_assign_kmeans(X: np.ndarray, k: int, sample_size: int, seed: int = 0, n_init: int = 4
                      ) -> tuple[np.ndarray, np.ndarray]:
    """K-means fitted on a seeded sample of the rows of ``X``, every row assigned to the nearest
    centre. Returns (labels for every row, centres)."""
    from sklearn.cluster import KMeans
    idx = sample_rows(len(X), sample_size, seed)
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X[idx])
    return km.predict(X), km.cluster_centers_


def spark_kmeans(X: np.ndarray, k: int, seed: int = 0, *, master: str | None = None, max_iter: int = 50
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Spark ML K-means (k-means|| initialisation) on the rows of ``X``: (labels, centres)."""
    from .mining.spark import spark_session
    spark = spark_session(master)
    import pyarrow as pa
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.functions import array_to_vector
    table = pa.table({"row": pa.array(np.arange(len(X), dtype=np.int64)),
                      "x": pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(X, dtype=float).ravel()),
                                                             X.shape[1])})
    try:
        frame = spark.createDataFrame(table)
    except (TypeError, ValueError):
        frame = spark.createDataFrame(table.to_pandas())
    frame = frame.select("row", array_to_vector("x").alias("features"))
    model = KMeans(k=k, seed=seed, maxIter=max_iter, featuresCol="features").fit(frame)
    out = model.transform(frame).select("row", "prediction").toPandas().sort_values("row")
    return out["prediction"].to_numpy(dtype=int), np.vstack(model.clusterCenters())


def cluster_on_sample(profiles: pd.DataFrame, features: list[str] | tuple[str, ...], *, sample_size: int,
                      k="auto", method: str = "kmeans", use_log: bool = True, seed: int = 0,
                      backend: ScaleBackend = "sklearn", spark_master: str | None = None,
                      threshold: int | None = None, progress: Progress | None = None, **cluster_kwargs):
    """:func:`promo_core.segments.cluster` for a large users table: fit on a sample, assign the rest.

    Returns the same :class:`promo_core.segments.Clustering`, for every user, with a note stating
    the sample. ``backend='spark'`` fits Spark ML's K-means on every user instead (K-means only).
    """
    from .segments import Clustering, cluster, segment_profile
    if backend not in ("sklearn", "spark"):
        raise DataError(_("Unknown clustering backend {name!r}").format(name=backend), hint=_("Use sklearn or spark"))
    if backend == "spark" and method != "kmeans":
        raise DataError(_("Spark clusters with K-means only"), hint=_("Choose K-means, or the sklearn backend"))
    n = len(profiles)
    idx = sample_rows(n, sample_size, seed)
    report(progress, _("Fitting segments on a sample of {n} users").format(n=fmt_int(len(idx))), 0.05)
    fitted: Clustering = cluster(profiles.iloc[idx].reset_index(drop=True), features, k=k, method=method,
                                 use_log=use_log, seed=seed, fit_sample=None, **cluster_kwargs)
    used = list(fitted.features)
    frame = feature_frame(profiles, used, use_log).to_numpy()
    scaler = StandardScaler().fit(frame[idx])  # the sample's standardisation, applied to everyone
    X = scaler.transform(frame)
    del frame
    report(progress, _("Assigning all {n} users to the segments").format(n=fmt_int(n)), 0.6)
    sample_labels = fitted.labels
    if backend == "spark":
        labels, centres = spark_kmeans(X, fitted.k, seed, master=spark_master)
        # Spark numbers its clusters its own way: match them to the sample's segments (and names)
        # through the nearest sample centre, so that the names stay those of the fitted segments
        # (one to one: the assignment with the smallest total distance, scipy's linear_sum_assignment)
        keys = sorted(fitted.names)
        cost = pairwise_distances(centres, fitted.centers.loc[keys].to_numpy())
        rows, cols = linear_sum_assignment(cost)
        remap = np.empty(len(centres), dtype=int)
        remap[rows] = np.asarray(keys)[cols]
        labels = remap[labels]
    elif method == "kmeans":
        keys = sorted(fitted.names)
        centres = fitted.centers.loc[keys].to_numpy()  # the fitted segments' means = K-means centres
        labels = np.asarray(keys)[pairwise_distances_argmin(X, centres)]
        labels[idx] = sample_labels
    else:
        labels = KNeighborsClassifier(n_neighbors=5).fit(X[idx], sample_labels).predict(X)
        labels[idx] = sample_labels
    report(progress, _("Profiling the segments"), 0.85)
    labels = labels.astype(int)
    centers = pd.DataFrame(X, columns=used).groupby(labels).mean()
    names = {int(s): fitted.names.get(int(s), str(s)) for s in centers.index if s != -1}
    pca_model = PCA(n_components=2, random_state=seed).fit(X[idx]) if X.shape[1] >= 2 else None
    coords = pca_model.transform(X) if pca_model is not None else np.column_stack([X[:, 0], np.zeros(n)])
    pca = pd.DataFrame({"user_id": profiles["user_id"].to_numpy(), "pc1": coords[:, 0], "pc2": coords[:, 1],
                        "segment": labels})
    how = (_("Spark ML K-means on every user, with the number of segments chosen on the sample")
           if backend == "spark" else
           _("the other users were assigned to the nearest segment centre") if method == "kmeans" else
           _("the other users were assigned to the segment of their 5 nearest sampled users"))
    note = _("Segments were fitted on a random sample of {sample} of the {n} users ({how}). This happens above "
             "{threshold} users; the sample size is a setting (PROMOSCOPE_CLUSTER_SAMPLE), and the "
             "silhouette, stability and number of segments are those of the sample.").format(
        sample=fmt_int(len(idx)), n=fmt_int(n), how=how, threshold=fmt_int(fit_threshold() if threshold is None else threshold))
    report(progress, _("Segments ready"), 1.0)
    return replace(fitted, labels=labels, centers=centers, names=names,
                   profile=segment_profile(profiles, labels, names, used), pca=pca,
                   pca_explained=(tuple(float(v) for v in pca_model.explained_variance_ratio_) if pca_model
                                  else (1.0, 0.0)),
                   notes=(*fitted.notes, note))
