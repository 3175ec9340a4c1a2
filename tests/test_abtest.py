"""A/B statistics against ../shared/AB_REFERENCE.md, statsmodels/scipy, hand computations and simulation."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from promo_core.abtest import (
    VariantStats,
    bootstrap_diff,
    by_segment,
    chance_to_beat,
    compare,
    compare_all,
    cuped,
    days_needed,
    expected_loss,
    from_aggregated,
    from_users,
    load_experiment,
    mde_conversion,
    sample_ratio,
    sample_size_conversion,
    sample_size_mean,
    welch,
)
from promo_core.schema import DataError

from .conftest import SAMPLE

C1_T, C1_C = VariantStats("coupon", 10000, 1100), VariantStats("control", 10000, 1000)


def test_c1_golden_values():
    r = compare(C1_T, C1_C)
    assert r.p_value == pytest.approx(0.02108, abs=5e-6)
    assert (r.rel_ci.low, r.rel_ci.high) == pytest.approx((0.0144, 0.1928), abs=5e-5)
    assert (r.abs_ci.low, r.abs_ci.high) == pytest.approx((0.001504, 0.0185), abs=2e-5)  # Newcombe ~ Wald here
    assert r.chance_to_beat == pytest.approx(0.9895, abs=5e-4)
    assert r.abs_diff == pytest.approx(0.01) and r.rel_lift == pytest.approx(0.1)
    # pooled z p equals the chi-square test without Yates' correction
    assert r.p_value == pytest.approx(stats.chi2_contingency([[1100, 8900], [1000, 9000]], correction=False)[1])


def test_c2_small_sample_relative_interval_is_asymmetric():
    r = compare(VariantStats("t", 200, 20), VariantStats("c", 200, 10))
    assert r.p_value == pytest.approx(0.0577, abs=5e-5)
    assert (r.rel_ci.low, r.rel_ci.high) == pytest.approx((-0.04, 3.16), abs=0.01)


def test_c3_holm_adjusted():
    exp = from_aggregated(pd.DataFrame({"variant": ["control", "coupon", "flash"], "users": [10000] * 3,
                                        "conversions": [1000, 1100, 1060]}))
    res = compare_all(exp, "control", adjust="holm")
    assert [round(r.p_adjusted, 3) for r in res] == [0.042, 0.163]
    bh = compare_all(exp, "control", adjust="fdr_bh")
    assert [r.p_adjusted for r in bh] == pytest.approx(list(multipletests([r.p_value for r in res], method="fdr_bh")[1]))
    raw = compare_all(exp, "control", adjust="none")
    assert [r.p_adjusted for r in raw] == [r.p_value for r in raw]


def test_c4_welch_from_summary_statistics():
    d, ci, p = welch(13.40, 42 ** 2, 5000, 12.50, 40 ** 2, 5000)
    assert p == pytest.approx(0.2726, abs=5e-5)
    assert (ci.low, ci.high) == pytest.approx((-0.708, 2.508), abs=5e-4)


def test_welch_interval_equals_scipy_on_raw_data():
    rng = np.random.default_rng(0)
    a, b = rng.gamma(0.5, 20, 800), rng.gamma(0.5, 22, 700)
    d, ci, p = welch(a.mean(), a.var(ddof=1), len(a), b.mean(), b.var(ddof=1), len(b))
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert p == pytest.approx(ref.pvalue) and (ci.low, ci.high) == pytest.approx(tuple(ref.confidence_interval()))


def test_c5_sample_ratio_mismatch():
    exp = from_aggregated(pd.DataFrame({"variant": ["a", "b"], "users": [5000, 5400], "conversions": [1, 1]}))
    srm = sample_ratio(exp)
    assert srm.chi2 == pytest.approx(15.38, abs=0.01) and srm.p_value == pytest.approx(8.77e-5, rel=1e-3)
    assert srm.mismatch
    assert not sample_ratio(exp, {"a": 50, "b": 54}).mismatch


def test_power_golden_values():
    assert sample_size_conversion(0.10, 0.10) == 14745  # 14,744.1 rounded up
    assert sample_size_mean(40, 0.625) == 64299
    assert mde_conversion(0.10, 14745) == pytest.approx(0.10, abs=1e-3)
    assert days_needed(14745, 2, 1000) == 30


def test_chance_to_beat_and_expected_loss_against_monte_carlo():
    rng = np.random.default_rng(1)
    t = rng.beta(1 + 60, 1 + 440, 400_000)
    c = rng.beta(1 + 50, 1 + 450, 400_000)
    assert chance_to_beat(60, 500, 50, 500) == pytest.approx((t > c).mean(), abs=3e-3)
    assert expected_loss(60, 500, 50, 500) == pytest.approx(np.maximum(c - t, 0).mean(), abs=5e-4)


def test_user_level_equals_aggregated_path():
    users = pd.DataFrame({"variant": ["A"] * 4 + ["B"] * 4, "converted": [1, 0, 0, 1, 1, 1, 0, 1],
                          "revenue": [10.0, 0, 0, 30, 20, 5, 0, 15]})
    u = from_users(users, "variant", "converted", "revenue")
    agg = from_aggregated(pd.DataFrame({"variant": ["A", "B"], "users": [4, 4], "conversions": [2, 3],
                                        "revenue_sum": [40.0, 40.0], "revenue_sum_sq": [1000.0, 650.0]}))
    assert u.variants["A"] == agg.variants["A"] and u.variants["B"] == agg.variants["B"]
    a, b = compare_all(u, "A")[0], compare_all(agg, "A")[0]
    assert a.p_value == b.p_value and a.revenue_ci == b.revenue_ci
    # revenue per buyer by hand: B buyers 20, 5, 15 -> mean 40/3
    assert u.variants["B"].buyer_mean == pytest.approx(40 / 3)
    assert u.variants["B"].buyer_var == pytest.approx(np.var([20, 5, 15], ddof=1))


def test_bootstrap_agrees_with_welch_on_normal_data():
    rng = np.random.default_rng(2)
    a, b = rng.normal(10, 3, 2000), rng.normal(10.5, 3, 2000)
    boot = bootstrap_diff(a, b)
    _, ci, _ = welch(a.mean(), a.var(ddof=1), 2000, b.mean(), b.var(ddof=1), 2000)
    assert boot.low == pytest.approx(ci.low, abs=0.05) and boot.high == pytest.approx(ci.high, abs=0.05)


def test_aa_simulation_false_positives_and_coverage():
    rng = np.random.default_rng(3)
    false_pos, covered, n_sims = 0, 0, 600
    for _ in range(n_sims):
        x = rng.binomial(2000, 0.08, 2)
        r = compare(VariantStats("t", 2000, int(x[0])), VariantStats("c", 2000, int(x[1])))
        false_pos += r.p_value < 0.05
        covered += r.abs_ci.low <= 0 <= r.abs_ci.high
    assert abs(false_pos / n_sims - 0.05) < 0.025
    assert abs(covered / n_sims - 0.95) < 0.025
    hits = 0
    for _ in range(400):  # a real +20% effect: the log-ratio interval covers the true lift
        x1, x0 = rng.binomial(3000, 0.12), rng.binomial(3000, 0.10)
        r = compare(VariantStats("t", 3000, int(x1)), VariantStats("c", 3000, int(x0)))
        hits += r.rel_ci.low <= 0.2 <= r.rel_ci.high
    assert abs(hits / 400 - 0.95) < 0.03


@pytest.fixture(scope="module")
def sample_exp():
    frame = pd.read_csv(SAMPLE / "experiment.csv")
    return load_experiment(frame, segments=("region",), control="control"), frame


def test_planted_effects_recovered_overall(sample_exp):
    exp, frame = sample_exp
    truth = json.loads((SAMPLE / "truth" / "experiment_truth.json").read_text())
    personas = pd.read_csv(SAMPLE / "truth" / "personas.csv").set_index("user_id")["persona"]
    mix = frame["user_id"].map(personas).value_counts(normalize=True)
    for cmp in compare_all(exp, "control"):
        true_t = sum(mix[p] * truth["personas"][p]["variants"][cmp.treatment]["conversion"] for p in mix.index)
        true_c = sum(mix[p] * truth["personas"][p]["variants"]["control"]["conversion"] for p in mix.index)
        assert cmp.abs_ci.low <= true_t - true_c <= cmp.abs_ci.high
        assert cmp.p_adjusted < 0.05  # both offers truly raise conversion


def test_planted_effects_recovered_per_persona(sample_exp):
    _, frame = sample_exp
    truth = json.loads((SAMPLE / "truth" / "experiment_truth.json").read_text())
    personas = pd.read_csv(SAMPLE / "truth" / "personas.csv").set_index("user_id")["persona"]
    frame = frame.assign(persona=frame["user_id"].map(personas))
    exp = load_experiment(frame, segments=("persona",), control="control")
    seg = by_segment(exp, "control", "persona", alpha=0.01)
    misses = 0
    for row in seg.itertuples(index=False):
        t = truth["personas"][row.segment]["variants"]
        misses += not (row.ci_low <= t[row.treatment]["conversion"] - t["control"]["conversion"] <= row.ci_high)
    assert misses == 0
    bargain = seg[(seg["segment"] == "Bargain hunter") & (seg["treatment"] == "10% off")].iloc[0]
    assert bargain["abs_diff"] > 0.05 and bargain["p_value"] < 0.01


def test_cuped_reduces_variance_and_keeps_the_estimate_unbiased():
    rng = np.random.default_rng(4)
    n = 4000
    pre = rng.gamma(2, 20, n)
    variant = np.where(np.arange(n) % 2 == 0, "control", "treat")
    revenue = 0.8 * pre + rng.normal(0, 10, n) + np.where(variant == "treat", 2.0, 0.0)
    revenue = np.clip(revenue, 0, None)
    frame = pd.DataFrame({"variant": variant, "converted": (revenue > 0).astype(int), "revenue": revenue, "pre": pre})
    exp = from_users(frame, "variant", "converted", "revenue", pre_col="pre")
    cu = cuped(exp, "control")
    raw = compare_all(exp, "control")[0]
    adj = cu.comparisons[0]
    assert cu.variance_saved > 0.5
    assert (adj.revenue_ci.high - adj.revenue_ci.low) < 0.6 * (raw.revenue_ci.high - raw.revenue_ci.low)
    assert adj.revenue_ci.low <= 2.0 <= adj.revenue_ci.high


def test_labels_with_odd_spacing_and_case():
    frame = pd.DataFrame({"group": [" Control", "control ", "CONTROL", "Coupon  B", "coupon b", "Coupon B"],
                          "converted": ["yes", "no", "no", "true", "1", "0"]})
    exp = load_experiment(frame, variant="group", converted="converted")
    assert sorted(exp.variants) == ["Control", "Coupon B"]
    assert compare_all(exp, "  control")[0].control == "Control"


@pytest.mark.parametrize("frame, kwargs, match", [
    (pd.DataFrame({"variant": ["a", "a"], "converted": [1, 0]}), {}, "only one variant"),
    (pd.DataFrame({"variant": ["a", "b"], "converted": [1, 0]}), {"control": "z"}, "no variant called 'z'"),
    (pd.DataFrame({"variant": ["a", "b"], "converted": [1, 7]}), {}, "must say whether"),
    (pd.DataFrame({"variant": ["a", "b"], "converted": [1, 0], "cost": [5, -3]}), {}, "negative"),
    (pd.DataFrame({"variant": ["a", "b"], "users": [10, 10], "conversions": [3, 12]}), {}, "more conversions than users"),
    (pd.DataFrame({"x": [1.5, 2.5, 3.5], "y": [3.2, 4.1, 5.0]}), {}, "no recognisable converted column"),
])
def test_bad_input(frame, kwargs, match):
    with pytest.raises(DataError, match=match):
        exp = load_experiment(frame)
        compare_all(exp, kwargs.get("control", "a"))


def test_empty_arm_and_no_conversions_are_flagged_not_raised():
    empty = compare(VariantStats("t", 0, 0), VariantStats("c", 100, 5))
    assert not empty.ok and "no users" in empty.notes[0]
    none = compare(VariantStats("t", 100, 0), VariantStats("c", 100, 0))
    assert not none.ok and none.p_value == 1.0 and math.isnan(none.rel_lift)
    exp = from_aggregated(pd.DataFrame({"variant": ["a", "b", "c"], "users": [100, 0, 100], "conversions": [5, 0, 7]}))
    res = compare_all(exp, "a")
    assert not res[0].ok and res[1].ok and not math.isnan(res[1].p_adjusted)


@pytest.mark.parametrize("p, text", [(0.0086, "p = 0.0086"), (0.00009, "p < 0.0001"), (0.216, "p = 0.22"),
                                     (0.04999, "p = 0.04999"), (0.0421, "p = 0.042"), (1.0, "p = 1"),
                                     (0.9971, "p > 0.99"), (float("nan"), "p not available")])
def test_format_p(p, text):
    from promo_core.abtest import format_p
    assert format_p(p) == text


def test_srm_p_shown_with_two_significant_digits():
    from promo_core.abtest import format_p
    # 5,000 vs 5,260 at 50/50 gives p ≈ 0.0102 -> "0.01"; 5,000 vs 5,270 gives 0.0086, no longer "passed (p = 0.01)"
    exp = from_aggregated(pd.DataFrame({"variant": ["a", "b"], "users": [5000, 5270], "conversions": [1, 1]}))
    srm = sample_ratio(exp)
    assert srm.p_value == pytest.approx(stats.chisquare([5000, 5270]).pvalue)
    assert format_p(srm.p_value) == f"p = {float(f'{srm.p_value:.2g}'):g}" and srm.p_value < 0.01


def test_mde_is_bounded_near_one():
    assert mde_conversion(0.99, 100) == math.inf
    assert 0 < mde_conversion(0.5, 100) < 1 and mde_conversion(0.5, 100) <= 1 / 0.5 - 1


def test_negative_revenue_is_net_revenue():
    frame = pd.DataFrame({"variant": ["a", "a", "b", "b"], "converted": [1, 1, 1, 0], "revenue": [20.0, -5.0, 10.0, 0]})
    exp = from_users(frame, "variant", "converted", "revenue")
    assert exp.variants["a"].revenue_sum == 15.0 and exp.variants["a"].revenue_sum_sq == 425.0


def test_sample_size_reading_uses_the_reference_power():
    from promo_core.abtest import days_needed, sample_size_conversion
    from promo_core.report import sample_size_reading
    n = sample_size_conversion(0.10, 0.10, 0.05, 0.8)
    text = sample_size_reading(n, 2, days_needed(n, 2, 1000), 1000, 5000, float("inf"))
    assert n == 14_745 and "**14,745 users per arm** (29,490 in all)" in text and "**30 days**" in text
    assert "beyond a rate of 100%" in text
