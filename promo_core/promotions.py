"""Promotion planning: offers per segment, a transparent response model, forecast, budget optimiser.

The response model, per segment and offer, in the units a marketer uses:

* **Baseline** (measured from the data, per segment): users, the purchase rate over the campaign's
  length measured in *earlier* windows that did not define the segment (several windows before the
  last ``horizon_days``; for RFM and lifecycle segments the customers are re-labelled as the rules
  would have labelled them at each window's start), or the same period last year; orders per buyer;
  and the order values (gross of any discount) that give the average order value and the reach of a
  threshold coupon. An A/B control group, when there is one, replaces the windows.
* **Value given** per redeemed order: percent or flash sale = depth × AOV; fixed coupon = its amount;
  threshold coupon = its amount × the share of orders at or above the threshold (plus the orders a
  customer tops up to reach it); free shipping = the shipping cost; points = (multiplier − 1) × the
  value of a point per £; bundle = attach rate × bundle discount × bundle price.
* **Conversion lift**: measured by the A/B test when it covers that offer type and depth in that
  segment; calibrated from the A/B test when it covers the type at another depth (lift per unit of
  value given); otherwise ``elasticity × value given as a share of AOV``, with defaults stated as
  assumptions the user can change. The range uses the A/B interval, or ± the stated uncertainty.
* **Costs**: the value given on every redeemed order of the targeted users, *including* orders they
  would have placed anyway (cannibalisation by sure-thing buyers, reported separately), plus the
  contact cost per targeted user.
* **Profit** = incremental gross sales × margin − value given − contact cost; ROI = profit ÷ costs.
* **Range** for assumed effects: the low end is what happens if every assumed lift is zero
  (elasticity 0, no bundle attach or threshold top-ups as new sales: only the discounts on orders
  that happen anyway and the contact cost remain); the high end scales the assumed lifts by
  (1 + uncertainty). Every assumption's range, with its "no effect" value, is in
  :func:`assumption_ranges`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from .features import order_keys
from .plan_files import Field, load_json, record
from .schema import DataError, line_amount

PLAN_VERSION = 1
OFFER_TYPES: dict[str, str] = {
    "none": "No offer", "percent_off": "Percent off", "threshold_coupon": "Spend X, get Y off",
    "fixed_coupon": "Fixed coupon", "free_shipping": "Free shipping", "bundle": "Bundle deal",
    "points": "Points multiplier", "flash_sale": "Flash sale (percent off, short window)",
}
#: what 'depth' means for each offer type, and its allowed range
DEPTH: dict[str, tuple[str, float, float]] = {
    "none": ("", 0, 0), "percent_off": ("% off", 0, 100), "flash_sale": ("% off", 0, 100),
    "threshold_coupon": ("£ off", 0, 10_000), "fixed_coupon": ("£ off", 0, 10_000), "free_shipping": ("", 0, 0),
    "bundle": ("% off the bundle", 0, 100), "points": ("× points", 1, 20),
}


@dataclass(frozen=True)
class Assumptions:
    """Stated assumptions where the data cannot speak; every one is shown and editable.

    ``elasticity[type]``: relative conversion lift per unit of value given as a share of the order
    (2.0: giving 10% of the order value lifts conversion by 20%). ``redemption[type]``: share of
    eligible orders that use the offer. ``uncertainty``: ± relative range on assumed lifts.
    """

    margin: float = 0.4
    horizon_days: int = 14
    elasticity: dict[str, float] = field(default_factory=lambda: {
        "percent_off": 2.0, "flash_sale": 2.6, "threshold_coupon": 2.5, "fixed_coupon": 2.0,
        "free_shipping": 3.0, "bundle": 1.5, "points": 1.0})
    redemption: dict[str, float] = field(default_factory=lambda: {
        "percent_off": 1.0, "flash_sale": 1.0, "threshold_coupon": 0.8, "fixed_coupon": 0.8,
        "free_shipping": 1.0, "bundle": 1.0, "points": 1.0})
    shipping_cost: float = 3.95
    point_value: float = 0.01
    bundle_attach: float = 0.15
    bundle_price: float = 30.0
    threshold_pull: float = 0.5
    uncertainty: float = 0.5

    def validate(self) -> Assumptions:
        if not 0 < self.margin <= 1:
            raise DataError(f"The gross margin must be between 0% and 100%; got {self.margin!r}", hint="Try 40%")
        if not 1 <= self.horizon_days <= 365:
            raise DataError("The campaign length must be 1 to 365 days", hint="Try 14")
        for k, v in {**self.elasticity, **self.redemption}.items():
            if v < 0:
                raise DataError(f"Assumption for {k} cannot be negative", hint="Use 0 or more")
        return self


@dataclass(frozen=True)
class Offer:
    """One segment's offer. ``depth``: % for percent/flash/bundle, £ for coupons, × for points."""

    segment: str
    offer_type: str = "none"
    depth: float = 0.0
    threshold: float = 0.0
    target_share: float = 1.0
    contact_cost: float = 0.0

    def validate(self) -> Offer:
        if self.offer_type not in OFFER_TYPES:
            raise DataError(f"Unknown offer type {self.offer_type!r} for segment {self.segment!r}",
                            hint=f"Use one of: {', '.join(OFFER_TYPES)}")
        unit, lo, hi = DEPTH[self.offer_type]
        if unit and not lo <= self.depth <= hi:
            raise DataError(f"The depth of the {OFFER_TYPES[self.offer_type].lower()} for {self.segment!r} must be "
                            f"from {lo:g} to {hi:g} {unit}; got {self.depth:g}",
                            hint="A discount cannot exceed 100% of the price")
        if not 0 <= self.target_share <= 1:
            raise DataError(f"The targeted share of {self.segment!r} must be 0% to 100%; got {self.target_share:.0%}",
                            hint="Use a share between 0 and 1")
        if self.contact_cost < 0 or self.threshold < 0:
            raise DataError(f"Costs and thresholds for {self.segment!r} cannot be negative", hint="Use 0 or more")
        if self.offer_type == "threshold_coupon" and self.threshold <= 0:
            raise DataError(f"The threshold coupon for {self.segment!r} needs a threshold above 0", hint="e.g. 80")
        return self

    def label(self, currency: str = "£") -> str:
        t, d = self.offer_type, self.depth
        return {"none": "No offer", "percent_off": f"{d:g}% off", "flash_sale": f"Flash sale {d:g}% off",
                "threshold_coupon": f"Spend {currency}{self.threshold:g}, get {currency}{d:g} off",
                "fixed_coupon": f"{currency}{d:g} coupon", "free_shipping": "Free shipping",
                "bundle": f"Bundle {d:g}% off", "points": f"{d:g}× points"}[t]


