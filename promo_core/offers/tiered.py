"""满减 tiered spend-and-save: spend at least a threshold, get an amount off (the best tier reached).

Economics, per order of the segment's measured order-value distribution (not its mean): the value
given is the discount of the highest tier the order reaches (满200减20 / 满400减50 / 满800减120: an
order of 450 gets 50 off, one of 150 nothing). An order just below the next tier up (at least 70% of
it) tops up to that tier with the probability "threshold top-up pull" (an assumption, range from 0 =
no effect): it then adds the gap to sales and gets that tier's discount instead.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..i18n import N_, _, fmt_money
from ..schema import DataError
from .base import Mechanic, PerOrder, Scenario, next_threshold_gain

MAX_TIERS = 10


def parse_tiers(text: str) -> tuple[tuple[float, float], ...]:
    """Tiers typed as '200:20, 400:50, 800:120' or '满200减20 / 满400减50': the numbers read in pairs
    (threshold, amount off)."""
    numbers = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text or "")]
    if not numbers or len(numbers) % 2:
        raise DataError(_("The tiers could not be read: {text}").format(text=repr((text or "")[:60])),
                        hint=_("Write each tier as threshold:amount off, separated by commas, e.g. 200:20, 400:50"))
    return tuple((numbers[i], numbers[i + 1]) for i in range(0, len(numbers), 2))


def tiers_text(tiers) -> str:
    """The tiers as they are typed: '200:20, 400:50'."""
    return ", ".join(f"{t:g}:{off:g}" for t, off in tiers)


class Tiered(Mechanic):
    key = "tiered_discount"
    name = N_("Tiered spend-and-save (满减)")
    chinese = "满减"
    sentence = N_("Each order gets the discount of the highest tier it reaches, read from the segment's own order "
                  "values; orders just below a tier may top up to reach it.")
    method = N_("For every order in the segment's history, the discount is that of the highest threshold the order "
                "reaches (an order below the first threshold gets nothing), so the cost follows the real spread of "
                "order values rather than their average. An order worth at least 70% of the next threshold up tops "
                "up to it with the probability 'threshold top-up pull' (an assumption; 0 means nobody tops up): it "
                "adds the gap to sales and gets that tier's discount. The value given per order is the mean over all "
                "orders; the conversion lift is the elasticity times that value as a share of the average order.")
    default_elasticity = 2.5
    default_redemption = 1.0

    def validate(self, offer: Any) -> None:
        tiers = list(offer.tiers)
        if not 1 <= len(tiers) <= MAX_TIERS:
            raise DataError(_("The tiered offer for {segment} needs 1 to {n} tiers; it has {k}").format(
                segment=repr(offer.segment), n=MAX_TIERS, k=len(tiers)), hint=_("e.g. spend 200 get 20 off"))
        last_t = last_off = 0.0
        for i, (t, off) in enumerate(tiers, start=1):
            if not (t > last_t and 0 < off < t and off >= last_off):
                raise DataError(
                    _("Tier {i} of the tiered offer for {segment} is not valid: spend {t}, get {off} off").format(
                        i=i, segment=repr(offer.segment), t=f"{t:g}", off=f"{off:g}"),
                    hint=_("Thresholds must rise from tier to tier, each discount must be above 0 and below its "
                           "threshold, and a higher tier must not give less"))
            last_t, last_off = t, off

    def label(self, offer: Any, currency: str) -> str:
        return " / ".join(_("Spend {t}, get {off} off").format(t=fmt_money(t, currency), off=fmt_money(off, currency))
                          for t, off in offer.tiers)

    def per_order(self, offer: Any, b: Any, a: Any, s: Scenario) -> PerOrder:
        v = np.asarray(b.order_values, dtype=float)
        if len(v) == 0:
            return PerOrder(0.0)
        t = np.array([x[0] for x in offer.tiers], dtype=float)
        off = np.array([x[1] for x in offer.tiers], dtype=float)
        got, near, gap, gain = next_threshold_gain(v, t, off)
        pull = min(a.threshold_pull * s.helpful, 1.0)
        given = float(np.mean(got + pull * gain))
        mid = float(np.mean(got + min(a.threshold_pull, 1.0) * gain))
        return PerOrder(given, float(np.mean(pull * gap)), mid)

    def evidence_key(self, offer: Any) -> tuple[float, float]:
        if len(offer.tiers) == 1:
            t, off = offer.tiers[0]
            return float(off), float(t)
        return -1.0, -1.0  # several tiers: no single A/B variant name stands for it

    def from_key(self, offer_cls: type, segment: str, depth: float, threshold: float, **kw: Any) -> Any:
        return offer_cls(segment, self.key, 0.0, 0.0, tiers=((float(threshold), float(depth)),), **kw)

    def grid(self, offer_cls: type, b: Any) -> list[dict]:
        aov = max(b.aov, 1.0)
        one = ((round(1.2 * aov), round(0.12 * aov)),)
        three = ((round(aov), round(0.08 * aov)), (round(2 * aov), round(0.2 * aov)), (round(4 * aov), round(0.5 * aov)))
        return [{"tiers": tuple((float(t), float(o)) for t, o in g)} for g in (one, three)
                if all(0 < o < t for t, o in g) and len({t for t, _o in g}) == len(g)]
