"""A/B test statistics on one sufficient-statistics record per variant.

User-level files (one row per user) and aggregated files (one row per variant) both reduce to
:class:`VariantStats`, so every figure comes from one computation. Methods:

* conversion: two-sided pooled two-proportion z-test (statsmodels ``proportions_ztest``); interval
  of the absolute difference by Newcombe's hybrid score method and of the relative lift by the
  log ratio method (statsmodels ``confint_proportions_2indep``);
* revenue per user and revenue per buyer: Welch's t-test (scipy ``ttest_ind_from_stats``) and its
  interval; a percentile bootstrap interval (scipy ``bootstrap``) where user rows exist; optional
  capping at a percentile of the pooled values;
* several treatments: Holm (default) or Benjamini-Hochberg adjusted p-values (statsmodels
  ``multipletests``);
* sample ratio mismatch: chi-square goodness of fit against the planned split (scipy ``chisquare``);
* Bayesian view: Beta(1 + conversions, 1 + non-conversions) per variant; chance to beat control by
  numerical integration; expected loss by seeded Monte Carlo;
* planning: statsmodels ``NormalIndPower`` (Cohen's h) and ``TTestIndPower``;
* CUPED: revenue adjusted by a pre-period covariate, θ = cov(Y, X) / var(X) pooled over all users.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.integrate import trapezoid
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_effectsize,
    proportions_ztest,
)

from .experiment_io import ZH_OUTCOME_NAMES, ZH_REVENUE_NAMES, is_boolean
from .i18n import N_, _
from .schema import DataError, match_columns, normalise, rows_phrase

Adjust = Literal["holm", "fdr_bh", "none"]
Alternative = Literal["two-sided", "greater", "less"]
#: option value → label (translate with ``_`` where shown; the values stay stable)
ALTERNATIVES = {"two-sided": N_("Either direction"), "greater": N_("Treatment better"),
                "less": N_("Treatment worse")}
ADJUSTMENTS = {"holm": N_("Holm"), "fdr_bh": N_("Benjamini-Hochberg"), "none": N_("None")}
#: what each adjustment controls (the help text beside the short label)
ADJUSTMENT_HELP = {"holm": N_("Holm controls the chance of any false positive among the treatments"),
                   "fdr_bh": N_("Benjamini-Hochberg controls the share of false discoveries among the significant "
                                "treatments (less strict than Holm)"),
                   "none": N_("No adjustment: each treatment is tested as if it were the only one")}
SRM_ALPHA = 0.001
#: the bootstrap check runs up to this many users per arm (2,000 resamples up to 20,000, then 500)
BOOTSTRAP_MAX_USERS = 100_000


@dataclass(frozen=True)
class VariantStats:
    """Sufficient statistics of one variant. Revenue fields are None without a revenue column.

    ``buyer_revenue_sum_sq`` equals ``revenue_sum_sq`` because non-buyers have revenue 0.
    """

    name: str
    n: int
    conversions: int
    revenue_sum: float | None = None
    revenue_sum_sq: float | None = None
    cost_sum: float = 0.0
    discount_sum: float = 0.0

    @property
    def rate(self) -> float:
        return self.conversions / self.n if self.n else float("nan")

    @property
    def revenue_mean(self) -> float | None:
        return None if self.revenue_sum is None or not self.n else self.revenue_sum / self.n

    @property
    def revenue_var(self) -> float | None:
        if self.revenue_sum is None or self.n < 2:
            return None
        return max((self.revenue_sum_sq - self.revenue_sum ** 2 / self.n) / (self.n - 1), 0.0)

    @property
    def buyer_mean(self) -> float | None:
        return None if self.revenue_sum is None or not self.conversions else self.revenue_sum / self.conversions

    @property
    def buyer_var(self) -> float | None:
        c = self.conversions
        if self.revenue_sum is None or c < 2:
            return None
        return max((self.revenue_sum_sq - self.revenue_sum ** 2 / c) / (c - 1), 0.0)


@dataclass(frozen=True)
class Experiment:
    """An experiment reduced to statistics, plus the user rows when the file had them."""

    variants: dict[str, VariantStats]
    users: pd.DataFrame | None = None   # columns: variant, converted, revenue?, cost, discount, pre?, segment?
    has_revenue: bool = False
    has_pre: bool = False
    segment_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    metric: str = "conversion"           # the name of the outcome (a retention test keeps 'retention_7')

    def summary(self) -> pd.DataFrame:
        rows = [{"variant": v.name, "users": v.n, "conversions": v.conversions, "conversion_rate": v.rate,
                 "revenue_per_user": v.revenue_mean, "revenue_per_buyer": v.buyer_mean,
                 "cost": v.cost_sum, "discount": v.discount_sum} for v in self.variants.values()]
        return pd.DataFrame(rows)


def format_p(p: float | None) -> str:
    """A p-value as people read it: 'p < 0.0001' below that, else two significant digits
    ('p = 0.0086', 'p = 0.22'); 'p = 1' at one, 'p > 0.99' just below; 'p not available' when
    missing. A value just under 0.05 or 0.01 that would round up to it keeps four digits
    ('p = 0.04996'), so the text never contradicts the verdict."""
    if p is None or math.isnan(p):
        return _("p not available")
    if p < 0.0001:
        return "p < 0.0001"
    if p >= 1:
        return "p = 1"
    if p > 0.99:
        return "p > 0.99"
    text = f"{p:.2g}"
    if float(text) in (0.05, 0.01, 0.1) and p < float(text):
        text = f"{p:.4g}"
    return f"p = {float(text):g}" if "e" not in text else f"p = {p:.5f}".rstrip("0")


def metric_label(metric: str) -> str:
    """The outcome's own name (a column name, never translated); 'conversion' (translated) only for a
    conversion column."""
    return _("conversion") if metric.strip().casefold() in ("converted", "conversion", "conversions", "convert") \
        else metric


def p_text(p: float | None) -> str:
    """A p-value for a table cell: ``0.021``, ``< 0.0001``, ``> 0.99``; ``–`` when missing (never ``0``)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    return format_p(p).removeprefix("p ").removeprefix("= ")


