"""Tables a marketer reads: human column labels, units and locale-aware numbers, with sorting kept numeric.

Pages pass a frame and a column spec ``{machine_name: (label, kind)}``; the label is already translated
(``_("Conversion rate")``). Only the listed columns are shown, in that order. The values stay numbers
(so sorting works); what is shown comes from a pandas Styler that formats each column by its kind.
Exports keep the machine names and full precision: never export what ``show`` displays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from promo_core.i18n import N_, _, fmt_date, fmt_int, fmt_money, fmt_num, fmt_pct, fmt_pp

#: the canonical event types in words
EVENT_WORDS = {"view": N_("view"), "search": N_("search"), "click": N_("click"), "cart": N_("add to cart"),
               "fav": N_("favourite"), "purchase": N_("purchase")}

#: kind → formatter(value, currency)
KINDS: dict[str, Callable[[object, str], str]] = {
    "money": lambda v, cur: fmt_money(v, cur),
    "money2": lambda v, cur: fmt_money(v, cur, decimals=2),
    "signed_money": lambda v, cur: fmt_money(v, cur, signed=True),
    "int": lambda v, cur: fmt_int(v),
    "num": lambda v, cur: fmt_num(v),
    "pct": lambda v, cur: fmt_pct(v),          # a fraction shown as a percentage: 0.123 → 12.3%
    "pct_points": lambda v, cur: fmt_pct(None if v is None else float(v) / 100),  # already ×100: 12.3 → 12.3%
    "pp": lambda v, cur: fmt_pp(v),            # a difference of two rates, in percentage points
    "date": lambda v, cur: fmt_date(v),
    "text": lambda v, cur: "–" if v is None or (isinstance(v, float) and v != v) else str(v),
    "event": lambda v, cur: _(EVENT_WORDS[v]) if v in EVENT_WORDS else ("–" if v is None else str(v)),
    "days": lambda v, cur: fmt_days(v),        # a duration in days: 325.5826 → 326 days
    "ratio": lambda v, cur: fmt_num(v, 2),     # a plain ratio or score: 0.61 (two significant digits)
}


def fmt_days(v, missing: str = "–") -> str:
    """A duration in days, rounded to whole days: 325.5826 → ``326 days`` (``0.4`` → ``less than a day``)."""
    if v is None or (isinstance(v, float) and v != v):
        return missing
    x = float(v)
    if 0 < abs(x) < 0.5:
        return _("less than a day")
    return _("{n} days").format(n=fmt_int(x)) if round(abs(x)) != 1 else _("1 day")

ColumnSpec = Mapping[str, tuple[str, str]]

#: the customer-profile columns (promo_core.features, segments) a marketer may see, as (label msgid, kind)
PROFILE = {
    "user_id": (N_("Customer"), "text"),
    "recency_days": (N_("Days since last purchase"), "days"),
    "frequency": (N_("Orders"), "int"),
    "monetary": (N_("Net sales"), "money"),
    "gross_sales": (N_("Gross sales"), "money"),
    "returns": (N_("Returns"), "money"),
    "return_rate": (N_("Share returned"), "pct"),
    "tenure_days": (N_("Days since first seen"), "days"),
    "days_since_last_event": (N_("Days since last visit"), "days"),
    "avg_order_value": (N_("Average order"), "money2"),
    "purchase_interval_days": (N_("Days between purchases"), "days"),
    "views": (N_("Product views"), "int"),
    "carts": (N_("Add-to-carts"), "int"),
    "purchase_lines": (N_("Items bought"), "int"),
    "view_to_cart": (N_("View → cart rate"), "pct"),
    "cart_to_purchase": (N_("Cart → purchase rate"), "pct"),
    "discount_share": (N_("Share bought on discount"), "pct"),
    "favourite_category": (N_("Favourite category"), "text"),
    "segment": (N_("Segment no."), "int"),
    "segment_name": (N_("Segment"), "text"),
    "users": (N_("Customers"), "int"),
    "share_of_users_pct": (N_("Share of users"), "pct_points"),
    "share_of_revenue_pct": (N_("Share of revenue"), "pct_points"),
    "r_score": (N_("R score"), "int"),
    "f_score": (N_("F score"), "int"),
    "m_score": (N_("M score"), "int"),
    "rfm_score": (N_("RFM score"), "text"),
    "rfm_segment": (N_("RFM group"), "text"),
    "lifecycle": (N_("Lifecycle stage"), "text"),
    "propensity": (N_("Chance to buy"), "pct"),
    "score": (N_("Chance to buy"), "pct"),
}


#: the canonical event columns (promo_core.schema), as (label msgid, kind)
EVENTS = {
    "user_id": (N_("Customer"), "text"),
    "timestamp": (N_("Time"), "text"),
    "event": (N_("Event"), "event"),
    "item_id": (N_("Item id"), "text"),
    "item_name": (N_("Item name"), "text"),
    "category": (N_("Category"), "text"),
    "price": (N_("Unit price"), "money2"),
    "quantity": (N_("Quantity"), "num"),
    "order_id": (N_("Order"), "text"),
    "line_total": (N_("Line total"), "money2"),
    "discount": (N_("Discount"), "money2"),
    "line amount": (N_("Line amount"), "money2"),
}


def events_spec(columns) -> dict[str, tuple[str, str]]:
    """A column spec for canonical events: known columns labelled, the file's own extra columns (user
    attributes, ``discount: <source>``) under their own names with ``_`` read as a space."""
    spec: dict[str, tuple[str, str]] = {}
    for col in columns:
        col = str(col)
        if col in EVENTS:
            label, kind = EVENTS[col]
            spec[col] = (_(label), kind)
        elif col.startswith("discount: "):
            spec[col] = (_("Discount from {source}").format(source=col.removeprefix("discount: ")), "money2")
        else:
            spec[col] = (col.replace("_", " "), "text")
    return spec


def profile_spec(columns, *, mean_prefix: str = "mean_") -> dict[str, tuple[str, str]]:
    """A column spec for any of the profile columns present, in their order.

    ``mean_<col>`` is labelled "Average <label>"; ``share_<category>`` "Share of spend: <category>" (the
    category is a data value, never translated); other columns (user attributes from the file) keep their
    name, with ``_`` read as a space.
    """
    spec: dict[str, tuple[str, str]] = {}
    for col in columns:
        col = str(col)
        if col in PROFILE:
            label, kind = PROFILE[col]
            spec[col] = (_(label), kind)
        elif col.startswith(mean_prefix) and col[len(mean_prefix):] in PROFILE:
            label, kind = PROFILE[col[len(mean_prefix):]]
            spec[col] = (_("Average: {what}").format(what=_(label)), kind)
        elif col.startswith("share_") and not col.endswith("_pct"):
            spec[col] = (_("Share of spend: {category}").format(category=col.removeprefix("share_")), "pct")
        else:
            spec[col] = (col.replace("_", " "), "text")
    return spec


def display_frame(df: pd.DataFrame, columns: ColumnSpec, currency: str = "£") -> pd.DataFrame:
    """The listed columns as formatted text under their labels (for st.table, reports and tests)."""
    out = {}
    for col, (label, kind) in columns.items():
        if col in df.columns:
            f = KINDS[kind]
            out[label] = [f(v, currency) for v in df[col].tolist()]
    return pd.DataFrame(out, index=df.index)


def show(df: pd.DataFrame, columns: ColumnSpec, currency: str = "£", *, key: str | None = None,
         helps: Mapping[str, str] | None = None, height: int | str = "auto", **kwargs) -> None:
    """``st.dataframe`` of the listed columns, labelled and formatted, numbers still sortable."""
    cols = [c for c in columns if c in df.columns]
    shown = df[cols]
    fmts = {c: (lambda v, f=KINDS[columns[c][1]]: f(v, currency)) for c in cols}
    styler = shown.style.format(fmts, na_rep="–")
    config = {c: st.column_config.Column(columns[c][0], help=(helps or {}).get(c)) for c in cols}
    kwargs.setdefault("width", "stretch")
    kwargs.setdefault("placeholder", "–")  # a missing value (a customer who never bought has no recency)
    st.dataframe(styler, column_config=config, hide_index=True, key=key, height=height, **kwargs)
