"""One mining interface, three backends (pyfim, mlxtend, Spark ML FPGrowth): the same itemsets and
the same rules (support, confidence, lift, ...) on the sample baskets, Online Retail and a generated
file. Spark runs in one shared local[2] session per test process, with few and small inputs."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

import promo_core.rules as R
from promo_core.i18n import locale_context
from promo_core.mining import BACKENDS, describe_backend, mine
from promo_core.mining.spark import spark_threshold
from promo_core.rules import baskets_from_lists, make_baskets, min_count
from promo_core.schema import DataError

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from synth import groceries_like, synthetic_baskets, write_basket_file  # noqa: E402

try:
    import pyspark  # noqa: F401
    HAVE_SPARK = shutil.which("java") is not None
except ImportError:
    HAVE_SPARK = False
spark_only = pytest.mark.skipif(not HAVE_SPARK, reason="pyspark or Java is not installed")
pytestmark = pytest.mark.skipif(R._fim is None, reason="pyfim is not installed")
METRICS = ("support", "confidence", "lift", "leverage", "conviction", "jaccard", "certainty", "kulczynski")


def assert_same(a, b):
    """Same itemsets with the same supports; same rules with the same metrics."""
    sa = dict(zip(a.itemsets["itemsets"], a.itemsets["support"], strict=True))
    sb = dict(zip(b.itemsets["itemsets"], b.itemsets["support"], strict=True))
    assert sa.keys() == sb.keys() and len(sa) == len(a.itemsets) == len(b.itemsets)
    assert np.allclose([sa[k] for k in sb], list(sb.values()), rtol=0, atol=1e-15)
    ra = a.rules.rules.set_index(["antecedents", "consequents"])
    rb = b.rules.rules.set_index(["antecedents", "consequents"])
    assert len(ra) == len(rb) and set(ra.index) == set(rb.index)
    for col in METRICS:
        assert np.allclose(ra[col].to_numpy(dtype=float), rb[col].reindex(ra.index).to_numpy(dtype=float),
                           rtol=1e-12, atol=1e-15), col
    assert (ra["n_baskets"] == rb["n_baskets"].reindex(ra.index)).all()


def test_hand_computed_toy_case():
    lists = [["milk", "bread"], ["milk", "bread", "eggs"], ["milk"], ["bread", "eggs"]]
    for backend in ("pyfim", "mlxtend"):
        res = mine(lists, min_support=0.5, min_confidence=0.6, backend=backend)
        sup = dict(zip(res.itemsets["itemsets"], res.itemsets["support"], strict=True))
        # milk 3/4, bread 3/4, eggs 2/4, milk+bread 2/4, bread+eggs 2/4 (milk+eggs 1/4 is not frequent)
        assert sup == {frozenset({"milk"}): 0.75, frozenset({"bread"}): 0.75, frozenset({"eggs"}): 0.5,
                       frozenset({"milk", "bread"}): 0.5, frozenset({"bread", "eggs"}): 0.5}
        r = res.rules.rules
        rules = {(a, c): (conf, lift) for a, c, conf, lift in
                 zip(r["antecedents"], r["consequents"], r["confidence"], r["lift"], strict=True)}
        # eggs -> bread: 2/4 ÷ 2/4 = 1, lift 1 / 0.75; bread -> eggs: 0.5/0.75 = 2/3, lift (2/3)/0.5
        assert rules[(frozenset({"eggs"}), frozenset({"bread"}))] == pytest.approx((1.0, 4 / 3))
        assert rules[(frozenset({"bread"}), frozenset({"eggs"}))] == pytest.approx((2 / 3, 4 / 3))
        assert len(rules) == 4  # milk->bread, bread->milk (2/3 each), eggs->bread, bread->eggs
        assert res.backend == backend and res.n_baskets == 4


@pytest.fixture(scope="module")
def sample_baskets(sample_dataset):
    return make_baskets(sample_dataset.events)


@pytest.fixture(scope="module")
def retail_baskets(online_retail):
    ev = online_retail.events
    return make_baskets(ev[ev["Country"].isin(["France", "Germany"])])


@pytest.fixture(scope="module")
def generated_baskets(tmp_path_factory):
    """A generated basket file written and read back through the app's reader."""
    from promo_core.quality import load_dataset
    path = tmp_path_factory.mktemp("mining") / "generated_baskets.csv"
    write_basket_file(groceries_like(4_000, seed=3), path)
    return make_baskets(load_dataset(path, fmt="baskets").events)


