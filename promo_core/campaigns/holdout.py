"""Holdout groups in a campaign's target list, and what the chosen sizes can measure.

A target list (:func:`promo_core.promotions.target_list`) names the customers a campaign contacts.
Without a control group a campaign run from it can never be measured, so a share of every
segment's targets is held out: they get no offer and no contact, and after the campaign their
behaviour is the baseline the treated customers are compared with (:mod:`.readout`).

Assignment (:func:`assign_holdout`)
    Stratified by segment: in a segment of ``n`` targeted customers exactly ``round(share × n)``
    (halves rounded up) are held out. Which ones is decided by a keyed hash of (seed, user id)
    (BLAKE2b, 64 bits): within each segment the customers with the smallest hashes are held out.
    The same seed and the same customers therefore give the same groups in any row order, and the
    file is written sorted by segment and user id, so it is byte-for-byte the same. A different
    seed gives an independent draw.
What the holdout can measure (:func:`holdout_summary`)
    The minimum detectable lift in conversion at 80% power and 5% two-sided significance for the
    segment's treated and held-out counts at its baseline conversion: statsmodels
    ``NormalIndPower.solve_power`` gives the detectable Cohen's h for those sizes (``ratio`` =
    treated ÷ held out), and the rate it corresponds to is found from statsmodels'
    ``proportion_effectsize`` (scipy ``brentq``). A holdout below :data:`MIN_GROUP` customers, or one
    where not even a rise to 100% would be detectable, is flagged as too small to measure anything.
The cost of holding out
    The forecast incremental profit per treated customer × the customers held out: the profit the
    plan gives up to be able to measure itself (negative when the offer is forecast to lose money,
    i.e. holding out then saves money).
"""

from __future__ import annotations

import hashlib
import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from ..i18n import _
from ..schema import DataError

DEFAULT_SHARE = 0.10
MAX_SHARE = 0.5
DEFAULT_SEED = 0
#: a group smaller than this is too small to measure anything (the planner's A/B evidence needs as many)
MIN_GROUP = 30
ALPHA = 0.05
POWER = 0.8
GROUPS = ("treatment", "holdout")
#: per-segment forecast columns a target list with holdout carries, for the readout
FORECAST_COLUMNS = ("baseline_conversion", "expected_conversion", "forecast_profit_per_user", "contact_cost")
TARGET_COLUMNS = ("user_id", "segment", "offer", "offer_type", "depth", "threshold", "offer_spec", "expected_uplift",
                  "group", "holdout_share", "seed", *FORECAST_COLUMNS)


def check_share(share: float) -> float:
    """The holdout share as a float in [0, 0.5], or a DataError."""
    try:
        x = float(share)
    except (TypeError, ValueError):
        x = math.nan
    if not 0 <= x <= MAX_SHARE:
        raise DataError(_("The holdout share must be from 0% to 50%; got {value}").format(value=share),
                        hint=_("Hold out 10% (0.1) unless you have a reason to choose otherwise"))
    return x


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) < 2**63:
        raise DataError(_("The seed must be a whole number of 0 or more; got {value}").format(value=seed),
                        hint=_("Use any whole number, e.g. 0; the same seed gives the same holdout"))
    return int(seed)


