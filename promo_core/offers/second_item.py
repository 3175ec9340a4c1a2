"""第二件半价 second item at a discount: in an order of two or more items, every second item is discounted.

Economics, per order of the segment (items and value measured from the data): an order of n items at an
average unit price p = value ÷ n gives floor(n ÷ 2) × depth% × p away; a one-item order gives nothing —
the cost falls only on orders with 2+ items. "Extra items bought" (an assumption; 0 = no effect) is
the share of one-item orders that add a second item at p, which then gets the discount too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..i18n import N_, _, fmt_num
from ..schema import DataError
from .base import Mechanic, PerOrder, Scenario


class SecondItem(Mechanic):
    key = "second_item"
    name = N_("Second item at a discount (第二件半价)")
    chinese = "第二件半价"
    sentence = N_("Every second item in an order is discounted, so the cost falls only on orders of two or more "
                  "items; some one-item orders may add a second.")
    method = N_("Items per order and order values come from the segment's purchases (quantities, or lines when there "
                "is no quantity). An order of n items with an average unit price p gives floor(n / 2) × the discount "
                "× p away; one-item orders cost nothing. The assumption 'extra items bought' is the share of "
                "one-item orders that add a second item at p (0 means nobody does): that item adds p to sales and "
                "gets the discount. The conversion lift is the elasticity times the value given as a share of the "
                "average order.")
    default_elasticity = 2.0
    default_redemption = 1.0

    def label(self, offer: Any, currency: str) -> str:
        if offer.depth == 50:
            return _("Second item half price")
        return _("Second item {d}% off").format(d=fmt_num(offer.depth))

    def per_order(self, offer: Any, b: Any, a: Any, s: Scenario) -> PerOrder:
        v = np.asarray(b.order_values, dtype=float)
        n = getattr(b, "order_items", None)
        if n is None:
            raise DataError(_("The second-item offer needs the number of items in each order"),
                            where=repr(offer.segment),
                            hint=_("Load data with a quantity column or one line per item and an order id"))
        n = np.maximum(np.asarray(n, dtype=float), 1.0)
        if len(v) == 0:
            return PerOrder(0.0)
        d = offer.depth / 100
        unit = v / n
        cost = np.floor(n / 2) * d * unit
        single = n < 2
        take = min(a.second_item_take * s.helpful, 1.0)
        given = float(np.mean(cost + single * take * d * unit))
        mid = float(np.mean(cost + single * min(a.second_item_take, 1.0) * d * unit))
        return PerOrder(given, float(np.mean(single * take * unit)), mid)

    def grid(self, offer_cls: type, b: Any) -> list[dict]:
        return [{"depth": 50.0}, {"depth": 30.0}]