# ---------------------------------------------------------------- input

def _labels(values: pd.Series) -> tuple[pd.Series, dict[str, str]]:
    """Variant labels made robust to spacing and case: key -> first label seen (trimmed)."""
    text = values.astype("str").str.strip().str.replace(r"\s+", " ", regex=True)
    keys = text.map(normalise)
    display: dict[str, str] = {}
    for k, t in zip(keys, text, strict=True):
        display.setdefault(k, t)
    return keys, display


def _binary(s: pd.Series, col: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype(int)
    text = s.astype("str").str.strip().str.lower()
    mapping = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0, "yes": 1, "no": 0, "y": 1, "n": 0,
               "t": 1, "f": 0, "是": 1, "否": 0}
    out = text.map(mapping)
    bad = (out.isna() & s.notna()).to_numpy()
    if bad.any():
        vals = ", ".join(repr(v) for v in s[bad].head(3))
        raise DataError(_("Column {col} must say whether each user converted (1/0, true/false, yes/no)").format(
                            col=repr(col)),
                        where=_("{rows} hold {values}").format(
                            rows=rows_phrase(np.flatnonzero(bad) + 2, int(bad.sum())), values=vals),
                        hint=_("Use 1 for converted and 0 for not converted"), column=col)
    return out


def _money(s: pd.Series, col: str, allow_negative: bool = False) -> pd.Series:
    out = pd.to_numeric(s, errors="coerce")
    bad = (s.notna() & out.isna()).to_numpy()
    if bad.any():
        raise DataError(_("Column {col} has text where an amount is expected").format(col=repr(col)),
                        where=_("{rows} hold {values}").format(
                            rows=rows_phrase(np.flatnonzero(bad) + 2, int(bad.sum())),
                            values=", ".join(repr(v) for v in s[bad].head(3))),
                        hint=_("Keep only numbers in that column"), column=col)
    if not allow_negative and (out < 0).any():
        neg = (out < 0).to_numpy()
        raise DataError(_("Column {col} has negative amounts").format(col=repr(col)),
                        where=f"{rows_phrase(np.flatnonzero(neg) + 2, int(neg.sum()))}",
                        hint=_("Costs and discounts must be 0 or more (refunds belong in the revenue column)"),
                        column=col)
    return out.astype(float)


def _fill_missing(values: pd.Series, col: str, notes: list[str]) -> pd.Series:
    k = int(values.isna().sum())
    if k:
        notes.append(_("{n} users have no value in {col}; counted as 0").format(n=f"{k:,}", col=repr(col)))
    return values.fillna(0.0)


