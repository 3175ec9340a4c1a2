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
from .i18n import N_, _, fmt_num
from .offers import MECHANICS, MID, Scenario
from .plan_files import Field, load_json, record
from .schema import MONEY_DECIMALS, DataError, line_amount

PLAN_VERSION = 1
#: offer_type (a stable English key, stored in plan files) -> its name (N_: translate with _() where shown)
OFFER_TYPES: dict[str, str] = {
    "none": N_("No offer"), "percent_off": N_("Percent off"), "threshold_coupon": N_("Spend X, get Y off"),
    "fixed_coupon": N_("Fixed coupon"), "free_shipping": N_("Free shipping"), "bundle": N_("Bundle deal"),
    "points": N_("Points multiplier"), **{k: m.name for k, m in MECHANICS.items()},
}
#: what 'depth' means for each offer type (N_, with {currency}), and its allowed range; "" = not used
DEPTH: dict[str, tuple[str, float, float]] = {
    "none": ("", 0, 0), "percent_off": (N_("% off"), 0, 100), "flash_sale": (N_("% off"), 0, 100),
    "threshold_coupon": (N_("{currency} off"), 0, 10_000), "fixed_coupon": (N_("{currency} off"), 0, 10_000),
    "free_shipping": ("", 0, 0), "bundle": (N_("% off the bundle"), 0, 100), "points": (N_("× points"), 1, 20),
    "tiered_discount": ("", 0, 0), "gift_with_purchase": (N_("{currency} gift cost price"), 0, 10_000),
    "second_item": (N_("% off the second item"), 0, 100), "member_points": (N_("points per {currency}1"), 0, 100),
    "deposit_presale": ("", 0, 0),
}


def offer_type_name(kind: str) -> str:
    """The offer type's name in the current language."""
    return _(OFFER_TYPES.get(kind, kind))


def depth_unit(kind: str, currency: str = "£") -> str:
    unit = DEPTH.get(kind, ("", 0, 0))[0]
    return _(unit).format(currency=currency) if unit else ""


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
        "free_shipping": 3.0, "bundle": 1.5, "points": 1.0,
        **{k: m.default_elasticity for k, m in MECHANICS.items() if k != "flash_sale"}})
    redemption: dict[str, float] = field(default_factory=lambda: {
        "percent_off": 1.0, "flash_sale": 1.0, "threshold_coupon": 0.8, "fixed_coupon": 0.8,
        "free_shipping": 1.0, "bundle": 1.0, "points": 1.0,
        **{k: m.default_redemption for k, m in MECHANICS.items() if k != "flash_sale"}})
    shipping_cost: float = 3.95
    point_value: float = 0.01
    bundle_attach: float = 0.15
    bundle_price: float = 30.0
    threshold_pull: float = 0.5
    uncertainty: float = 0.5
    second_item_take: float = 0.2       # share of one-item orders that add a second item (第二件半价)
    points_redeemed: float = 0.5        # share of member points ever redeemed (会员积分)
    presale_completion: float = 0.8     # share of extra pre-sale deposits completed (预售定金膨胀)
    presale_pull_forward: float = 0.3   # share of extra completed pre-sale orders that would have come anyway

    def validate(self) -> Assumptions:
        if not 0 < self.margin <= 1:
            raise DataError(_("The gross margin must be between 0% and 100%; got {value}").format(
                value=repr(self.margin)), hint=_("Try 40%"))
        if not 1 <= self.horizon_days <= 365:
            raise DataError(_("The campaign length must be 1 to 365 days"), hint=_("Try 14"))
        for k, v in {**self.elasticity, **self.redemption}.items():
            if v < 0:
                raise DataError(_("Assumption for {name} cannot be negative").format(name=offer_type_name(k)),
                                hint=_("Use 0 or more"))
        for name in ("second_item_take", "points_redeemed", "presale_completion", "presale_pull_forward"):
            if not 0 <= getattr(self, name) <= 1:
                raise DataError(_("{label} must be from 0% to 100%; got {value}").format(
                    label=_(ASSUMPTION_FIELDS[name].label), value=fmt_num(getattr(self, name))),
                    hint=_("Use a share between 0 and 1"))
        return self


