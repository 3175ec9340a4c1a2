"""会员积分 member points: points per currency unit spent, worth a value each when redeemed.

Economics: points given per order = points per unit × order value; their face value = that × the value
of a point. Only the share ever redeemed costs the shop ("points redeemed", an assumption; 0 = no
cost), and it is paid later, when the points are used (shown as a deferred cost). Customers see the
face value, which drives the assumed lift.
"""

from __future__ import annotations

from typing import Any

from ..i18n import N_, _, fmt_num
from .base import Mechanic, PerOrder, Scenario


class MemberPoints(Mechanic):
    key = "member_points"
    name = N_("Member points (会员积分)")
    chinese = "会员积分"
    sentence = N_("Members earn points on what they spend; only the share of points ever redeemed costs the shop, "
                  "and it is paid later, when they are used.")
    method = N_("Points per order = points per currency unit × the average order. Their face value uses the value "
                "of a point; the cost is the face value × the share of points ever redeemed (an assumption: 0 means "
                "none is redeemed, no cost). That cost is deferred: it is paid when the points are used, after the "
                "campaign, and is shown separately. The conversion lift is the elasticity times the face value as a "
                "share of the order.")
    default_elasticity = 1.0
    default_redemption = 1.0

    def label(self, offer: Any, currency: str) -> str:
        return _("{p} points per {c}1").format(p=fmt_num(offer.depth), c=currency)

    def per_order(self, offer: Any, b: Any, a: Any, s: Scenario) -> PerOrder:
        face = offer.depth * b.aov * a.point_value
        return PerOrder(face * min(a.points_redeemed * s.adverse, 1.0), 0.0, face)

    def settle(self, offer, b, a, s, targeted, lift, po, redemption):
        m = super().settle(offer, b, a, s, targeted, lift, po, redemption)
        return type(m)(m.conversion, m.new_orders, m.gross, m.given, m.cannibalised, 0.0, m.given)

    def grid(self, offer_cls: type, b: Any) -> list[dict]:
        return [{"depth": 1.0}, {"depth": 2.0}]
