"""Non-product lines: postage, fees, manual adjustments, discounts, samples.

Shops book more than products as invoice lines. UCI Online Retail has POSTAGE, DOTCOM POSTAGE,
CARRIAGE, Manual, Bank Charges, AMAZON FEE, Discount, CRUK Commission, SAMPLES and "Adjust bad
debt". Counted as products they become the strongest "bundles" (every order pays postage) and
inflate or deflate customer value (a Manual line of £38,970). This module

* **detects** them from two kinds of evidence:
  - *names and codes*: the item name or id matches a word list per kind (shipping, fee,
    adjustment, discount, sample, gift card, test);
  - *behaviour*: the item's code has a shape (digits → 9, letters → A) that less than 1% of
    the catalogue shares, and its unit price varies more than 10-fold, or half or more of its
    lines are cancellations/returns;
* lists every candidate with its evidence (:func:`detect_nonproduct`), so the user can confirm or
  edit the list on the Data page (the suggested list is what the rest of PromoScope uses until then);
* splits revenue into product sales, returns and non-product lines (:func:`revenue_split`).

The lines stay in the events (a Manual-only invoice is still an order, so customer and order counts
do not move); sales, basket rules, bundles, recommendations and favourite category leave them out.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .i18n import N_

#: kind -> pattern on the item name or id (case-insensitive)
PATTERNS: dict[str, re.Pattern] = {
    "shipping": re.compile(r"^\W*(?:[a-z]+ ){0,2}(?:postage|carriage|shipping|delivery|freight|courier)"
                           r"(?: charges?| costs?| fee)?\W*$|^post$|^dot$|^c2$", re.I),
    "fee": re.compile(r"bank charges?|(?<![a-z])fees?\b|amazonfee|commission|surcharge|^cruk$", re.I),
    "adjustment": re.compile(r"^manual$|^m$|adjust|bad debt|write.?off|correction|^b$", re.I),
    "discount": re.compile(r"discount|coupon|promo ?code|rebate|^d$", re.I),
    "sample": re.compile(r"^samples?$|^s$|free samples?", re.I),
    "gift card": re.compile(r"gift ?(?:card|voucher)|^gift_", re.I),
    "test": re.compile(r"^test\b|test item|do not use", re.I),
}
KIND_LABELS = {"shipping": N_("Shipping / postage"), "fee": N_("Fee or charge"), "adjustment": N_("Manual adjustment"),
               "discount": N_("Discount"), "sample": N_("Samples"), "gift card": N_("Gift card / voucher"),
               "test": N_("Test item"), "behaviour": N_("Behaves unlike a product")}
RARE_SHAPE = 0.01
PRICE_SPREAD = 10.0
RETURN_SHARE = 0.5
COLUMNS = ["item_id", "item_name", "kind", "evidence", "suggested", "lines", "customers", "orders",
           "sales", "returned", "price_min", "price_max"]


ITEM_COLUMNS = ["lines", "customers", "orders", "sales", "price_min", "price_max", "returned", "ret_lines",
                "item_name"]


def detect_nonproduct(events: pd.DataFrame, returns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Candidate non-product items with their evidence.

    Returns one row per candidate (columns :data:`COLUMNS`): item_id, item_name, kind (a key of
    :data:`KIND_LABELS`), evidence (one sentence), suggested (True: left out until the user says
    otherwise), lines, customers and orders (purchase lines), sales (£, price × quantity of the
    purchase lines), returned (£, of the cancelled/returned lines), price_min and price_max (£).
    Empty (with every column) when the data has no item column.
    """
    return classify_items(item_table(events, returns))