@dataclass(frozen=True)
class Offer:
    """One segment's offer. ``depth``: % for percent/flash/bundle/second item, £ for coupons and the gift's cost
    price, × for the points multiplier, points per £ for member points. ``tiers``: (threshold, amount off)
    pairs of a tiered spend-and-save; ``window_start``/``window_hours``/``stock``: a flash sale's daily window
    (hour of day, length) and its stock in units (0: no limit); ``deposit``/``deposit_value``: a pre-sale's
    deposit and what it counts for at the final payment."""

    segment: str
    offer_type: str = "none"
    depth: float = 0.0
    threshold: float = 0.0
    target_share: float = 1.0
    contact_cost: float = 0.0
    tiers: tuple[tuple[float, float], ...] = ()
    window_start: float = 0.0
    window_hours: float = 24.0
    stock: float = 0.0
    deposit: float = 0.0
    deposit_value: float = 0.0

    def __post_init__(self) -> None:  # JSON and tables give lists: keep one hashable, comparable form
        object.__setattr__(self, "tiers", tuple((float(t), float(o)) for t, o in (self.tiers or ())))

    def validate(self) -> Offer:
        if self.offer_type not in OFFER_TYPES:
            raise DataError(_("Unknown offer type {kind} for segment {segment}").format(
                kind=repr(self.offer_type), segment=repr(self.segment)),
                hint=_("Use one of: {names}").format(names=", ".join(OFFER_TYPES)))
        unit, lo, hi = DEPTH[self.offer_type]
        if unit and not lo <= self.depth <= hi:
            raise DataError(_("The depth of the offer {name} for {segment} must be from {lo} to {hi} ({unit}); got "
                              "{value}").format(name=offer_type_name(self.offer_type), segment=repr(self.segment),
                                                lo=f"{lo:g}", hi=f"{hi:g}", unit=depth_unit(self.offer_type),
                                                value=f"{self.depth:g}"),
                            hint=_("A discount cannot exceed 100% of the price"))
        if not 0 <= self.target_share <= 1:
            raise DataError(_("The targeted share of {segment} must be 0% to 100%; got {value}").format(
                segment=repr(self.segment), value=f"{self.target_share:.0%}"), hint=_("Use a share between 0 and 1"))
        if self.contact_cost < 0 or self.threshold < 0 or self.stock < 0 or self.deposit < 0:
            raise DataError(_("Costs and thresholds for {segment} cannot be negative").format(
                segment=repr(self.segment)), hint=_("Use 0 or more"))
        if self.offer_type == "threshold_coupon" and self.threshold <= 0:
            raise DataError(_("The threshold coupon for {segment} needs a threshold above 0").format(
                segment=repr(self.segment)), hint=_("e.g. 80"))
        if self.offer_type in MECHANICS:
            MECHANICS[self.offer_type].validate(self)
        return self

    def label(self, currency: str = "£") -> str:
        """The offer in words, in the current language (e.g. 'Spend £80, get £12 off')."""
        t, d = self.offer_type, self.depth
        if t in MECHANICS:
            return MECHANICS[t].label(self, currency)
        if t == "percent_off":
            return _("{d}% off").format(d=f"{d:g}")
        if t == "threshold_coupon":
            return _("Spend {t}, get {off} off").format(t=f"{currency}{self.threshold:g}", off=f"{currency}{d:g}")
        if t == "fixed_coupon":
            return _("{amount} coupon").format(amount=f"{currency}{d:g}")
        if t == "bundle":
            return _("Bundle {d}% off").format(d=f"{d:g}")
        if t == "points":
            return _("{d}× points").format(d=f"{d:g}")
        return offer_type_name(t)

    def evidence_key(self) -> tuple[str, str, float, float]:
        """(segment, offer type, depth, threshold): where an A/B variant of this offer is stored."""
        if self.offer_type in MECHANICS:
            return (self.segment, self.offer_type, *MECHANICS[self.offer_type].evidence_key(self))
        return (self.segment, self.offer_type, float(self.depth),
                float(self.threshold if self.offer_type == "threshold_coupon" else 0.0))


def offer_from_key(segment: str, kind: str, depth: float, threshold: float, target_share: float = 1.0,
                   contact_cost: float = 0.0) -> Offer:
    """The offer an A/B variant parsed as (kind, depth, threshold) stands for."""
    if kind in MECHANICS:
        return MECHANICS[kind].from_key(Offer, segment, depth, threshold, target_share=target_share,
                                        contact_cost=contact_cost)
    return Offer(segment, kind, depth, threshold, target_share, contact_cost)


#: an offer's own settings (what a target list's ``offer_spec`` column keeps, so a readout knows the offer exactly)
SPEC_FIELDS = ("offer_type", "depth", "threshold", "tiers", "window_start", "window_hours", "stock", "deposit",
               "deposit_value")


def offer_spec(o: Offer) -> str:
    """The offer's settings as compact JSON (fields at their default left out; segment, share and contact
    cost are not part of it): ``{"offer_type": "tiered_discount", "tiers": [[200.0, 20.0], [400.0, 50.0]]}``."""
    default = Offer(o.segment)
    spec: dict[str, Any] = {"offer_type": o.offer_type}
    for k in SPEC_FIELDS[1:]:
        v = getattr(o, k)
        if v != getattr(default, k):
            spec[k] = [[float(t), float(off)] for t, off in v] if k == "tiers" else float(v)
    return json.dumps(spec, separators=(",", ":"), ensure_ascii=False)


