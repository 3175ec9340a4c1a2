"""Incremental conversions, revenue, profit and ROI of a promotion, each with an interval.

Profit, not conversion, decides a promotion. With user rows the analysis is on each user's
contribution:

    contribution = (revenue + discount) × margin − discount − contact cost

where revenue is what the user paid (net of the discount), ``margin`` is the gross margin on full
price, and the discount is what the offer gave away (so a coupon on an order that would have
happened anyway costs its full value). Incremental profit = (mean contribution of the treatment −
mean contribution of the control) × treated users, with a Welch interval; ROI = incremental profit ÷
promotion cost (discounts + contact costs in the treatment, less any in the control).

With aggregated data (no discount per user) the contribution is revenue × margin − contact cost.

The cost of the promotion is random too (how many discounts were redeemed, and on which orders), so
the ROI interval is Fieller's interval for the ratio of two differences of means,
ROI = Δ contribution ÷ Δ cost, with the covariance of contribution and cost within each arm:
the set of r with (ΔP − r ΔC)² ≤ z² (V_P − 2 r V_PC + r² V_C). When the cost's own interval reaches
zero (ΔC² ≤ z² V_C) the set is unbounded and the ROI interval is reported as "unbounded" rather than
as a finite range. A percentile bootstrap over users that re-estimates both profit and cost in
each resample (:func:`roi_bootstrap`) checks it. With aggregated data the cost is known exactly
and Fieller's interval is the profit interval divided by the cost.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .abtest import Comparison, Experiment, Interval, format_p, metric_label, welch
from .i18n import _, fmt_money, fmt_pct
from .schema import DataError


@dataclass(frozen=True)
class Roi:
    treatment: str
    control: str
    margin: float
    treated_users: int
    basis: str
    incremental_conversions: float
    incremental_conversions_ci: Interval
    incremental_revenue: float | None
    incremental_revenue_ci: Interval | None
    promotion_cost: float
    incremental_profit: float | None
    incremental_profit_ci: Interval | None
    roi: float | None
    roi_ci: Interval | None
    chance_profit_positive: float | None
    break_even_lift: float | None
    notes: tuple[str, ...] = ()
    roi_unbounded: bool = False
    cost_ci: Interval | None = None            # incremental cost per treated user × treated users
    margin_is_default: bool = False
    contact_cost: float | None = None          # per treated user, when it came from a setting
    contact_is_default: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def fieller(dp: float, dc: float, vp: float, vc: float, vpc: float, alpha: float = 0.05
            ) -> tuple[Interval | None, bool]:
    """Fieller's interval for dp / dc: (interval, unbounded). ``unbounded`` is True (and the
    interval None) when dc's own interval reaches zero, i.e. dc² ≤ z² vc."""
    z2 = stats.norm.ppf(1 - alpha / 2) ** 2
    a = dc ** 2 - z2 * vc
    if a <= 0:
        return None, True
    b = -2 * (dp * dc - z2 * vpc)
    c = dp ** 2 - z2 * vp
    disc = b ** 2 - 4 * a * c
    if disc < 0:  # cannot happen when a > 0 and the covariance matrix is valid; guard rounding
        disc = 0.0
    r1, r2 = (-b - math.sqrt(disc)) / (2 * a), (-b + math.sqrt(disc)) / (2 * a)
    return Interval(min(r1, r2), max(r1, r2)), False


def _contributions(exp: Experiment, margin: float):
    u = exp.users
    contrib = (u["revenue"] + u["discount"]) * margin - u["discount"] - u["cost"]
    cost = u["discount"] + u["cost"]
    return contrib.to_numpy(float), cost.to_numpy(float), u["variant"].to_numpy()


def roi_bootstrap(exp: Experiment, treatment: str, control: str, margin: float, alpha: float = 0.05,
                  n_resamples: int = 2000, seed: int = 0) -> tuple[Interval | None, float]:
    """Percentile bootstrap of ROI over users (resampled within each arm), re-estimating both the
    incremental profit and the incremental cost each time. Returns (interval or None when more than
    alpha/2 of the resampled costs are 0 or less — unbounded —, share of such resamples)."""
    if exp.users is None or not exp.has_revenue:
        raise DataError(_("The ROI bootstrap needs user rows with revenue"), hint=_("Upload the user-level file"))
    contrib, cost, variant = _contributions(exp, margin)
    rng = np.random.default_rng(seed)
    parts = []
    for name in (treatment, control):
        sel = variant == name
        y, x = contrib[sel], cost[sel]
        idx = rng.integers(0, len(y), (n_resamples, len(y)))
        parts.append((y[idx].mean(axis=1), x[idx].mean(axis=1)))
    dp, dc = parts[0][0] - parts[1][0], parts[0][1] - parts[1][1]
    bad = float((dc <= 0).mean())
    if bad > alpha / 2:
        return None, bad
    ratio = dp[dc > 0] / dc[dc > 0]
    return Interval(float(np.quantile(ratio, alpha / 2)), float(np.quantile(ratio, 1 - alpha / 2))), bad


