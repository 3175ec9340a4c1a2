"""Widgets shared by pages: errors, KPI tiles, the quality report, downloads.

User text (file names, column names, values) is shown through st.text, st.dataframe or
escaped markdown; nothing from a file is rendered as HTML.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from promo_core.export import to_csv_bytes, to_excel_bytes, to_json_text
from promo_core.kpis import Kpis
from promo_core.quality import QualityReport
from promo_core.schema import DataError

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """Escape user text for st.markdown / labels (no formatting, no links, no HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def show_error(exc: DataError, prefix: str = "") -> None:
    parts = [f"**{md(prefix)}**" if prefix else "", md(exc.what) + "."]
    if exc.where:
        parts.append(f"\n\n**Where:** {md(exc.where)}")
    if exc.hint:
        parts.append(f"\n\n**What to do:** {md(exc.hint)}")
    st.error(" ".join(p for p in parts if p), icon=":material/error:")


def _pct(r) -> str:
    return "–" if r is None else f"{100 * r.value:.1f}%"


def kpi_tiles(k: Kpis, currency: str) -> None:
    cols = st.columns(6)
    cols[0].metric("Revenue", "–" if k.revenue is None else f"{currency}{k.revenue:,.0f}",
                   help="Sum of the line totals over purchases when the file has them, else price × quantity; "
                        "after cleaning")
    cols[1].metric("Orders", f"{k.orders:,}", help="Distinct order ids, or one user's purchases on one day")
    cols[2].metric("Buyers", f"{k.buyers:,}", help=f"Users with at least one purchase, of {k.users:,} users")
    conv_help = ("Share of users who viewed a product and bought" +
                 (f"; 95% interval {_pct_pair(k.conversion)}" if k.conversion else "; needs view events"))
    cols[3].metric("Conversion", _pct(k.conversion), help=conv_help)
    cols[4].metric("Average order", "–" if k.average_order_value is None
                   else f"{currency}{k.average_order_value:,.2f}", help="Revenue ÷ orders")
    cols[5].metric("Repeat buyers", _pct(k.repeat_purchase),
                   help="Share of buyers with two or more orders" +
                        (f"; 95% interval {_pct_pair(k.repeat_purchase)}" if k.repeat_purchase else ""))


def _pct_pair(r) -> str:
    return f"{100 * r.low:.1f}% to {100 * r.high:.1f}%"


def quality_report(report: QualityReport) -> None:
    f = report.file
    c = st.columns(4)
    c[0].metric("Rows read", f"{report.rows_read:,}")
    c[1].metric("Rows kept", f"{report.rows_kept:,}",
                delta=f"-{report.rows_read - report.rows_kept:,} removed", delta_color="off")
    c[2].metric("Users", f"{report.users:,}")
    c[3].metric("Orders", "–" if report.orders is None else f"{report.orders:,}")
    st.caption("Read as: " + md(f"{f.get('container', 'n/a')} {f.get('kind', '')}, encoding "
                                f"{f.get('encoding') or 'n/a'}, delimiter {f.get('delimiter') or 'n/a'}, header "
                                f"{'yes' if f.get('header') else 'no'}, layout: {f.get('layout', 'n/a')}"))
    st.dataframe(report.steps_frame(), hide_index=True, width="stretch")
    left, right = st.columns(2)
    facts = pd.DataFrame({"fact about the file as uploaded": [k.replace("_", " ") for k in report.facts],
                          "count": list(report.facts.values())})
    left.dataframe(facts, hide_index=True, width="stretch")
    summary = {"first event": report.first_event or "no times (basket file)",
               "last event": report.last_event or "–",
               "items": f"{report.items:,}" if report.items is not None else "no item column",
               "user attributes kept": ", ".join(report.attributes) or "none",
               "event mix": " · ".join(f"{k} {v:,}" for k, v in report.event_mix.items()) or "none"}
    right.dataframe(pd.DataFrame({"what remains": list(summary), "value": list(summary.values())}),
                    hide_index=True, width="stretch")
    for note in report.notes:
        st.caption(md(note))
    plausibility_checks(report)


def plausibility_checks(report: QualityReport) -> None:
    """The plausibility checks of a quality report: what was found, on which lines, what to do."""
    if report.checks:
        st.markdown("**Plausibility checks** — found in the file's own distribution; nothing here was changed")
        st.dataframe(report.checks_frame(), hide_index=True, width="stretch")
    else:
        st.caption("Plausibility checks: average order, unit prices, quantities, line totals and negative "
                   "amounts all look ordinary for this file.")
    if report.discounts:
        st.caption(md("Discounts by source (amount off, purchases kept): " + ", ".join(
            f"{k} {v:,.2f}" for k, v in report.discounts.items())))


def downloads(frame: pd.DataFrame | None, stem: str, key: str, *, json_obj=None) -> None:
    """CSV / Excel (formula-injection safe) and JSON download buttons, built only when clicked."""
    cols = st.columns(3)
    if frame is not None:
        cols[0].download_button("Download CSV", lambda: to_csv_bytes(frame), f"{stem}.csv", "text/csv",
                                key=f"{key}_csv", icon=":material/download:")
        cols[1].download_button("Download Excel", lambda: to_excel_bytes(frame), f"{stem}.xlsx",
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                key=f"{key}_xlsx", icon=":material/download:")
    if json_obj is not None:
        cols[2].download_button("Download JSON", lambda: to_json_text(json_obj), f"{stem}.json",
                                "application/json", key=f"{key}_json", icon=":material/download:")
