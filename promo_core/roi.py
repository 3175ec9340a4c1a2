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
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy import stats

from .abtest import Comparison, Experiment, Interval, welch
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

    def to_dict(self) -> dict:
        return asdict(self)


def compute_roi(exp: Experiment, cmp: Comparison, margin: float = 0.3, alpha: float = 0.05) -> Roi:
    """ROI of ``cmp.treatment`` against ``cmp.control`` (see the module docstring)."""
    if not 0 < margin <= 1:
        raise DataError(f"The gross margin must be between 0% and 100%; got {margin!r}", hint="Try 30%")
    t, c = exp.variants[cmp.treatment], exp.variants[cmp.control]
    n_t = t.n
    inc_conv = cmp.abs_diff * n_t
    conv_ci = Interval(cmp.abs_ci.low * n_t, cmp.abs_ci.high * n_t)
    cost_t = (t.discount_sum + t.cost_sum) / t.n if t.n else 0.0
    cost_c = (c.discount_sum + c.cost_sum) / c.n if c.n else 0.0
    promo_cost = max(cost_t - cost_c, 0.0) * n_t
    notes = []
    if not exp.has_revenue or cmp.revenue_diff is None:
        return Roi(cmp.treatment, cmp.control, margin, n_t, "conversions only", inc_conv, conv_ci, None, None,
                   promo_cost, None, None, None, None, None, None,
                   ("Without a revenue column only incremental conversions can be estimated",))
    inc_rev = cmp.revenue_diff * n_t
    rev_ci = Interval(cmp.revenue_ci.low * n_t, cmp.revenue_ci.high * n_t)
    if exp.users is not None:
        u = exp.users
        contrib = (u["revenue"] + u["discount"]) * margin - u["discount"] - u["cost"]
        yt, yc = contrib[u["variant"] == t.name].to_numpy(), contrib[u["variant"] == c.name].to_numpy()
        d, ci, _ = welch(yt.mean(), yt.var(ddof=1), len(yt), yc.mean(), yc.var(ddof=1), len(yc), alpha)
        se = math.sqrt(yt.var(ddof=1) / len(yt) + yc.var(ddof=1) / len(yc))
        basis = "per-user contribution: (revenue + discount) × margin − discount − contact cost"
        buyers_t, buyers_c = u[(u["variant"] == t.name) & (u["converted"] == 1)], u[(u["variant"] == c.name) & (u["converted"] == 1)]
        break_even = _break_even(buyers_t, buyers_c, margin, t, c)
    else:
        vt, vc = t.revenue_var, c.revenue_var
        mt = t.revenue_mean * margin - t.cost_sum / t.n
        mc = c.revenue_mean * margin - c.cost_sum / c.n
        d, ci, _ = welch(mt, vt * margin ** 2, t.n, mc, vc * margin ** 2, c.n, alpha)
        se = math.sqrt(margin ** 2 * (vt / t.n + vc / c.n))
        basis = "revenue × margin − contact cost (aggregated data: discounts not known per user)"
        break_even = None
        notes.append("Aggregated data: the discount given is not known, so profit counts only the margin on "
                     "revenue and the contact cost")
    profit = d * n_t
    profit_ci = Interval(ci.low * n_t, ci.high * n_t)
    chance = float(stats.norm.cdf(d / se)) if se > 0 else float(d > 0)
    if promo_cost > 0:
        roi, roi_ci = profit / promo_cost, Interval(profit_ci.low / promo_cost, profit_ci.high / promo_cost)
    else:
        roi, roi_ci = None, None
        notes.append("The promotion cost nothing measurable (no discount or contact cost), so ROI is undefined")
    return Roi(cmp.treatment, cmp.control, margin, n_t, basis, inc_conv, conv_ci, inc_rev, rev_ci, promo_cost,
               profit, profit_ci, roi, roi_ci, chance, break_even, tuple(notes))


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
    return f"{x:+.0%}" if signed else f"{x:.1%}"


def verdict(cmp: Comparison, roi: Roi | None = None, currency: str = "£", alpha: float = 0.05) -> str:
    """One plain sentence (two with ROI) a manager can read aloud."""
    if not cmp.ok and math.isnan(cmp.abs_diff):
        return f"{cmp.treatment} cannot be compared with {cmp.control}: {cmp.notes[0] if cmp.notes else 'no data'}."
    moved = "raised" if cmp.abs_diff > 0 else "lowered" if cmp.abs_diff < 0 else "did not change"
    level = int(round(100 * (1 - alpha)))
    lift = ("" if math.isnan(cmp.rel_lift) else
            f" ({_pct(cmp.rel_lift, True)}, {level}% CI {_pct(cmp.rel_ci.low, True)} to {_pct(cmp.rel_ci.high, True)})")
    p = cmp.p_adjusted
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    chance = ("the gain is unlikely to be chance" if cmp.abs_diff > 0 else "the drop is unlikely to be chance") \
        if p < alpha else "the difference could well be chance"
    text = (f"{cmp.treatment} {moved} conversion from {_pct(cmp.rate_control)} to {_pct(cmp.rate_treatment)}"
            f"{lift}; {chance} ({p_text}).")
    if roi is not None and roi.roi is not None:
        r, lo, hi = roi.roi, roi.roi_ci.low, roi.roi_ci.high
        made = "made" if r >= 0 else "lost"
        costs = "discounts and contact costs" if roi.basis.startswith("per-user") else "contact costs (discounts not known)"
        text += (f" After {costs} it {made} {currency}{abs(r):.2f} per {currency}1 spent "
                 f"({level}% CI {_money(lo, currency)} to {_money(hi, currency)}); chance it made money: "
                 f"{roi.chance_profit_positive:.0%}.")
    elif roi is not None and roi.incremental_profit is not None:
        text += f" Incremental profit: {_money(roi.incremental_profit, currency)}."
    return text


def _money(x: float, currency: str) -> str:
    return ("−" if x < 0 else "") + f"{currency}{abs(x):,.2f}"