def from_users(frame: pd.DataFrame, variant_col: str, converted_col: str, revenue_col: str | None = None,
               cost_col: str | None = None, discount_col: str | None = None, pre_col: str | None = None,
               segment_cols: tuple[str, ...] = (), cost_per_user: float | None = None,
               cap_percentile: float | None = None, control: str | None = None, time_col: str | None = None,
               extra_cols: tuple[str, ...] = ()) -> Experiment:
    """Reduce a user-level file (one row per user) to an :class:`Experiment`.

    ``cost_per_user`` (contact cost per treated user) is used when there is no cost column; users
    of the ``control`` variant get none. ``cap_percentile`` (e.g. 99) caps revenue at that
    percentile of all users before any statistic. Revenue may be negative (refunds: net revenue).
    Rows with no arm or no outcome are left out and counted in ``notes``; missing amounts count as 0,
    also noted. ``time_col`` (exposure time) and ``extra_cols`` (further metrics, kept as
    ``metric:<name>``) are carried in the user rows.
    """
    revenue_col, cost_col, discount_col, pre_col, time_col = (
        c or None for c in (revenue_col, cost_col, discount_col, pre_col, time_col))
    for c in (variant_col, converted_col, revenue_col, cost_col, discount_col, pre_col, time_col, *segment_cols,
              *extra_cols):
        if c and c not in frame.columns:
            raise DataError(_("The experiment file has no column {col}").format(col=repr(c)),
                            where=_("its columns are {columns}").format(
                                columns=", ".join(map(repr, frame.columns[:20]))),
                            hint=_("Pick the column from the list"), column=c)
    if frame.empty:
        raise DataError(_("The experiment file has no rows"), hint=_("Upload one row per user"))
    notes = []
    no_arm = frame[variant_col].isna() | (frame[variant_col].astype("str").str.strip() == "")
    if no_arm.any():
        notes.append(_("{n} rows have no arm in {col} and are left out").format(n=f"{int(no_arm.sum()):,}",
                                                                                 col=repr(variant_col)))
    conv = _binary(frame[converted_col], converted_col)
    if conv.isna().any():
        notes.append(_("{n} rows have no value in {col} and are left out").format(
            n=f"{int((conv.isna() & ~no_arm).sum()):,}", col=repr(converted_col)))
    keep = (~no_arm & conv.notna()).to_numpy()
    if not keep.any():
        raise DataError(_("No row of the experiment file has both an arm and an outcome"),
                        where=_("columns {a} and {b}").format(a=repr(variant_col), b=repr(converted_col)),
                        hint=_("Check the columns chosen"))
    frame, conv = frame[keep], conv[keep].astype(int)
    keys, display = _labels(frame[variant_col])
    users = pd.DataFrame({"variant": keys.map(display), "converted": conv})
    if revenue_col:
        rev = _fill_missing(_money(frame[revenue_col], revenue_col, allow_negative=True), revenue_col, notes)
        if cap_percentile is not None:
            if not 50 <= cap_percentile < 100:
                raise DataError(_("The capping percentile must be from 50 to 99.99; got {value}").format(
                    value=repr(cap_percentile)), hint=_("Try 99"))
            cap = float(np.percentile(rev, cap_percentile))
            n_capped = int((rev > cap).sum())
            rev = rev.clip(upper=cap)
            notes.append(_("Revenue capped at {cap} (the {pct}th percentile); {n} users affected").format(
                cap=f"{cap:,.2f}", pct=f"{cap_percentile:g}", n=f"{n_capped:,}"))
        users["revenue"] = rev
        if ((users["revenue"] > 0) & (users["converted"] == 0)).any():
            notes.append(_("Some users have revenue but are not marked as converted"))
    if cost_col:
        users["cost"] = _fill_missing(_money(frame[cost_col], cost_col), cost_col, notes)
    else:
        treated = keys != normalise(control) if control is not None else True
        users["cost"] = np.where(treated, float(cost_per_user or 0.0), 0.0)
    users["discount"] = (_fill_missing(_money(frame[discount_col], discount_col), discount_col, notes)
                         if discount_col else 0.0)
    if pre_col:
        users["pre"] = _fill_missing(_money(frame[pre_col], pre_col, allow_negative=True), pre_col, notes)
    if time_col:
        users["time"] = pd.to_datetime(frame[time_col], errors="coerce", format="mixed")
    for c in extra_cols:
        users[f"metric:{c}"] = pd.to_numeric(frame[c], errors="coerce") if not is_boolean(frame[c]) \
            else _binary(frame[c], c)
    for c in segment_cols:
        users[f"segment:{c}"] = frame[c].astype("str").str.strip()
    return Experiment(_stats_from_users(users, bool(revenue_col)), users, bool(revenue_col), bool(pre_col),
                      tuple(segment_cols), tuple(notes), metric=str(converted_col))


def _stats_from_users(users: pd.DataFrame, has_revenue: bool) -> dict[str, VariantStats]:
    out = {}
    for name, g in users.groupby("variant", sort=False):
        out[str(name)] = VariantStats(
            name=str(name), n=len(g), conversions=int(g["converted"].sum()),
            revenue_sum=float(g["revenue"].sum()) if has_revenue else None,
            revenue_sum_sq=float((g["revenue"] ** 2).sum()) if has_revenue else None,
            cost_sum=float(g["cost"].sum()), discount_sum=float(g["discount"].sum()))
    return out