def held_out_count(n: int, share: float) -> int:
    """``round(share × n)`` with halves rounded up, computed in decimal so 0.15 × 10 gives 2, not 1."""
    return int((Decimal(str(share)) * int(n)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _hash(seed: int, user_ids: pd.Series) -> np.ndarray:
    key = str(seed).encode()
    return np.array([int.from_bytes(hashlib.blake2b(u.encode(), digest_size=8, key=key).digest(), "big")
                     for u in user_ids], dtype=np.uint64)


def assign_holdout(targets: pd.DataFrame, share: float = DEFAULT_SHARE, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Add ``group`` (treatment / holdout), ``holdout_share`` and ``seed`` to a target list.

    ``targets`` needs user_id and segment (one row per customer). Returns every row and column of
    ``targets`` plus the three columns, sorted by segment then user id (see the module docstring).
    """
    share, seed = check_share(share), check_seed(seed)
    missing = [c for c in ("user_id", "segment") if c not in targets.columns]
    if missing:
        raise DataError(_("The target list has no {columns} column").format(columns=", ".join(missing)),
                        hint=_("A target list needs one row per customer with user_id and segment"))
    ids = targets["user_id"].astype("str")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DataError(_("{n} customers appear more than once in the target list").format(n=dup.nunique()),
                        where=", ".join(map(repr, dup.unique()[:5])),
                        hint=_("Keep one row per customer, then assign the holdout"))
    out = targets.assign(user_id=ids, segment=targets["segment"].astype("str"))
    out = out.assign(_h=_hash(seed, out["user_id"])).sort_values(["segment", "_h", "user_id"], kind="stable")
    rank = out.groupby("segment", sort=False).cumcount().to_numpy()
    size = out.groupby("segment", sort=False)["user_id"].transform("size").to_numpy()
    k = np.array([held_out_count(n, share) for n in size])
    out = out.assign(group=np.where(rank < k, "holdout", "treatment"), holdout_share=share, seed=seed)
    return out.drop(columns="_h").sort_values(["segment", "user_id"], kind="stable").reset_index(drop=True)


def campaign_targets(targets: pd.DataFrame, fc: pd.DataFrame, plan, share: float = DEFAULT_SHARE,
                     seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """A target list ready to run and to measure: :func:`assign_holdout` plus each segment's forecast.

    ``targets``: :func:`promo_core.promotions.target_list`'s frame; ``fc``: the plan's forecast
    (:func:`promo_core.promotions.forecast`); ``plan``: its offers. Added per segment:
    baseline_conversion and expected_conversion (the forecast's), forecast_profit_per_user
    (incremental profit ÷ customers targeted, contact cost included) and contact_cost (per treated
    customer). Columns: :data:`TARGET_COLUMNS` (any others of ``targets`` after them).
    """
    by = fc[fc["segment"] != "Total"].set_index("segment")
    per_user = by["incremental_profit"] / by["targeted"].where(by["targeted"] > 0)
    contact = {o.segment: o.contact_cost for o in plan}
    seg = targets["segment"].astype("str")
    t = targets.assign(baseline_conversion=seg.map(by["baseline_conversion"]),
                       expected_conversion=seg.map(by["expected_conversion"]),
                       forecast_profit_per_user=seg.map(per_user), contact_cost=seg.map(contact).astype(float))
    out = assign_holdout(t, share, seed)
    return out[[c for c in TARGET_COLUMNS if c in out] + [c for c in out if c not in TARGET_COLUMNS]]


def min_detectable_lift(baseline: float, treated: int, held_out: int, alpha: float = ALPHA,
                        power: float = POWER) -> float:
    """Smallest rise in conversion (absolute: 0.02 = 2 percentage points) that ``treated`` against
    ``held_out`` customers detect with ``power`` at two-sided ``alpha``, from ``baseline``.

    NaN when there are fewer than 2 customers in a group or the baseline is not strictly between 0
    and 1; ``inf`` when not even a rate of 100% would be detectable."""
    if min(treated, held_out) < 2 or not 0 < baseline < 1:
        return math.nan
    h = NormalIndPower().solve_power(effect_size=None, nobs1=held_out, alpha=alpha, power=power,
                                     ratio=treated / held_out, alternative="two-sided")
    if proportion_effectsize(1.0, baseline) < h:
        return math.inf
    p1 = brentq(lambda p: proportion_effectsize(p, baseline) - h, baseline, 1.0, xtol=1e-12)
    return float(p1 - baseline)


SUMMARY_COLUMNS = ["segment", "targeted", "treated", "held_out", "baseline_conversion", "forecast_lift",
                   "min_detectable_lift", "min_detectable_relative", "detects_forecast", "too_small",
                   "profit_per_treated", "holdout_cost"]


def holdout_summary(counts: pd.DataFrame, share: float, alpha: float = ALPHA, power: float = POWER) -> pd.DataFrame:
    """Per segment (and a 'Total' row): what a holdout of ``share`` costs and can measure.

    ``counts``: one row per segment with segment, targeted (customers the plan contacts without a
    holdout), baseline_conversion, expected_conversion and incremental_profit (the forecast's, for
    all ``targeted``). Columns of the result: :data:`SUMMARY_COLUMNS`: treated and held_out
    (:func:`held_out_count`), forecast_lift (expected − baseline conversion), min_detectable_lift
    (absolute) and min_detectable_relative (÷ baseline), detects_forecast (the forecast lift is at
    least the detectable one), too_small (held out < :data:`MIN_GROUP`, or nothing detectable),
    profit_per_treated and holdout_cost (profit per treated customer × held out), in the data's
    currency. The Total row pools the segments (baseline weighted by customers targeted).
    """
    share = check_share(share)
    rows = []
    for r in counts.itertuples(index=False):
        n = int(r.targeted)
        if n == 0:
            continue
        k = held_out_count(n, share)
        per = float(r.incremental_profit) / n
        rows.append({"segment": str(r.segment), "targeted": n, "treated": n - k, "held_out": k,
                     "baseline_conversion": float(r.baseline_conversion),
                     "forecast_lift": float(r.expected_conversion) - float(r.baseline_conversion),
                     "profit_per_treated": per, "holdout_cost": per * k})
    df = pd.DataFrame(rows, columns=[c for c in SUMMARY_COLUMNS if c in (rows[0] if rows else {})]
                      or ["segment", "targeted", "treated", "held_out", "baseline_conversion", "forecast_lift",
                          "profit_per_treated", "holdout_cost"])
    if len(df):
        w = df["targeted"]
        total = {"segment": "Total", "targeted": int(w.sum()), "treated": int(df["treated"].sum()),
                 "held_out": int(df["held_out"].sum()),
                 "baseline_conversion": float(np.average(df["baseline_conversion"], weights=w)),
                 "forecast_lift": float(np.average(df["forecast_lift"], weights=w)),
                 "profit_per_treated": float(np.average(df["profit_per_treated"], weights=w)),
                 "holdout_cost": float(df["holdout_cost"].sum())}
        df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    mde = [min_detectable_lift(b, t, h, alpha, power) for b, t, h in
           zip(df["baseline_conversion"], df["treated"], df["held_out"], strict=True)]
    df["min_detectable_lift"] = mde
    df["min_detectable_relative"] = df["min_detectable_lift"] / df["baseline_conversion"]
    df["detects_forecast"] = df["forecast_lift"] >= df["min_detectable_lift"]
    df["too_small"] = (df["held_out"] < MIN_GROUP) | ~np.isfinite(df["min_detectable_lift"].astype(float))
    df.loc[df["held_out"] == 0, "detects_forecast"] = False
    return df[SUMMARY_COLUMNS]


def plan_counts(fc: pd.DataFrame) -> pd.DataFrame:
    """The per-segment input of :func:`holdout_summary` from a forecast frame (offers with targets only)."""
    f = fc[(fc["segment"] != "Total") & (fc["targeted"] > 0)]
    return f[["segment", "targeted", "baseline_conversion", "expected_conversion", "incremental_profit"]]