def offer_from_spec(segment: str, text: Any) -> Offer:
    """The offer a target list's ``offer_spec`` cell describes, checked like a plan file's offer (DataError
    naming the field otherwise)."""
    where = _("the offer_spec of segment {segment}").format(segment=repr(str(segment)))
    checked = record(load_json(str(text), what="offer_spec", max_bytes=4096), OFFER_FIELDS, where,
                     choice_fields={"offer_type": OFFER_TYPES}, pair_fields=OFFER_PAIRS)
    unknown = set(checked) - set(SPEC_FIELDS)
    if unknown:
        raise DataError(_("Unknown field(s) in {where}: {names}").format(where=where, names=", ".join(sorted(unknown))),
                        hint=_("Use the target list PromoScope exported"))
    return Offer(str(segment), **checked).validate()


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
    order_items: np.ndarray | None = None     # items per order, aligned with order_values (None: unknown)
    activity_hours: np.ndarray | None = None  # share of the segment's events in each hour of day (24; None: no times)

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
    """One row per order: user_id, key, t (first line's time), v (gross value of product lines), n (items:
    the units of its product lines, or its lines when units are unknown)."""
    from .nonproduct import is_nonproduct
    buys = events[(events["event"] == "purchase") & events["price"].notna()]
    if buys.empty:
        raise DataError(_("The planner needs purchases with prices to measure order values"),
                        hint=_("Load data with a price column"))
    gross = line_amount(buys) + (buys["discount"].fillna(0) if "discount" in buys else 0) * buys["quantity"]
    product = ~is_nonproduct(buys, nonproduct)
    gross = gross.where(product, 0.0)
    units = buys["quantity"].fillna(1).clip(lower=0) if "quantity" in buys else pd.Series(1.0, index=buys.index)
    orders = pd.DataFrame({"user_id": buys["user_id"].astype(str).to_numpy(), "key": order_keys(buys).to_numpy(),
                           "t": buys["timestamp"].to_numpy(), "v": gross.to_numpy(),
                           "n": units.where(product, 0.0).to_numpy(dtype=float)})
    out = orders.groupby(["user_id", "key"], sort=False).agg(t=("t", "min"), v=("v", "sum"), n=("n", "sum")).reset_index()
    # an order of 1.25 × 160 must meet a 200 threshold whatever order its lines were summed in (an engine's): values
    # are rounded to a millionth of the currency unit
    out["v"] = out["v"].round(ORDER_VALUE_DECIMALS)
    return out


#: order values are settled as all money is (see :func:`_orders`)
ORDER_VALUE_DECIMALS = MONEY_DECIMALS


@dataclass(frozen=True)
class History:
    """What the planner's baselines read from the events, small enough for memory at any data size: one row
    per order (:func:`_orders`), when each customer was first seen, the span of the data, and a function from
    a segmentation to each segment's activity by hour of day. :func:`history` builds it from events in
    memory; an engine dataset builds the same from its rows in the engine
    (:meth:`promo_core.engines.dataset.EngineDataset.history`)."""

    orders: pd.DataFrame           # user_id, key, t, v, n
    first_seen: pd.Series          # user_id (str) -> time of the first event
    start: pd.Timestamp
    end: pd.Timestamp
    hours: Callable[[pd.DataFrame], dict[str, np.ndarray] | None]


def history(events: pd.DataFrame | History, nonproduct: tuple[str, ...] = ()) -> History:
    """The :class:`History` of canonical events (a History is returned as it is)."""
    if isinstance(events, History):
        return events
    return History(orders=_orders(events, nonproduct),
                   first_seen=events.groupby(events["user_id"].astype(str), observed=True)["timestamp"].min(),
                   start=events["timestamp"].min(), end=events["timestamp"].max(),
                   hours=lambda segments: activity_by_hour(events, segments))


