"""Segments: cluster customers on their behaviour, name and rename the groups, export users."""

import pandas as pd
import streamlit as st

from promo_core import charts
from promo_core.features import numeric_features
from promo_core.schema import DataError
from promo_core.segments import DEFAULT_FEATURES, METHODS
from ui import analysis, state
from ui.widgets import downloads, md, show_error

st.title("Segments")
st.caption("Customers grouped by how they behave (recency, orders, spend, browsing, discounts). "
           "Pick the features and the method; the number of segments is chosen automatically unless you set it. "
           "Spend is net sales: purchases minus the customer's returns and cancellations, with postage, fees and "
           "other non-product lines left out (listed on the Data page).")

ds = state.dataset()
key = state.dataset_key()
try:
    with st.spinner("Building customer profiles…"):
        profiles = analysis.profiles(key, ds)
except DataError as exc:
    show_error(exc, "Segments are not available for this dataset.")
    st.stop()

numeric = numeric_features(profiles)
defaults = [f for f in DEFAULT_FEATURES if f in numeric]
with st.sidebar.expander("Segment settings", expanded=True, icon=":material/tune:"):
    features = st.multiselect("Features", numeric, default=defaults, key="seg_features", persist_state="session",
                              format_func=lambda f: charts.PLAIN_FEATURES.get(f, f))
    method = st.selectbox("Method", list(METHODS), format_func=METHODS.get, key="seg_method",
                          persist_state="session")
    auto = st.toggle("Choose the number of segments automatically", value=True, key="seg_auto",
                     persist_state="session", disabled=method == "dbscan")
    k_set = st.slider("Number of segments", 2, 10, 5, key="seg_k", persist_state="session", disabled=auto)
    use_log = st.toggle("Log-transform counts and money", value=True, key="seg_log", persist_state="session",
                        help="Tames long tails (a few very big spenders) so they do not dominate")
    seed = st.number_input("Random seed", 0, 10_000, 0, key="seg_seed", persist_state="session")

if len(features) < 1:
    st.warning("Choose at least one feature in the sidebar.")
    st.stop()
args = {"features": tuple(features), "k": "auto" if auto else int(k_set), "method": method,
        "use_log": bool(use_log), "seed": int(seed)}
try:
    with st.spinner("Finding segments…"):
        result = analysis.clustering(key, ds, **args)
except DataError as exc:
    show_error(exc, "Segments could not be formed.")
    st.stop()
st.session_state["cluster_args"] = args
akey = analysis.args_key(args)
names = analysis.segment_names(result, akey)
for note in result.notes:
    st.warning(md(note))

c = st.columns(4)
c[0].metric("Segments", result.k)
c[1].metric("Users", f"{len(profiles):,}")
c[2].metric("Silhouette", "–" if result.silhouette is None else f"{result.silhouette:.2f}",
            help="-1 to 1: how much closer users are to their own segment than to the next. Above 0.5 is clear.")
c[3].metric("Stability", "–" if result.stability is None else f"{result.stability:.2f}",
            help="Agreement (adjusted Rand index) with 3 reruns on other seeds: 1 = the same segments every time")
st.caption(md(f"Reading: {result.k} groups; " + (
    "they come out the same on every rerun, so they are a stable basis for offers."
    if (result.stability or 0) > 0.9 else "they shift between reruns, so treat the boundaries as soft.")))

profile = result.profile.assign(segment_name=[names[int(s)] for s in result.profile["segment"]])
st.plotly_chart(charts.fig_snake(result.centers, names), key="snake")
left, right = st.columns(2)
left.plotly_chart(charts.fig_pca(result.pca, names, result.pca_explained), key="pca")
right.plotly_chart(charts.fig_size_vs_revenue(profile), key="size_rev")
if len(result.scan):
    st.plotly_chart(charts.fig_k_scan(result.scan, result.k), key="kscan")

st.subheader("Segment profiles")
st.dataframe(profile.round(2), hide_index=True, width="stretch")
with st.form("rename"):
    st.caption("Rename segments (names are generated from what sets each segment apart).")
    table = pd.DataFrame({"segment": list(result.names), "generated name": list(result.names.values()),
                          "your name": [names[s] if names[s] != result.names[s] else "" for s in result.names]})
    edited = st.data_editor(table, hide_index=True, disabled=["segment", "generated name"], key=f"ren_{akey}")
    if st.form_submit_button("Save names"):
        renames = st.session_state.setdefault("segment_renames", {})
        renames[akey] = {int(r["segment"]): str(r["your name"]).strip() for _, r in edited.iterrows()
                         if str(r["your name"]).strip() not in ("", "nan", "None")}
        st.rerun()

st.subheader("Segmentation for the planner and A/B pages")
st.radio("Use", list(analysis.SEGMENTATIONS), format_func=analysis.SEGMENTATIONS.get, horizontal=True,
         key="segmentation_choice", persist_state="session")
users = analysis.user_table(ds)
st.caption(md(f"{len(users):,} users with their cluster, RFM group, lifecycle stage and purchase propensity."))
st.dataframe(users.head(500), hide_index=True, width="stretch")
downloads(users, "users_with_segments", "dl_users")
