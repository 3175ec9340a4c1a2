"""Basket rules: what sells together, filtered and tested, turned into bundles and cross-sell offers."""

import streamlit as st

from promo_core import charts
from promo_core.rules import ALGORITHMS, filter_rules, rules_contract, rules_for_display
from promo_core.schema import DataError
from ui import analysis, state
from ui.widgets import downloads, md, show_error

st.title("Basket rules")
st.caption("Rules of the form 'customers who buy X also buy Y', mined from baskets with mlxtend (Apriori or FP-Growth). "
           "Support: share of baskets with all the items. Confidence: chance of Y given X. "
           "Lift: how many times likelier Y is with X than without (1 = no link).")
ds = state.dataset()
key = state.dataset_key()
with st.sidebar.expander("Mining settings", expanded=True, icon=":material/tune:"):
    by = st.radio("A basket is", ["order", "user-day"], key="r_by", persist_state="session",
                  format_func={"order": "one order", "user-day": "one customer's day"}.get)
    level = st.radio("Mine", ["item", "category"], key="r_level", persist_state="session", horizontal=True)
    support = st.select_slider("Minimum support (% of baskets)", [0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0],
                               value=1.0, key="r_support", persist_state="session")
    max_len = st.slider("Longest itemset", 2, 4, 3, key="r_maxlen", persist_state="session")
    algorithm = st.selectbox("Algorithm", list(ALGORITHMS), format_func=ALGORITHMS.get, key="r_algo",
                             persist_state="session")
    max_size = st.number_input("Leave out baskets with more items than", 2, 10_000, 100, key="r_maxsize",
                               persist_state="session")
    segment = st.selectbox("Customers", ["All customers", *sorted(analysis.segmentation(ds)["segment"].unique())],
                           key="r_segment", help="Rules per segment use the segmentation chosen on the Segments page")
seg = None if segment == "All customers" else segment
mining = (by, level, int(max_size), support / 100, int(max_len), algorithm, seg)
try:
    with st.spinner("Mining frequent itemsets…"):
        b = analysis.baskets(key, ds, by, level, int(max_size), seg)
        itemsets = analysis.itemsets(key, ds, *mining)
except DataError as exc:
    show_error(exc, "No rules for these settings; the previous results are not affected.")
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
c[0].metric("Baskets mined", f"{b.n:,}", help=f"{b.n_single:,} single-item baskets count in the denominator; "
            f"{b.n_oversized:,} baskets above the size limit were left out")
c[1].metric("Frequent itemsets", f"{len(itemsets):,}")
c[2].metric("Rules shown", f"{len(rules):,}", help=f"of {len(result.rules):,} before the filters")
c[3].metric("Significant", "–" if test == "none" else f"{int((rules['p_adjusted'] < 0.05).sum()):,}",
            help="Benjamini-Hochberg adjusted p < 0.05: unlikely to be a chance co-occurrence")
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
    st.dataframe(bundles.round(3), hide_index=True, width="stretch")
    downloads(bundles, "bundles", "dl_bundles")
    st.subheader("Cross-sell offers")
    st.dataframe(offers.round(3), hide_index=True, width="stretch")
    downloads(offers, "cross_sell", "dl_cross")
