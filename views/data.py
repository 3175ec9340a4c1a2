"""Data: upload, map columns, check quality, accept; then the active dataset summarised."""

import streamlit as st

from promo_core import charts
from promo_core.i18n import _, fmt_date, fmt_int, fmt_money, fmt_pct
from promo_core.io import FORMATS, excel_sheets
from promo_core.kpis import stray_days
from promo_core.schema import DataError
from ui import state
from ui.mapping import accept_candidate, inferred, mapping_editor, zone_picker
from ui.tables import events_spec, show
from ui.tour import tour
from ui.widgets import downloads, kpi_tiles, md, quality_report, show_error

st.title(_("Data"))
st.caption(_("Upload behaviour events (views, carts, purchases) or plain transaction lines. PromoScope "
             "recognises common layouts, infers the column mapping from the headers and the values (and asks "
             "about any uncertain choice), previews the revenue it implies, and shows a quality report before "
             "the data replaces the dataset in use."))

ds = state.dataset()
currency = st.session_state.get("currency", "£")
kpis, daily, funnel = state.overview(state.dataset_key(), ds)
tour(ds, kpis, currency)

with st.expander(_("Load a file"), expanded=state.dataset_key() == "sample", icon=":material/upload:"):
    up = st.file_uploader(_("CSV, TSV, TXT, Excel (.xlsx) or Parquet, gzip allowed (up to 100 MB)"),
                          type=["csv", "tsv", "txt", "gz", "xlsx", "parquet"], key="upload")
    fmt = st.radio(_("File layout"), FORMATS, horizontal=True, key="upload_format",
                   format_func={"auto": _("Detect"), "events": _("Rows of events or transactions"),
                                "baskets": _("One basket per line")}.get)
    if up is not None:
        data, name = up.getvalue(), up.name
        key = state.content_key(data)
        sheets = excel_sheets(data) if data[:4] == b"PK\x03\x04" else []
        sheet = st.selectbox(_("Sheet"), sheets, key=f"sheet_{key}") if len(sheets) > 1 else None
        try:
            with st.spinner(_("Reading the file…")):
                raw = state.read_upload(data, name, fmt, sheet)
        except DataError as exc:
            show_error(exc, _("This file was not loaded; the dataset in use is unchanged."))
            raw = None
        if raw is not None:
            mapping: dict = {}
            unconfirmed: list = []
            zone = None
            if raw.kind == "events":
                inference = inferred(f"{key}:{fmt}:{sheet}", raw)
                mapping, unconfirmed = mapping_editor(raw, inference, key)
                zone = zone_picker("upload")
            st.caption(_("Preview of the file as read (first 20 rows; the columns are named as in your file)"))
            st.dataframe(raw.frame.head(20), width="stretch")
            try:
                with st.spinner(_("Checking quality…")):
                    cand = state.prepare_upload(data, name, fmt, sheet, tuple(sorted(mapping.items())), zone)
            except DataError as exc:
                show_error(exc, _("This file cannot be used yet; the dataset in use is unchanged."))
            else:
                cand_key = f"{key}:{fmt}:{sheet}:{sorted(mapping.items())}" + (f":{zone}" if zone else "")
                if accept_candidate(cand, cand_key, name, key, unconfirmed, currency,
                                    in_use=_("This file is the dataset in use."), button_key="accept"):
                    st.rerun()

from ui import sources as server_sources  # noqa: E402 - issue 17: server folders and database tables

server_sources.section()

ds = state.dataset()
currency = st.session_state.get("currency", "£")
kpis, daily, funnel = state.overview(state.dataset_key(), ds)
st.subheader(_("Dataset in use: {name}").format(name=md(ds.name)))
kpi_tiles(kpis, currency)
if not daily.empty:
    st.plotly_chart(charts.fig_daily_activity(daily, currency), key="daily")
    stray = stray_days(daily)
    if stray:   # a few events far from the rest stretch the date range every time-based page uses
        st.warning(md(_("The dates run from {first} to {last}, but {share} of the events fall between {lo} and {hi}; "
                        "{n} events lie outside those days. Time spans measured on other pages (lifetime value, the "
                        "planner's windows, propensity) start at {first}: if those events are errors, remove them "
                        "from the file and load it again.").format(
            first=fmt_date(stray["first"]), last=fmt_date(stray["last"]), share=fmt_pct(stray["share_inside"], 2),
            lo=fmt_date(stray["core_first"]), hi=fmt_date(stray["core_last"]), n=fmt_int(stray["outside"]))),
            icon=":material/date_range:")