def compute_roi(exp: Experiment, cmp: Comparison, margin: float = 0.3, alpha: float = 0.05, *,
                margin_is_default: bool = False, contact_cost: float | None = None,
                contact_is_default: bool = False) -> Roi:
    """ROI of ``cmp.treatment`` against ``cmp.control`` (see the module docstring).

    ``margin_is_default`` / ``contact_cost`` / ``contact_is_default`` only describe where the
    figures came from, so the verdict can say which money assumptions the user never gave."""
    if not 0 < margin <= 1:
        raise DataError(_("The gross margin must be between 0% and 100%; got {value}").format(value=repr(margin)),
                        hint=_("Try 30%"))
    t, c = exp.variants[cmp.treatment], exp.variants[cmp.control]
    n_t = t.n
    inc_conv = cmp.abs_diff * n_t
    conv_ci = Interval(cmp.abs_ci.low * n_t, cmp.abs_ci.high * n_t)
    cost_t = (t.discount_sum + t.cost_sum) / t.n if t.n else 0.0
    cost_c = (c.discount_sum + c.cost_sum) / c.n if c.n else 0.0
    promo_cost = max(cost_t - cost_c, 0.0) * n_t
    notes = []
    labels = {"margin_is_default": margin_is_default, "contact_cost": contact_cost,
              "contact_is_default": contact_is_default}
    if not exp.has_revenue or cmp.revenue_diff is None:
        return Roi(cmp.treatment, cmp.control, margin, n_t, f"{_english_metric(cmp.metric)} only", inc_conv, conv_ci,
                   None, None, promo_cost, None, None, None, None, None, None,
                   (_("Without a revenue column only the change in {metric} can be estimated; no money figure is "
                      "given").format(metric=_metric_label(cmp.metric)),), **labels)
    inc_rev = cmp.revenue_diff * n_t
    rev_ci = Interval(cmp.revenue_ci.low * n_t, cmp.revenue_ci.high * n_t)
    if exp.users is not None:
        u = exp.users
        contrib = (u["revenue"] + u["discount"]) * margin - u["discount"] - u["cost"]
        yt, yc = contrib[u["variant"] == t.name].to_numpy(), contrib[u["variant"] == c.name].to_numpy()
        d, ci, _p = welch(yt.mean(), yt.var(ddof=1), len(yt), yc.mean(), yc.var(ddof=1), len(yc), alpha)
        se = math.sqrt(yt.var(ddof=1) / len(yt) + yc.var(ddof=1) / len(yc))
        cost = (u["discount"] + u["cost"]).to_numpy(float)
        xt, xc = cost[(u["variant"] == t.name).to_numpy()], cost[(u["variant"] == c.name).to_numpy()]
        vc = xt.var(ddof=1) / len(xt) + xc.var(ddof=1) / len(xc)
        vpc = np.cov(yt, xt, ddof=1)[0, 1] / len(yt) + np.cov(yc, xc, ddof=1)[0, 1] / len(yc)
        vp = se ** 2
        basis = "per-user contribution: (revenue + discount) × margin − discount − contact cost"
        buyers_t, buyers_c = u[(u["variant"] == t.name) & (u["converted"] == 1)], u[(u["variant"] == c.name) & (u["converted"] == 1)]
        break_even = _break_even(buyers_t, buyers_c, margin, t, c)
    else:
        vt, vc = t.revenue_var, c.revenue_var
        mt = t.revenue_mean * margin - t.cost_sum / t.n
        mc = c.revenue_mean * margin - c.cost_sum / c.n
        d, ci, _p = welch(mt, vt * margin ** 2, t.n, mc, vc * margin ** 2, c.n, alpha)
        se = math.sqrt(margin ** 2 * (vt / t.n + vc / c.n))
        vp, vc, vpc = se ** 2, 0.0, 0.0
        basis = "revenue × margin − contact cost (aggregated data: discounts not known per user)"
        break_even = None
        notes.append(_("Aggregated data: the discount given is not known, so profit counts only the margin on "
                       "revenue and the contact cost"))
    profit = d * n_t
    profit_ci = Interval(ci.low * n_t, ci.high * n_t)
    chance = float(stats.norm.cdf(d / se)) if se > 0 else float(d > 0)
    dc = cost_t - cost_c
    zc = stats.norm.ppf(1 - alpha / 2) * math.sqrt(vc)
    cost_ci = Interval(float((dc - zc) * n_t), float((dc + zc) * n_t))
    unbounded = False
    if promo_cost > 0:
        roi = profit / promo_cost
        roi_ci, unbounded = fieller(d, dc, vp, vc, vpc, alpha)
        if unbounded:
            notes.append(_("The ROI interval is unbounded: the promotion's own cost is not clearly above zero "
                           "(its {level} interval reaches 0), so profit per unit of cost cannot be pinned "
                           "down").format(level=fmt_pct(1 - alpha, 0)))
    else:
        roi, roi_ci = None, None
        notes.append(_("The promotion cost nothing measurable (no discount or contact cost), so ROI is undefined"))
    return Roi(cmp.treatment, cmp.control, margin, n_t, basis, inc_conv, conv_ci, inc_rev, rev_ci, promo_cost,
               profit, profit_ci, roi, roi_ci, chance, break_even, tuple(notes), unbounded, cost_ci, **labels)