def activity_by_hour(events: pd.DataFrame, segments: pd.DataFrame) -> dict[str, np.ndarray] | None:
    """Share of each segment's events in each hour of the day (24 values summing to 1), from the
    timestamps; None when the data has no times of day (every event at midnight)."""
    ts = events["timestamp"]
    hours = ts.dt.hour
    if not ((hours != 0) | (ts.dt.minute != 0)).any():
        return None
    seg = segments.set_index(segments["user_id"].astype(str))["segment"].astype(str)
    frame = pd.DataFrame({"segment": events["user_id"].astype(str).map(seg).to_numpy(), "hour": hours.to_numpy()})
    counts = frame.dropna(subset=["segment"]).groupby(["segment", "hour"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=range(24), fill_value=0)
    return {str(k): (row / row.sum()).to_numpy(dtype=float) for k, row in counts.iterrows() if row.sum() > 0}


def baseline_windows(events: pd.DataFrame | History, segments: pd.DataFrame, horizon_days: int = 14,
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
    hist = history(events, nonproduct)
    end, first_seen, orders = hist.end, hist.first_seen, hist.orders
    seg = segments.set_index(segments["user_id"].astype(str))["segment"].astype(str)
    starts = [("earlier window", end - (i + 1) * h) for i in range(1, windows + 1)]
    if same_period_last_year:
        starts.append(("same period last year", end - pd.Timedelta(days=365)))
    rows = []
    for kind, t0 in starts:
        t1 = t0 + h
        if t0 < hist.start:
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


def baselines(events: pd.DataFrame | History, segments: pd.DataFrame, horizon_days: int = 14,
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
    hist = history(events, nonproduct)
    orders = hist.orders.assign(segment=hist.orders["user_id"].map(seg))
    win = baseline_windows(hist, segments, horizon_days, windows, segment_at, same_period_last_year, nonproduct)
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
    hours = hist.hours(segments)
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
                                  float(o["v"].mean()) if len(o) else 0.0, o["v"].to_numpy(), why, seen,
                                  np.maximum(o["n"].to_numpy(dtype=float), 1.0),
                                  None if hours is None else hours.get(str(name)))
    return out


#: the assumptions that are not per offer type: key -> (name, meaning, which way it moves profit)
ASSUMPTION_TEXT: dict[str, tuple[str, str]] = {
    "margin": (N_("Gross margin"), N_("share of each sale kept as profit (a fact, not varied)")),
    "bundle_attach": (N_("Bundle attach rate"),
                      N_("share of orders that add the bundle; the extra sales count only at the mid and high ends")),
    "threshold_pull": (N_("Threshold top-up pull"), N_("share of orders just under a threshold (满减, 满赠, spend-X "
                                                       "coupons) that top up to reach it")),
    "second_item_take": (N_("Extra items bought (第二件半价)"),
                         N_("share of one-item orders that add a second item to get the discount")),
    "points_redeemed": (N_("Points redeemed (会员积分)"),
                        N_("share of member points ever redeemed; only that share costs the shop, paid later")),
    "presale_completion": (N_("Deposits completed (预售定金膨胀)"),
                           N_("share of the extra pre-sale deposits that complete; the rest are forfeited and kept "
                              "as revenue")),
    "presale_pull_forward": (N_("Pulled-forward demand (预售定金膨胀)"),
                             N_("share of extra completed pre-sale orders that would have come later at full price "
                                "anyway")),
    "uncertainty": (N_("Uncertainty of assumed lifts"), N_("± relative range of the assumed lifts (high end)")),
}
ELASTICITY_MEANING = N_("relative conversion lift per unit of order value given away")
REDEMPTION_MEANING = N_("share of eligible orders that use the offer (the low end keeps it: the discount is still paid)")


def assumption_label(key: str) -> str:
    """The name of an assumption (a ``key`` of :func:`assumption_ranges`) in the current language."""
    if key.startswith("elasticity.") or key.startswith("redemption."):
        kind, offer = key.split(".", 1)
        text = _("Elasticity: {offer}") if kind == "elasticity" else _("Redemption: {offer}")
        return text.format(offer=offer_type_name(offer))
    return _(ASSUMPTION_TEXT[key][0]) if key in ASSUMPTION_TEXT else key


def basis_label(basis: str) -> str:
    """Where a baseline's conversion comes from (:attr:`Baseline.basis`, English) in the current language."""
    m = re.fullmatch(r"(\d+) earlier windows", basis)
    if m:
        return _("{n} earlier windows").format(n=m.group(1))
    return _(BASIS_LABELS.get(basis, basis)) if basis in BASIS_LABELS else basis


BASIS_LABELS = {"same period last year": N_("same period last year"), "A/B control group": N_("A/B control group"),
                "all customers (no history for this segment)": N_("all customers (no history for this segment)"),
                "given": N_("given")}


def assumption_ranges(a: Assumptions) -> pd.DataFrame:
    """Every stated assumption with its value and range; each range includes its "no effect" value.

    Columns: key (machine name), assumption (English name), value, low, high, no_effect (the value at which
    the assumption adds nothing), meaning (English; translate with ``_``), direction ('helps': the low end of
    the forecast sets it to no effect; 'costs': the low end uses its high value; 'fact': not varied). The
    names and meanings are N_-marked English so exports keep one language; pages translate them
    (:func:`assumption_label`, ``_(meaning)``).
    """
    u = a.uncertainty

    def text(key: str) -> tuple[str, str]:
        return ASSUMPTION_TEXT[key]
    rows = [("margin", *text("margin")[:1], a.margin, a.margin, a.margin, np.nan, text("margin")[1], "fact")]
    for k, v in a.elasticity.items():
        rows.append((f"elasticity.{k}", f"Elasticity: {OFFER_TYPES.get(k, k)}", v, 0.0, v * (1 + u), 0.0,
                     ELASTICITY_MEANING, "helps"))
    for k, v in a.redemption.items():
        rows.append((f"redemption.{k}", f"Redemption: {OFFER_TYPES.get(k, k)}", v, 0.0, 1.0, 0.0,
                     REDEMPTION_MEANING, "fact"))
    for key, direction in (("bundle_attach", "helps"), ("threshold_pull", "helps"), ("second_item_take", "helps"),
                           ("points_redeemed", "costs"), ("presale_completion", "mixed"),
                           ("presale_pull_forward", "costs")):
        v = getattr(a, key)
        rows.append((key, text(key)[0], v, 0.0, min(1.0, v * (1 + u)), 0.0, text(key)[1], direction))
    rows.append(("uncertainty", text("uncertainty")[0], u, 0.0, u, 0.0, text("uncertainty")[1], "fact"))
    return pd.DataFrame(rows, columns=["key", "assumption", "value", "low", "high", "no_effect", "meaning",
                                       "direction"])


# ---------------------------------------------------------------- A/B evidence per segment

_NUM = r"(\d+(?:\.\d+)?)"
#: (pattern, offer type, (depth, threshold) from the match), most specific first
VARIANT_PATTERNS: tuple[tuple[re.Pattern, str, Callable[[re.Match], tuple[float, float]]], ...] = (
    (re.compile(r"定金\s*\D?" + _NUM + r"\s*(?:抵|当|膨胀(?:为|到)?)\s*\D?" + _NUM), "deposit_presale",
     lambda m: (float(m.group(2)), float(m.group(1)))),
    (re.compile(r"deposit\s*\D?" + _NUM + r"\D+?(?:counts?\s+as|worth)\s*\D?" + _NUM, re.I), "deposit_presale",
     lambda m: (float(m.group(2)), float(m.group(1)))),
    (re.compile(r"(?:flash|秒杀)\D*?" + _NUM + r"\s*%", re.I), "flash_sale", lambda m: (float(m.group(1)), 0.0)),
    (re.compile(r"满\s*\D?" + _NUM + r"\s*减\s*\D?" + _NUM), "tiered_discount",
     lambda m: (float(m.group(2)), float(m.group(1)))),
    (re.compile(r"满\s*\D?" + _NUM + r"\s*[赠送]\D*?" + _NUM), "gift_with_purchase",
     lambda m: (float(m.group(2)), float(m.group(1)))),
    (re.compile(r"gift\D*?" + _NUM + r"\D+?(?:over|spend|above)\s*\D?" + _NUM, re.I), "gift_with_purchase",
     lambda m: (float(m.group(1)), float(m.group(2)))),
    (re.compile(r"第二件\s*半价|second\s+item\s+half\s+price", re.I), "second_item", lambda m: (50.0, 0.0)),
    (re.compile(r"第二件\s*" + _NUM + r"\s*折"), "second_item", lambda m: (100.0 - 10 * float(m.group(1)), 0.0)),
    (re.compile(r"second\s+item\D*?" + _NUM + r"\s*%\s*off", re.I), "second_item",
     lambda m: (float(m.group(1)), 0.0)),
    (re.compile(_NUM + r"\s*points?\s+per", re.I), "member_points", lambda m: (float(m.group(1)), 0.0)),
    (re.compile(_NUM + r"\s*%\s*off", re.I), "percent_off", lambda m: (float(m.group(1)), 0.0)),
    (re.compile(r"spend\s*\D?" + _NUM + r"\D+?get\s*\D?" + _NUM, re.I), "threshold_coupon",
     lambda m: (float(m.group(2)), float(m.group(1)))),
)


def parse_variant(name: str) -> tuple[str, float, float] | None:
    """An A/B variant's name as (offer type, depth, threshold), or None when it names no offer.

    '10% off' -> ('percent_off', 10, 0); 'spend 80 get 12' -> ('threshold_coupon', 12, 80); '满200减20' ->
    ('tiered_discount', 20, 200) (one tier: a name with several tiers is not read); '满80赠5' (gift costing 5)
    -> ('gift_with_purchase', 5, 80); '第二件半价' -> ('second_item', 50, 0); '第二件7折' -> 30% off the second
    item; 'flash sale 20% off' / '秒杀20%' -> ('flash_sale', 20, 0) (all day, no stock limit); '2 points per £'
    -> ('member_points', 2, 0); '定金20抵50' / 'deposit 20 counts as 50' -> ('deposit_presale', 50, 20).
    """
    if len(re.findall(r"满\s*\D?\d+(?:\.\d+)?\s*减", name)) > 1:
        return None
    for pattern, kind, read in VARIANT_PATTERNS:
        m = pattern.search(name)
        if m:
            depth, threshold = read(m)
            return kind, depth, threshold
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
    offer: Offer | None = None   # the offer measured, when known whole (a campaign readout's offer_spec)


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
                    "incremental_profit", "profit_low", "profit_high", "roi", "discount_share", "baseline_source",
                    "deferred_cost", "forfeited_deposits"]
#: the forecast's "source" values (English machine values, kept in exports; pages show _(source))
SOURCE_LABELS = {"A/B test": N_("A/B test"), "A/B-calibrated elasticity": N_("A/B-calibrated elasticity"),
                 "assumed elasticity": N_("assumed elasticity"), "no promotion": N_("no promotion")}


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
    row |= {"deferred_cost": 0.0, "forfeited_deposits": 0.0}
    if offer.offer_type == "none" or targeted == 0:
        return row | {"source": "no promotion", "expected_conversion": b.conversion, "incremental_orders": 0.0,
                      "incremental_revenue": 0.0, "value_given": 0.0, "cannibalised": 0.0, "contact_cost": 0.0,
                      "incremental_profit": 0.0, "profit_low": 0.0, "profit_high": 0.0, "roi": np.nan,
                      "discount_share": 0.0}
    contact = targeted * offer.contact_cost
    measured = (ev or {}).get(offer.evidence_key())
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
    calibrated = _calibrated_elasticity(offer, b, a, ev)
    if offer.offer_type in MECHANICS:
        return row | _forecast_mechanic(offer, b, a, targeted, contact, calibrated)
    per_order, top_up = _given(offer, b, a)
    share = per_order / b.aov if b.aov > 0 else 0.0
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


def _forecast_mechanic(offer: Offer, b: Baseline, a: Assumptions, targeted: int, contact: float,
                       calibrated: float | None) -> dict[str, Any]:
    """The forecast of an offer priced by a mechanic of :mod:`promo_core.offers` (see each module)."""
    mech = MECHANICS[offer.offer_type]
    e = calibrated if calibrated is not None else a.elasticity.get(offer.offer_type, 0.0)
    source = "A/B-calibrated elasticity" if calibrated is not None else "assumed elasticity"
    redemption = a.redemption.get(offer.offer_type, 1.0)
    mid = mech.per_order(offer, b, a, MID)
    lift = e * (mid.perceived / b.aov if b.aov > 0 else 0.0) * redemption
    u = a.uncertainty

    def run(s: Scenario):
        po = mid if s == MID else mech.per_order(offer, b, a, s)
        m = mech.settle(offer, b, a, s, targeted, lift * s.lift, po, redemption)
        return m, m.gross * a.margin + m.other_revenue - m.given - contact
    m, profit = run(MID)
    if calibrated is None:  # low end: every assumed lift and helpful behaviour at zero, costly ones high
        low = [Scenario(0.0, 0.0, 1 + u, c) for c in (1 - u, 1 + u)]
        high = [Scenario(1 + u, 1 + u, max(1 - u, 0.0), c) for c in (1 - u, 1 + u)]
    else:  # the lift was measured at another depth: a narrower band on it
        low = [Scenario(1 - u / 2, 0.0, 1 + u, c) for c in (1 - u, 1 + u)]
        high = [Scenario(1 + u / 2, 1 + u, max(1 - u, 0.0), c) for c in (1 - u, 1 + u)]
    ends = [run(s)[1] for s in low + high] + [profit]
    return {"source": source, "expected_conversion": m.conversion, "incremental_orders": m.new_orders,
            "incremental_revenue": m.gross + m.other_revenue - m.given, "value_given": m.given,
            "cannibalised": m.cannibalised, "contact_cost": contact, "incremental_profit": profit,
            "profit_low": min(ends), "profit_high": max(ends),
            "roi": profit / (m.given + contact) if m.given + contact else np.nan,
            "discount_share": mid.given / (b.aov + mid.top_up) if b.aov + mid.top_up > 0 else 0.0,
            "deferred_cost": m.deferred, "forfeited_deposits": m.other_revenue}


def _calibrated_elasticity(offer: Offer, b: Baseline, a: Assumptions, ev) -> float | None:
    """Lift per unit of value given, measured by the A/B test for this offer type in this segment."""
    for (seg, kind, depth, threshold), m in (ev or {}).items():
        if seg != offer.segment or kind != offer.offer_type or m.conv_control <= 0:
            continue
        tested = m.offer if m.offer is not None else offer_from_key(seg, kind, depth, threshold)
        if kind in MECHANICS:
            try:
                tested.validate()
                per_order = MECHANICS[kind].per_order(tested, b, a, MID).perceived
            except DataError:
                continue
        else:
            per_order, _top = _given(tested, b, a)
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
        raise DataError(_("The plan names segment(s) the data does not have: {names}").format(
            names=", ".join(map(repr, missing[:5]))), hint=_("Load a plan made for this segmentation, or reset the plan"))
    rows = [forecast_segment(o, base[o.segment], a, ev) for o in plan]
    df = pd.DataFrame(rows, columns=FORECAST_COLUMNS)
    total = {c: df[c].sum() for c in ("users", "targeted", "incremental_orders", "incremental_revenue", "value_given",
                                      "cannibalised", "contact_cost", "incremental_profit", "profit_low", "profit_high",
                                      "deferred_cost", "forfeited_deposits")}
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
        {"plan": _("This plan"), "profit": plan_total["incremental_profit"], "low": plan_total["profit_low"],
         "high": plan_total["profit_high"]},
        {"plan": _("{offer} to everyone").format(offer=template.label(currency)), "profit": everyone["incremental_profit"],
         "low": everyone["profit_low"], "high": everyone["profit_high"]},
        {"plan": _("No promotion"), "profit": 0.0, "low": 0.0, "high": 0.0}])


