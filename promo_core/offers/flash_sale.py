"""限时秒杀 flash sale: a percent off during a daily time window, while stock lasts.

Economics: only orders placed in the window can take the price, so the reach is the share of the
segment's activity (all its events, by hour of day, from the data's timestamps) that falls in the
window; the value given per order = depth × AOV × that share. Sales at the flash price stop at the
stock: when the orders taking it would need more units (orders × items per order, from the data), the
discounted orders and the extra orders are cut to what the stock allows. A 24-hour window with no stock
limit is a plain percent off (the flash sale of earlier plans).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..i18n import N_, _, fmt_int, fmt_num
from ..schema import DataError
from .base import Mechanic, Money, PerOrder, Scenario


def window_share(activity_hours: np.ndarray | None, start: float, hours: float) -> float:
    """Share of activity in the daily window [start, start + hours), wrapping past midnight; whole hours
    count fully, a partial hour by its fraction. Without hourly activity, activity is taken as even."""
    if hours >= 24:
        return 1.0
    w = np.ones(24) / 24 if activity_hours is None else np.asarray(activity_hours, dtype=float)
    if w.sum() <= 0:
        w = np.ones(24) / 24
    w = w / w.sum()
    cover = np.zeros(24)
    t, end = float(start), float(start) + float(hours)
    while t < end - 1e-9:
        h = int(np.floor(t)) % 24
        step = min(np.floor(t) + 1, end) - t
        cover[h] += step
        t += step
    return float((w * np.minimum(cover, 1.0)).sum())


class FlashSale(Mechanic):
    key = "flash_sale"
    name = N_("Flash sale (限时秒杀)")
    chinese = "限时秒杀"
    sentence = N_("A percent off during a daily time window while stock lasts: it reaches only the share of the "
                  "segment's activity in that window, and sales at the flash price stop at the stock.")
    method = N_("The share of the segment's events that happen in the window's hours is measured from the data's "
                "timestamps (when the data has no times of day, activity is taken as even over the day). Only that "
                "share of orders can take the price: the value given per order is the discount × the average order × "
                "that share, and the conversion lift is the elasticity times the same share of the order. Units sold "
                "at the flash price are orders × items per order (from the data); above the stock, the discounted "
                "orders and the extra orders are cut in proportion. A stock of 0 means no limit.")
    default_elasticity = 2.6
    default_redemption = 1.0

    def validate(self, offer: Any) -> None:
        if not (0 <= offer.window_start < 24 and 0 < offer.window_hours <= 24):
            raise DataError(_("The flash sale window for {segment} must start at hour 0 to 23 and last up to 24 "
                              "hours; got start {start}, {hours} hours").format(
                                  segment=repr(offer.segment), start=fmt_num(offer.window_start),
                                  hours=fmt_num(offer.window_hours)), hint=_("e.g. start at 20, 2 hours"))
        if offer.stock < 0:
            raise DataError(_("The flash sale stock for {segment} cannot be negative").format(
                segment=repr(offer.segment)), hint=_("Use 0 for no limit"))

    def label(self, offer: Any, currency: str) -> str:
        text = _("Flash sale {d}% off").format(d=fmt_num(offer.depth))
        if offer.window_hours < 24:
            end = (offer.window_start + offer.window_hours) % 24
            text += " " + _("{start}:00–{end}:00").format(start=f"{offer.window_start:02.0f}", end=f"{end:02.0f}")
        if offer.stock > 0:
            text += ", " + _("{n} units").format(n=fmt_int(offer.stock))
        return text

    def per_order(self, offer: Any, b: Any, a: Any, s: Scenario) -> PerOrder:
        w = window_share(getattr(b, "activity_hours", None), offer.window_start, offer.window_hours)
        given = offer.depth / 100 * b.aov * w
        return PerOrder(given, 0.0, given)

    def settle(self, offer: Any, b: Any, a: Any, s: Scenario, targeted: int, lift: float, po: PerOrder,
               redemption: float) -> Money:
        m = super().settle(offer, b, a, s, targeted, lift, po, redemption)
        if offer.stock <= 0 or po.given <= 0:
            return m
        w = po.given / (offer.depth / 100 * b.aov) if offer.depth > 0 and b.aov > 0 else 1.0
        base_orders = targeted * b.conversion * b.orders_per_buyer
        items = float(np.mean(b.order_items)) if getattr(b, "order_items", None) is not None and len(
            b.order_items) else 1.0
        units = (base_orders + m.new_orders) * redemption * w * max(items, 1.0)
        if units <= offer.stock:
            return m
        k = offer.stock / units
        new_orders = m.new_orders * k
        p1 = b.conversion + (m.conversion - b.conversion) * k
        return Money(p1, new_orders, new_orders * b.aov, m.given * k, m.cannibalised * k)

    def grid(self, offer_cls: type, b: Any) -> list[dict]:
        return [{"depth": 15.0}, {"depth": 25.0}, {"depth": 30.0, "window_start": 20.0, "window_hours": 2.0}]