def _break_even(buyers_t, buyers_c, margin: float, t, c) -> float | None:
    """Relative conversion lift at which the treatment's profit equals the control's.

    Treatment profit per user = p_t × (contribution per treated buyer) − contact cost per treated
    user; it breaks even with the control's p_c × (contribution per control buyer) at
    p_t* = (p_c × π_c + contact) ÷ π_t; returned as p_t* ÷ p_c − 1.
    """
    if len(buyers_t) == 0 or len(buyers_c) == 0 or c.rate == 0:
        return None
    pi_t = float(((buyers_t["revenue"] + buyers_t["discount"]) * margin - buyers_t["discount"]).mean())
    pi_c = float(((buyers_c["revenue"] + buyers_c["discount"]) * margin - buyers_c["discount"]).mean())
    contact = t.cost_sum / t.n - c.cost_sum / c.n
    if pi_t <= 0:
        return float("inf")
    return (c.rate * pi_c + contact) / pi_t / c.rate - 1


def _pct(x: float, signed: bool = False) -> str:
    return fmt_pct(x, 0, signed=True) if signed else fmt_pct(x, 1)


_metric_label = metric_label


def _english_metric(metric: str) -> str:
    """The outcome's name for exports (``Roi.basis``), never translated."""
    return "conversion" if metric.strip().casefold() in ("converted", "conversion", "conversions", "convert") \
        else metric


def _level(conf: float) -> str:
    return f"{100 * conf:.4g}%"


def _range(lo: float, hi: float) -> str:
    if math.isinf(hi) and not math.isinf(lo):
        return _("{low} or more").format(low=_pct(lo, True))
    if math.isinf(lo) and not math.isinf(hi):
        return _("{high} or less").format(high=_pct(hi, True))
    return _("{low} to {high}").format(low=_pct(lo, True), high=_pct(hi, True))


def basis_label(roi: Roi) -> str:
    """What the profit figures rest on, in the screen's language (``Roi.basis`` stays English: exports)."""
    if roi.basis.startswith("per-user"):
        return _("Per-user contribution: (revenue + discount) × margin − discount − contact cost")
    if roi.basis.startswith("revenue"):
        return _("Revenue × margin − contact cost (aggregated data: discounts not known per user)")
    return _("{metric} only (no revenue column)").format(metric=_metric_label(roi.basis.removesuffix(" only")))


def money_assumptions(roi: Roi, currency: str = "£") -> str:
    """'margin 40% (default) and contact cost £0.15 per treated user (default)': what the money
    figures rest on, saying which values the user never gave."""
    default = _(" (the default — set your own)")
    parts = [_("gross margin {margin}").format(margin=fmt_pct(roi.margin, 0))
             + (default if roi.margin_is_default else "")]
    if roi.contact_cost is not None:
        parts.append(_("contact cost {cost} per treated user").format(cost=fmt_money(roi.contact_cost, currency, 2))
                     + (default if roi.contact_is_default else ""))
    return _(" and ").join(parts)


