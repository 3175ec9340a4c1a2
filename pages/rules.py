"""Basket rules: what sells together, filtered and tested, turned into bundles and cross-sell offers."""

import streamlit as st

from promo_core import charts
from promo_core.rules import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    engine,
    filter_rules,
    rules_contract,
    rules_for_display,
)
from promo_core.schema import DataError
from ui import analysis, state
from ui.widgets import downloads, md, show_error

st.title("Basket rules")
st.caption("Rules of the form 'customers who buy X also buy Y', mined from baskets (pyfim's FP-Growth by default; "
           "mlxtend's FP-Growth or Apriori give the same rules). "
           "Support: share of baskets with all the items. Confidence: chance of Y given X. "
           "Lift: how many times likelier Y is with X than without (1 = no link).")
ds = state.dataset()
key = state.dataset_key()
ev = ds.events
has_times = bool(ev["timestamp"].notna().any())
has_category = "category" in ev and bool(ev["category"].notna().any())
settings = st.sidebar.expander("Mining settings", expanded=True, icon=":material/tune:")
with settings:
    by = st.radio("A basket is", ["order", "user-day"], key="r_by", persist_state="session", disabled=not has_times,
                  format_func={"order": "one order", "user-day": "one customer's day"}.get,
                  help=None if has_times else "This data has no times: a basket is one order (one line of a "
                                              "basket file)")
    level = st.radio("Mine", ["item", "category"], key="r_level", persist_state="session", horizontal=True,
                     disabled=not has_category, help=None if has_category else "This data has no categories")
    by, level = (by if has_times else "order"), (level if has_category else "item")
    exclude = st.toggle("Leave out large baskets", key="r_exclude", persist_state="session",
                        help="Off (the default): every basket is mined and counts in the denominator")
    max_size = (int(st.number_input("Leave out baskets with more items than", 2, 100_000, 100, key="r_maxsize",
                                    persist_state="session")) if exclude else None)
    seg = None
    if has_times and st.toggle("Rules for one customer segment", key="r_per_segment", persist_state="session",
                               help="Uses the segmentation chosen on the Segments page"):
        try:
            names = sorted(analysis.segmentation(ds)["segment"].unique())
        except DataError as exc:
            names = []
            st.info(md(f"Segments are not available for this data ({exc.what}), so the rules cover all customers."))
        if names:
            seg = st.selectbox("Segment", names, key="r_segment")
if ds.nonproduct:
    st.caption(md(f"{len(ds.nonproduct)} non-product codes (postage, fees, adjustments: "
                  f"{', '.join(ds.nonproduct[:6])}{' …' if len(ds.nonproduct) > 6 else ''}) are left out of the "
                  "baskets; review the list on the Data page."))
try:
    b = analysis.baskets(key, ds, by, level, max_size, seg)
except DataError as exc:
    show_error(exc, "No baskets for these settings; the previous results are not affected.")
    st.stop()
with settings:
    support = st.select_slider("Minimum support (% of baskets)",
                               [0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0],
                               value=1.0, key="r_support", persist_state="session")
    lengths = ["no limit", *range(2, max(b.largest, 2) + 1)]
    if st.session_state.get("r_maxlen", "no limit") not in lengths:  # settings kept from another dataset
        st.session_state["r_maxlen"] = "no limit"
    chosen = st.select_slider("Longest itemset", lengths, value="no limit", key="r_maxlen",
                              help=f"Up to the largest basket ({b.largest:,} items). 'no limit' (the default) "
                                   "mines itemsets of every length, as mlxtend and pyfim do")
    max_len = None if chosen == "no limit" else int(chosen)
    algorithm = st.selectbox("Algorithm", list(ALGORITHMS), index=list(ALGORITHMS).index(DEFAULT_ALGORITHM),
                             format_func=ALGORITHMS.get, key="r_algo", persist_state="session",
                             help="All three give the same itemsets and rules; pyfim (C) is the fastest")
used, fallback = engine(algorithm)
if fallback:
    st.info(md(fallback))
mining = (by, level, max_size, support / 100, max_len, algorithm, seg)
try:
    with st.spinner("Mining frequent itemsets…"):
        itemsets = analysis.itemsets(key, ds, *mining)
except DataError as exc:
    show_error(exc, "Nothing was mined for these settings; the previous results are not affected.")
    st.stop()

c = st.columns(5)
min_conf = c[0].slider("Minimum confidence (%)", 0, 100, 20, key="r_conf", persist_state="session") / 100
min_lift = c[1].slider("Minimum lift (×)", 1.0, 20.0, 1.0, 0.5, key="r_lift", persist_state="session")
test = c[2].selectbox("Significance test", ["fisher", "chi2", "none"], key="r_test", persist_state="session",
                      format_func={"fisher": "Fisher exact", "chi2": "Chi-square", "none": "None"}.get)
