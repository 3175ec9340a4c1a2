"""Several metrics: guardrails, ratio metrics (delta method), one-sided and non-inferiority tests,
adjusted intervals that agree with adjusted p-values."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import test_proportions_2indep as two_prop_test

from promo_core.abtest import compare_all, from_aggregated, from_users, load_experiment
from promo_core.metrics import Metric, compare_metrics, default_metrics
from promo_core.roi import verdict

from .experiment_files import split_90_10


@pytest.fixture(scope="module")
def exp():
    return load_experiment(split_90_10(n=20000), control="control", extra=("unsubscribed", "orders"))


def test_mean_metric_equals_scipy_welch_with_refunds(exp):
    u = exp.users
    row = compare_metrics(exp, "control", [Metric("net revenue", "mean", "revenue", role="primary")]).iloc[0]
    a, b = u.loc[u.variant == "promo", "revenue"], u.loc[u.variant == "control", "revenue"]
    assert (a < 0).any()  # refunds are in the data
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert row.p_value == pytest.approx(ref.pvalue) and (row.ci_low, row.ci_high) == pytest.approx(
        tuple(ref.confidence_interval()))


def test_proportion_guardrail_and_non_inferiority_equal_statsmodels(exp):
    u = exp.users
    x = u.groupby("variant")["metric:unsubscribed"].agg(["sum", "count"])
    ms = [Metric("unsubscribed", "proportion", "metric:unsubscribed", higher_is_better=False),
          Metric("unsubscribed NI", "proportion", "metric:unsubscribed", higher_is_better=False, margin=0.02)]
    res = compare_metrics(exp, "control", ms, adjust="none").set_index("metric")
    two = two_prop_test(x.loc["promo", "sum"], x.loc["promo", "count"], x.loc["control", "sum"],
                                  x.loc["control", "count"], method="wald", compare="diff")
    ni = two_prop_test(x.loc["promo", "sum"], x.loc["promo", "count"], x.loc["control", "sum"],
                                 x.loc["control", "count"], value=0.02, method="wald", compare="diff",
                                 alternative="smaller")
    assert res.loc["unsubscribed", "p_value"] == pytest.approx(two.pvalue)
    assert res.loc["unsubscribed NI", "p_value"] == pytest.approx(ni.pvalue)
    assert res.loc["unsubscribed NI", "alternative"] == "less" and np.isinf(res.loc["unsubscribed NI", "ci_low"])
    assert res.loc["unsubscribed NI", "ci_high"] < 0.02 and "not worse" in res.loc["unsubscribed NI", "reading"]


def test_ratio_metric_delta_method_against_bootstrap():
    rng = np.random.default_rng(8)
    n = 4000
    orders = rng.poisson(1.5, 2 * n)
    revenue = orders * rng.gamma(4, 10, 2 * n) * np.repeat([1.0, 1.1], n)
    frame = pd.DataFrame({"variant": np.repeat(["c", "t"], n), "converted": (orders > 0).astype(int),
                          "revenue": revenue, "orders": orders})
    e = from_users(frame, "variant", "converted", "revenue", extra_cols=("orders",))
    row = compare_metrics(e, "c", [Metric("revenue per order", "ratio", "revenue", "metric:orders")]).iloc[0]
    boots = []
    for _ in range(600):
        r = []
        for arm in ("t", "c"):
            g = frame[frame.variant == arm].sample(n, replace=True, random_state=int(rng.integers(1e9)))
            r.append(g.revenue.sum() / g.orders.sum())
        boots.append(r[0] - r[1])
    assert row["diff"] == pytest.approx(revenue[n:].sum() / orders[n:].sum() - revenue[:n].sum() / orders[:n].sum())
    se = (row.ci_high - row.ci_low) / (2 * stats.norm.ppf(0.975))
    assert se == pytest.approx(np.std(boots, ddof=1), rel=0.12)


def test_families_and_adjusted_intervals_agree_with_adjusted_p(exp):
    ms = default_metrics(exp, guardrails=("unsubscribed",), ratio=("revenue", "orders"),
                         lower_is_better=("unsubscribed",))
    res = compare_metrics(exp, "control", ms)
    assert set(res["family_size"]) == {1, 3}  # primary across 1 treatment; 3 guardrails
    for r in res.itertuples():
        assert (r.p_adjusted < 0.05) == (r.ci_low_adjusted > 0 or r.ci_high_adjusted < 0)
        assert r.ci_low_adjusted <= r.ci_low and r.ci_high_adjusted >= r.ci_high


def test_holm_adjusted_interval_matches_its_p_in_simulation():
    """Over many three-arm tests the verdict's adjusted interval excludes 0 exactly when the
    adjusted p is below alpha (up to the score-interval/z-test boundary)."""
    rng = np.random.default_rng(9)
    disagree = 0
    for _ in range(60):
        x = rng.binomial(3000, [0.10, 0.115, 0.12])
        e = from_aggregated(pd.DataFrame({"variant": ["control", "a", "b"], "users": [3000] * 3, "conversions": x}))
        for c in compare_all(e, "control"):
            excl = c.abs_ci_adjusted.low > 0 or c.abs_ci_adjusted.high < 0
            disagree += excl != (c.p_adjusted < 0.05)
    assert disagree <= 3


def test_issue_example_verdict_uses_the_adjusted_interval():
    e = from_aggregated(pd.DataFrame({"variant": ["control", "coupon", "flash"], "users": [10000] * 3,
                                      "conversions": [1000, 1100, 1060]}))
    coupon, flash = compare_all(e, "control")
    text = verdict(coupon)  # Holm doubles the smaller p: the interval is at 97.5%
    assert "adjusted p = 0.042" in text and "adjusted 97.5% CI" in text and "unlikely to be chance" in text
    assert coupon.rel_ci_adjusted.low > 0 and coupon.rel_ci_adjusted.low < coupon.rel_ci.low
    # the larger p is Holm's last step (compared with alpha itself): unadjusted, and says so
    assert flash.p_adjusted == flash.p_value and "(p = 0.16)" in verdict(flash) and "95% CI" in verdict(flash)


def test_one_sided_primary():
    e = from_aggregated(pd.DataFrame({"variant": ["control", "t"], "users": [2000, 2000], "conversions": [200, 235]}))
    two, one = compare_all(e, "control")[0], compare_all(e, "control", alternative="greater")[0]
    assert one.p_value == pytest.approx(two.p_value / 2) and np.isinf(one.abs_ci.high)
    assert "or more" in verdict(one)
