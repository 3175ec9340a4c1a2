"""Sequential (always-valid) tests: intervals and p-values that stay valid however often you look.

The method is the asymptotic confidence sequence of Waudby-Smith et al. (2023, arXiv:2103.06476,
eqs. 9, 155 and 161), exactly as GrowthBook's ``gbstats`` ``SequentialTwoSidedTTest`` applies it to a
difference of two means (golden values in ``../shared/AB_REFERENCE.md``):

* ``rho = sqrt((−2 ln α + ln(−2 ln α + 1)) / N*)`` where ``N*`` is the tuning parameter (the
  combined sample size at which the interval is tightest; default 5,000);
* for an estimate with variance ``V`` from ``n = n_t + n_c`` users, ``s² = V × n`` and the
  half-width is ``sqrt(s²) × sqrt(2 (n ρ² + 1) ln(sqrt(n ρ² + 1) / α) / (n ρ)²)``;
* the always-valid p-value is ``min(1, 1 / e)`` with the e-value
  ``e = exp(ρ² S / (2 (n ρ² + 1))) / sqrt(n ρ² + 1)``, ``S = estimate² × n / V``.

The absolute difference uses ``V = var_t / n_t + var_c / n_c``; the relative lift
(treatment ÷ control − 1) uses the delta method
``V = var_t / (m_c² n_t) + var_c m_t² / (m_c⁴ n_c)``. For a conversion rate the per-user variance
is ``p (1 − p)``; for a mean it is the sample variance (n − 1).

The fixed-horizon twin (``gbstats`` ``TwoSidedTTest``: the same estimate and variance with a Welch t
interval) is returned beside it so the two can be read together.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from .i18n import _
from .schema import DataError

Difference = Literal["absolute", "relative"]
DEFAULT_TUNING = 5000.0


@dataclass(frozen=True)
class ArmMoments:
    """n, mean and per-user variance of one arm."""

    n: int
    mean: float
    variance: float

    @classmethod
    def proportion(cls, n: int, conversions: int) -> ArmMoments:
        p = conversions / n if n else float("nan")
        return cls(int(n), p, p * (1 - p))

    @classmethod
    def from_sums(cls, n: int, total: float, sum_squares: float) -> ArmMoments:
        var = (sum_squares - total ** 2 / n) / (n - 1) if n > 1 else float("nan")
        return cls(int(n), total / n if n else float("nan"), max(var, 0.0))


@dataclass(frozen=True)
class SequentialResult:
    """One comparison (treatment − control, or ÷ control − 1) with both views."""

    difference: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    fixed_ci_low: float
    fixed_ci_high: float
    fixed_p_value: float
    n: int
    tuning: float
    alpha: float
    ok: bool = True
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def sequential_rho(alpha: float, tuning: float) -> float:
    """The mixing parameter ρ for a tuning parameter N* (eq. 161)."""
    _check(alpha, tuning)
    la = math.log(alpha)
    return math.sqrt((-2 * la + math.log(-2 * la + 1)) / tuning)


def sequential_halfwidth(s2: float, n: int, tuning: float, alpha: float) -> float:
    """Half-width of the two-sided confidence sequence (eq. 9); ``s2`` is the per-observation variance."""
    rho = sequential_rho(alpha, tuning)
    nr2 = n * rho ** 2
    return math.sqrt(s2) * math.sqrt(2 * (nr2 + 1) * math.log(math.sqrt(nr2 + 1) / alpha) / (n * rho) ** 2)


def _check(alpha: float, tuning: float) -> None:
    if not 0 < alpha < 1:
        raise DataError(_("The significance level must be between 0 and 1; got {value}").format(value=repr(alpha)),
                        hint=_("Try 0.05"))
    if not tuning > 0 or not math.isfinite(tuning):
        raise DataError(_("The sequential tuning parameter must be a positive number of users; got {value}").format(
            value=repr(tuning)), hint=_("Use about the number of users you expect in the whole test, e.g. 5000"))


def _moments(t: ArmMoments, c: ArmMoments, difference: Difference) -> tuple[float, float]:
    if difference == "absolute":
        return t.mean - c.mean, t.variance / t.n + c.variance / c.n
    est = (t.mean - c.mean) / c.mean
    var = t.variance / (c.mean ** 2 * t.n) + c.variance * t.mean ** 2 / (c.mean ** 4 * c.n)
    return est, var


def sequential_test(t: ArmMoments, c: ArmMoments, difference: Difference = "absolute", alpha: float = 0.05,
                    tuning: float = DEFAULT_TUNING) -> SequentialResult:
    """Always-valid interval and p-value of treatment ``t`` against control ``c``, with the
    fixed-horizon Welch interval beside them. Uninformative input (fewer than 2 users in an arm,
    a zero control mean for the relative lift, no variance) returns ``ok=False`` and a note."""
    _check(alpha, tuning)
    if difference not in ("absolute", "relative"):
        raise DataError(_("Unknown difference {value}").format(value=repr(difference)),
                        hint=_("Use 'absolute' or 'relative'"))
    n = t.n + c.n
    nan = float("nan")
    if t.n < 2 or c.n < 2 or (difference == "relative" and c.mean == 0):
        note = (_("The relative lift needs a control value other than 0") if t.n >= 2 and c.n >= 2
                else _("Each arm needs at least 2 users"))
        return SequentialResult(difference, nan, nan, nan, 1.0, nan, nan, 1.0, n, tuning, alpha, False, note)
    est, var = _moments(t, c, difference)
    if not var > 0:
        return SequentialResult(difference, est, est, est, 1.0, est, est, 1.0, n, tuning, alpha, False,
                                _("Every user has the same value, so the difference has no spread"))
    half = sequential_halfwidth(var * n, n, tuning, alpha)
    rho2 = sequential_rho(alpha, tuning) ** 2
    s = est ** 2 * n / var
    tr2p1 = n * rho2 + 1
    log_e = rho2 * s / (2 * tr2p1) - 0.5 * math.log(tr2p1)
    p = 1.0 if log_e <= 0 else math.exp(-log_e)
    dof = (t.variance / t.n + c.variance / c.n) ** 2 / (
        t.variance ** 2 / (t.n ** 2 * (t.n - 1)) + c.variance ** 2 / (c.n ** 2 * (c.n - 1)))
    fixed_half = float(stats.t.ppf(1 - alpha / 2, dof)) * math.sqrt(var)
    fixed_p = float(2 * stats.t.sf(abs(est) / math.sqrt(var), dof))
    return SequentialResult(difference, est, est - half, est + half, min(p, 1.0), est - fixed_half,
                            est + fixed_half, fixed_p, n, tuning, alpha)


def effect_over_time(users: pd.DataFrame, control: str, treatment: str, value: str = "converted",
                     time: str = "time", difference: Difference = "relative", alpha: float = 0.05,
                     tuning: float = DEFAULT_TUNING, binary: bool = True) -> pd.DataFrame:
    """Cumulative effect by day: each row is everything seen up to the end of that day.

    ``users`` has columns variant, ``value`` and ``time`` (datetime). Columns out: day (date),
    users (both arms so far), estimate, low, high (sequential), fixed_low, fixed_high, p_value.
    """
    cols = ["day", "users", "estimate", "low", "high", "fixed_low", "fixed_high", "p_value"]
    if time not in users or users[time].isna().all():
        return pd.DataFrame(columns=cols)
    u = users.loc[users["variant"].isin([control, treatment]) & users[time].notna(), ["variant", value, time]]
    u = u.assign(day=u[time].dt.floor("D"))
    rows = []
    for day in sorted(u["day"].unique()):
        seen = u[u["day"] <= day]
        arms = []
        for name in (treatment, control):
            y = seen.loc[seen["variant"] == name, value].to_numpy(dtype=float)
            if binary:
                arms.append(ArmMoments.proportion(len(y), int(y.sum())) if len(y) else ArmMoments(0, 0.0, 0.0))
            else:
                arms.append(ArmMoments(len(y), float(y.mean()) if len(y) else 0.0,
                                       float(y.var(ddof=1)) if len(y) > 1 else 0.0))
        r = sequential_test(arms[0], arms[1], difference, alpha, tuning)
        rows.append({"day": pd.Timestamp(day), "users": len(seen), "estimate": r.estimate, "low": r.ci_low,
                     "high": r.ci_high, "fixed_low": r.fixed_ci_low, "fixed_high": r.fixed_ci_high,
                     "p_value": r.p_value})
    return pd.DataFrame(rows, columns=cols)


def simulate_peeking(n_per_arm: int = 5000, looks: int = 10, rate: float = 0.1, n_sims: int = 2000,
                     alpha: float = 0.05, tuning: float = DEFAULT_TUNING, seed: int = 0) -> dict[str, float]:
    """A/A tests watched ``looks`` times at equal steps: the share of tests declared significant at
    any look, by the fixed-horizon pooled z-test and by the sequential p-value (absolute difference).
    Returns ``{"fixed": rate, "sequential": rate}``."""
    rng = np.random.default_rng(seed)
    steps = np.diff(np.linspace(0, n_per_arm, looks + 1).round().astype(int))
    conv = rng.binomial(np.broadcast_to(steps, (n_sims, 2, looks)), rate).cumsum(axis=2)
    ns = steps.cumsum()
    p1, p0 = conv[:, 0, :] / ns, conv[:, 1, :] / ns
    pooled = (conv[:, 0, :] + conv[:, 1, :]) / (2 * ns)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p0) / np.sqrt(pooled * (1 - pooled) * 2 / ns)
        fixed_p = 2 * stats.norm.sf(np.abs(np.nan_to_num(z)))
        var = (p1 * (1 - p1) + p0 * (1 - p0)) / ns
        n = 2 * ns
        rho2 = sequential_rho(alpha, tuning) ** 2
        s = (p1 - p0) ** 2 * n / var
        log_e = rho2 * np.nan_to_num(s) / (2 * (n * rho2 + 1)) - 0.5 * np.log(n * rho2 + 1)
    seq_p = np.minimum(1.0, np.exp(-log_e))
    return {"fixed": float((fixed_p < alpha).any(axis=1).mean()),
            "sequential": float((seq_p < alpha).any(axis=1).mean())}
