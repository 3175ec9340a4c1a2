"""Non-product items (postage, fees, adjustments…) suggested from per-item statistics computed in the
engine, with the evidence rules of :mod:`promo_core.nonproduct` (its patterns and thresholds): the same
suggested codes as :func:`promo_core.nonproduct.suggested_codes` (tested on Online Retail).

Only the per-item table (one row per item) comes back to pandas.
"""

from __future__ import annotations

import pandas as pd

from ..nonproduct import PATTERNS, PRICE_SPREAD, RARE_SHAPE, RETURN_SHARE
from .dtypes import normalise


def item_stats(events, returns=None) -> pd.DataFrame:
    """Per item: lines, price_min, price_max of its purchase lines, its first name, and its returned lines."""
    if "item_id" not in events.columns:
        return pd.DataFrame(columns=["item_id", "lines", "price_min", "price_max", "item_name", "ret_lines"])
    buys = events.filter((events.event == "purchase") & events.item_id.notnull())
    agg = {"lines": buys.count(), "price_min": buys.price.min(), "price_max": buys.price.max()}
    if "item_name" in buys.columns:
        agg["item_name"] = buys.item_name.argmin(buys.timestamp)
    stats = normalise(buys.group_by("item_id").aggregate(**agg).to_pandas(), ints=("lines",)).set_index("item_id")
    if returns is not None and "item_id" in returns.columns:
        r = returns.filter(returns.item_id.notnull())
        ragg = {"ret_lines": r.count(), "rp_min": r.price.min(), "rp_max": r.price.max()}
        if "item_name" in r.columns:
            ragg["r_name"] = r.item_name.argmin(r.timestamp)
        rs = normalise(r.group_by("item_id").aggregate(**ragg).to_pandas(), ints=("ret_lines",)).set_index("item_id")
        stats = stats.join(rs, how="outer")
        stats["price_min"] = stats["price_min"].fillna(stats["rp_min"])
        stats["price_max"] = stats["price_max"].fillna(stats["rp_max"])
        if "r_name" in stats:
            stats["item_name"] = stats.get("item_name", pd.Series(index=stats.index, dtype=object)).fillna(stats["r_name"])
    else:
        stats["ret_lines"] = 0
    stats["lines"] = stats["lines"].fillna(0)
    stats["ret_lines"] = stats["ret_lines"].fillna(0)
    stats.index = stats.index.astype(str)
    return stats


def suggested_codes(events, returns=None) -> tuple[str, ...]:
    """Item ids to leave out of sales, baskets and favourite category (sorted)."""
    stats = item_stats(events, returns)
    if stats.empty:
        return ()
    ids = stats.index.to_series()
    names = stats["item_name"] if "item_name" in stats else pd.Series(None, index=stats.index, dtype=object)
    name_s = names.astype("object").where(names.notna(), "").astype(str)
    shapes = ids.str.replace(r"\d", "9", regex=True).str.replace(r"[A-Za-z]", "A", regex=True)
    shape_share = shapes.map(shapes.value_counts(normalize=True))
    spread = stats["price_max"] / stats["price_min"].where(stats["price_min"] > 0)
    return_share = stats["ret_lines"] / (stats["ret_lines"] + stats["lines"]).where(lambda s: s > 0)
    hit = pd.Series(False, index=stats.index)
    for pattern in PATTERNS.values():
        hit |= ids.str.contains(pattern) | name_s.str.contains(pattern)
    wide = (spread > PRICE_SPREAD).fillna(False)
    mostly_returned = (return_share >= RETURN_SHARE).fillna(False)
    behaves = (shape_share < RARE_SHAPE) & (wide | mostly_returned)
    return tuple(sorted(stats.index[(hit | behaves).to_numpy()].astype(str)))
