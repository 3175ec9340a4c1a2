"""满赠 gift with purchase: an order reaching the threshold gets a gift, which costs the shop its cost price.

Economics: value given per order = the gift's cost price × the share of the segment's orders (from the
data) at or above the threshold, plus the orders just below it (at least 70%) that top up with the
probability "threshold top-up pull" (an assumption; 0 = no effect), adding the gap to sales. Customers
see the gift at its shelf price (cost price ÷ (1 − margin)), which drives the assumed lift.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..i18n import N_, _, fmt_money
from .base import Mechanic, PerOrder, Scenario, need_positive, next_threshold_gain


class Gift(Mechanic):
    key = "gift_with_purchase"
    name = N_("Gift with purchase (满赠)")
    chinese = "满赠"
    sentence = N_("Orders at or above the threshold get a gift that costs the shop its cost price, not its shelf "
                  "price; orders just below may top up to qualify.")
    method = N_("The share of the segment's orders at or above the threshold is read from its order values. Each "
                "qualifying order costs the gift's cost price. An order worth at least 70% of the threshold tops up "
                "with the probability 'threshold top-up pull' (an assumption; 0 means nobody tops up), adding the gap "
                "to sales and receiving the gift. Customers value the gift at its shelf price, taken as the cost "
                "price divided by (1 − gross margin); the conversion lift is the elasticity times that value as a "
                "share of the average order.")
    default_elasticity = 1.5
    default_redemption = 1.0

    def validate(self, offer: Any) -> None:
        need_positive(offer.threshold, N_("The spend threshold of the gift offer"), offer.segment, N_("e.g. 80"))
        need_positive(offer.depth, N_("The gift's cost price"), offer.segment, N_("e.g. 4"))

    def label(self, offer: Any, currency: str) -> str:
        return _("Spend {t}, get a gift costing {c}").format(t=fmt_money(offer.threshold, currency),
                                                             c=fmt_money(offer.depth, currency, decimals=2))

    def per_order(self, offer: Any, b: Any, a: Any, s: Scenario) -> PerOrder:
        v = np.asarray(b.order_values, dtype=float)
        if len(v) == 0:
            return PerOrder(0.0)
        got, near, gap, gain = next_threshold_gain(v, np.array([offer.threshold]), np.array([offer.depth]))
        pull = min(a.threshold_pull * s.helpful, 1.0)
        given = float(np.mean(got + pull * gain))
        mid = float(np.mean(got + min(a.threshold_pull, 1.0) * gain))
        return PerOrder(given, float(np.mean(pull * gap)), mid / max(1 - a.margin, 0.01))

    def evidence_key(self, offer: Any) -> tuple[float, float]:
        return float(offer.depth), float(offer.threshold)

    def grid(self, offer_cls: type, b: Any) -> list[dict]:
        aov = max(b.aov, 1.0)
        return [{"threshold": float(round(f * aov)), "depth": float(round(0.05 * f * aov, 2))} for f in (1.2, 1.6)]
