"""Segments: cluster customers on their behaviour, name and rename the groups, export users."""

import pandas as pd
import streamlit as st

from promo_core import charts
from promo_core.features import numeric_features
from promo_core.i18n import _, fmt_int, fmt_num, fmt_pct
from promo_core.schema import DataError, tr
from promo_core.segments import DEFAULT_FEATURES, METHODS
from ui import analysis, state
from ui.tables import profile_spec, show
from ui.widgets import downloads, md, show_error

st.title(_("Segments"))
st.caption(_("Customers grouped by how they behave (recency, orders, spend, browsing, discounts). "
             "Pick the features and the method; the number of segments is chosen automatically unless you set it. "
             "Spend is net sales: purchases minus the customer's returns and cancellations, with postage, fees and "
             "other non-product lines left out (listed on the Data page)."))

ds = state.dataset()
key = state.dataset_key()
try:
    with st.spinner(_("Building customer profiles…")):
        profiles = analysis.profiles(key, ds)
except DataError as exc:
    show_error(exc, _("Segments are not available for this dataset."))
    st.stop()

numeric = numeric_features(profiles)
varying = analysis.varying_features(key, ds)
# a feature that is the same for everyone (e.g. views in a file without view events) is not a default
defaults = [f for f in DEFAULT_FEATURES if f in varying]
with st.sidebar.expander(_("Segment settings"), expanded=True, icon=":material/tune:"):
    features = st.multiselect(_("Features"), numeric, default=defaults, key="seg_features", persist_state="session",
                              format_func=lambda f: _(charts.PLAIN_FEATURES[f]) if f in charts.PLAIN_FEATURES else f)
    method = st.selectbox(_("Method"), list(METHODS), format_func=lambda m: _(METHODS[m]), key="seg_method",
                          persist_state="session")
    auto = st.toggle(_("Choose the number of segments automatically"), value=True, key="seg_auto",
                     persist_state="session", disabled=method == "dbscan")
    k_set = st.slider(_("Number of segments"), 2, 10, 5, key="seg_k", persist_state="session", disabled=auto)
    use_log = st.toggle(_("Log-transform counts and money"), value=True, key="seg_log", persist_state="session",
                        help=_("Tames long tails (a few very big spenders) so they do not dominate"))
    seed = st.number_input(_("Random seed"), 0, 10_000, 0, key="seg_seed", persist_state="session")

if len(features) < 1:
    st.warning(_("Choose at least one feature in the sidebar."))
    st.stop()
args = {"features": tuple(features), "k": "auto" if auto else int(k_set), "method": method,
        "use_log": bool(use_log), "seed": int(seed)}
try:
    with st.spinner(_("Finding segments…")):
        result = analysis.clustering(key, ds, **args)
except DataError as exc:
    show_error(exc, _("Segments could not be formed."))
    st.stop()
st.session_state["cluster_args"] = args
akey = analysis.args_key(args)
names = analysis.segment_names(result, akey)
for note in result.notes:
    st.warning(md(tr(note)))

c = st.columns(4)
c[0].metric(_("Segments"), result.k)
c[1].metric(_("Customers"), fmt_int(len(profiles)))
c[2].metric(_("Separation"), "–" if result.silhouette is None else fmt_num(result.silhouette, 2),
            help=_("Silhouette score, from -1 to 1: how much closer customers are to their own segment than to the "
                   "next one. Above 0.5 the segments are clearly apart."))
c[3].metric(_("Stability"), "–" if result.stability is None else fmt_num(result.stability, 2),
            help=_("Agreement (adjusted Rand index) with 3 reruns on other seeds: 1 = the same segments every time"))
sil = result.silhouette
if sil is None:
    sep = _("the separation could not be measured")
elif sil > 0.5:
    sep = _("the segments are clearly apart")
elif sil > 0.25:
    sep = _("the segments are apart but overlap at the edges")
else:
    sep = _("the segments overlap a lot, so read them as tendencies")
stable = (_("they come out the same on every rerun, so they are a stable basis for offers")
          if (result.stability or 0) > 0.9 else _("they shift between reruns, so treat the boundaries as soft"))
st.caption(md(_("Reading: {k} groups; {separation}; {stability}.").format(k=result.k, separation=sep,
                                                                         stability=stable)))
