"""Promotion mechanics, one module each, with their economics stated in the module docstring.

``MECHANICS`` maps the stable English key stored in plan files (``offer_type``) to the mechanic. The
older offer types (percent off, coupons, free shipping, bundle, points multiplier) are priced in
:mod:`promo_core.promotions` directly; the flash sale moved here when it gained its time window and
stock limit (a 24-hour window with no stock is the earlier flash sale).
"""

from __future__ import annotations

from .base import MID, Mechanic, Money, PerOrder, Scenario
from .flash_sale import FlashSale, window_share
from .gift import Gift
from .member_points import MemberPoints
from .presale import Presale
from .second_item import SecondItem
from .tiered import Tiered, parse_tiers, tiers_text

MECHANICS: dict[str, Mechanic] = {m.key: m for m in (Tiered(), Gift(), SecondItem(), FlashSale(), MemberPoints(),
                                                      Presale())}

__all__ = ["MECHANICS", "MID", "Mechanic", "Money", "PerOrder", "Scenario", "parse_tiers", "tiers_text", "window_share"]