def from_aggregated(frame: pd.DataFrame, variant_col: str = "variant", users_col: str = "users",
                    conversions_col: str = "conversions", revenue_sum_col: str | None = "revenue_sum",
                    revenue_sum_sq_col: str | None = "revenue_sum_sq", cost_per_user: float | None = None,
                    control: str | None = None) -> Experiment:
    """An aggregated file (one row per variant: users, conversions, optional revenue_sum and
    revenue_sum_sq) as an :class:`Experiment`."""
    for c in (variant_col, users_col, conversions_col):
        if c not in frame.columns:
            raise DataError(_("The aggregated file has no column {col}").format(col=repr(c)),
                            where=_("its columns are {columns}").format(
                                columns=", ".join(map(repr, frame.columns[:20]))),
                            hint=_("It needs variant, users and conversions columns"), column=c)
    has_rev = bool(revenue_sum_col and revenue_sum_sq_col and revenue_sum_col in frame and revenue_sum_sq_col in frame)
    keys, display = _labels(frame[variant_col])
    if keys.duplicated().any():
        raise DataError(_("A variant appears on more than one row of the aggregated file"),
                        where=", ".join(sorted({display[k] for k in keys[keys.duplicated()]})),
                        hint=_("Give one row per variant"))
    n = pd.to_numeric(frame[users_col], errors="coerce")
    x = pd.to_numeric(frame[conversions_col], errors="coerce")
    if n.isna().any() or x.isna().any() or (n < 0).any() or (x < 0).any():
        raise DataError(_("Users and conversions must be whole numbers of 0 or more"),
                        where=_("columns {a} and {b}").format(a=repr(users_col), b=repr(conversions_col)),
                        hint=_("Fix the counts"))
    over = x > n
    if over.any():
        raise DataError(_("A variant has more conversions than users"),
                        where=", ".join(_("{variant} ({conversions} of {users})").format(
                            variant=display[k], conversions=f"{int(c):,}", users=f"{int(u):,}")
                                        for k, c, u in zip(keys[over], x[over], n[over], strict=True)),
                        hint=_("Conversions count users who converted, at most one per user"))
    variants = {}
    for i, k in enumerate(keys):
        rs = float(frame[revenue_sum_col].iloc[i]) if has_rev else None
        rss = float(frame[revenue_sum_sq_col].iloc[i]) if has_rev else None
        if has_rev and rss < 0:
            raise DataError(_("Variant {variant} has a negative sum of squared revenue").format(
                variant=repr(display[k])), hint=_("The sum of squares is never negative; check the column"))
        treated = control is None or k != normalise(control)
        variants[display[k]] = VariantStats(display[k], int(n.iloc[i]), int(x.iloc[i]), rs, rss,
                                            cost_sum=float(cost_per_user or 0.0) * int(n.iloc[i]) * treated)
    return Experiment(variants, None, has_rev)


def with_control(exp: Experiment, control: str) -> tuple[str, Experiment]:
    """Resolve the control name (spacing and case ignored); the control bears no contact cost
    when the cost came from a per-user default."""
    found = {normalise(v): v for v in exp.variants}
    key = normalise(control)
    if len(exp.variants) < 2:
        raise DataError(_("The experiment has only one variant ({variants})").format(
            variants=", ".join(exp.variants)), hint=_("A test needs a control and at least one treatment"))
    if key not in found:
        raise DataError(_("There is no variant called {name}").format(name=repr(control)),
                        where=_("the variants are {variants}").format(variants=", ".join(map(repr, exp.variants))),
                        hint=_("Pick one of them"))
    return found[key], exp


# ---------------------------------------------------------------- comparisons

@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Comparison:
    """One treatment against the control. Differences are treatment − control."""

    treatment: str
    control: str
    rate_control: float
    rate_treatment: float
    abs_diff: float
    abs_ci: Interval
    rel_lift: float
    rel_ci: Interval
    p_value: float
    p_adjusted: float
    revenue_diff: float | None = None
    revenue_ci: Interval | None = None
    revenue_p: float | None = None
    revenue_bootstrap_ci: Interval | None = None
    buyer_diff: float | None = None
    buyer_ci: Interval | None = None
    buyer_p: float | None = None
    chance_to_beat: float | None = None
    expected_loss: float | None = None
    ok: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)
    metric: str = "conversion"
    alternative: str = "two-sided"
    confidence: float = 0.95            # of abs_ci / rel_ci
    abs_ci_adjusted: Interval | None = None   # at the level matching p_adjusted (see compare_all)
    rel_ci_adjusted: Interval | None = None
    confidence_adjusted: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def welch(m1: float, v1: float, n1: int, m0: float, v0: float, n0: int, alpha: float = 0.05,
          alternative: Alternative = "two-sided", null: float = 0.0) -> tuple[float, Interval, float]:
    """Welch's t-test of mean1 − mean0 − ``null`` from summary statistics: (difference, interval, p).
    One-sided alternatives give a one-sided interval (the other end infinite)."""
    diff = m1 - m0
    se2 = v1 / n1 + v0 / n0
    if se2 <= 0:
        return diff, Interval(diff, diff), 1.0 if diff == null else 0.0
    res = stats.ttest_ind_from_stats(m1 - null, math.sqrt(v1), n1, m0, math.sqrt(v0), n0, equal_var=False,
                                     alternative=alternative)
    df = se2 ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    if alternative == "two-sided":
        half = stats.t.ppf(1 - alpha / 2, df) * math.sqrt(se2)
        return diff, Interval(diff - half, diff + half), float(res.pvalue)
    half = float(stats.t.ppf(1 - alpha, df)) * math.sqrt(se2)
    ci = Interval(diff - half, math.inf) if alternative == "greater" else Interval(-math.inf, diff + half)
    return diff, ci, float(res.pvalue)


