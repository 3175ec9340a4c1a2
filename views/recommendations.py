"""Recommendations: items bought by the same customers, top picks per customer and per segment."""

import streamlit as st

from promo_core import charts
from promo_core.export import to_csv_bytes
from promo_core.i18n import _, fmt_date, fmt_int, fmt_num, fmt_pct
from promo_core.recommend import recommend_segments, recommend_users, similar_items
from promo_core.schema import DataError
from ui import analysis, state
from ui.tables import show
from ui.widgets import downloads, md, show_error

st.title(_("Recommendations"))
st.caption(_("Items are similar when the same customers buy them (cosine similarity of their buyers). A customer's "
             "picks are the items most similar to what they bought, excluding what they already have."))
ds = state.dataset()
key = state.dataset_key()
n = st.slider(_("Items per recommendation list"), 3, 20, 10, key="rec_n", persist_state="session")
try:
    with st.spinner(_("Learning which items go together…")):
        model = analysis.recommender(key, ds)
except DataError as exc:
    show_error(exc, _("Recommendations are not available for this dataset."))
    st.stop()
try:
    check = analysis.hold_out_check(key, ds, int(n))
except DataError as exc:   # too few returning customers to check: the picks are still shown, marked untested
    check = None
    st.warning(md(_("These recommendations could not be checked against what customers bought next: {reason}. "
                    "They are shown below untested; read them as suggestions, not as measured picks.").format(
                        reason=exc.what)), icon=":material/warning:")

if ds.kind == "baskets":
    st.caption(_("A basket file has no customer ids: each basket stands for one customer here, so 'customers' below "
                 "are baskets."))


def interval(ci) -> str:
    return _("95% interval {low} to {high}").format(low=fmt_pct(ci[0]), high=fmt_pct(ci[1]))


if check is not None:
    c = st.columns(3)
    c[0].metric(_("Hit rate @ {n}").format(n=n), fmt_pct(check.hit_rate), help=interval(check.hit_rate_ci))
    c[1].metric(_("Popular-items baseline"), fmt_pct(check.popularity_hit_rate), help=interval(check.popularity_ci))
    c[2].metric(_("Customers checked"), fmt_int(check.users))
    better = check.hit_rate_ci[0] > check.popularity_ci[1]
    how = (_("learning from purchases before {date} and checking each returning customer's next order for items new to "
             "them").format(date=fmt_date(check.cutoff)) if check.method == "time split"
           else _("hiding each customer's last new item"))
    ratio = "" if check.ratio != check.ratio else _(" ({ratio}× the best sellers)").format(ratio=fmt_num(check.ratio, 3))
    st.caption(md(_("Reading: {how}, the recommendations listed at least one of those items for {hit} of customers, "
                    "against {base} for simply showing the best sellers on the same split{ratio}").format(
        how=how, hit=fmt_pct(check.hit_rate, 0), base=fmt_pct(check.popularity_hit_rate, 0), ratio=ratio)
                  + (_(" — clearly better.") if better else _(" — not clearly better."))))
    with st.expander(_("How is this computed?"), icon=":material/functions:"):
        st.markdown(_("Both the model and the popularity baseline learn only from the purchases before the split date "
                      "(the time by which 80% of purchase lines had happened), and are tested on the items each customer "
                      "bought for the first time in their next order after it. Hiding an item while its basket-mates stay "
                      "in training would mostly measure basket completion and flatter the model. The hit rate is the "
                      "share of checked customers with at least one such item in their list; its 95% interval is "
                      "Wilson's (statsmodels)."))
    st.plotly_chart(charts.fig_hit_rate(check.hit_rate, check.hit_rate_ci, check.popularity_hit_rate,
                                        check.popularity_ci, int(n)), key="rec_hits")

if ds.nonproduct:
    st.caption(md(_("{n} non-product lines (postage, fees, adjustments…) are never recommended; edit the list on the "
                    "Data page.").format(n=len(ds.nonproduct))))
tab_item, tab_user, tab_seg = st.tabs([_("Similar items"), _("Per customer"), _("Per segment")])
with tab_item:
    item = st.selectbox(_("Item"), list(model.items), key="rec_item")
    show(similar_items(model, item, int(n)), {"item": (_("Item"), "text"), "similarity": (_("Similarity"), "num")},
         key="rec_similar", helps={"similarity": _("Cosine similarity of the two items' buyers: 0 = no shared "
                                                   "buyers, 1 = exactly the same buyers")})
with tab_user:
    users = list(model.users)
    user = st.selectbox(_("Customer"), users, key="rec_user")
    show(recommend_users(model, [user], int(n)), {"rank": (_("Rank"), "int"), "item": (_("Item"), "text"),
                                                  "score": (_("Score"), "num")}, key="rec_per_user",
         helps={"score": _("Sum of the item's similarities to what the customer bought (0: a best seller they do "
                           "not have)")})
    st.caption(md(_("Download: the top {n} for every one of {users} customers.").format(n=n, users=fmt_int(len(users)))))
    st.download_button(_("All customers (CSV)"), lambda: to_csv_bytes(recommend_users(model, None, int(n))),
                       "recommendations_per_customer.csv", "text/csv", key="dl_rec_users", icon=":material/download:")
with tab_seg:
    segs = analysis.segmentation_or_none(ds)
    if segs is None:
        st.info(_("Per-segment picks need customer segments, and segments need times, which this data does not have; "
                  "the similar items and per-customer picks above still apply."))
        st.stop()
    per_seg = recommend_segments(model, segs, int(n))
    st.caption(_("Per segment (the segmentation chosen on the Segments page): items most related to what the segment "
                 "buys, with the share of the segment that already has each."))
    show(per_seg, {"segment": (_("Segment"), "text"), "rank": (_("Rank"), "int"), "item": (_("Item"), "text"),
                   "score": (_("Score"), "num"),
                   "share_of_segment_already_bought": (_("Already bought it"), "pct_points")}, key="rec_per_seg",
         helps={"share_of_segment_already_bought": _("Share of the segment's customers who already bought the item")})
    downloads(per_seg, "recommendations_per_segment", "dl_rec_seg")