@dataclass(frozen=True)
class Baseline:
    """What a segment does without a promotion over the campaign horizon."""

    segment: str
    users: int
    conversion: float        # share of users who bought in the last horizon_days
    orders_per_buyer: float
    aov: float               # mean gross order value (price + discount)
    order_values: np.ndarray  # gross order values, for threshold reach
    basis: str = "given"     # where the conversion comes from (shown beside it)
    customers_observed: int = 0  # customer-windows behind the conversion

    def reach(self, threshold: float, pull: float) -> tuple[float, float]:
        """(share of orders that qualify, mean top-up per order) for a threshold coupon."""
        v = self.order_values
        if len(v) == 0 or threshold <= 0:
            return 0.0, 0.0
        above = float((v >= threshold).mean())
        near = (v >= 0.7 * threshold) & (v < threshold)
        topped = pull * float(near.mean())
        top_up = pull * float(np.where(near, threshold - v, 0.0).mean())
        return above + topped, top_up


Segmenter = Callable[[pd.Timestamp], pd.DataFrame]
WINDOWS = 4


def segmenter(kind: str, events: pd.DataFrame, *, returns: pd.DataFrame | None = None,
              nonproduct: tuple[str, ...] = (), rfm_rules: pd.DataFrame | None = None,
              lifecycle_rules=None) -> Segmenter | None:
    """A function ``as_of -> (user_id, segment)`` that labels customers as a rule-based
    segmentation would have at an earlier date (RFM, lifecycle); None for clusters, whose
    boundaries are learned from today's profiles."""
    from .features import build_profiles
    from .segments import RFM_RULES, LifecycleRules, lifecycle, rfm
    if kind == "rfm":
        rules = RFM_RULES if rfm_rules is None else rfm_rules

        def at(t: pd.Timestamp) -> pd.DataFrame:
            s = rfm(build_profiles(events, t, returns=returns, nonproduct=nonproduct), rules)
            return s[["user_id"]].assign(segment=s["rfm_segment"])
        return at
    if kind == "lifecycle":
        rules = lifecycle_rules or LifecycleRules()

        def at(t: pd.Timestamp) -> pd.DataFrame:
            return lifecycle(events, rules, as_of=t).rename(columns={"lifecycle": "segment"})
        return at
    return None


