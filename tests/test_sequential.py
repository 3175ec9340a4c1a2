"""Sequential (always-valid) tests against GrowthBook gbstats' golden values and by A/A simulation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from promo_core.schema import DataError
from promo_core.sequential import (
    ArmMoments,
    effect_over_time,
    sequential_halfwidth,
    sequential_rho,
    sequential_test,
    simulate_peeking,
)

C1 = (ArmMoments.proportion(10000, 1100), ArmMoments.proportion(10000, 1000))
C6 = (ArmMoments.from_sums(5000, 52500.0, 2550850.0), ArmMoments.from_sums(5000, 50000.0, 2499600.0))

# ../shared/AB_REFERENCE.md: gbstats 0.8.0 SequentialTwoSidedTTest / TwoSidedTTest
GOLDEN = [
    (C1, "absolute", 5000, (-0.0035552, 0.0235552), 0.4337202, (0.0015035, 0.0184965), 0.0210683),
    (C1, "relative", 5000, (-0.0422064, 0.2422064), 0.5490379, (0.0108647, 0.1891353), 0.0278895),
    (C1, "absolute", 1000, (-0.0044644, 0.0244644), 0.8979786, None, None),
    (C6, "absolute", 5000, (-0.7245909, 1.7245909), 1.0, (-0.2840805, 1.2840805), 0.2113288),
    (C6, "relative", 5000, (-0.0755579, 0.1755579), 1.0, (-0.0303922, 0.1303922), 0.2228162),
]


@pytest.mark.parametrize("arms, diff, tuning, ci, p, fixed_ci, fixed_p", GOLDEN)
def test_gbstats_golden_values(arms, diff, tuning, ci, p, fixed_ci, fixed_p):
    r = sequential_test(*arms, diff, 0.05, tuning)
    assert (r.ci_low, r.ci_high) == pytest.approx(ci, abs=1e-6)
    assert r.p_value == pytest.approx(p, abs=1e-6)
    if fixed_ci is not None:
        assert (r.fixed_ci_low, r.fixed_ci_high) == pytest.approx(fixed_ci, abs=1e-6)
        assert r.fixed_p_value == pytest.approx(fixed_p, abs=1e-6)


def test_hand_computation_of_rho_and_halfwidth():
    rho = np.sqrt((-2 * np.log(0.05) + np.log(-2 * np.log(0.05) + 1)) / 5000)
    assert sequential_rho(0.05, 5000) == pytest.approx(rho, rel=1e-12)
    n, s2 = 20000, 0.3758
    by_hand = np.sqrt(s2) * np.sqrt(2 * (n * rho ** 2 + 1) * np.log(np.sqrt(n * rho ** 2 + 1) / 0.05) / (n * rho) ** 2)
    assert sequential_halfwidth(s2, n, 5000, 0.05) == pytest.approx(by_hand, rel=1e-12)


def test_fixed_twin_equals_scipy_welch():
    t, c = C6
    ref = stats.ttest_ind_from_stats(t.mean, np.sqrt(t.variance), t.n, c.mean, np.sqrt(c.variance), c.n,
                                     equal_var=False)
    assert sequential_test(t, c).fixed_p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_sequential_interval_is_wider_than_fixed_and_covers_it():
    r = sequential_test(*C1)
    assert r.ci_low < r.fixed_ci_low and r.ci_high > r.fixed_ci_high and r.p_value > r.fixed_p_value


def test_ten_looks_aa_error_rates():
    """Ten looks at an A/A test: the fixed-horizon z-test says 'significant' about 20% of the time
    (AB_REFERENCE.md: 0.202); the sequential test stays at or below alpha."""
    rates = simulate_peeking(n_per_arm=5000, looks=10, rate=0.1, n_sims=2000, seed=11)
    assert 0.16 <= rates["fixed"] <= 0.24
    assert rates["sequential"] <= 0.05
    one_look = simulate_peeking(n_per_arm=5000, looks=1, rate=0.1, n_sims=4000, seed=12)
    assert abs(one_look["fixed"] - 0.05) < 0.012  # a single look holds its level


def test_sequential_detects_a_real_effect():
    rng = np.random.default_rng(5)
    t = ArmMoments.proportion(20000, int(rng.binomial(20000, 0.12)))
    c = ArmMoments.proportion(20000, int(rng.binomial(20000, 0.10)))
    r = sequential_test(t, c)
    assert r.p_value < 0.01 and r.ci_low <= 0.02 <= r.ci_high


def test_effect_over_time_by_day():
    rng = np.random.default_rng(3)
    n = 6000
    users = pd.DataFrame({"variant": np.where(np.arange(n) % 2, "B", "A"),
                          "converted": rng.binomial(1, 0.1, n),
                          "time": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 5 * 86400, n), "s")})
    ot = effect_over_time(users, "A", "B", difference="absolute")
    assert len(ot) == 5 and ot["users"].is_monotonic_increasing and ot["users"].iloc[-1] == n
    last = sequential_test(ArmMoments.proportion(3000, int(users.loc[users.variant == "B", "converted"].sum())),
                           ArmMoments.proportion(3000, int(users.loc[users.variant == "A", "converted"].sum())))
    assert ot["low"].iloc[-1] == pytest.approx(last.ci_low) and ot["high"].iloc[-1] == pytest.approx(last.ci_high)
    assert effect_over_time(users.drop(columns="time"), "A", "B").empty


@pytest.mark.parametrize("kwargs, match", [({"alpha": 0}, "significance"), ({"tuning": 0}, "tuning"),
                                           ({"tuning": float("nan")}, "tuning"), ({"difference": "x"}, "Unknown")])
def test_bad_parameters(kwargs, match):
    with pytest.raises(DataError, match=match):
        sequential_test(*C1, **kwargs)


def test_uninformative_input_flagged():
    assert not sequential_test(ArmMoments.proportion(1, 0), ArmMoments.proportion(100, 3)).ok
    assert not sequential_test(ArmMoments.proportion(100, 3), ArmMoments.proportion(100, 0), "relative").ok
    assert not sequential_test(ArmMoments.proportion(100, 0), ArmMoments.proportion(100, 0)).ok
