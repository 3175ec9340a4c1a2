"""预售定金膨胀 deposit pre-sale: a deposit X paid now counts as Y (> X) at the final payment.

Economics: every completed pre-sale order costs Y − X. Customers who would have bought anyway pay the
deposit and complete; of the extra orders the offer brings, the share "deposits completed" (an
assumption) complete and the rest forfeit the deposit, which the shop keeps as revenue (no goods, so
no cost of goods). "Pulled-forward demand" (an assumption; 0 = no effect) is the share of the extra
completed orders that would have happened anyway later at full price: they still get Y − X, but add no
sales.
"""

from __future__ import annotations

from typing import Any

from ..i18n import N_, _, fmt_money
from ..schema import DataError
from .base import Mechanic, Money, PerOrder, Scenario


class Presale(Mechanic):
    key = "deposit_presale"
    name = N_("Deposit pre-sale (预售定金膨胀)")
    chinese = "预售定金膨胀"
    sentence = N_("A deposit paid now counts for more at the final payment: each completed order costs the "
                  "difference, forfeited deposits are kept as revenue, and some extra orders are only pulled "
                  "forward.")
    method = N_("Each completed pre-sale order costs the deposit's extra value (counts as − deposit). Customers "
                "who would have bought anyway are taken to complete. Of the extra orders the offer brings, the share "
                "'deposits completed' complete; the others forfeit their deposit, which the shop keeps as revenue "
                "without goods. 'Pulled-forward demand' is the share of extra completed orders that would have "
                "happened later at full price anyway (0 means none): they cost the discount and add no sales. The "
                "conversion lift is the elasticity times the extra value as a share of the average order.")
    default_elasticity = 2.0
    default_redemption = 1.0

    def validate(self, offer: Any) -> None:
        if not 0 < offer.deposit < offer.deposit_value:
            raise DataError(_("The pre-sale for {segment} needs a deposit above 0 that counts for more than it is: "
                              "got deposit {x} counting as {y}").format(segment=repr(offer.segment),
                                                                        x=f"{offer.deposit:g}",
                                                                        y=f"{offer.deposit_value:g}"),
                            hint=_("e.g. a deposit of 20 that counts as 50"))

    def label(self, offer: Any, currency: str) -> str:
        return _("Deposit {x} counts as {y}").format(x=fmt_money(offer.deposit, currency),
                                                     y=fmt_money(offer.deposit_value, currency))

    def per_order(self, offer: Any, b: Any, a: Any, s: Scenario) -> PerOrder:
        extra = offer.deposit_value - offer.deposit
        return PerOrder(extra, 0.0, extra)

    def settle(self, offer: Any, b: Any, a: Any, s: Scenario, targeted: int, lift: float, po: PerOrder,
               redemption: float) -> Money:
        p0 = b.conversion
        p1 = min(p0 * (1 + lift), 1.0)
        base_orders = targeted * p0 * b.orders_per_buyer * redemption
        new = targeted * (p1 - p0) * b.orders_per_buyer
        c = min(a.presale_completion * s.completion, 1.0)
        q = min(a.presale_pull_forward * s.adverse, 1.0)
        completed_new = new * c
        given = (base_orders + completed_new) * po.given
        forfeits = new * (1 - c) * offer.deposit
        gross = completed_new * (1 - q) * b.aov
        return Money(p1, completed_new * (1 - q), gross, given, base_orders * po.given, forfeits, 0.0)

    def evidence_key(self, offer: Any) -> tuple[float, float]:
        return float(offer.deposit_value), float(offer.deposit)

    def from_key(self, offer_cls: type, segment: str, depth: float, threshold: float, **kw: Any) -> Any:
        return offer_cls(segment, self.key, 0.0, 0.0, deposit=float(threshold), deposit_value=float(depth), **kw)

    def grid(self, offer_cls: type, b: Any) -> list[dict]:
        aov = max(b.aov, 1.0)
        x = float(max(round(0.1 * aov), 1))
        return [{"deposit": x, "deposit_value": 2 * x}, {"deposit": x, "deposit_value": 3 * x}]