@pytest.mark.parametrize(("data", "support", "confidence"), [("sample_baskets", 0.01, 0.1),
                                                              ("retail_baskets", 0.04, 0.5),
                                                              ("generated_baskets", 0.005, 0.4)])
def test_pyfim_equals_mlxtend(request, data, support, confidence):
    b = request.getfixturevalue(data)
    a = mine(b, support, confidence, backend="pyfim")
    m = mine(b, support, confidence, backend="mlxtend")
    assert len(a.rules.rules) > 0, "the comparison needs rules"
    assert_same(a, m)


@spark_only
@pytest.mark.parametrize(("data", "support", "confidence"), [("sample_baskets", 0.01, 0.1),
                                                              ("retail_baskets", 0.04, 0.5),
                                                              ("generated_baskets", 0.005, 0.4)])
def test_spark_fpgrowth_equals_pyfim_and_mlxtend(request, data, support, confidence):
    b = request.getfixturevalue(data)
    s = mine(b, support, confidence, backend="spark")
    a = mine(b, support, confidence, backend="pyfim")
    assert len(s.rules.rules) > 0 and s.backend == "spark"
    assert_same(s, a)
    assert_same(s, mine(b, support, confidence, backend="mlxtend"))


@spark_only
def test_spark_threshold_edge_and_max_len():
    # 10 baskets, support 0.3: an itemset in exactly 3 baskets is frequent for every backend
    lists = [["a", "b", "c"]] * 3 + [["a", "b"]] * 2 + [["c", "d"]] * 2 + [["d"]] * 3
    for max_len in (None, 2):
        s = mine(lists, 0.3, 0.0, max_len=max_len, backend="spark")
        p = mine(lists, 0.3, 0.0, max_len=max_len, backend="pyfim")
        assert_same(s, p)
        assert frozenset("abc") in set(s.itemsets["itemsets"]) or max_len == 2
        assert s.itemsets["length"].max() <= (max_len or 3)


@pytest.mark.parametrize(("n", "support"), [(10, 0.3), (1_000_000, 0.001), (9_835, 0.001), (7, 1 / 7), (3, 0.5)])
def test_spark_threshold_gives_the_same_minimum_count(n, support):
    import math
    assert math.ceil(spark_threshold(support, n) * n) == min_count(support, n)


def test_generated_large_file_same_itemsets_pyfim_mlxtend():
    b = baskets_from_lists(synthetic_baskets(20_000, seed=5))
    assert_same(mine(b, 0.005, 0.1, backend="pyfim"), mine(b, 0.005, 0.1, backend="mlxtend"))


@pytest.mark.parametrize(("kwargs", "match"), [({"backend": "hadoop"}, "Unknown mining backend"),
                                               ({"min_support": 0}, "Minimum support"),
                                               ({"min_support": 1.5}, "Minimum support"),
                                               ({"max_len": 1}, "at least 2")])
def test_bad_arguments_are_data_errors(kwargs, match):
    args = {"min_support": 0.1, **kwargs}
    with pytest.raises(DataError, match=match):
        mine([["a", "b"], ["a"]], **args)


def test_progress_is_reported_and_never_changes_the_result():
    lists = groceries_like(2_000, seed=1)
    seen = []
    with_cb = mine(lists, 0.01, 0.3, progress=lambda stage, frac: seen.append((stage, frac)))
    assert_same(with_cb, mine(lists, 0.01, 0.3))
    assert seen[0][1] == 0.0 and seen[-1][1] == 1.0
    assert all(isinstance(s, str) and s for s, _ in seen)


def test_backends_are_named_in_both_languages():
    for b in BACKENDS:
        assert describe_backend(b)
        with locale_context("zh_CN"):
            assert describe_backend(b) != BACKENDS[b]