with st.expander(_("How is this computed?"), icon=":material/help:"):
    st.markdown(_(
        "- Each customer is described by the features chosen in the sidebar (counts and money log-transformed "
        "when that option is on), then every feature is rescaled so that 0 is the average customer and 1 is a "
        "typical distance from it (one standard deviation). The chart *What sets each segment apart* uses this "
        "scale: +1 means a segment sits one typical distance above the average customer.\n"
        "- The method (K-means by default) groups customers that are close on these scales.\n"
        "- **Separation** is the silhouette score: for each customer, how much closer they are to their own "
        "segment than to the nearest other one (-1 to 1), averaged over a sample of up to 5,000 customers.\n"
        "- The number of segments is the one with the best separation among 2 to 10. The other two panels of "
        "*How many segments?* are further checks: compactness (Calinski-Harabasz: spread between segments against "
        "spread within them, higher is better) and the spread left inside the segments (inertia), which always "
        "falls as segments are added; where its fall flattens (the bend) adding segments stops paying off.\n"
        "- **Stability**: the same clustering rerun with 3 other random seeds; 1 means identical segments.\n"
        "- The *customer map* squeezes all the features into two directions (principal components); the axis "
        "titles say how much of the differences between customers each direction keeps.\n"
        "- Names come from the one or two features that set each segment furthest apart from the average."))
    dropped = sorted(set(numeric) - set(varying))
    if dropped:
        st.caption(md(_("Not offered as defaults because they are the same for every customer in this data: "
                        "{features}.").format(features=", ".join(
            _(charts.PLAIN_FEATURES[f]) if f in charts.PLAIN_FEATURES else f for f in dropped))))

profile = result.profile.assign(segment_name=[names[int(s)] for s in result.profile["segment"]])
st.plotly_chart(charts.fig_snake(result.centers, names), key="snake")
left, right = st.columns(2)
left.plotly_chart(charts.fig_pca(result.pca, names, result.pca_explained), key="pca")
right.plotly_chart(charts.fig_size_vs_revenue(profile), key="size_rev")
if len(result.scan):
    st.plotly_chart(charts.fig_k_scan(result.scan, result.k), key="kscan")

st.subheader(_("Segment profiles"))
currency = st.session_state.get("currency", "£")
spec = profile_spec(profile.columns)
spec.pop("segment", None)
show(profile, spec, currency, key="seg_profile")
biggest = profile.sort_values("share_of_revenue_pct", ascending=False).iloc[0]
if pd.notna(biggest["share_of_revenue_pct"]):
    st.caption(md(_("Reading: {name} is {users} of customers and brings {revenue} of revenue.").format(
        name=biggest["segment_name"], users=fmt_pct(biggest["share_of_users_pct"] / 100),
        revenue=fmt_pct(biggest["share_of_revenue_pct"] / 100))))
with st.form("rename"):
    st.caption(_("Rename segments (names are generated from what sets each segment apart)."))
    table = pd.DataFrame({"segment": list(result.names), "generated": [tr(v) for v in result.names.values()],
                          "yours": [names[s] if names[s] != tr(result.names[s]) else "" for s in result.names]})
    edited = st.data_editor(table, hide_index=True, disabled=["segment", "generated"], key=f"ren_{akey}",
                            column_config={"segment": st.column_config.NumberColumn(_("Segment no.")),
                                           "generated": st.column_config.TextColumn(_("Generated name")),
                                           "yours": st.column_config.TextColumn(_("Your name"))})
    if st.form_submit_button(_("Save names")):
        renames = st.session_state.setdefault("segment_renames", {})
        renames[akey] = {int(r["segment"]): str(r["yours"]).strip() for _i, r in edited.iterrows()
                         if str(r["yours"]).strip() not in ("", "nan", "None")}
        st.rerun()

st.subheader(_("Segmentation for the planner and A/B pages"))
st.radio(_("Use"), list(analysis.SEGMENTATIONS), format_func=lambda s: _(analysis.SEGMENTATIONS[s]), horizontal=True,
         key="segmentation_choice", persist_state="session")
users = analysis.user_table(ds)
st.caption(md(_("{n} customers with their cluster, RFM group, lifecycle stage and purchase propensity (first 500 "
                "shown; the download has all of them, with PromoScope's column names).").format(n=fmt_int(len(users)))))
shown = users.head(500)
shown = shown.assign(**{c: [tr(x) if isinstance(x, str) else x for x in shown[c]] for c in ("rfm_segment", "lifecycle") if c in shown})
if "segment" in shown and "segment_name" in shown:
    shown = shown.assign(segment_name=[names.get(int(s), n) for s, n in zip(shown["segment"], shown["segment_name"],
                                                                               strict=True)])
uspec = profile_spec(shown.columns)
uspec.pop("segment", None)
show(shown, uspec, currency, key="seg_users")
downloads(users, "users_with_segments", "dl_users")
