"""Data: upload, map columns, check quality, accept; then the active dataset summarised."""

import streamlit as st

from promo_core import charts
from promo_core.io import FORMATS, excel_sheets
from promo_core.schema import DataError
from ui import state
from ui.mapping import inferred, mapping_editor, mapping_preview, review_prompt
from ui.widgets import downloads, kpi_tiles, md, quality_report, show_error

st.title("Data")
st.caption("Upload behaviour events (views, carts, purchases) or plain transaction lines. PromoScope "
           "recognises common layouts, infers the column mapping from the headers and the values (and asks "
           "about any uncertain choice), previews the revenue it implies, and shows a quality report before "
           "the data replaces the dataset in use.")

with st.expander("Load a file", expanded=state.dataset_key() == "sample", icon=":material/upload:"):
    up = st.file_uploader("CSV, TSV, TXT, Excel (.xlsx) or Parquet, gzip allowed (up to 100 MB)",
                          type=["csv", "tsv", "txt", "gz", "xlsx", "parquet"], key="upload")
    fmt = st.radio("File layout", FORMATS, horizontal=True, key="upload_format",
                   format_func={"auto": "Detect", "events": "Rows of events or transactions",
                                "baskets": "One basket per line"}.get)
    if up is not None:
        data, name = up.getvalue(), up.name
        key = state.content_key(data)
        sheets = excel_sheets(data) if data[:4] == b"PK\x03\x04" else []
        sheet = st.selectbox("Sheet", sheets, key=f"sheet_{key}") if len(sheets) > 1 else None
        try:
            with st.spinner("Reading the file…"):
                raw = state.read_upload(data, name, fmt, sheet)
        except DataError as exc:
            show_error(exc, "This file was not loaded; the dataset in use is unchanged.")
            raw = None
        if raw is not None:
            mapping: dict = {}
            unconfirmed: list = []
            if raw.kind == "events":
                inference = inferred(f"{key}:{fmt}:{sheet}", raw)
                mapping, unconfirmed = mapping_editor(raw, inference, key)
            st.caption("Preview of the file as read (first 20 rows)")
            st.dataframe(raw.frame.head(20), width="stretch")
            try:
                with st.spinner("Checking quality…"):
                    cand = state.prepare_upload(data, name, fmt, sheet, tuple(sorted(mapping.items())))
            except DataError as exc:
                show_error(exc, "This file cannot be used yet; the dataset in use is unchanged.")
            else:
                cand_key = f"{key}:{fmt}:{sheet}:{sorted(mapping.items())}"
                mapping_preview(cand, st.session_state.get("currency", "£"))
                st.subheader("Quality report for " + md(name))
                quality_report(cand.report)
                confirmed = review_prompt(unconfirmed, key)
                if state.dataset_key().removesuffix(":p") == cand_key:
                    st.success("This file is the dataset in use.", icon=":material/check_circle:")
                elif st.button("Use this data", type="primary", icon=":material/check:", key="accept",
                               disabled=not confirmed,
                               help=None if confirmed else "Confirm the column choices listed above first"):
                    state.set_dataset(cand, cand_key)
                    st.rerun()

ds = state.dataset()
currency = st.session_state.get("currency", "£")
kpis, daily, funnel = state.overview(state.dataset_key(), ds)
st.subheader("Dataset in use: " + md(ds.name))
kpi_tiles(kpis, currency)
if not daily.empty:
    st.plotly_chart(charts.fig_daily_activity(daily, currency), key="daily")
left, right = st.columns(2)
if not funnel.empty:
    left.plotly_chart(charts.fig_funnel(funnel), key="funnel")
right.plotly_chart(charts.fig_event_mix(ds.report.event_mix), key="mix")
with st.expander("Quality report of the dataset in use", icon=":material/fact_check:"):
    quality_report(ds.report)
    downloads(None, "quality_report", "dl_report", json_obj=ds.report.to_dict())
with st.expander("Preview and download of the cleaned data", icon=":material/visibility:"):
    st.dataframe(ds.events.head(200), width="stretch")
    downloads(ds.events, "cleaned_events", "dl_events")

# ---- non-product lines (issue 12): confirm or edit what is left out of sales, rules and recommendations
from ui import customers  # noqa: E402

with st.expander(f"Non-product lines ({len(ds.nonproduct)} left out of sales, rules and recommendations)",
                 icon=":material/local_shipping:"):
    found = customers.nonproduct_candidates(state.dataset_key(), ds)
    st.caption("Postage, fees, manual adjustments, discounts and samples are booked as invoice lines but are not "
               "products. Detected from their names and codes, and from behaviour (a code unlike the catalogue's "
               "whose price varies more than 10-fold or which is mostly cancelled). Untick a line to count it as a "
               "product, or add item ids below; they stay in order counts but are left out of customer value, "
               "basket rules, bundles, recommendations and favourite category.")
    table = found.assign(leave_out=found["item_id"].isin(ds.nonproduct))[
        ["leave_out", "item_id", "item_name", "kind", "evidence", "lines", "customers", "sales", "returned"]]
    edited = st.data_editor(table, hide_index=True, key=f"np_{state.dataset_key()}", disabled=list(table.columns[1:]),
                            column_config={"leave_out": st.column_config.CheckboxColumn("Leave out"),
                                           "sales": st.column_config.NumberColumn(f"Sales ({currency})", format="%.2f"),
                                           "returned": st.column_config.NumberColumn(f"Returned ({currency})",
                                                                                     format="%.2f")})
    extra = st.text_input("Other non-product item ids (comma-separated)", key="np_extra",
                          value=", ".join(sorted(set(ds.nonproduct) - set(found["item_id"]))))
    chosen = tuple(edited.loc[edited["leave_out"], "item_id"].astype(str)) + tuple(
        x.strip() for x in extra.split(",") if x.strip())
    if tuple(sorted(set(chosen))) != tuple(sorted(ds.nonproduct)):
        if st.button("Apply this list", type="primary", key="np_apply", icon=":material/check:"):
            customers.set_nonproduct(ds, chosen)
            st.rerun()
    split = customers.revenue(state.dataset_key(), ds, ds.nonproduct)
    st.markdown("**Revenue by kind of line**")
    st.dataframe(split.round(2), hide_index=True, width="stretch",
                 column_config={"amount": st.column_config.NumberColumn(f"Amount ({currency})", format="%.2f"),
                                "share_of_gross_pct": st.column_config.NumberColumn("Share of gross product sales (%)",
                                                                                    format="%.2f")})
    net = split.set_index("line")["amount"]
    st.caption(md(f"Reading: customers bought {currency}{net['Product sales (gross)']:,.0f} of products and returned "
                  f"{currency}{-net['Product returns and cancellations']:,.0f} of them, leaving "
                  f"{currency}{net['Net product sales']:,.0f}; customer value and RFM use the net figure."))