def chance_to_beat(x1: int, n1: int, x0: int, n0: int) -> float:
    """P(rate1 > rate0) with Beta(1 + x, 1 + n − x) posteriors, by integrating on a fine grid."""
    a1, b1, a0, b0 = 1 + x1, 1 + n1 - x1, 1 + x0, 1 + n0 - x0
    sd = max(math.sqrt(a1 * b1 / ((a1 + b1) ** 2 * (a1 + b1 + 1))), math.sqrt(a0 * b0 / ((a0 + b0) ** 2 * (a0 + b0 + 1))))
    lo = max(0.0, min(a1 / (a1 + b1), a0 / (a0 + b0)) - 12 * sd)
    hi = min(1.0, max(a1 / (a1 + b1), a0 / (a0 + b0)) + 12 * sd)
    grid = np.linspace(lo, hi, 20001)
    return float(np.clip(trapezoid(stats.beta.pdf(grid, a1, b1) * stats.beta.cdf(grid, a0, b0), grid), 0, 1))


def expected_loss(x1: int, n1: int, x0: int, n0: int, draws: int = 200_000, seed: int = 0) -> float:
    """E[max(rate0 − rate1, 0)]: the conversion rate given up, on average, by choosing variant 1."""
    rng = np.random.default_rng(seed)
    r1 = rng.beta(1 + x1, 1 + n1 - x1, draws)
    r0 = rng.beta(1 + x0, 1 + n0 - x0, draws)
    return float(np.maximum(r0 - r1, 0).mean())


def _rate_intervals(t: VariantStats, c: VariantStats, alpha: float, alternative: str) -> tuple[Interval, Interval]:
    """Newcombe interval of the difference and log-ratio interval of the lift; one-sided
    alternatives give the bound at level 1 − alpha and an infinite other end."""
    a = alpha if alternative == "two-sided" else 2 * alpha
    lo, hi = confint_proportions_2indep(t.conversions, t.n, c.conversions, c.n, method="newcomb", compare="diff",
                                        alpha=a)
    if c.conversions > 0 and t.conversions > 0:
        rlo, rhi = confint_proportions_2indep(t.conversions, t.n, c.conversions, c.n, method="log",
                                              compare="ratio", alpha=a)
        rlo, rhi = float(rlo) - 1, float(rhi) - 1
    else:
        rlo = rhi = float("nan")
    lo, hi = float(lo), float(hi)
    if alternative == "greater":
        hi, rhi = math.inf, math.inf if not math.isnan(rhi) else rhi
    elif alternative == "less":
        lo, rlo = -math.inf, -math.inf if not math.isnan(rlo) else rlo
    return Interval(lo, hi), Interval(rlo, rhi)