left, right = st.columns(2)
if not funnel.empty:
    left.plotly_chart(charts.fig_funnel(funnel), key="funnel")
right.plotly_chart(charts.fig_event_mix(ds.report.event_mix), key="mix")
with st.expander(_("Quality report of the dataset in use"), icon=":material/fact_check:"):
    quality_report(ds.report)
    downloads(None, "quality_report", "dl_report", json_obj=ds.report.to_dict())
with st.expander(_("Preview and download of the cleaned data"), icon=":material/visibility:"):
    st.caption(_("The first 200 rows in PromoScope's own columns.") if ds.in_engine else
               _("The first 200 rows in PromoScope's own columns; the download keeps these machine names."))
    head = ds.head(200)
    show(head, events_spec(head.columns), currency)
    if ds.in_engine:  # millions of rows are not a browser download; the CLI writes them where they belong
        st.caption(_("The {n} cleaned rows stay in the engine on the server and are not offered as a browser "
                     "download; the per-customer tables on the other pages are.").format(n=fmt_int(ds.report.rows_kept)))
    else:
        downloads(ds.events, "cleaned_events", "dl_events")

# ---- non-product lines (issue 12): confirm or edit what is left out of sales, rules and recommendations
from ui import customers  # noqa: E402

with st.expander(_("Non-product lines ({n} left out of sales, rules and recommendations)").format(n=len(ds.nonproduct)),
                 icon=":material/local_shipping:"):
    found = customers.nonproduct_candidates(state.dataset_key(), ds)
    st.caption(_("Postage, fees, manual adjustments, discounts and samples are booked as invoice lines but are not "
                 "products. Detected from their names and codes, and from behaviour (a code unlike the catalogue's "
                 "whose price varies more than 10-fold or which is mostly cancelled). Untick a line to count it as a "
                 "product, or add item ids below; they stay in order counts but are left out of customer value, "
                 "basket rules, bundles, recommendations and favourite category."))
    table = customers.nonproduct_shown(found).assign(leave_out=found["item_id"].isin(ds.nonproduct))[
        ["leave_out", "item_id", "item_name", "kind", "evidence", "lines", "customers", "sales", "returned"]]
    edited = st.data_editor(table, hide_index=True, key=f"np_{state.dataset_key()}", disabled=list(table.columns[1:]),
                            column_config=customers.nonproduct_columns(currency))
    extra = st.text_input(_("Other non-product item ids (comma-separated)"), key="np_extra",
                          value=", ".join(sorted(set(ds.nonproduct) - set(found["item_id"]))))
    chosen = tuple(edited.loc[edited["leave_out"], "item_id"].astype(str)) + tuple(
        x.strip() for x in extra.split(",") if x.strip())
    if tuple(sorted(set(chosen))) != tuple(sorted(ds.nonproduct)):
        if st.button(_("Apply this list"), type="primary", key="np_apply", icon=":material/check:"):
            customers.set_nonproduct(ds, chosen)
            st.rerun()
    split = customers.revenue(state.dataset_key(), ds, ds.nonproduct)
    st.markdown("**" + _("Revenue by kind of line") + "**")
    shown = split.assign(line=customers.revenue_lines(split))
    show(shown, {"line": (_("Kind of line"), "text"), "amount": (_("Amount"), "signed_money"),
                 "share_of_gross_pct": (_("Share of gross product sales"), "pct_points")}, currency)
    net = split.set_index("line")["amount"]
    st.caption(md(_("Reading: customers bought {gross} of products and returned {returned} of them, leaving {net}; "
                    "customer value and RFM use the net figure.").format(
        gross=fmt_money(net["Product sales (gross)"], currency),
        returned=fmt_money(-net["Product returns and cancellations"], currency),
        net=fmt_money(net["Net product sales"], currency))))
    if net["Product sales (gross)"]:
        st.caption(_("Returns and cancellations are {share} of gross product sales.").format(
            share=fmt_pct(-net["Product returns and cancellations"] / net["Product sales (gross)"])))