def item_table(events: pd.DataFrame, returns: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per item id (text index) with :data:`ITEM_COLUMNS`: its purchase lines, customers, orders,
    sales (price × quantity), price range, returned amount and lines, and its name. The evidence of
    :func:`classify_items` and the revenue split of :func:`revenue_from_items` need nothing else, so an
    engine computes this table and pandas does the rest."""
    empty = pd.DataFrame(columns=ITEM_COLUMNS, index=pd.Index([], dtype=object))
    if "item_id" not in events or events["item_id"].isna().all():
        return empty
    buys = events[(events["event"] == "purchase") & events["item_id"].notna()]
    ret = returns if returns is not None and "item_id" in returns else None
    ids = pd.Index(buys["item_id"].astype(str).unique())
    if ret is not None and len(ret):
        ids = ids.union(pd.Index(ret["item_id"].dropna().astype(str).unique()))
    if len(ids) == 0:
        return empty
    item = buys["item_id"].astype(str)
    value = (buys["price"] * buys["quantity"]).fillna(0.0) if "price" in buys else pd.Series(0.0, index=buys.index)
    g = pd.DataFrame({"item": item, "v": value, "p": buys["price"] if "price" in buys else np.nan,
                      "u": buys["user_id"]}).groupby("item", observed=True)
    stats = pd.DataFrame({"lines": g.size(), "customers": g["u"].nunique(), "sales": g["v"].sum(),
                          "price_min": g["p"].min(), "price_max": g["p"].max()}).reindex(ids)
    if "order_id" in buys and buys["order_id"].notna().any():
        stats["orders"] = buys.groupby(item, observed=True)["order_id"].nunique().reindex(ids)
    else:
        stats["orders"] = stats["lines"]
    stats["returned"], stats["ret_lines"] = 0.0, 0
    if ret is not None and len(ret):
        r_item = ret["item_id"].astype(str)
        stats["returned"] = (ret["price"] * ret["quantity"].abs()).groupby(r_item).sum().reindex(ids, fill_value=0.0)
        stats["ret_lines"] = r_item.value_counts().reindex(ids, fill_value=0)
        rp = ret.groupby(r_item)["price"].agg(["min", "max"]).reindex(ids)
        stats["price_min"] = stats["price_min"].fillna(rp["min"])
        stats["price_max"] = stats["price_max"].fillna(rp["max"])
    stats = stats.fillna({"lines": 0, "customers": 0, "orders": 0, "sales": 0.0})
    names = (buys.assign(_i=item).groupby("_i")["item_name"].first() if "item_name" in buys
             else pd.Series(dtype=object)).reindex(ids)
    if ret is not None and "item_name" in ret and len(ret):
        names = names.fillna(ret.assign(_i=ret["item_id"].astype(str)).groupby("_i")["item_name"].first()
                             .reindex(ids))
    stats["item_name"] = names
    return stats[ITEM_COLUMNS]


def classify_items(stats: pd.DataFrame) -> pd.DataFrame:
    """The candidates (columns :data:`COLUMNS`) among the items of :func:`item_table`, with their evidence."""
    if stats.empty:
        return pd.DataFrame(columns=COLUMNS)
    ids = stats.index.astype(str)
    stats = stats.set_axis(ids)
    returned, ret_lines, names = stats["returned"], stats["ret_lines"], stats["item_name"]
    id_s = pd.Series(ids, index=ids, dtype="object")
    name_s = names.astype("object").where(names.notna(), "").astype(str)
    shapes = id_s.str.replace(r"\d", "9", regex=True).str.replace(r"[A-Za-z]", "A", regex=True)
    shape_share = shapes.map(shapes.value_counts(normalize=True))
    spread = stats["price_max"] / stats["price_min"].where(stats["price_min"] > 0)
    return_share = ret_lines / (ret_lines + stats["lines"]).where(lambda s: s > 0)
    kind = pd.Series(None, index=ids, dtype="object")
    by_name = pd.Series(False, index=ids)
    for k, pattern in PATTERNS.items():
        in_name = name_s.str.contains(pattern)
        hit = (id_s.str.contains(pattern) | in_name) & kind.isna()
        by_name |= hit & in_name
        kind[hit] = k
    wide = (spread > PRICE_SPREAD).fillna(False)
    mostly_returned = (return_share >= RETURN_SHARE).fillna(False)
    odd = shape_share < RARE_SHAPE
    behaves = kind.isna() & odd & (wide | mostly_returned)
    rows = []
    for i in ids[(kind.notna() | behaves).to_numpy()]:
        if pd.notna(kind[i]):
            k = kind[i]
            evidence = f"the {'name' if by_name[i] else 'code'} reads as {KIND_LABELS[k].lower()}"
        else:
            k = "behaviour"
            why = []
            if wide[i]:
                why.append(f"its price varies {spread[i]:,.0f}-fold")
            if mostly_returned[i]:
                why.append(f"{100 * return_share[i]:.0f}% of its lines are cancellations or returns")
            evidence = "its code looks unlike the catalogue's and " + " and ".join(why)
        st = stats.loc[i]
        rows.append({"item_id": i, "item_name": name_s[i], "kind": k, "evidence": evidence, "suggested": True,
                     "lines": int(st["lines"]), "customers": int(st["customers"]), "orders": int(st["orders"]),
                     "sales": float(st["sales"]), "returned": float(returned[i]),
                     "price_min": float(st["price_min"]), "price_max": float(st["price_max"])})
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values(["lines", "item_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def suggested_codes(events: pd.DataFrame, returns: pd.DataFrame | None = None) -> tuple[str, ...]:
    """The item ids :func:`detect_nonproduct` suggests leaving out, sorted."""
    found = detect_nonproduct(events, returns)
    return tuple(sorted(found.loc[found["suggested"], "item_id"].astype(str)))


def is_nonproduct(frame: pd.DataFrame, codes: tuple[str, ...] | list[str] | set[str]) -> pd.Series:
    """Boolean mask of the rows whose item is one of ``codes`` (all False without items or codes)."""
    if not codes or "item_id" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["item_id"].astype(str).isin(set(codes)).fillna(False)


def product_lines(frame: pd.DataFrame, codes: tuple[str, ...] | list[str] | set[str]) -> pd.DataFrame:
    """``frame`` without the lines of non-product items (the frame itself when there are none)."""
    mask = is_nonproduct(frame, codes)
    return frame[~mask] if mask.any() else frame


def revenue_split(events: pd.DataFrame, returns: pd.DataFrame | None,
                  codes: tuple[str, ...] | list[str] | set[str]) -> pd.DataFrame:
    """Revenue by kind of line (£): product sales, product returns, net product sales, then each
    non-product item's net amount. Columns: line, amount, share_of_gross_pct (of gross product sales).
    """
    buys = events[events["event"] == "purchase"]
    v = (buys["price"] * buys["quantity"]).fillna(0.0)
    np_mask = is_nonproduct(buys, codes)
    gross = float(v[~np_mask].sum())
    if returns is not None and len(returns):
        rv = (returns["price"] * returns["quantity"].abs()).fillna(0.0)
        r_np = is_nonproduct(returns, codes)
        ret = float(rv[~r_np].sum())
        ret_np = rv[r_np].groupby(returns.loc[r_np, "item_id"].astype(str)).sum()
    else:
        ret, ret_np = 0.0, pd.Series(dtype=float)
    rows = [(N_("Product sales (gross)"), gross), (N_("Product returns and cancellations"), -ret),
            (N_("Net product sales"), gross - ret)]
    if np_mask.any() or len(ret_np):
        per = v[np_mask].groupby(buys.loc[np_mask, "item_id"].astype(str)).sum()
        per = per.add(-ret_np, fill_value=0.0)
        both = pd.concat([buys.loc[np_mask], returns[r_np]] if returns is not None and len(returns) else
                         [buys.loc[np_mask]])
        names = (both.assign(_i=both["item_id"].astype(str)).groupby("_i")["item_name"].first()
                 if "item_name" in both else pd.Series(dtype=object))
        for i, amount in per.sort_values(ascending=False).items():
            label = names.get(i)
            rows.append((f"Non-product: {label if isinstance(label, str) and label else i} ({i})", float(amount)))
        rows.append((N_("Non-product lines, net"), float(per.sum())))
    out = pd.DataFrame(rows, columns=["line", "amount"])
    out["share_of_gross_pct"] = 100 * out["amount"] / gross if gross else np.nan
    return out


def revenue_from_items(items: pd.DataFrame, codes: tuple[str, ...] | list[str] | set[str], total_sales: float,
                       total_returned: float) -> pd.DataFrame:
    """:func:`revenue_split` from the per-item table of :func:`item_table` and the totals over every purchase
    and returned line (lines without an item id included): what an engine dataset shows on the Data page."""
    codes = set(map(str, codes))
    np_items = items[items.index.astype(str).isin(codes)] if len(items) else items
    gross = float(total_sales) - float(np_items["sales"].sum() if len(np_items) else 0.0)
    ret = float(total_returned) - float(np_items["returned"].sum() if len(np_items) else 0.0)
    rows = [(N_("Product sales (gross)"), gross), (N_("Product returns and cancellations"), -ret),
            (N_("Net product sales"), gross - ret)]
    if len(np_items):
        per = (np_items["sales"].astype(float) - np_items["returned"].astype(float)).set_axis(
            np_items.index.astype(str))
        for i, amount in per.sort_values(ascending=False).items():
            label = np_items["item_name"].get(i)
            rows.append((f"Non-product: {label if isinstance(label, str) and label else i} ({i})", float(amount)))
        rows.append((N_("Non-product lines, net"), float(per.sum())))
    out = pd.DataFrame(rows, columns=["line", "amount"])
    out["share_of_gross_pct"] = 100 * out["amount"] / gross if gross else np.nan
    return out