multi = c[3].toggle("Several items as the offer", key="r_multi", persist_state="session",
                    help="Off: one item on the right-hand side, as R's arules does")
prune = c[4].toggle("Hide redundant rules", value=True, key="r_prune", persist_state="session",
                    help="A rule is redundant when a simpler rule with the same offer is at least as reliable")
result = analysis.rule_set(key, ds, mining, min_conf, min_lift, not multi, test)
st.session_state["rules_args"] = (mining, min_conf, min_lift, not multi, test)
labels = sorted({i for s in result.rules["antecedents"] for i in s} | {i for s in result.rules["consequents"] for i in s})
f1, f2, f3 = st.columns(3)
ant = f1.selectbox("Bought item (antecedent) contains", ["(any)", *labels], key="r_ant")
con = f2.selectbox("Offer item (consequent) contains", ["(any)", *labels], key="r_con")
sig = f3.toggle("Only significant rules (BH-adjusted p < 0.05)", key="r_sig", persist_state="session",
                disabled=test == "none")
rules = filter_rules(result.rules, antecedent_has=None if ant == "(any)" else ant,
                     consequent_has=None if con == "(any)" else con, drop_redundant=prune, significant_only=sig)
c = st.columns(4)
c[0].metric("Baskets mined", f"{b.n:,}", help=f"Every basket counts in the denominator, {b.n_single:,} single-item "
            "baskets included" + (f"; {b.n_oversized:,} baskets above {max_size:,} items were left out at your "
                                  "request" if max_size else ""))
c[1].metric("Frequent itemsets", f"{len(itemsets):,}")
c[2].metric("Rules shown", f"{len(rules):,}", help=f"of {len(result.rules):,} before the filters")
c[3].metric("Significant", "–" if test == "none" else f"{int((rules['p_adjusted'] < 0.05).sum()):,}",
            help="Benjamini-Hochberg adjusted p < 0.05: unlikely to be a chance co-occurrence")
longest = int(itemsets["length"].max()) if len(itemsets) else 0
st.caption(md(f"Mined with {ALGORITHMS[used]}: "
              + (f"itemsets of up to {max_len} items (your limit; longest found {longest})" if max_len else
                 f"no length limit (longest itemset found: {longest} items)")
              + (f"; {b.n_oversized:,} baskets with more than {max_size:,} items left out at your request, so "
                 f"supports are shares of the other {b.n:,}" if max_size else f"; all {b.n:,} baskets counted")
              + "."))
for note in result.notes:
    st.warning(md(note))
if rules.empty:
    st.stop()
shown = rules_for_display(rules)
top = shown.iloc[0]
st.caption(md(f"Reading: the strongest rule says customers who buy {top['antecedents']} are {top['lift']:.1f} times "
              f"likelier than others to buy {top['consequents']} ({100 * top['confidence']:.0f}% of their baskets)."))
VIEWS = ["Table", "Support vs confidence", "Matrix", "Network", "Bundles & cross-sell"]
view = st.segmented_control("View", VIEWS, default="Table", key="r_view", persist_state="session") or "Table"
if view == "Table":
    st.dataframe(shown.round(4), hide_index=True, width="stretch")
    downloads(rules_contract(rules), "rules", "dl_rules")
elif view == "Support vs confidence":
    st.plotly_chart(charts.fig_rules_scatter(shown), key="r_scatter")
elif view == "Matrix":
    st.plotly_chart(charts.fig_rules_matrix(shown), key="r_matrix")
elif view == "Network":
    st.plotly_chart(charts.fig_rules_network(shown), key="r_net")
else:
    bundles, offers = analysis.promotion_hooks(key, ds, mining, min_conf, min_lift, not multi, test)
    st.subheader("Bundle suggestions")
    st.caption("Suggested discount = 5% + 10% × (1 − best confidence): an assumption to start from — items that "
               "nearly always sell together need little incentive. The planner can change it.")
    if bundles["combined_price"].isna().all() if len(bundles) else False:
        st.caption("This data has no prices, so the bundles have no combined or bundle price.")
    st.dataframe(bundles.round(3), hide_index=True, width="stretch")
    downloads(bundles, "bundles", "dl_bundles")
    st.subheader("Cross-sell offers")
    st.dataframe(offers.round(3), hide_index=True, width="stretch")
    downloads(offers, "cross_sell", "dl_cross")
