"""Data: upload, map columns, check quality, accept; then the active dataset summarised."""

import streamlit as st

from promo_core import charts
from promo_core.io import FORMATS, excel_sheets
from promo_core.schema import COLUMNS, DataError, propose_mapping
from ui import state
from ui.widgets import downloads, kpi_tiles, md, quality_report, show_error

st.title("Data")
st.caption("Upload behaviour events (views, carts, purchases) or plain transaction lines. PromoScope "
           "recognises common layouts, proposes a column mapping you can fix, and shows a quality report "
           "before the data replaces the dataset in use.")

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
            mapping: dict[str, str] = {}
            if raw.kind == "events":
                st.markdown("**Column mapping** — proposed from the headers; change any that are wrong.")
                proposed = propose_mapping(raw.frame.columns)
                options = ["(none)", *map(str, raw.frame.columns)]
                grid = st.columns(5)
                for i, col in enumerate(COLUMNS):
                    default = proposed.get(col.name, "(none)")
                    choice = grid[i % 5].selectbox(
                        f"{col.name}{' *' if col.required else ''}", options, index=options.index(default),
                        key=f"map_{col.name}_{key}", help=col.meaning)
                    if choice != "(none)":
                        mapping[col.name] = choice
            st.caption("Preview of the file as read (first 20 rows)")
            st.dataframe(raw.frame.head(20), width="stretch")
            try:
                with st.spinner("Checking quality…"):
                    cand = state.prepare_upload(data, name, fmt, sheet, tuple(sorted(mapping.items())))
            except DataError as exc:
                show_error(exc, "This file cannot be used yet; the dataset in use is unchanged.")
            else:
                cand_key = f"{key}:{fmt}:{sheet}:{sorted(mapping.items())}"
                st.subheader("Quality report for " + md(name))
                quality_report(cand.report)
                if state.dataset_key().removesuffix(":p") == cand_key:
                    st.success("This file is the dataset in use.", icon=":material/check_circle:")
                elif st.button("Use this data", type="primary", icon=":material/check:", key="accept"):
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