def _orders(events: pd.DataFrame, nonproduct: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per order: user_id, key, t (first line's time), v (gross value of product lines)."""
    from .nonproduct import is_nonproduct
    buys = events[(events["event"] == "purchase") & events["price"].notna()]
    if buys.empty:
        raise DataError("The planner needs purchases with prices to measure order values",
                        hint="Load data with a price column")
    gross = line_amount(buys) + (buys["discount"].fillna(0) if "discount" in buys else 0) * buys["quantity"]
    gross = gross.where(~is_nonproduct(buys, nonproduct), 0.0)
    orders = pd.DataFrame({"user_id": buys["user_id"].astype(str).to_numpy(), "key": order_keys(buys).to_numpy(),
                           "t": buys["timestamp"].to_numpy(), "v": gross.to_numpy()})
    return orders.groupby(["user_id", "key"], sort=False).agg(t=("t", "min"), v=("v", "sum")).reset_index()


def baseline_windows(events: pd.DataFrame, segments: pd.DataFrame, horizon_days: int = 14,
                     windows: int = WINDOWS, segment_at: Segmenter | None = None,
                     same_period_last_year: bool = False, nonproduct: tuple[str, ...] = ()) -> pd.DataFrame:
    """Purchase rate per segment in earlier windows of the campaign's length.

    Window i (i = 1..``windows``) starts ``i × horizon_days`` before the end of the data and lasts
    ``horizon_days``; the last ``horizon_days`` (window 0) are never used, because recency-based
    segments are defined by them (Champions all bought there, Lost never). With ``segment_at``,
    customers are labelled as the rule would have labelled them at the window's start (a back-test:
    what did the segment do next?); without it (clusters), today's members who were already
    customers at the window's start are followed. ``same_period_last_year`` adds the window that
    starts one year before the end of the data (the campaign's dates a year earlier), when the data
    reaches back that far.

    Columns: segment, kind ('earlier window' / 'same period last year'), window_start, window_end,
    customers (labelled or eligible at the start), buyers, orders, conversion (buyers ÷ customers).
    """
    h = pd.Timedelta(days=int(horizon_days))
    end = events["timestamp"].max()
    first_seen = events.groupby(events["user_id"].astype(str), observed=True)["timestamp"].min()
    orders = _orders(events, nonproduct)
    seg = segments.set_index(segments["user_id"].astype(str))["segment"].astype(str)
    starts = [("earlier window", end - (i + 1) * h) for i in range(1, windows + 1)]
    if same_period_last_year:
        starts.append(("same period last year", end - pd.Timedelta(days=365)))
    rows = []
    for kind, t0 in starts:
        t1 = t0 + h
        if t0 < events["timestamp"].min():
            continue
        if segment_at is not None:
            labels = segment_at(t0)
            labels = labels.set_index(labels["user_id"].astype(str))["segment"].astype(str)
        else:
            labels = seg[seg.index.isin(first_seen.index[first_seen < t0])]
        o = orders[(orders["t"] >= t0) & (orders["t"] < t1)]
        o = o.assign(segment=o["user_id"].map(labels)).dropna(subset=["segment"])
        buyers = o.groupby("segment")["user_id"].nunique()
        n_orders = o.groupby("segment").size()
        for name, n in labels.value_counts().items():
            b = int(buyers.get(name, 0))
            rows.append({"segment": name, "kind": kind, "window_start": t0, "window_end": t1, "customers": int(n),
                         "buyers": b, "orders": int(n_orders.get(name, 0)), "conversion": b / n if n else np.nan})
    return pd.DataFrame(rows, columns=["segment", "kind", "window_start", "window_end", "customers", "buyers",
                                       "orders", "conversion"])


def baselines(events: pd.DataFrame, segments: pd.DataFrame, horizon_days: int = 14,
              control_users: pd.DataFrame | None = None, min_control: int = 30, *,
              windows: int = WINDOWS, segment_at: Segmenter | None = None, same_period_last_year: bool = False,
              nonproduct: tuple[str, ...] = ()) -> dict[str, Baseline]:
    """Per segment baseline from canonical events and a (user_id, segment) frame.

    Conversion is the pooled purchase rate of :func:`baseline_windows` (buyers ÷ customers over
    the earlier windows, or the same period last year when asked and available), as a Jeffreys
    estimate (buyers + ½) ÷ (customers + 1) so a segment with no buyer in those windows does not get
    exactly zero. A segment with no customers in any window (everyone joined in the last window)
    gets the rate of all customers. When ``control_users`` (user_id, converted: the experiment's
    control group) has at least ``min_control`` users in a segment, their conversion is used instead:
    it is what that segment did, unpromoted, over a real campaign window. ``basis`` says which.
    """
    seg = segments.set_index(segments["user_id"].astype(str))["segment"].astype(str)
    orders = _orders(events, nonproduct)
    orders["segment"] = orders["user_id"].map(seg)
    win = baseline_windows(events, segments, horizon_days, windows, segment_at, same_period_last_year, nonproduct)
    if same_period_last_year and (win["kind"] == "same period last year").any():
        win, basis = win[win["kind"] == "same period last year"], "same period last year"
    else:
        win, basis = win[win["kind"] == "earlier window"], f"{win['window_start'].nunique()} earlier windows"
    pooled = win.groupby("segment")[["customers", "buyers", "orders"]].sum()
    everyone = win[["customers", "buyers", "orders"]].sum()
    overall = (everyone["buyers"] + 0.5) / (everyone["customers"] + 1) if everyone["customers"] else 0.0
    ctrl = None
    if control_users is not None:
        ctrl = control_users.assign(segment=control_users["user_id"].astype(str).map(seg)).dropna(subset=["segment"])
    out = {}
    for name, members in seg.groupby(seg):
        users = len(members)
        o = orders[orders["segment"] == name]
        if name in pooled.index and pooled.loc[name, "customers"] > 0:
            p = pooled.loc[name]
            conv, why, seen = (p["buyers"] + 0.5) / (p["customers"] + 1), basis, int(p["customers"])
            per_buyer = p["orders"] / p["buyers"] if p["buyers"] else 1.0
        else:
            conv, why, seen = overall, "all customers (no history for this segment)", int(everyone["customers"])
            per_buyer = everyone["orders"] / everyone["buyers"] if everyone["buyers"] else 1.0
        if ctrl is not None:
            cg = ctrl[ctrl["segment"] == name]
            if len(cg) >= min_control:
                conv, why, seen = float(cg["converted"].mean()), "A/B control group", len(cg)
        out[str(name)] = Baseline(str(name), users, float(conv), float(per_buyer),
                                  float(o["v"].mean()) if len(o) else 0.0, o["v"].to_numpy(), why, seen)
    return out


def assumption_ranges(a: Assumptions) -> pd.DataFrame:
    """Every stated assumption with its value and range; each range includes its "no effect" value.

    Columns: assumption, value, low, high, no_effect (the value at which the assumption adds
    nothing), meaning. The forecast's low end uses the no-effect values of the lifts; the high end
    uses ``high``.
    """
    u = a.uncertainty
    rows = [("Gross margin", a.margin, a.margin, a.margin, np.nan, "share of each £ of sales kept as profit (a fact, "
             "not varied)")]
    for k, v in a.elasticity.items():
        rows.append((f"Elasticity: {OFFER_TYPES.get(k, k)}", v, 0.0, v * (1 + u), 0.0,
                     "relative conversion lift per unit of order value given away"))
    for k, v in a.redemption.items():
        rows.append((f"Redemption: {OFFER_TYPES.get(k, k)}", v, 0.0, 1.0, 0.0,
                     "share of eligible orders that use the offer (the low end keeps it: the discount is still paid)"))
    rows += [("Bundle attach rate", a.bundle_attach, 0.0, min(1.0, a.bundle_attach * (1 + u)), 0.0,
              "share of orders that add the bundle; the extra sales count only at the mid and high ends"),
             ("Threshold top-up pull", a.threshold_pull, 0.0, min(1.0, a.threshold_pull * (1 + u)), 0.0,
              "share of orders just under a threshold that top up to reach it"),
             ("Uncertainty of assumed lifts", u, 0.0, u, 0.0, "± relative range of the assumed lifts (high end)")]
    return pd.DataFrame(rows, columns=["assumption", "value", "low", "high", "no_effect", "meaning"])


# ---------------------------------------------------------------- A/B evidence per segment

VARIANT_PATTERNS = ((re.compile(r"(\d+(?:\.\d+)?)\s*%\s*off", re.I), "percent_off"),
                    (re.compile(r"spend\s*\D?(\d+(?:\.\d+)?)\D+?get\s*\D?(\d+(?:\.\d+)?)", re.I), "threshold_coupon"))


def parse_variant(name: str) -> tuple[str, float, float] | None:
    """'10% off' -> ('percent_off', 10, 0); 'spend 80 get 12' -> ('threshold_coupon', 12, 80)."""
    for pattern, kind in VARIANT_PATTERNS:
        m = pattern.search(name)
        if m:
            return (kind, float(m.group(1)), 0.0) if kind == "percent_off" else (kind, float(m.group(2)),
                                                                                 float(m.group(1)))
    return None


@dataclass(frozen=True)
class Evidence:
    """What the experiment measured for one offer in one segment (per treated user)."""

    offer_type: str
    depth: float
    threshold: float
    users: int
    conv_control: float
    conv_treated: float
    gross_diff: float            # Δ(net revenue + discount) per user
    gross_treated: float         # (net revenue + discount) per treated user
    discount_per_user: float
    profit_per_user: float       # Δ contribution per user, contact cost excluded
    profit_low: float
    profit_high: float


def evidence(users: pd.DataFrame, segments: pd.DataFrame, control: str, margin: float,
             min_users: int = 30) -> dict[tuple[str, str, float, float], Evidence]:
    """Per (segment, offer type, depth, threshold): the experiment's measured effect.

    ``users``: the experiment's user rows with user_id, variant, converted, revenue, discount.
    """
    from .abtest import welch
    seg = segments.set_index("user_id")["segment"].astype(str)
    u = users.assign(segment=users["user_id"].astype(str).map(seg)).dropna(subset=["segment"])
    u = u.assign(gross=u["revenue"] + u["discount"], contrib=(u["revenue"] + u["discount"]) * margin - u["discount"])
    out = {}
    for variant in u["variant"].unique():
        parsed = parse_variant(str(variant))
        if parsed is None or variant == control:
            continue
        kind, depth, threshold = parsed
        for name, g in u.groupby("segment"):
            t, c = g[g["variant"] == variant], g[g["variant"] == control]
            if min(len(t), len(c)) < min_users:
                continue
            d, ci, _ = welch(t["contrib"].mean(), t["contrib"].var(ddof=1), len(t), c["contrib"].mean(),
                             c["contrib"].var(ddof=1), len(c))
            out[(str(name), kind, depth, threshold)] = Evidence(
                kind, depth, threshold, len(t), float(c["converted"].mean()), float(t["converted"].mean()),
                float(t["gross"].mean() - c["gross"].mean()), float(t["gross"].mean()), float(t["discount"].mean()),
                d, ci.low, ci.high)
    return out


# ---------------------------------------------------------------- forecast

FORECAST_COLUMNS = ["segment", "offer", "source", "users", "targeted", "baseline_conversion", "expected_conversion",
                    "incremental_orders", "incremental_revenue", "value_given", "cannibalised", "contact_cost",
                    "incremental_profit", "profit_low", "profit_high", "roi", "discount_share", "baseline_source"]


def _given(offer: Offer, b: Baseline, a: Assumptions) -> tuple[float, float]:
    """(value given per redeemed order, AOV increase per order) for an offer."""
    t, d = offer.offer_type, offer.depth
    if t in ("percent_off", "flash_sale"):
        return d / 100 * b.aov, 0.0
    if t == "fixed_coupon":
        return min(d, b.aov), 0.0
    if t == "threshold_coupon":
        reach, top_up = b.reach(offer.threshold, a.threshold_pull)
        return d * reach, top_up
    if t == "free_shipping":
        return a.shipping_cost, 0.0
    if t == "points":
        return (d - 1) * a.point_value * b.aov, 0.0
    if t == "bundle":
        return a.bundle_attach * d / 100 * a.bundle_price, a.bundle_attach * a.bundle_price * (1 - d / 100)
    return 0.0, 0.0


def forecast_segment(offer: Offer, b: Baseline, a: Assumptions,
                     ev: dict[tuple[str, str, float, float], Evidence] | None = None) -> dict[str, Any]:
    """The forecast of one segment's offer (a row of :data:`FORECAST_COLUMNS`)."""
    offer.validate()
    targeted = 0 if offer.offer_type == "none" else int(round(b.users * offer.target_share))
    row = {"segment": offer.segment, "offer": offer.label(), "users": b.users, "targeted": targeted,
           "baseline_conversion": b.conversion, "baseline_source": b.basis}
    if offer.offer_type == "none" or targeted == 0:
        return row | {"source": "no promotion", "expected_conversion": b.conversion, "incremental_orders": 0.0,
                      "incremental_revenue": 0.0, "value_given": 0.0, "cannibalised": 0.0, "contact_cost": 0.0,
                      "incremental_profit": 0.0, "profit_low": 0.0, "profit_high": 0.0, "roi": np.nan,
                      "discount_share": 0.0}
    contact = targeted * offer.contact_cost
    k = (offer.segment, offer.offer_type, float(offer.depth), float(offer.threshold if offer.offer_type ==
                                                                       "threshold_coupon" else 0.0))
    measured = (ev or {}).get(k)
    if measured is not None:
        p0, p1 = measured.conv_control, measured.conv_treated
        given = measured.discount_per_user * targeted
        gross = measured.gross_diff * targeted
        profit = measured.profit_per_user * targeted - contact
        low, high = measured.profit_low * targeted - contact, measured.profit_high * targeted - contact
        cannibal = given * (p0 / p1) if p1 > 0 else given
        inc_orders = (p1 - p0) * targeted * b.orders_per_buyer
        return row | {"source": "A/B test", "baseline_conversion": p0, "expected_conversion": p1,
                      "incremental_orders": inc_orders, "incremental_revenue": gross - given, "value_given": given,
                      "cannibalised": cannibal, "contact_cost": contact, "incremental_profit": profit,
                      "profit_low": low, "profit_high": high, "roi": profit / (given + contact) if given + contact
                      else np.nan,
                      "discount_share": measured.discount_per_user / measured.gross_treated if measured.gross_treated
                      else 0.0}
    per_order, top_up = _given(offer, b, a)
    share = per_order / b.aov if b.aov > 0 else 0.0
    calibrated = _calibrated_elasticity(offer, b, a, ev)
    e = calibrated if calibrated is not None else a.elasticity.get(offer.offer_type, 0.0)
    source = "A/B-calibrated elasticity" if calibrated is not None else "assumed elasticity"
    redemption = a.redemption.get(offer.offer_type, 1.0)

    def money(lift: float, top: float) -> tuple[float, float, float, float]:
        p1 = min(b.conversion * (1 + lift), 1.0)
        base_orders = targeted * b.conversion * b.orders_per_buyer
        new_orders = targeted * (p1 - b.conversion) * b.orders_per_buyer
        gross = new_orders * (b.aov + top * redemption) + base_orders * top * redemption
        given = (base_orders + new_orders) * redemption * per_order
        return p1, new_orders, gross, given

    lift = e * share * redemption
    p1, new_orders, gross, given = money(lift, top_up)
    if calibrated is None:  # low end: every assumed lift zero (no extra orders, no top-ups as new sales)
        factors = ((0.0, 0.0), (1 + a.uncertainty, 1 + a.uncertainty))
    else:  # the conversion lift was measured at another depth: a narrower band; top-ups still assumed
        factors = ((1 - a.uncertainty / 2, 0.0), (1 + a.uncertainty / 2, 1 + a.uncertainty))
    outcomes = []
    for f_lift, f_top in factors:
        _, _, g, v = money(lift * f_lift, top_up * f_top)
        outcomes.append(g * a.margin - v - contact)
    profit = gross * a.margin - given - contact
    base_orders = targeted * b.conversion * b.orders_per_buyer
    return row | {"source": source, "expected_conversion": p1, "incremental_orders": new_orders,
                  "incremental_revenue": gross - given, "value_given": given,
                  "cannibalised": base_orders * redemption * per_order, "contact_cost": contact,
                  "incremental_profit": profit, "profit_low": min(outcomes), "profit_high": max(outcomes),
                  "roi": profit / (given + contact) if given + contact else np.nan,
                  "discount_share": per_order / (b.aov + top_up) if b.aov + top_up > 0 else 0.0}


def _calibrated_elasticity(offer: Offer, b: Baseline, a: Assumptions, ev) -> float | None:
    """Lift per unit of value given, measured by the A/B test for this offer type in this segment."""
    for (seg, kind, depth, threshold), m in (ev or {}).items():
        if seg != offer.segment or kind != offer.offer_type or m.conv_control <= 0:
            continue
        tested = Offer(seg, kind, depth, threshold)
        per_order, _ = _given(tested, b, a)
        share = per_order / b.aov * a.redemption.get(kind, 1.0) if b.aov > 0 else 0.0
        if share > 0:
            return max((m.conv_treated / m.conv_control - 1) / share, 0.0)
    return None


def forecast(plan: list[Offer], base: dict[str, Baseline], a: Assumptions,
             ev: dict | None = None) -> pd.DataFrame:
    """Forecast every segment of a plan, plus a 'Total' row (ranges add up as a conservative band)."""
    a.validate()
    missing = [o.segment for o in plan if o.segment not in base]
    if missing:
        raise DataError(f"The plan names segment(s) the data does not have: {', '.join(map(repr, missing[:5]))}",
                        hint="Load a plan made for this segmentation, or reset the plan")
    rows = [forecast_segment(o, base[o.segment], a, ev) for o in plan]
    df = pd.DataFrame(rows, columns=FORECAST_COLUMNS)
    total = {c: df[c].sum() for c in ("users", "targeted", "incremental_orders", "incremental_revenue", "value_given",
                                      "cannibalised", "contact_cost", "incremental_profit", "profit_low", "profit_high")}
    cost = total["value_given"] + total["contact_cost"]
    total.update({"segment": "Total", "offer": "", "source": "", "discount_share": np.nan, "baseline_source": "",
                  "roi": total["incremental_profit"] / cost if cost else np.nan,
                  "baseline_conversion": np.average(df["baseline_conversion"], weights=df["users"]) if len(df) else np.nan,
                  "expected_conversion": np.nan})
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)[FORECAST_COLUMNS]


def same_offer_plan(template: Offer, segments: list[str]) -> list[Offer]:
    return [replace(template, segment=s) for s in segments]


def plan_comparison(plan_total: pd.Series, template: Offer, base: dict[str, Baseline], a: Assumptions,
                    ev: dict | None = None, currency: str = "£") -> pd.DataFrame:
    """This plan against the same offer to everyone and against no promotion: plan, profit, low, high."""
    everyone = forecast(same_offer_plan(replace(template, target_share=1.0), list(base)), base, a, ev).iloc[-1]
    return pd.DataFrame([
        {"plan": "This plan", "profit": plan_total["incremental_profit"], "low": plan_total["profit_low"],
         "high": plan_total["profit_high"]},
        {"plan": f"{template.label(currency)} to everyone", "profit": everyone["incremental_profit"],
         "low": everyone["profit_low"], "high": everyone["profit_high"]},
        {"plan": "No promotion", "profit": 0.0, "low": 0.0, "high": 0.0}])


# ---------------------------------------------------------------- optimiser

def option_grid(b: Baseline, contact_cost: float, types: tuple[str, ...] | None = None) -> list[Offer]:
    """Candidate offers for one segment: every type at a few depths and targeted shares."""
    aov = max(b.aov, 1.0)
    depths: dict[str, list[tuple[float, float]]] = {
        "percent_off": [(5, 0), (10, 0), (15, 0), (20, 0)], "flash_sale": [(15, 0), (25, 0)],
        "fixed_coupon": [(round(0.1 * aov), 0), (round(0.2 * aov), 0)], "free_shipping": [(0, 0)],
        "points": [(2, 0), (3, 0)], "bundle": [(10, 0)],
        "threshold_coupon": [(round(f * t), round(t)) for t in (1.2 * aov, 1.5 * aov) for f in (0.1, 0.15)]}
    out = [Offer(b.segment)]
    for kind, grid in depths.items():
        if types is not None and kind not in types:
            continue
        for depth, threshold in grid:
            for share in (0.25, 0.5, 0.75, 1.0):
                out.append(Offer(b.segment, kind, float(depth), float(threshold), share, contact_cost))
    return out


@dataclass(frozen=True)
class Optimised:
    plan: list[Offer]
    expected_profit: float
    cost: float
    reasons: pd.DataFrame     # segment, chosen, profit, cost, runner_up (never more profit than the choice),
    #                           runner_up_profit, better_but_over_budget (+ its profit and cost), why
    status: str


def optimise(base: dict[str, Baseline], a: Assumptions, budget: float, ev: dict | None = None,
             caps: dict[str, float] | None = None, min_margin: float = 0.0, contact_cost: float = 0.15,
             extra_options: dict[str, list[Offer]] | None = None, types: tuple[str, ...] | None = None,
             only_tested: bool = False) -> Optimised:
    """Choose one offer per segment to maximise expected incremental profit (scipy ``milp``, HiGHS).

    Constraints: exactly one option per segment ('No offer' is always one); total cost (value given
    + contact cost) ≤ ``budget``; each segment's cost ≤ its cap; options whose margin after the
    discount, (margin − d) ÷ (1 − d) with d the value given as a share of the order, is below
    ``min_margin`` are left out. The offers the A/B test measured are always candidates;
    ``only_tested`` keeps to them (and 'No offer'), so the plan rests on measurements alone.
    """
    if not isinstance(budget, (int, float)) or not math.isfinite(budget) or budget <= 0:
        raise DataError(f"The budget must be a positive amount; got {budget!r}",
                        hint="Enter the most you can spend on discounts and contacts")
    if not base:
        raise DataError("There are no segments to plan for", hint="Form segments on the Segments page first")
    caps = caps or {}
    segs, options, profit, cost = [], [], [], []
    for s, b in base.items():
        b = replace(b, segment=s) if b.segment != s else b
        if b.users == 0:
            continue
        tested = [Offer(s, kind, depth, threshold, share, contact_cost)
                  for (seg, kind, depth, threshold) in (ev or {}) if seg == s for share in (0.5, 1.0)]
        opts = ([Offer(s)] if only_tested else option_grid(b, contact_cost, types)) + tested
        opts += list((extra_options or {}).get(s, []))
        for o in opts:
            f = forecast_segment(o, b, a, ev)
            c = f["value_given"] + f["contact_cost"]
            d = min(f["discount_share"], 0.99)
            low_margin = min_margin > 0 and (a.margin - d) / (1 - d) < min_margin
            if o.offer_type != "none" and (low_margin or c > caps.get(s, math.inf)):
                continue
            segs.append(s)
            options.append(o)
            profit.append(f["incremental_profit"])
            cost.append(c)
    names = list(dict.fromkeys(segs))
    n = len(options)
    one_each = np.array([[1.0 if segs[j] == s else 0.0 for j in range(n)] for s in names])
    constraints = [LinearConstraint(one_each, 1, 1), LinearConstraint(np.array([cost]), 0, budget)]
    res = milp(c=-np.array(profit), constraints=constraints, integrality=np.ones(n), bounds=Bounds(0, 1))
    if not res.success:
        raise DataError(f"The optimiser found no plan ({res.message})", hint="Raise the budget or loosen the limits")
    chosen = [j for j in range(n) if res.x[j] > 0.5]
    plan, rows = [], []
    for s in names:
        j = next(j for j in chosen if segs[j] == s)
        # the runner-up never shows more profit than the choice; a better offer the budget rules out is
        # named separately
        alts = sorted((k for k in range(n) if segs[k] == s and k != j and profit[k] <= profit[j]),
                      key=lambda k: -profit[k])
        runner = alts[0] if alts else None
        best_any = max((k for k in range(n) if segs[k] == s), key=lambda k: profit[k])
        over = best_any if profit[best_any] > profit[j] else None
        if options[j].offer_type == "none":
            why = ("no offer is expected to make money here" if profit[best_any] <= 0 else
                   "the offers that pay here do not fit the budget alongside better uses")
        elif best_any != j:
            why = "the most profitable offer here costs more than the budget leaves"
        else:
            why = "the most profitable option for this segment"
        plan.append(options[j])
        rows.append({"segment": s, "chosen": options[j].label(), "targeted_share": options[j].target_share,
                     "expected_profit": profit[j], "cost": cost[j],
                     "runner_up": options[runner].label() if runner is not None else "",
                     "runner_up_profit": profit[runner] if runner is not None else np.nan,
                     "better_but_over_budget": options[over].label() if over is not None else "",
                     "better_but_over_budget_profit": profit[over] if over is not None else np.nan,
                     "better_but_over_budget_cost": cost[over] if over is not None else np.nan, "why": why})
    return Optimised(plan, float(-res.fun), float(sum(cost[j] for j in chosen)), pd.DataFrame(rows), "optimal")


# ---------------------------------------------------------------- plan files

def plan_to_json(plan: list[Offer], a: Assumptions, dataset: dict, segmentation: str) -> str:
    return json.dumps({"promoscope_plan": PLAN_VERSION, "dataset": dataset, "segmentation": segmentation,
                       "assumptions": asdict(a), "offers": [asdict(o) for o in plan]}, indent=2, ensure_ascii=False)


#: ranges of the numbers a plan file may hold (anything else is refused with the field's name)
OFFER_FIELDS: dict[str, Field] = {
    "depth": Field("The offer's depth", 0, 10_000), "threshold": Field("The spend threshold", 0, 10_000_000),
    "target_share": Field("The targeted share", 0, 1), "contact_cost": Field("The contact cost per user", 0, 10_000),
}
ASSUMPTION_FIELDS: dict[str, Field] = {
    "margin": Field("The gross margin", 0, 1), "horizon_days": Field("The campaign length in days", 1, 365, True),
    "shipping_cost": Field("The shipping cost", 0, 10_000), "point_value": Field("The value of a point", 0, 100),
    "bundle_attach": Field("The bundle attach rate", 0, 1), "bundle_price": Field("The bundle price", 0, 1_000_000),
    "threshold_pull": Field("The share of orders topped up to a threshold", 0, 1),
    "uncertainty": Field("The uncertainty of assumed lifts", 0, 10),
}
ASSUMPTION_DICTS: dict[str, tuple[Field, dict[str, str]]] = {
    "elasticity": (Field("The elasticity", 0, 50), {k: v for k, v in OFFER_TYPES.items() if k != "none"}),
    "redemption": (Field("The redemption rate", 0, 1), {k: v for k, v in OFFER_TYPES.items() if k != "none"}),
}
MAX_PLAN_OFFERS = 1000


def plan_from_json(text: str | bytes, dataset: dict, segments: list[str]) -> tuple[list[Offer], Assumptions]:
    """Read and validate a plan file, whole, against the current data and segments.

    Every field of every offer and of the assumptions is checked (type, finite, range, known offer
    type, no duplicate segment) and any problem is one DataError that names the field.
    """
    data = load_json(text)
    if not isinstance(data, dict) or data.get("promoscope_plan") != PLAN_VERSION:
        raise DataError("This is not a PromoScope plan file (or it is from another version)",
                        hint="Save the plan again from the planner")
    if data.get("dataset") != dataset:
        was = data.get("dataset") if isinstance(data.get("dataset"), dict) else {}
        raise DataError("The plan was made for another dataset",
                        where=f"plan: {str(was.get('name', '?'))[:80]} ({str(was.get('users', '?'))[:20]} users); "
                              f"now: {dataset.get('name')} ({dataset.get('users')} users)",
                        hint="Load the data the plan was made for, or build a new plan")
    raw_offers = data.get("offers")
    if not isinstance(raw_offers, list) or not raw_offers or len(raw_offers) > MAX_PLAN_OFFERS:
        raise DataError(f"The plan file needs a list of 1 to {MAX_PLAN_OFFERS:,} offers under 'offers'",
                        hint="Save the plan again from the planner")
    offers, seen = [], set()
    for i, o in enumerate(raw_offers, start=1):
        checked = record(o, OFFER_FIELDS, f"offer {i}", text_fields=("segment",),
                         choice_fields={"offer_type": OFFER_TYPES})
        if "segment" not in checked:
            raise DataError("Every offer needs a 'segment'", where=f"offer {i}", hint="Save the plan again")
        if checked["segment"] in seen:
            raise DataError(f"The plan has two offers for segment {checked['segment']!r}", where=f"offer {i}",
                            hint="Keep one offer per segment")
        seen.add(checked["segment"])
        offers.append(Offer(**checked).validate())
    a_fields = {f.name: ASSUMPTION_FIELDS.get(f.name, Field(f"'{f.name}'", 0, 1_000_000))
                for f in fields(Assumptions) if f.name not in ASSUMPTION_DICTS}
    checked = record(data.get("assumptions", {}), a_fields, "assumptions", dict_fields=ASSUMPTION_DICTS)
    defaults = Assumptions()
    for name in ASSUMPTION_DICTS:  # a partial table keeps the defaults for the types it does not name
        if name in checked:
            checked[name] = {**getattr(defaults, name), **checked[name]}
    a = Assumptions(**checked).validate()
    unknown = [o.segment for o in offers if o.segment not in segments]
    if unknown:
        raise DataError("The plan names segments this segmentation does not have",
                        where=", ".join(map(repr, unknown[:5])),
                        hint="Choose the same segmentation as when the plan was saved")
    return offers, a


def target_list(plan: list[Offer], segments: pd.DataFrame, fc: pd.DataFrame, uplift: pd.Series | None = None,
                seed: int = 0) -> pd.DataFrame:
    """Users to contact: user_id, segment, offer, depth, expected_uplift.

    Within a segment the targeted share goes to the users with the highest predicted uplift when an
    uplift model is given; otherwise a seeded random sample (ranking by propensity would pick sure
    things, whose discounts are pure cost).
    """
    rng = np.random.default_rng(seed)
    rows = []
    by_seg = fc.set_index("segment")
    for o in plan:
        if o.offer_type == "none" or o.target_share == 0:
            continue
        members = segments.loc[segments["segment"].astype(str) == o.segment, "user_id"].astype(str).to_numpy()
        k = int(round(len(members) * o.target_share))
        if uplift is not None:
            scores = pd.Series(members).map(uplift).fillna(-np.inf).to_numpy()
            pick = members[np.argsort(-scores, kind="stable")[:k]]
        else:
            pick = rng.choice(members, size=k, replace=False) if k else members[:0]
        avg = by_seg.loc[o.segment, "expected_conversion"] - by_seg.loc[o.segment, "baseline_conversion"]
        for u in pick:
            rows.append({"user_id": u, "segment": o.segment, "offer": o.label(), "offer_type": o.offer_type,
                         "depth": o.depth, "threshold": o.threshold,
                         "expected_uplift": float(uplift.get(u, avg)) if uplift is not None else float(avg)})
    return pd.DataFrame(rows, columns=["user_id", "segment", "offer", "offer_type", "depth", "threshold",
                                       "expected_uplift"])


# ---------------------------------------------------------------- forecast.json (the `plan` command)

SOURCE_KINDS = {"A/B test": "measured", "A/B-calibrated elasticity": "calibrated", "assumed elasticity": "assumed",
                "no promotion": "none"}
MONEY_FIELDS = ("incremental_revenue", "value_given", "cannibalised", "contact_cost", "incremental_profit",
                "profit_low", "profit_high")


def _num(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    return v


def forecast_record(fc: pd.DataFrame, plan: list[Offer], base: dict[str, Baseline], a: Assumptions) -> dict:
    """The forecast.json contract: ``segments`` (one object per segment: segment, users, targeted,
    baseline_conversion, baseline_source, offer, offer_type, depth, threshold, target_share, source —
    measured / calibrated / assumed / none —, expected_conversion, incremental_orders, the money fields
    and roi), ``total`` (users, targeted, the money fields, roi) and ``assumptions`` (every assumption
    with its range, see :func:`assumption_ranges`). Money in the data's currency; NaN becomes null."""
    offers = {o.segment: o for o in plan}
    rows = []
    for r in fc[fc["segment"] != "Total"].to_dict(orient="records"):
        o = offers[r["segment"]]
        b = base[r["segment"]]
        rows.append({"segment": r["segment"], "users": int(r["users"]), "targeted": int(r["targeted"]),
                     "baseline_conversion": _num(r["baseline_conversion"]), "baseline_source": b.basis,
                     "baseline_customer_windows": b.customers_observed,
                     "offer": r["offer"], "offer_type": o.offer_type, "depth": o.depth, "threshold": o.threshold,
                     "target_share": o.target_share, "contact_cost_per_user": o.contact_cost,
                     "source": SOURCE_KINDS.get(r["source"], r["source"]),
                     "expected_conversion": _num(r["expected_conversion"]),
                     "incremental_orders": _num(r["incremental_orders"]),
                     **{k: _num(r[k]) for k in MONEY_FIELDS}, "roi": _num(r["roi"])})
    t = fc.iloc[-1]
    total = {"users": int(t["users"]), "targeted": int(t["targeted"]),
             "incremental_orders": _num(t["incremental_orders"]), **{k: _num(t[k]) for k in MONEY_FIELDS},
             "roi": _num(t["roi"])}
    ranges = [{k: _num(v) for k, v in row.items()} for row in assumption_ranges(a).to_dict(orient="records")]
    return {"segments": rows, "total": total, "assumptions": ranges,
            "horizon_days": a.horizon_days, "margin": a.margin}
