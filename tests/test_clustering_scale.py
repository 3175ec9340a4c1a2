"""Clustering at scale: fit on a sample and assign the rest agrees with a full fit on planted clusters
(adjusted Rand index ≥ 0.95), Spark ML K-means equals scikit-learn's on planted clusters, and the
sampling is wired into segments.cluster above a stated threshold."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from promo_core.clustering_scale import (
    fit_assign_kmeans,
    fit_threshold,
    planned_sample,
    spark_kmeans,
)
from promo_core.features import customer_profiles
from promo_core.i18n import locale_context
from promo_core.schema import DataError
from promo_core.segments import DEFAULT_FEATURES, cluster

try:
    import pyspark  # noqa: F401
    HAVE_SPARK = shutil.which("java") is not None
except ImportError:
    HAVE_SPARK = False


def planted_profiles(n: int, k: int = 4, seed: int = 0, spread: float = 1.0) -> tuple[pd.DataFrame, np.ndarray]:
    """A users table whose default features hold k planted groups (Gaussian blobs, positive values)."""
    X, truth = make_blobs(n_samples=n, n_features=len(DEFAULT_FEATURES), centers=k, cluster_std=spread,
                          center_box=(5, 25), random_state=seed)
    frame = pd.DataFrame(X - X.min(axis=0) + 0.1, columns=list(DEFAULT_FEATURES))
    frame.insert(0, "user_id", [f"u{i}" for i in range(n)])
    return frame, truth


def test_fit_on_sample_and_assign_agrees_with_a_full_fit_on_planted_clusters():
    profiles, truth = planted_profiles(40_000, k=4, spread=2.5)
    full = cluster(profiles, k=4, use_log=False, fit_sample=None, stability_runs=0)
    sampled = cluster(profiles, k=4, use_log=False, fit_sample=4_000, stability_runs=0)
    assert len(sampled.labels) == len(profiles)
    ari = adjusted_rand_score(full.labels, sampled.labels)
    assert ari >= 0.95, ari
    assert adjusted_rand_score(truth, sampled.labels) >= 0.95
    # the same segment names and a profile row per segment, over every user
    assert sorted(sampled.names.values()) == sorted(full.names.values())
    assert sampled.profile["users"].sum() == len(profiles)
    assert any("random sample of 4,000 of the 40,000 users" in n for n in sampled.notes)
    assert not any("random sample" in n for n in full.notes)


def test_automatic_k_on_the_sample_finds_the_planted_number():
    profiles, truth = planted_profiles(30_000, k=5, spread=1.0, seed=2)
    sampled = cluster(profiles, k="auto", use_log=False, fit_sample=3_000, stability_runs=1)
    assert sampled.k == 5
    assert adjusted_rand_score(truth, sampled.labels) >= 0.99
    assert len(sampled.scan) > 0 and sampled.stability is not None and sampled.silhouette is not None


def test_fit_assign_kmeans_matches_full_kmeans():
    X, _ = make_blobs(n_samples=50_000, n_features=6, centers=6, cluster_std=1.5, random_state=4)
    labels, centres = fit_assign_kmeans(X, 6, 5_000, seed=0)
    full = KMeans(n_clusters=6, n_init=4, random_state=0).fit_predict(X)
    assert adjusted_rand_score(full, labels) >= 0.95
    assert centres.shape == (6, 6)


@pytest.mark.parametrize("method", ["gmm", "agglomerative"])
def test_other_methods_assign_through_nearest_sampled_users(method):
    profiles, truth = planted_profiles(12_000, k=3, spread=1.0, seed=5)
    sampled = cluster(profiles, k=3, method=method, use_log=False, fit_sample=2_000, stability_runs=0)
    assert adjusted_rand_score(truth, sampled.labels) >= 0.95
    assert any("5 nearest sampled users" in n for n in sampled.notes)


def test_threshold_and_sample_are_settings(monkeypatch):
    monkeypatch.delenv("PROMOSCOPE_CLUSTER_THRESHOLD", raising=False)
    monkeypatch.delenv("PROMOSCOPE_CLUSTER_SAMPLE", raising=False)
    assert fit_threshold() == 200_000
    assert planned_sample(200_000) is None and planned_sample(200_001) == 100_000
    monkeypatch.setenv("PROMOSCOPE_CLUSTER_THRESHOLD", "0")  # 0: never sample (the "no effect" end)
    assert planned_sample(10_000_000) is None
    monkeypatch.setenv("PROMOSCOPE_CLUSTER_THRESHOLD", "1_000")
    monkeypatch.setenv("PROMOSCOPE_CLUSTER_SAMPLE", "5000")
    assert planned_sample(4_000) is None  # a sample at least as large as the table: fit everyone
    assert planned_sample(6_000) == 5_000
    monkeypatch.setenv("PROMOSCOPE_CLUSTER_SAMPLE", "lots")
    with pytest.raises(DataError, match="whole number"):
        planned_sample(6_000)
    monkeypatch.setenv("PROMOSCOPE_CLUSTER_SAMPLE", "-5")
    with pytest.raises(DataError, match="negative"):
        planned_sample(6_000)


def test_sample_data_above_a_low_threshold_is_segmented_on_a_sample(monkeypatch, sample_dataset):
    monkeypatch.setenv("PROMOSCOPE_CLUSTER_THRESHOLD", "2000")
    monkeypatch.setenv("PROMOSCOPE_CLUSTER_SAMPLE", "2500")
    profiles = customer_profiles(sample_dataset)
    c = cluster(profiles, k=4)
    assert len(c.labels) == len(profiles) == 3000
    assert set(c.profile["segment_name"]) == set(c.names.values())
    assert c.profile["users"].sum() == 3000
    assert len(c.pca) == 3000
    note = [n for n in c.notes if "random sample" in n]
    assert note and "2,500 of the 3,000 users" in note[0] and "2,000 users" in note[0]
    with locale_context("zh_CN"):
        zh = cluster(profiles, k=4)
    assert any("抽样" in n for n in zh.notes)


@pytest.mark.skipif(not HAVE_SPARK, reason="pyspark or Java is not installed")
def test_spark_kmeans_equals_sklearn_on_planted_clusters():
    X, truth = make_blobs(n_samples=3_000, n_features=5, centers=4, cluster_std=0.8, random_state=7)
    labels, centres = spark_kmeans(X, 4, seed=1)
    sk = KMeans(n_clusters=4, n_init=4, random_state=0).fit(X)
    assert adjusted_rand_score(sk.labels_, labels) == 1.0
    assert adjusted_rand_score(truth, labels) == 1.0
    # the same centres, in some order
    order = [int(np.argmin(((sk.cluster_centers_ - c) ** 2).sum(axis=1))) for c in centres]
    assert np.allclose(centres, sk.cluster_centers_[order], atol=1e-6)


@pytest.mark.skipif(not HAVE_SPARK, reason="pyspark or Java is not installed")
def test_spark_backend_keeps_the_sample_names():
    from promo_core.clustering_scale import cluster_on_sample
    profiles, truth = planted_profiles(6_000, k=3, spread=1.0, seed=9)
    local = cluster(profiles, k=3, use_log=False, fit_sample=1_500, stability_runs=0)
    spark = cluster_on_sample(profiles, list(DEFAULT_FEATURES), sample_size=1_500, k=3, use_log=False,
                              stability_runs=0, backend="spark")
    assert adjusted_rand_score(local.labels, spark.labels) == 1.0
    assert (local.named_labels() == spark.named_labels()).all()