def compare(t: VariantStats, c: VariantStats, alpha: float = 0.05, users: pd.DataFrame | None = None,
            seed: int = 0, alternative: Alternative = "two-sided", metric: str = "conversion") -> Comparison:
    """Treatment ``t`` against control ``c`` (see the module docstring for the methods).

    ``alternative`` "greater" tests whether the treatment raises the rate (one-sided z-test, interval
    [low, +inf)), "less" whether it lowers it.

    Valid but uninformative input (an empty arm, no conversions anywhere) returns a result with
    ``ok=False`` and a note instead of raising.
    """
    notes = []
    if alternative not in ALTERNATIVES:
        raise DataError(_("Unknown alternative {value}").format(value=repr(alternative)),
                        hint=_("Use one of: {options}").format(options=", ".join(ALTERNATIVES)))
    if t.n == 0 or c.n == 0:
        empty = t.name if t.n == 0 else c.name
        nan = float("nan")
        return Comparison(t.name, c.name, c.rate, t.rate, nan, Interval(nan, nan), nan, Interval(nan, nan), nan, nan,
                          ok=False, notes=(_("Variant {variant} has no users, so nothing can be compared").format(
                              variant=repr(empty)),),
                          metric=metric, alternative=alternative, confidence=1 - alpha)
    abs_diff = t.rate - c.rate
    if t.conversions + c.conversions == 0 or t.conversions + c.conversions == t.n + c.n:
        p = 1.0
        notes.append(_("Every user behaved the same (no one, or everyone, converted): conversion cannot differ"))
        ok = False
    else:
        side = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}[alternative]
        p = float(proportions_ztest([t.conversions, c.conversions], [t.n, c.n], alternative=side)[1])
        ok = True
    abs_ci, rel_ci = _rate_intervals(t, c, alpha, alternative)
    if c.conversions > 0 and t.conversions > 0:
        rel = t.rate / c.rate - 1
    else:
        rel = float("nan")
        notes.append(_("The relative lift needs {metric} in both variants").format(metric=metric_label(metric)))
    out = Comparison(t.name, c.name, c.rate, t.rate, abs_diff, abs_ci, rel, rel_ci, p, p,
                     chance_to_beat=chance_to_beat(t.conversions, t.n, c.conversions, c.n),
                     expected_loss=expected_loss(t.conversions, t.n, c.conversions, c.n, seed=seed), ok=ok,
                     notes=tuple(notes), metric=metric, alternative=alternative, confidence=1 - alpha,
                     abs_ci_adjusted=abs_ci, rel_ci_adjusted=rel_ci, confidence_adjusted=1 - alpha)
    if t.revenue_sum is not None and c.revenue_sum is not None and t.n > 1 and c.n > 1:
        d, ci, rp = welch(t.revenue_mean, t.revenue_var, t.n, c.revenue_mean, c.revenue_var, c.n, alpha,
                          alternative)
        out = replace(out, revenue_diff=d, revenue_ci=ci, revenue_p=rp)
        if t.conversions > 1 and c.conversions > 1:
            d, ci, bp = welch(t.buyer_mean, t.buyer_var, t.conversions, c.buyer_mean, c.buyer_var, c.conversions,
                              alpha, alternative)
            out = replace(out, buyer_diff=d, buyer_ci=ci, buyer_p=bp)
        if users is not None and "revenue" in users:
            yt = users.loc[users["variant"] == t.name, "revenue"].to_numpy()
            yc = users.loc[users["variant"] == c.name, "revenue"].to_numpy()
            largest = max(len(yt), len(yc))
            if largest <= BOOTSTRAP_MAX_USERS:
                resamples = 2000 if largest <= 20_000 else 500
                out = replace(out, revenue_bootstrap_ci=bootstrap_diff(yt, yc, alpha, seed, resamples))
            else:
                out = replace(out, notes=out.notes + (
                    _("The bootstrap check was skipped: with more than {n} users in an arm the Welch interval is "
                      "reliable even for skewed revenue").format(n=f"{BOOTSTRAP_MAX_USERS:,}"),))
    return out


def bootstrap_diff(yt: np.ndarray, yc: np.ndarray, alpha: float = 0.05, seed: int = 0, n_resamples: int = 2000
                   ) -> Interval:
    """Percentile bootstrap interval of mean(yt) − mean(yc) (scipy ``bootstrap``, seeded)."""
    res = stats.bootstrap((yt, yc), lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis), vectorized=True,
                          n_resamples=n_resamples, confidence_level=1 - alpha, method="percentile",
                          random_state=np.random.default_rng(seed))
    return Interval(float(res.confidence_interval.low), float(res.confidence_interval.high))


def compare_all(exp: Experiment, control: str, alpha: float = 0.05, adjust: Adjust = "holm",
                alternative: Alternative = "two-sided") -> list[Comparison]:
    """Every treatment against the control, with adjusted p-values for the outcome.

    The intervals beside an adjusted p are adjusted the same way: with ``k = p_adjusted / p``
    (at most the number of treatments ``m``; ``m`` when p is 0) they are computed at level
    ``1 − alpha / k``, which is Bonferroni's for the smallest p and Holm's (or Benjamini-Hochberg's)
    step for the others, so an adjusted interval excludes 0 exactly when the adjusted p is below
    alpha (up to the small difference between the score interval and the pooled z-test)."""
    if adjust not in ADJUSTMENTS:
        raise DataError(_("Unknown adjustment {value}").format(value=repr(adjust)),
                        hint=_("Use one of: {options}").format(options=", ".join(ADJUSTMENTS)))
    if not 0 < alpha < 0.5:
        raise DataError(_("The significance level must be between 0 and 0.5; got {value}").format(value=repr(alpha)),
                        hint=_("Try 0.05"))
    control, exp = with_control(exp, control)
    c = exp.variants[control]
    out = [compare(t, c, alpha, exp.users, alternative=alternative, metric=exp.metric)
           for name, t in exp.variants.items() if name != control]
    ps = np.array([x.p_value for x in out])
    valid = ~np.isnan(ps)
    m = int(valid.sum())
    if adjust != "none" and m > 1:
        adj = ps.copy()
        adj[valid] = multipletests(ps[valid], alpha=alpha, method=adjust)[1]
        res = []
        for x, a in zip(out, adj, strict=True):
            if math.isnan(a):
                res.append(x)
                continue
            k = m if x.p_value == 0 else min(max(a / x.p_value, 1.0), m)
            abs_ci, rel_ci = _rate_intervals(exp.variants[x.treatment], c, alpha / k, alternative)
            res.append(replace(x, p_adjusted=float(a), abs_ci_adjusted=abs_ci, rel_ci_adjusted=rel_ci,
                               confidence_adjusted=1 - alpha / k))
        out = res
    return out


