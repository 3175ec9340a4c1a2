"""What every promotion mechanic shares: the per-order economics it states and the scenario it is priced in.

A mechanic turns an offer and a segment's baseline (its order values, items per order and hours of
activity, all measured from the data) into money per order:

* ``given``: value given away per order that takes the offer (the shop's cost: a discount, a gift at
  its cost price, points at their redeemed value);
* ``top_up``: extra gross sales per order that takes the offer (orders topped up to a threshold, a
  second item added);
* ``perceived``: what the customer sees as the offer's value per order, which drives the assumed
  conversion lift (``elasticity × perceived ÷ AOV``).

The planner then adds the orders the lift brings and applies the mechanic's own limits
(:meth:`Mechanic.settle`: a flash sale's stock, a pre-sale's completions and forfeited deposits).
Each assumption is priced at three points (:class:`Scenario`): the forecast's low end has every
assumed lift and helpful behaviour at zero and every adverse assumption at its high end; the high end
the reverse. Mechanics never import :mod:`promo_core.promotions` (which imports them): offers,
baselines and assumptions are passed in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..i18n import _
from ..schema import DataError


@dataclass(frozen=True)
class Scenario:
    """Scales on the assumptions: ``lift`` on the assumed conversion lift, ``helpful`` on behaviour that
    adds sales (top-ups, extra items), ``adverse`` on behaviour that costs (pulled-forward demand, points
    redeemed), ``completion`` on the share of pre-sale deposits that complete."""

    lift: float = 1.0
    helpful: float = 1.0
    adverse: float = 1.0
    completion: float = 1.0


MID = Scenario()


@dataclass(frozen=True)
class PerOrder:
    given: float          # value given per order taking the offer (currency)
    top_up: float = 0.0   # extra gross sales per order taking the offer (currency)
    perceived: float = 0.0  # value the customer sees per order (drives the lift)


@dataclass(frozen=True)
class Money:
    """One scenario's result for the targeted users of a segment (all in currency over the campaign)."""

    conversion: float        # expected conversion of the targeted users
    new_orders: float        # incremental orders
    gross: float             # incremental gross sales at full price (the margin applies)
    given: float             # value given away (incl. on orders that would have happened anyway)
    cannibalised: float      # the part of ``given`` on orders that would have happened anyway
    other_revenue: float = 0.0  # revenue with no goods sold (forfeited pre-sale deposits)
    deferred: float = 0.0    # the part of ``given`` paid after the campaign (points redeemed later)


def capped(x: float, cap: float = 1.0) -> float:
    return float(min(max(x, 0.0), cap))


def next_threshold_gain(values: np.ndarray, thresholds: np.ndarray, offs: np.ndarray,
                        band: float = 0.7) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each order value: (value given by the best threshold it reaches, whether it is *near* the next
    threshold up — at least ``band`` × that threshold —, the gap to that threshold and the extra value
    given if it tops up) — the shape shared by 满减 and 满赠. ``thresholds`` sorted ascending."""
    v = np.asarray(values, dtype=float)
    t = np.asarray(thresholds, dtype=float)
    off = np.maximum.accumulate(np.asarray(offs, dtype=float))  # a higher tier never gives less
    reached = np.searchsorted(t, v, side="right")  # number of thresholds at or below v
    got = np.where(reached > 0, off[np.maximum(reached - 1, 0)], 0.0)
    has_next = reached < len(t)
    nxt = np.where(has_next, t[np.minimum(reached, len(t) - 1)], np.inf)
    near = has_next & (v >= band * nxt)
    gap = np.where(near, nxt - v, 0.0)
    gain = np.where(near, off[np.minimum(reached, len(t) - 1)] - got, 0.0)
    return got, near, gap, gain


class Mechanic(ABC):
    """One offer type. Subclasses set the names and define :meth:`per_order` (and may override :meth:`settle`)."""

    key: str = ""
    name: str = ""        # N_-marked English name; translate with _() where shown
    chinese: str = ""     # the name Chinese shops use (shown beside the English one)
    sentence: str = ""    # N_-marked one-sentence economics, shown on screen and in README
    method: str = ""      # N_-marked longer explanation for the "How is this computed?" expander
    default_elasticity: float = 1.0
    default_redemption: float = 1.0

    def validate(self, offer: Any) -> None:  # noqa: B027 - most mechanics accept any settings Offer checked
        """Raise DataError for settings this mechanic cannot price (by default: none beyond Offer's own checks)."""

    def label(self, offer: Any, currency: str) -> str:
        return _(self.name)

    @abstractmethod
    def per_order(self, offer: Any, b: Any, a: Any, s: Scenario) -> PerOrder:
        """What one order taking the offer gives away and adds, in scenario ``s``."""

    def evidence_key(self, offer: Any) -> tuple[float, float]:
        """(depth, threshold) under which an A/B variant of this offer is stored."""
        return float(offer.depth), 0.0

    def from_key(self, offer_cls: type, segment: str, depth: float, threshold: float, **kw: Any) -> Any:
        """The offer an A/B variant stored under (depth, threshold) stands for."""
        return offer_cls(segment, self.key, depth, threshold, **kw)

    def grid(self, offer_cls: type, b: Any) -> list[dict]:
        """Settings the optimiser tries (keyword arguments of the offer besides segment and share)."""
        return []

    def settle(self, offer: Any, b: Any, a: Any, s: Scenario, targeted: int, lift: float,
               po: PerOrder, redemption: float) -> Money:
        """The generic path: baseline orders plus the orders the lift brings; each taking the offer gives
        ``po.given`` away and adds ``po.top_up`` of sales."""
        p0 = b.conversion
        p1 = min(p0 * (1 + lift), 1.0)
        base_orders = targeted * p0 * b.orders_per_buyer
        new_orders = targeted * (p1 - p0) * b.orders_per_buyer
        gross = new_orders * (b.aov + po.top_up * redemption) + base_orders * po.top_up * redemption
        given = (base_orders + new_orders) * redemption * po.given
        return Money(p1, new_orders, gross, given, base_orders * redemption * po.given)


def need_positive(value: float, what: str, segment: str, hint: str) -> None:
    if not value > 0:
        raise DataError(_("{what} for {segment} must be above 0").format(what=_(what), segment=repr(segment)),
                        hint=_(hint))

