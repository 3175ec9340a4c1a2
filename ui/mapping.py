"""The column-mapping editor and the mapping preview of the Data page.

The editor starts from :func:`promo_core.inference.infer_mapping` (headers and values) and shows the
reason for every choice. Choices of medium or low confidence are listed above the button and must be
confirmed (or changed) before the data can be accepted: nothing uncertain is applied silently.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from promo_core.inference import Choice, Inference, infer_mapping
from promo_core.io import RawTable
from promo_core.kpis import summarise
from promo_core.quality import Dataset, discount_breakdown
from promo_core.schema import COLUMNS, MULTI_COLUMNS, line_amount, sources
from ui.state import CACHE_TTL
from ui.widgets import md

NONE = "(none)"
PREVIEW_ROWS = 5


@st.cache_data(show_spinner=False, max_entries=8, ttl=CACHE_TTL)
def inferred(key: str, _raw: RawTable) -> Inference:
    """The inference for an upload (keyed by its content, format and sheet)."""
    return infer_mapping(_raw.frame)


def mapping_editor(raw: RawTable, inference: Inference, key: str) -> tuple[dict, list[Choice]]:
    """Selectboxes (a multiselect for discounts) pre-filled from the inference.

    Returns the mapping chosen and the uncertain inferred choices the user left as proposed.
    """
    proposed = inference.mapping()
    by_column = {c.column: c for c in inference.choices}
    st.markdown("**Column mapping** — inferred from the headers and the values; change any that are wrong.")
    options = [NONE, *map(str, raw.frame.columns)]
    mapping: dict[str, str | tuple[str, ...]] = {}
    grid = st.columns(5)
    single = [c for c in COLUMNS if c.name not in MULTI_COLUMNS]
    for i, col in enumerate(single):
        default = proposed.get(col.name, NONE)
        why = by_column.get(col.name)
        choice = grid[i % 5].selectbox(
            f"{col.name}{' *' if col.required else ''}", options, index=options.index(default),
            key=f"map_{col.name}_{key}",
            help=col.meaning + (f". Proposed because {why.reason} ({why.confidence} confidence)" if why else ""))
        if choice != NONE:
            mapping[col.name] = choice
    for name in MULTI_COLUMNS:
        col = next(c for c in COLUMNS if c.name == name)
        chosen = st.multiselect(f"{name} (several columns are summed)", options[1:],
                                default=list(sources(proposed.get(name))), key=f"map_{name}_{key}",
                                help=col.meaning)
        if chosen:
            mapping[name] = tuple(chosen)
    if inference.choices:
        with st.expander("Why these columns", icon=":material/help:"):
            st.dataframe(pd.DataFrame([{"column": c.column, "file column": c.source, "confidence": c.confidence,
                                        "reason": c.reason, "alternatives": ", ".join(c.alternatives)}
                                       for c in inference.choices]), hide_index=True, width="stretch")
    unconfirmed = [c for c in inference.review() if c.source in sources(mapping.get(c.column))]
    return mapping, unconfirmed


def review_prompt(unconfirmed: list[Choice], key: str) -> bool:
    """List the uncertain choices; True once the user has confirmed them (or there are none)."""
    if not unconfirmed:
        return True
    lines = [f"- **{c.column}** ← {md(repr(c.source))} ({c.confidence} confidence): {md(c.reason)}"
             + (f". Other candidates: {md(', '.join(map(repr, c.alternatives)))}" if c.alternatives else "")
             for c in unconfirmed]
    st.warning("These column choices were inferred with less than high confidence. Check them (change the "
               "mapping above if one is wrong) before using the data:\n\n" + "\n".join(lines),
               icon=":material/help:")
    return st.checkbox("I have checked these column choices", key=f"confirm_{key}")


def mapping_preview(cand: Dataset, currency: str) -> None:
    """Five rows in canonical form and the revenue and average order the mapping implies."""
    ev = cand.events
    k = summarise(ev)
    mapping = cand.report.mapping
    st.markdown("**What this mapping implies**")
    c = st.columns(3)
    c[0].metric("Implied revenue", "–" if k.revenue is None else f"{currency}{k.revenue:,.2f}",
                help="Sum of the line amounts over purchases after cleaning")
    c[1].metric("Implied average order", "–" if k.average_order_value is None
                else f"{currency}{k.average_order_value:,.2f}", help="Implied revenue ÷ orders")
    c[2].metric("Purchase lines", f"{int((ev['event'] == 'purchase').sum()):,}")
    if "line_total" in mapping:
        basis = f"Revenue is the sum of the line totals in {mapping['line_total']!r}"
    elif "price" in mapping:
        basis = (f"Revenue is {mapping['price']!r} × "
                 + (f"{mapping['quantity']!r}" if "quantity" in mapping else "1 (no quantity column)"))
    else:
        basis = "No price or line total is mapped, so there is no revenue"
    st.caption(md(basis + ". If these figures look wrong for your business, the mapping is probably wrong."))
    canon = [c.name for c in COLUMNS if c.name in ev.columns]
    rows = ev.loc[:PREVIEW_ROWS - 1, canon].copy()
    if "price" in ev and ev["price"].notna().any():
        rows["line amount"] = line_amount(ev.head(PREVIEW_ROWS))
    st.dataframe(rows, hide_index=True, width="stretch")
    br = discount_breakdown(ev)
    if len(br) > 1:
        st.caption(md("Discounts by source: " + ", ".join(
            f"{r.source} {currency}{r.amount:,.2f} ({100 * r.share:.0f}%)" for r in br.itertuples())))
    for chk in cand.report.checks:
        if chk.severity == "warning":
            st.warning(f"**{md(chk.check.capitalize())}**: {md(chk.finding)}. **What to do:** {md(chk.suggestion)}.",
                       icon=":material/warning:")
