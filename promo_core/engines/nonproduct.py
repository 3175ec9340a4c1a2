"""Non-product items (postage, fees, adjustments…) from a per-item table computed in the engine.

:func:`item_table` is the engine side of :func:`promo_core.nonproduct.item_table`: one row per item comes
back to pandas, where :func:`promo_core.nonproduct.classify_items` applies the same evidence rules, so the
candidates and the suggested codes equal the in-memory ones (tested on Online Retail). An item's name is
the name on its earliest line.
"""

from __future__ import annotations

import pandas as pd

from ..nonproduct import ITEM_COLUMNS, classify_items
from .dtypes import normalise


def item_table(events, returns=None) -> pd.DataFrame:
    """Per item id (text index): lines, customers, orders, sales, price range, returned amount and lines, name."""
    if "item_id" not in events.columns:
        return pd.DataFrame(columns=ITEM_COLUMNS, index=pd.Index([], dtype=object))
    buys = events.filter((events.event == "purchase") & events.item_id.notnull())
    has_price = "price" in buys.columns
    agg = {"lines": buys.count(), "customers": buys.user_id.nunique()}
    if has_price:
        agg.update(sales=(buys.price * buys.quantity).fill_null(0.0).sum(), price_min=buys.price.min(),
                   price_max=buys.price.max())
    with_orders = "order_id" in buys.columns and int(buys.aggregate(n=buys.order_id.count()).to_pandas()["n"].iloc[0])
    if with_orders:
        agg["orders"] = buys.order_id.nunique()
    if "item_name" in buys.columns:
        agg["item_name"] = buys.item_name.argmin(buys.timestamp)
    ints = ("lines", "customers", "orders")
    stats = normalise(buys.group_by("item_id").aggregate(**agg).to_pandas(), ints=ints).set_index("item_id")
    if not with_orders:
        stats["orders"] = stats["lines"]
    for c in ("sales", "price_min", "price_max", "item_name"):
        if c not in stats:
            stats[c] = 0.0 if c == "sales" else None
    stats["returned"], stats["ret_lines"] = 0.0, 0
    if returns is not None and "item_id" in returns.columns:
        r = returns.filter(returns.item_id.notnull())
        ragg = {"ret_lines": r.count(), "returned": (r.price * r.quantity.abs()).sum(), "rp_min": r.price.min(),
                "rp_max": r.price.max()}
        if "item_name" in r.columns:
            ragg["r_name"] = r.item_name.argmin(r.timestamp)
        rs = normalise(r.group_by("item_id").aggregate(**ragg).to_pandas(), ints=("ret_lines",)).set_index("item_id")
        stats = stats.drop(columns=["returned", "ret_lines"]).join(rs, how="outer")
        stats["price_min"] = stats["price_min"].fillna(stats["rp_min"])
        stats["price_max"] = stats["price_max"].fillna(stats["rp_max"])
        if "r_name" in stats:
            stats["item_name"] = stats["item_name"].astype(object).where(stats["item_name"].notna(), stats["r_name"])
    stats = stats.fillna({"lines": 0, "customers": 0, "orders": 0, "sales": 0.0, "returned": 0.0, "ret_lines": 0})
    for c in ints + ("ret_lines",):
        stats[c] = stats[c].astype("int64")
    stats.index = stats.index.astype(str)
    return stats.sort_index()[ITEM_COLUMNS]


def totals(events, returns=None) -> tuple[float, float]:
    """Sales (price × quantity) over every purchase line and the returned amount over every returned line."""
    if "price" not in events.columns:
        return 0.0, 0.0
    buys = events.filter(events.event == "purchase")
    sales = buys.aggregate(v=(buys.price * buys.quantity).fill_null(0.0).sum()).to_pandas()["v"].iloc[0]
    ret = 0.0
    if returns is not None:
        ret = returns.aggregate(v=(returns.price * returns.quantity.abs()).fill_null(0.0).sum()).to_pandas()["v"].iloc[0]
    return float(0.0 if pd.isna(sales) else sales), float(0.0 if pd.isna(ret) else ret)


def detect(events, returns=None) -> pd.DataFrame:
    """The candidates with their evidence (:func:`promo_core.nonproduct.detect_nonproduct`)."""
    return classify_items(item_table(events, returns))


def suggested_codes(events, returns=None) -> tuple[str, ...]:
    """Item ids to leave out of sales, baskets and favourite category (sorted)."""
    found = detect(events, returns)
    return tuple(sorted(found.loc[found["suggested"], "item_id"].astype(str)))