# ---------------------------------------------------------------- checks and planning

@dataclass(frozen=True)
class SampleRatio:
    observed: dict[str, int]
    expected: dict[str, float]
    chi2: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        return self.p_value < SRM_ALPHA


def sample_ratio(exp: Experiment, planned: dict[str, float] | None = None) -> SampleRatio:
    """Chi-square goodness of fit of users per variant against the planned split (equal by default)."""
    names = list(exp.variants)
    obs = np.array([exp.variants[v].n for v in names], dtype=float)
    shares = np.array([(planned or {}).get(v, 1.0) for v in names], dtype=float)
    if (shares <= 0).any():
        raise DataError(_("Planned shares must be positive"),
                        hint=_("Enter the planned share of users for each variant"))
    expected = obs.sum() * shares / shares.sum()
    chi2, p = stats.chisquare(obs, expected)
    return SampleRatio(dict(zip(names, obs.astype(int).tolist(), strict=True)),
                       dict(zip(names, expected.tolist(), strict=True)), float(chi2), float(p))


def sample_size_conversion(baseline: float, lift: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Users per arm to detect a relative ``lift`` on ``baseline`` (two-sided, Cohen's h)."""
    target = baseline * (1 + lift)
    if not 0 < baseline < 1 or not 0 < target < 1 or lift == 0:
        raise DataError(_("The baseline rate and the rate after the lift must be between 0% and 100%, and the lift "
                          "not 0"), hint=_("Try a baseline of 5% and a lift of 10%"))
    h = abs(proportion_effectsize(target, baseline))
    return int(math.ceil(NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power, ratio=1.0)))


def mde_conversion(baseline: float, n_per_arm: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest relative lift detectable with ``n_per_arm`` users per arm (Cohen's h, two-sided).

    Bounded: when even a rate of 100% is not detectable (a baseline near 1 with few users), the
    answer is ``inf`` rather than a lift past 100% wrapped round the arcsine."""
    if n_per_arm < 2:
        raise DataError(_("At least 2 users per arm are needed"), hint=_("Enter the users per arm"))
    if not 0 < baseline < 1:
        raise DataError(_("The baseline rate must be between 0% and 100%; got {value}").format(value=repr(baseline)),
                        hint=_("Try 0.05"))
    h = NormalIndPower().solve_power(nobs1=n_per_arm, alpha=alpha, power=power, ratio=1.0)
    angle = math.asin(math.sqrt(baseline)) + h / 2
    if angle >= math.pi / 2:
        return math.inf  # even a rate of 100% would not be detectable: no rise is
    return math.sin(angle) ** 2 / baseline - 1


def sample_size_mean(sd: float, delta: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Users per arm to detect an absolute change ``delta`` in a mean with standard deviation ``sd``."""
    if sd <= 0 or delta == 0:
        raise DataError(_("The standard deviation must be positive and the change not 0"),
                        hint=_("Try sd 40, change 1"))
    return int(math.ceil(TTestIndPower().solve_power(effect_size=abs(delta) / sd, alpha=alpha, power=power, ratio=1.0)))


def days_needed(n_per_arm: int, arms: int, daily_users: float) -> int:
    if daily_users <= 0:
        raise DataError(_("Daily traffic must be more than 0 users"), hint=_("Enter users entering the test per day"))
    return int(math.ceil(n_per_arm * arms / daily_users))


# ---------------------------------------------------------------- CUPED and segments

@dataclass(frozen=True)
class Cuped:
    theta: float
    variance_saved: float      # share of the revenue variance removed (0-1)
    comparisons: list[Comparison]


def cuped(exp: Experiment, control: str, alpha: float = 0.05) -> Cuped:
    """Revenue per user adjusted by the pre-period covariate: Y − θ(X − mean X)."""
    if exp.users is None or not exp.has_pre or not exp.has_revenue:
        raise DataError(_("Variance reduction needs user rows with revenue and a pre-period column"),
                        hint=_("Choose the pre-period column of the experiment file"))
    u = exp.users
    var_x = float(u["pre"].var())
    if var_x <= 0:
        raise DataError(_("The pre-period column is the same for every user"), hint=_("Choose another covariate"))
    theta = float(np.cov(u["revenue"], u["pre"])[0, 1] / var_x)
    adjusted = u.assign(revenue=u["revenue"] - theta * (u["pre"] - u["pre"].mean()))
    saved = 1 - float(adjusted["revenue"].var() / u["revenue"].var()) if u["revenue"].var() > 0 else 0.0
    exp2 = replace(exp, users=adjusted, variants=_stats_from_users(adjusted, True))
    return Cuped(theta, saved, compare_all(exp2, control, alpha, "none"))


def by_segment(exp: Experiment, control: str, segment_col: str, alpha: float = 0.05,
               min_users: int = 30) -> pd.DataFrame:
    """The conversion comparison inside each segment. Columns: segment, treatment, users,
    rate_control, rate_treatment, abs_diff, ci_low, ci_high, p_value, ok."""
    if exp.users is None:
        raise DataError(_("A segment breakdown needs user rows"), hint=_("Upload the user-level experiment file"))
    col = segment_col if segment_col.startswith("segment:") else f"segment:{segment_col}"
    if col not in exp.users:
        raise DataError(_("No segment column {col}").format(col=repr(segment_col)), hint=_("Choose a segment column"))
    control, exp = with_control(exp, control)
    rows = []
    for seg, g in exp.users.groupby(col, sort=True):
        variants = _stats_from_users(g, exp.has_revenue)
        if control not in variants:
            continue
        for name, t in variants.items():
            if name == control:
                continue
            c = variants[control]
            small = min(t.n, c.n) < min_users
            cmp = compare(t, c, alpha)
            rows.append({"segment": seg, "treatment": name, "users": t.n + c.n, "rate_control": c.rate,
                         "rate_treatment": t.rate, "abs_diff": cmp.abs_diff, "ci_low": cmp.abs_ci.low,
                         "ci_high": cmp.abs_ci.high, "p_value": cmp.p_value, "ok": cmp.ok and not small})
    return pd.DataFrame(rows, columns=["segment", "treatment", "users", "rate_control", "rate_treatment", "abs_diff",
                                       "ci_low", "ci_high", "p_value", "ok"])


# ---------------------------------------------------------------- files

EXPERIMENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "variant": ("variant", "group", "arm", "treatment", "bucket", "version", "cell", "cohort", "分组", "组别"),
    "converted": ("converted", "conversion", "purchased", "bought", "outcome", "success", *ZH_OUTCOME_NAMES),
    "revenue": ("revenue", "sales", "amount", "value", "spend", "gmv", *ZH_REVENUE_NAMES),
    "cost": ("cost", "contact cost", "cost per user", "成本"),
    "discount": ("discount", "discount given", "coupon value", "优惠"),
    "pre": ("pre revenue", "pre period", "pre", "baseline revenue", "pre period revenue", "covariate"),
    "users": ("users", "n", "visitors", "participants", "sample size"),
    "conversions": ("conversions", "converters", "orders", "buyers"),
    "revenue_sum": ("revenue sum", "revenue total", "total revenue"),
    "revenue_sum_sq": ("revenue sum sq", "revenue sum of squares", "revenue sumsq", "revenue ss"),
}


def guess_columns(columns) -> dict[str, str]:
    """Best guess of experiment roles from headers (case, spaces and punctuation ignored)."""
    return match_columns(columns, EXPERIMENT_SYNONYMS)


def is_aggregated(columns) -> bool:
    g = guess_columns(columns)
    return "users" in g and "conversions" in g and "converted" not in g


def load_experiment(frame: pd.DataFrame, *, variant: str | None = None, converted: str | None = None,
                    revenue: str | None = None, cost: str | None = None, discount: str | None = None,
                    pre: str | None = None, segments: tuple[str, ...] = (), cost_per_user: float | None = None,
                    cap_percentile: float | None = None, control: str | None = None, time: str | None = None,
                    extra: tuple[str, ...] = ()) -> Experiment:
    """A user-level or aggregated experiment frame as an :class:`Experiment`; roles not given are
    guessed from the headers, then (arm and outcome) from the content (:func:`infer_columns`)."""
    from .experiment_io import infer_columns
    g = guess_columns(frame.columns)
    if is_aggregated(frame.columns) and converted is None:
        return from_aggregated(frame, variant or g.get("variant", "variant"), g["users"], g["conversions"],
                               g.get("revenue_sum"), g.get("revenue_sum_sq"), cost_per_user, control)
    variant, converted = variant or g.get("variant"), converted or g.get("converted")
    if not variant or not converted:
        inferred = infer_columns(frame)
        variant, converted = variant or inferred.arm, converted or inferred.outcome
    if not variant or not converted:
        missing = _(" and ").join(r for r, v in (("variant", variant), ("converted", converted)) if not v)
        raise DataError(_("The experiment file has no recognisable {roles} column").format(roles=missing),
                        where=_("its columns are {columns}").format(columns=", ".join(map(repr, frame.columns[:20]))),
                        hint=_("Choose the columns by hand, or name them 'variant' and 'converted'"))
    return from_users(frame, variant, converted, revenue if revenue is not None else g.get("revenue"),
                      cost if cost is not None else g.get("cost"), discount if discount is not None else g.get("discount"),
                      pre if pre is not None else g.get("pre"), segments, cost_per_user, cap_percentile, control,
                      time, tuple(extra))


def rate_interval(v: VariantStats, alpha: float = 0.05) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint
    if v.n == 0:
        return (float("nan"), float("nan"))
    lo, hi = proportion_confint(v.conversions, v.n, alpha=alpha, method="wilson")
    return float(lo), float(hi)
