"""Widgets shared by pages: errors, KPI tiles, the quality report, downloads.

User text (file names, column names, values) is shown through st.text, st.dataframe or
escaped markdown; nothing from a file is rendered as HTML.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from promo_core.export import to_csv_bytes, to_excel_bytes, to_json_text
from promo_core.i18n import N_, _, fmt_compact, fmt_date, fmt_int, fmt_money, fmt_num, fmt_pct
from promo_core.kpis import Kpis
from promo_core.quality import QualityReport
from promo_core.schema import DataError, tr

from .tables import EVENT_WORDS, show

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """Escape user text for st.markdown / labels (no formatting, no links, no HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def show_error(exc: DataError, prefix: str = "") -> None:
    parts = [f"**{md(prefix)}**" if prefix else "", md(tr(exc.what)) + "."]
    if exc.where:
        parts.append("\n\n**" + _("Where:") + f"** {md(tr(exc.where))}")
    if exc.hint:
        parts.append("\n\n**" + _("What to do:") + f"** {md(tr(exc.hint))}")
    st.error(" ".join(p for p in parts if p), icon=":material/error:")


def _pct(r) -> str:
    return "–" if r is None else fmt_pct(r.value)


def _pct_pair(r) -> str:
    return _("{low} to {high}").format(low=fmt_pct(r.low), high=fmt_pct(r.high))


#: from these sizes on a tile shows the short form (money is wider: symbol and more digits)
COMPACT_MONEY = 100_000
COMPACT_COUNT = 10_000_000


def tile(x, symbol: str | None = None) -> tuple[str, str | None]:
    """What a KPI tile shows and the full value for its help: short enough never to be cut off.

    Money from 100,000 and counts from 10 million are shortened (``£8.89M``, ``¥888.71万``); the exact
    figure then goes into the tile's help. Smaller figures are shown whole and need no help.
    """
    if x is None:
        return "–", None
    full = fmt_money(x, symbol) if symbol is not None else fmt_int(x)
    if abs(float(x)) < (COMPACT_MONEY if symbol is not None else COMPACT_COUNT):
        return full, None
    return fmt_compact(x, symbol), _("Exactly {value}").format(value=full)


def _join_help(*parts: str | None) -> str:
    return "\n\n".join(p for p in parts if p)


def metric(where, label: str, x, symbol: str | None = None, help: str | None = None, **kwargs) -> None:
    """A KPI tile with the short figure on the tile and the full one in its help."""
    shown, exact = tile(x, symbol)
    where.metric(label, shown, help=_join_help(help, exact) or None, **kwargs)


def kpi_tiles(k: Kpis, currency: str) -> None:
    """Six headline tiles in two rows of three (six in one row cut figures off at 1280 px with the sidebar)."""
    cols = [*st.columns(3), *st.columns(3)]
    metric(cols[0], _("Revenue"), k.revenue, currency,
           help=_("Sum of the line totals over purchases when the file has them, else price × quantity; "
                  "after cleaning"))
    metric(cols[1], _("Orders"), k.orders, help=_("Distinct order ids, or one user's purchases on one day"))
    metric(cols[2], _("Buyers"), k.buyers,
           help=_("Users with at least one purchase, of {users} users").format(users=fmt_int(k.users)))
    conv_help = (_("Share of users who viewed a product and bought; 95% interval {interval}").format(
        interval=_pct_pair(k.conversion)) if k.conversion else _("Share of users who viewed a product and bought; "
                                                                    "needs view events"))
    cols[3].metric(_("Conversion"), _pct(k.conversion), help=conv_help)
    cols[4].metric(_("Average order"), "–" if k.average_order_value is None
                   else fmt_money(k.average_order_value, currency, decimals=2), help=_("Revenue ÷ orders"))
    cols[5].metric(_("Repeat buyers"), _pct(k.repeat_purchase),
                   help=_("Share of buyers with two or more orders") + (
                       _("; 95% interval {interval}").format(interval=_pct_pair(k.repeat_purchase))
                       if k.repeat_purchase else ""))


#: the facts of a quality report, by their key in ``QualityReport.facts``
FACTS = {
    "rows": N_("Rows in the file"),
    "exact_duplicate_rows": N_("Exact duplicate rows"),
    "rows_without_user_id": N_("Rows without a user id"),
    "rows_with_user_id": N_("Rows with a user id"),
    "distinct_orders": N_("Distinct orders"),
    "cancelled_order_rows": N_("Rows of cancelled orders"),
    "distinct_items": N_("Distinct items"),
    "rows_with_quantity_le_0": N_("Rows with a quantity of 0 or less"),
    "rows_with_price_le_0": N_("Rows with a price of 0 or less"),
}
#: how the file was read (``QualityReport.file``), in words
_CONTAINERS = {"plain": N_("plain"), "gzip": N_("gzip"), "excel": N_("Excel"), "parquet": N_("Parquet"),
               "zip": N_("zip")}
#: the facts shown for a basket file, where a row is one item of one basket (the other facts are about ids and
#: times a basket file does not have; they stay in the JSON report)
BASKET_FACTS = {
    "baskets": N_("Baskets in the file (lines)"),
    "rows": N_("Items in the baskets (one row each)"),
    "distinct_items": N_("Distinct items"),
    "exact_duplicate_rows": N_("Exact duplicate rows"),
}
_KINDS = {"events": N_("rows of events"), "baskets": N_("one basket per line")}
SEVERITY = {"warning": N_("warning"), "info": N_("note")}


def removed_delta(removed: int) -> dict:
    """Keyword arguments for a tile showing rows removed: a neutral "149,217 removed", nothing when 0."""
    if not removed:
        return {}
    return {"delta": _("{n} removed").format(n=fmt_int(removed)), "delta_color": "off", "delta_arrow": "off"}


def quality_report(report: QualityReport) -> None:
    f = report.file
    c = st.columns(4)
    baskets = f.get("kind") == "baskets" and report.baskets_read is not None
    if baskets:  # one basket per line, split into a row per item: count baskets and items, never "rows"
        kept = report.baskets_kept if report.baskets_kept is not None else report.users
        metric(c[0], _("Baskets read"), report.baskets_read,
               help=_("Lines in the file, one basket each (empty lines are skipped)"))
        metric(c[1], _("Baskets kept"), kept, **removed_delta(report.baskets_read - kept))
        metric(c[2], _("Items read"), report.rows_read,
               help=_("Items over all baskets: each line is split into one row per item (an item repeated on a "
                      "line counts once)"))
        metric(c[3], _("Items kept"), report.rows_kept, **removed_delta(report.rows_read - report.rows_kept))
    else:
        metric(c[0], _("Rows read"), report.rows_read)
        metric(c[1], _("Rows kept"), report.rows_kept, **removed_delta(report.rows_read - report.rows_kept))
        metric(c[2], _("Users"), report.users)
        metric(c[3], _("Orders"), report.orders)
    na = _("n/a")
    container = f.get("container")
    st.caption(md(_("Read as: {container} {kind}, encoding {encoding}, delimiter {delimiter}, header {header}, "
                    "layout: {layout}").format(
        container=_(_CONTAINERS[container]) if container in _CONTAINERS else (container or na),
        kind=_(_KINDS[f["kind"]]) if f.get("kind") in _KINDS else f.get("kind", ""),
        encoding=f.get("encoding") or na, delimiter=tr(f["delimiter"]) if f.get("delimiter") else na,
        header=_("yes") if f.get("header") else _("no"), layout=tr(f.get("layout") or na))))
    steps = report.steps_frame()
    steps["step"] = [tr(x) for x in steps["step"]]
    show(steps, {"step": (_("Cleaning step"), "text"), "rows removed": (_("Rows removed"), "int"),
                 "share of rows read (%)": (_("Share of rows read"), "pct_points"),
                 "example file lines": (_("Example file lines"), "text")}, key=None, width="stretch")
    if baskets:
        st.caption(_("In a basket file a row is one item of one basket, so rows removed are items."))
    left, right = st.columns(2)
    if baskets:
        shown_facts = {k: report.facts[k] for k in BASKET_FACTS if k in report.facts
                       and (k != "exact_duplicate_rows" or report.facts[k])}
        labels = BASKET_FACTS
    else:
        shown_facts, labels = report.facts, FACTS
    facts = pd.DataFrame({"fact": [_(labels[k]) if k in labels else k.replace("_", " ") for k in shown_facts],
                          "count": list(shown_facts.values())})
    with left:
        show(facts, {"fact": (_("About the file as uploaded"), "text"), "count": (_("Count"), "int")}, width="stretch")
    summary = {_("First event"): fmt_date(report.first_event) if report.first_event else _("no times (basket file)"),
               _("Last event"): fmt_date(report.last_event) if report.last_event else "–",
               _("Items"): fmt_int(report.items) if report.items is not None else _("no item column"),
               _("User attributes kept"): ", ".join(report.attributes) or _("none"),
               _("Event mix"): " · ".join(f"{_(EVENT_WORDS[k]) if k in EVENT_WORDS else k} {fmt_int(v)}"
                                          for k, v in report.event_mix.items()) or _("none")}
    with right:
        show(pd.DataFrame({"what": list(summary), "value": list(summary.values())}),
             {"what": (_("What remains"), "text"), "value": (_("Value"), "text")}, width="stretch")
    for note in report.notes:
        st.caption(md(tr(note)))
    plausibility_checks(report)


def plausibility_checks(report: QualityReport) -> None:
    """The plausibility checks of a quality report: what was found, on which lines, what to do."""
    if report.checks:
        st.markdown(_("**Plausibility checks** — found in the file's own distribution; nothing here was changed"))
        checks = report.checks_frame()
        for col in ("check", "finding", "what to do"):
            checks[col] = [tr(x) for x in checks[col]]
        checks["severity"] = [_(SEVERITY[x]) if x in SEVERITY else x for x in checks["severity"]]
        show(checks, {"check": (_("Check"), "text"), "severity": (_("Severity"), "text"),
                      "rows": (_("Rows"), "int"), "share of revenue (%)": (_("Share of revenue"), "pct_points"),
                      "example file lines": (_("Example file lines"), "text"), "finding": (_("Finding"), "text"),
                      "what to do": (_("What to do"), "text")}, width="stretch")
    else:
        st.caption(_("Plausibility checks: average order, unit prices, quantities, line totals and negative "
                     "amounts all look ordinary for this file."))
    if report.discounts:
        st.caption(md(_("Discounts by source (amount off, purchases kept): {list}").format(list=", ".join(
            f"{k} {fmt_num(v)}" for k, v in report.discounts.items()))))


def downloads(frame: pd.DataFrame | None, stem: str, key: str, *, json_obj=None) -> None:
    """CSV / Excel (formula-injection safe) and JSON download buttons, built only when clicked.

    The buttons sit in one row sized to their labels (not in fixed columns, where a long label is cut off).
    """
    row = st.container(horizontal=True)
    if frame is not None:
        row.download_button(_("Download CSV"), lambda: to_csv_bytes(frame), f"{stem}.csv", "text/csv",
                            key=f"{key}_csv", icon=":material/download:")
        row.download_button(_("Download Excel"), lambda: to_excel_bytes(frame), f"{stem}.xlsx",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            key=f"{key}_xlsx", icon=":material/download:")
    if json_obj is not None:
        row.download_button(_("Download JSON"), lambda: to_json_text(json_obj), f"{stem}.json",
                            "application/json", key=f"{key}_json", icon=":material/download:")