# ---------------------------------------------------------------- optimiser

def option_grid(b: Baseline, contact_cost: float, types: tuple[str, ...] | None = None) -> list[Offer]:
    """Candidate offers for one segment: every type at a few depths and targeted shares."""
    aov = max(b.aov, 1.0)
    depths: dict[str, list[tuple[float, float]]] = {
        "percent_off": [(5, 0), (10, 0), (15, 0), (20, 0)],
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
    for kind, mech in MECHANICS.items():
        if types is not None and kind not in types:
            continue
        if kind == "second_item" and b.order_items is None:
            continue
        for settings in mech.grid(Offer, b):
            for share in (0.25, 0.5, 0.75, 1.0):
                o = Offer(b.segment, kind, target_share=share, contact_cost=contact_cost, **settings)
                try:
                    out.append(o.validate())
                except DataError:  # a grid point this segment's order values cannot carry (e.g. tiers of 0)
                    continue
    return out


#: the optimiser's reasons (English in the result, N_-marked: pages show _(why))
WHY = {"no_profit": N_("no offer is expected to make money here"),
       "no_room": N_("the offers that pay here do not fit the budget alongside better uses"),
       "over_budget": N_("the most profitable offer here costs more than the budget leaves"),
       "best": N_("the most profitable option for this segment")}


@dataclass(frozen=True)
class Optimised:
    plan: list[Offer]
    expected_profit: float
    cost: float
    reasons: pd.DataFrame     # segment, chosen, profit, cost, runner_up (never more profit than the choice),
    #                           runner_up_profit, better_but_over_budget (+ its profit and cost), why
    status: str


def _tested_offer(segment: str, key: tuple, m: Evidence, share: float, contact_cost: float) -> Offer | None:
    """The offer an A/B test or readout measured, as an optimiser candidate; None when its key alone
    cannot describe a valid offer (a several-tier 满减 known only by its key)."""
    _seg, kind, depth, threshold = key
    o = (replace(m.offer, segment=segment, target_share=share, contact_cost=contact_cost) if m.offer is not None
         else offer_from_key(segment, kind, depth, threshold, share, contact_cost))
    try:
        return o.validate()
    except DataError:
        return None


def optimise(base: dict[str, Baseline], a: Assumptions, budget: float, ev: dict | None = None,
             caps: dict[str, float] | None = None, min_margin: float = 0.0, contact_cost: float = 0.15,
             extra_options: dict[str, list[Offer]] | None = None, types: tuple[str, ...] | None = None,
             only_tested: bool = False, currency: str = "£") -> Optimised:
    """Choose one offer per segment to maximise expected incremental profit (scipy ``milp``, HiGHS).

    Constraints: exactly one option per segment ('No offer' is always one); total cost (value given
    + contact cost) ≤ ``budget``; each segment's cost ≤ its cap; options whose margin after the
    discount, (margin − d) ÷ (1 − d) with d the value given as a share of the order, is below
    ``min_margin`` are left out. The offers the A/B test measured are always candidates;
    ``only_tested`` keeps to them (and 'No offer'), so the plan rests on measurements alone.
    """
    if not isinstance(budget, (int, float)) or not math.isfinite(budget) or budget <= 0:
        raise DataError(_("The budget must be a positive amount; got {value}").format(value=repr(budget)),
                        hint=_("Enter the most you can spend on discounts and contacts"))
    if not base:
        raise DataError(_("There are no segments to plan for"), hint=_("Form segments on the Segments page first"))
    caps = caps or {}
    segs, options, profit, cost = [], [], [], []
    for s, b in base.items():
        b = replace(b, segment=s) if b.segment != s else b
        if b.users == 0:
            continue
        tested = [_tested_offer(s, key, m, share, contact_cost)
                  for key, m in (ev or {}).items() if key[0] == s for share in (0.5, 1.0)]
        tested = [o for o in tested if o is not None]
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
        raise DataError(_("The optimiser found no plan ({reason})").format(reason=res.message),
                        hint=_("Raise the budget or loosen the limits"))
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
            why = WHY["no_profit"] if profit[best_any] <= 0 else WHY["no_room"]
        elif best_any != j:
            why = WHY["over_budget"]
        else:
            why = WHY["best"]
        plan.append(options[j])
        rows.append({"segment": s, "chosen": options[j].label(currency), "chosen_type": options[j].offer_type,
                     "targeted_share": options[j].target_share, "expected_profit": profit[j], "cost": cost[j],
                     "runner_up": options[runner].label(currency) if runner is not None else "",
                     "runner_up_profit": profit[runner] if runner is not None else np.nan,
                     "better_but_over_budget": options[over].label(currency) if over is not None else "",
                     "better_but_over_budget_profit": profit[over] if over is not None else np.nan,
                     "better_but_over_budget_cost": cost[over] if over is not None else np.nan, "why": why})
    return Optimised(plan, float(-res.fun), float(sum(cost[j] for j in chosen)), pd.DataFrame(rows), "optimal")


# ---------------------------------------------------------------- plan files

def plan_to_json(plan: list[Offer], a: Assumptions, dataset: dict, segmentation: str) -> str:
    return json.dumps({"promoscope_plan": PLAN_VERSION, "dataset": dataset, "segmentation": segmentation,
                       "assumptions": asdict(a), "offers": [asdict(o) for o in plan]}, indent=2, ensure_ascii=False)


#: ranges of the numbers a plan file may hold (anything else is refused with the field's name)
OFFER_FIELDS: dict[str, Field] = {
    "depth": Field(N_("The offer's depth"), 0, 10_000), "threshold": Field(N_("The spend threshold"), 0, 10_000_000),
    "target_share": Field(N_("The targeted share"), 0, 1),
    "contact_cost": Field(N_("The contact cost per user"), 0, 10_000),
    "window_start": Field(N_("The flash sale's start hour"), 0, 23, True),
    "window_hours": Field(N_("The flash sale's length in hours"), 1, 24, True),
    "stock": Field(N_("The flash sale's stock in units"), 0, 1e9, True),
    "deposit": Field(N_("The pre-sale deposit"), 0, 10_000_000),
    "deposit_value": Field(N_("What the pre-sale deposit counts as"), 0, 10_000_000),
}
#: list-of-pairs fields of an offer: name -> (first number, second number, most pairs)
OFFER_PAIRS: dict[str, tuple[Field, Field, int]] = {
    "tiers": (Field(N_("A tier's spend threshold"), 0, 10_000_000), Field(N_("A tier's amount off"), 0, 10_000_000),
              10),
}
ASSUMPTION_FIELDS: dict[str, Field] = {
    "margin": Field(N_("The gross margin"), 0, 1), "horizon_days": Field(N_("The campaign length in days"), 1, 365, True),
    "shipping_cost": Field(N_("The shipping cost"), 0, 10_000), "point_value": Field(N_("The value of a point"), 0, 100),
    "bundle_attach": Field(N_("The bundle attach rate"), 0, 1),
    "bundle_price": Field(N_("The bundle price"), 0, 1_000_000),
    "threshold_pull": Field(N_("The share of orders topped up to a threshold"), 0, 1),
    "uncertainty": Field(N_("The uncertainty of assumed lifts"), 0, 10),
    "second_item_take": Field(N_("The share of one-item orders that add a second item"), 0, 1),
    "points_redeemed": Field(N_("The share of points redeemed"), 0, 1),
    "presale_completion": Field(N_("The share of pre-sale deposits completed"), 0, 1),
    "presale_pull_forward": Field(N_("The share of pre-sale orders pulled forward"), 0, 1),
}
ASSUMPTION_DICTS: dict[str, tuple[Field, dict[str, str]]] = {
    "elasticity": (Field(N_("The elasticity"), 0, 50), {k: v for k, v in OFFER_TYPES.items() if k != "none"}),
    "redemption": (Field(N_("The redemption rate"), 0, 1), {k: v for k, v in OFFER_TYPES.items() if k != "none"}),
}
MAX_PLAN_OFFERS = 1000


#: the entries of a dataset id that name the data (a plan file is loaded only on the data it was made for)
DATASET_IDENTITY = ("name", "users", "from", "to")


def plan_from_json(text: str | bytes, dataset: dict, segments: list[str]) -> tuple[list[Offer], Assumptions]:
    """Read and validate a plan file, whole, against the current data and segments.

    Every field of every offer and of the assumptions is checked (type, finite, range, known offer
    type, no duplicate segment) and any problem is one DataError that names the field.
    """
    data = load_json(text)
    if not isinstance(data, dict) or data.get("promoscope_plan") != PLAN_VERSION:
        raise DataError(_("This is not a PromoScope plan file (or it is from another version)"),
                        hint=_("Save the plan again from the planner"))
    def identity(d):   # what names the data; other entries (the currency symbol) may differ
        return {k: d.get(k) for k in DATASET_IDENTITY} if isinstance(d, dict) else d
    if identity(data.get("dataset")) != identity(dataset):
        was = data.get("dataset") if isinstance(data.get("dataset"), dict) else {}
        raise DataError(_("The plan was made for another dataset"),
                        where=_("plan: {plan_name} ({plan_users} users); now: {name} ({users} users)").format(
                            plan_name=str(was.get("name", "?"))[:80], plan_users=str(was.get("users", "?"))[:20],
                            name=dataset.get("name"), users=dataset.get("users")),
                        hint=_("Load the data the plan was made for, or build a new plan"))
    raw_offers = data.get("offers")
    if not isinstance(raw_offers, list) or not raw_offers or len(raw_offers) > MAX_PLAN_OFFERS:
        raise DataError(_("The plan file needs a list of 1 to {n} offers under 'offers'").format(
            n=f"{MAX_PLAN_OFFERS:,}"), hint=_("Save the plan again from the planner"))
    offers, seen = [], set()
    for i, o in enumerate(raw_offers, start=1):
        where = _("offer {i}").format(i=i)
        checked = record(o, OFFER_FIELDS, where, text_fields=("segment",),
                         choice_fields={"offer_type": OFFER_TYPES}, pair_fields=OFFER_PAIRS)
        if "segment" not in checked:
            raise DataError(_("Every offer needs a 'segment'"), where=where, hint=_("Save the plan again"))
        if checked["segment"] in seen:
            raise DataError(_("The plan has two offers for segment {segment}").format(
                segment=repr(checked["segment"])), where=where, hint=_("Keep one offer per segment"))
        seen.add(checked["segment"])
        offers.append(Offer(**checked).validate())
    a_fields = {f.name: ASSUMPTION_FIELDS.get(f.name, Field(f"'{f.name}'", 0, 1_000_000))
                for f in fields(Assumptions) if f.name not in ASSUMPTION_DICTS}
    checked = record(data.get("assumptions", {}), a_fields, _("assumptions"), dict_fields=ASSUMPTION_DICTS)
    defaults = Assumptions()
    for name in ASSUMPTION_DICTS:  # a partial table keeps the defaults for the types it does not name
        if name in checked:
            checked[name] = {**getattr(defaults, name), **checked[name]}
    a = Assumptions(**checked).validate()
    unknown = [o.segment for o in offers if o.segment not in segments]
    if unknown:
        raise DataError(_("The plan names segments this segmentation does not have"),
                        where=", ".join(map(repr, unknown[:5])),
                        hint=_("Choose the same segmentation as when the plan was saved"))
    return offers, a


def target_list(plan: list[Offer], segments: pd.DataFrame, fc: pd.DataFrame, uplift: pd.Series | None = None,
                seed: int = 0) -> pd.DataFrame:
    """Users to contact: user_id, segment, offer, offer_type, depth, threshold, offer_spec (the offer's
    settings as JSON, see :func:`offer_spec`), expected_uplift.

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
        spec = offer_spec(o)
        for u in pick:
            rows.append({"user_id": u, "segment": o.segment, "offer": o.label(), "offer_type": o.offer_type,
                         "depth": o.depth, "threshold": o.threshold, "offer_spec": spec,
                         "expected_uplift": float(uplift.get(u, avg)) if uplift is not None else float(avg)})
    return pd.DataFrame(rows, columns=["user_id", "segment", "offer", "offer_type", "depth", "threshold",
                                       "offer_spec", "expected_uplift"])


# ---------------------------------------------------------------- forecast.json (the `plan` command)

SOURCE_KINDS = {"A/B test": "measured", "A/B-calibrated elasticity": "calibrated", "assumed elasticity": "assumed",
                "no promotion": "none"}
MONEY_FIELDS = ("incremental_revenue", "value_given", "cannibalised", "contact_cost", "incremental_profit",
                "profit_low", "profit_high", "deferred_cost", "forfeited_deposits")


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
                     **({"tiers": [list(x) for x in o.tiers]} if o.tiers else {}),
                     **({k: getattr(o, k) for k in ("window_start", "window_hours", "stock")}
                        if o.offer_type == "flash_sale" else {}),
                     **({k: getattr(o, k) for k in ("deposit", "deposit_value")}
                        if o.offer_type == "deposit_presale" else {}),
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