def verdict(cmp: Comparison, roi: Roi | None = None, currency: str = "£", alpha: float = 0.05,
            sequential=None) -> str:
    """One plain sentence (two with ROI) a manager can read aloud.

    The interval beside the p-value is adjusted the same way (``rel_ci_adjusted``); with
    ``sequential`` (a relative :class:`~promo_core.sequential.SequentialResult`) the always-valid
    interval and p-value are used instead."""
    if not cmp.ok and math.isnan(cmp.abs_diff):
        return _("{treatment} cannot be compared with {control}: {reason}.").format(
            treatment=cmp.treatment, control=cmp.control, reason=cmp.notes[0] if cmp.notes else _("no data"))
    metric = _metric_label(cmp.metric)
    if sequential is not None and sequential.ok:
        p, lo, hi, conf = sequential.p_value, sequential.ci_low, sequential.ci_high, 1 - sequential.alpha
        ci_words, p_words = _(" ({lift}, always-valid {level} CI {range})"), _("sequential {p}")
    else:
        ci = cmp.rel_ci_adjusted or cmp.rel_ci
        p, lo, hi = cmp.p_adjusted, ci.low, ci.high
        conf = cmp.confidence_adjusted if cmp.rel_ci_adjusted is not None else cmp.confidence
        if p == cmp.p_value:
            ci_words, p_words = _(" ({lift}, {level} CI {range})"), "{p}"
        else:
            ci_words, p_words = _(" ({lift}, adjusted {level} CI {range})"), _("adjusted {p}")
    lift = ("" if math.isnan(cmp.rel_lift) or math.isnan(lo) else
            ci_words.format(lift=_pct(cmp.rel_lift, True), level=_level(conf), range=_range(lo, hi)))
    chance = (_("the gain is unlikely to be chance") if cmp.abs_diff > 0 else _("the drop is unlikely to be chance")) \
        if p < alpha else _("the difference could well be chance")
    sentence = (_("{treatment} raised {metric} from {before} to {after}{lift}; {chance} ({p}).") if cmp.abs_diff > 0
                else _("{treatment} lowered {metric} from {before} to {after}{lift}; {chance} ({p}).")
                if cmp.abs_diff < 0 else
                _("{treatment} did not change {metric} from {before} to {after}{lift}; {chance} ({p})."))
    text = sentence.format(treatment=cmp.treatment, metric=metric, before=_pct(cmp.rate_control),
                           after=_pct(cmp.rate_treatment), lift=lift, chance=chance,
                           p=p_words.format(p=format_p(p)))
    if roi is not None and roi.roi is not None:
        r = roi.roi
        costs = (_("discounts and contact costs") if roi.basis.startswith("per-user")
                 else _("contact costs (discounts not known)"))
        ci = (_("the interval is unbounded because the cost itself is not clearly above zero") if roi.roi_unbounded
              else _("{level} CI {low} to {high}").format(level=f"{int(round(100 * (1 - alpha)))}%",
                                                          low=_money(roi.roi_ci.low, currency),
                                                          high=_money(roi.roi_ci.high, currency)))
        made = (_(" After {costs}, with {assumptions}, it made {amount} per {unit} spent ({ci}); chance it made "
                  "money: {chance}.") if r >= 0 else
                _(" After {costs}, with {assumptions}, it lost {amount} per {unit} spent ({ci}); chance it made "
                  "money: {chance}."))
        text += made.format(costs=costs, assumptions=money_assumptions(roi, currency),
                            amount=fmt_money(abs(r), currency, 2), unit=fmt_money(1, currency), ci=ci,
                            chance=fmt_pct(roi.chance_profit_positive, 0))
    elif roi is not None and roi.incremental_profit is not None:
        text += _(" Incremental profit, with {assumptions}: {profit}.").format(
            assumptions=money_assumptions(roi, currency), profit=_money(roi.incremental_profit, currency))
    return text


def _money(x: float, currency: str) -> str:
    """Money with two decimals and the sign before the symbol: ``-£1.22`` (never ``£-1.22``)."""
    return fmt_money(x, currency, 2)


def roi_frame(rois: list[Roi]) -> pd.DataFrame:
    """One row per treatment with the money figures and their intervals (numbers, machine names):
    treatment, incremental_conversions, conversions_low, conversions_high, incremental_revenue,
    promotion_cost, incremental_profit, profit_low, profit_high, roi, roi_low, roi_high,
    chance_profit_positive, break_even_lift. Missing figures are NaN."""
    def end(iv, which):
        return float("nan") if iv is None else getattr(iv, which)
    nan = float("nan")
    return pd.DataFrame([{
        "treatment": r.treatment, "incremental_conversions": r.incremental_conversions,
        "conversions_low": end(r.incremental_conversions_ci, "low"),
        "conversions_high": end(r.incremental_conversions_ci, "high"),
        "incremental_revenue": nan if r.incremental_revenue is None else r.incremental_revenue,
        "promotion_cost": r.promotion_cost,
        "incremental_profit": nan if r.incremental_profit is None else r.incremental_profit,
        "profit_low": end(r.incremental_profit_ci, "low"), "profit_high": end(r.incremental_profit_ci, "high"),
        "roi": nan if r.roi is None else r.roi, "roi_low": end(r.roi_ci, "low"), "roi_high": end(r.roi_ci, "high"),
        "chance_profit_positive": nan if r.chance_profit_positive is None else r.chance_profit_positive,
        "break_even_lift": nan if r.break_even_lift is None else r.break_even_lift} for r in rois],
        columns=["treatment", "incremental_conversions", "conversions_low", "conversions_high",
                 "incremental_revenue", "promotion_cost", "incremental_profit", "profit_low", "profit_high", "roi",
                 "roi_low", "roi_high", "chance_profit_positive", "break_even_lift"])
