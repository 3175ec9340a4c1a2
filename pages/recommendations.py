"""Recommendations: items bought by the same customers, top picks per customer and per segment."""

import streamlit as st

from promo_core import charts
from promo_core.export import to_csv_bytes
from promo_core.recommend import recommend_segments, recommend_users, similar_items
from promo_core.schema import DataError
from ui import analysis, state
from ui.widgets import downloads, md, show_error

st.title("Recommendations")
st.caption("Items are similar when the same customers buy them (cosine similarity of their buyers). A customer's "
           "picks are the items most similar to what they bought, excluding what they already have.")
ds = state.dataset()
key = state.dataset_key()
n = st.slider("Items per recommendation list", 3, 20, 10, key="rec_n", persist_state="session")
try:
    with st.spinner("Learning which items go together…"):
        model = analysis.recommender(key, ds)
        check = analysis.hold_out_check(key, ds, int(n))
except DataError as exc:
    show_error(exc, "Recommendations are not available for this dataset.")
    st.stop()

if ds.kind == "baskets":
    st.caption("A basket file has no customer ids: each basket stands for one customer here, so 'customers' "
               "below are baskets.")
c = st.columns(3)
c[0].metric(f"Hit rate @ {n}", f"{100 * check.hit_rate:.1f}%",
            help=f"95% interval {100 * check.hit_rate_ci[0]:.1f}% to {100 * check.hit_rate_ci[1]:.1f}%")
c[1].metric("Popular-items baseline", f"{100 * check.popularity_hit_rate:.1f}%",
            help=f"95% interval {100 * check.popularity_ci[0]:.1f}% to {100 * check.popularity_ci[1]:.1f}%")
c[2].metric("Customers checked", f"{check.users:,}")
better = check.hit_rate_ci[0] > check.popularity_ci[1]
how = (f"learning from purchases before {check.cutoff:%d %b %Y} and checking each returning customer's next order "
       "for items new to them" if check.method == "time split" else "hiding each customer's last new item")
ratio = "" if check.ratio != check.ratio else f" ({check.ratio:.2f}× the best sellers)"
st.caption(md(f"Reading: {how}, the recommendations listed at least one of those items for "
              f"{100 * check.hit_rate:.0f}% of customers, against {100 * check.popularity_hit_rate:.0f}% for simply "
              f"showing the best sellers on the same split{ratio}" +
              (" — clearly better." if better else " — not clearly better.")))
if ds.nonproduct:
    st.caption(md(f"{len(ds.nonproduct)} non-product lines (postage, fees, adjustments…) are never recommended; "
                  "edit the list on the Data page."))
with st.expander("How the check works", icon=":material/info:"):
    st.markdown("Both the model and the popularity baseline learn only from the purchases before the split date "
                "(the time by which 80% of purchase lines had happened), and are tested on the items each customer "
                "bought for the first time in their next order after it. Hiding an item while its basket-mates stay "
                "in training would mostly measure basket completion and flatter the model.")
st.plotly_chart(charts.fig_hit_rate(check.hit_rate, check.hit_rate_ci, check.popularity_hit_rate,
                                    check.popularity_ci, int(n)), key="rec_hits")

tab_item, tab_user, tab_seg = st.tabs(["Similar items", "Per customer", "Per segment"])
with tab_item:
    item = st.selectbox("Item", list(model.items), key="rec_item")
    st.dataframe(similar_items(model, item, int(n)).round(3), hide_index=True, width="stretch")
with tab_user:
    users = list(model.users)
    user = st.selectbox("Customer", users, key="rec_user")
    st.dataframe(recommend_users(model, [user], int(n)), hide_index=True, width="stretch")
    st.caption(md(f"Download: the top {n} for every one of {len(users):,} customers."))
    st.download_button("Download all customers (CSV)", lambda: to_csv_bytes(recommend_users(model, None, int(n))),
                       "recommendations_per_customer.csv", "text/csv", key="dl_rec_users", icon=":material/download:")
with tab_seg:
    segs = analysis.segmentation_or_none(ds)
    if segs is None:
        st.info("Per-segment picks need customer segments, and segments need times, which this data does not "
                "have; the similar items and per-customer picks above still apply.")
        st.stop()
    per_seg = recommend_segments(model, segs, int(n))
    st.caption("Per segment (the segmentation chosen on the Segments page): items most related to what the "
               "segment buys, with the share of the segment that already has each.")
    st.dataframe(per_seg.round(3), hide_index=True, width="stretch")
    downloads(per_seg, "recommendations_per_segment", "dl_rec_seg")
