"""Value & lifecycle: RFM value groups from an editable rule table, lifecycle stages, propensity to buy."""

import streamlit as st

from promo_core import charts
from promo_core.propensity import MODELS
from promo_core.schema import DataError
from promo_core.segments import (
    LifecycleRules,
    check_rfm_rules,
    rf_grid,
    rules_from_json,
    rules_to_json,
)
from ui import analysis, customers, state
from ui.widgets import downloads, md, show_error

st.title("Value & lifecycle")
st.caption("RFM scores each buyer 1-5 on Recency (5 = bought most recently), Frequency (orders) and Monetary "
           "(spend) against the other buyers; named groups come from the rule table below. Lifecycle stages "
           "and a purchase-propensity model complete the picture.")
ds = state.dataset()
key = state.dataset_key()
try:
    profiles = analysis.profiles(key, ds)
except DataError as exc:
    show_error(exc, "Value groups are not available for this dataset.")
    st.stop()

rfm_tab, life_tab, prop_tab = st.tabs(["RFM value groups", "Lifecycle stages", "Propensity to buy"])
with rfm_tab:
    with st.expander("RFM rules (edit the score ranges of each group)", icon=":material/rule:"):
        start = rules_from_json(analysis.rfm_rules_json())
        rules = st.data_editor(start, num_rows="dynamic", hide_index=True, key="rfm_rules_editor",
                               column_config={c: st.column_config.NumberColumn(min_value=1, max_value=5, step=1)
                                              for c in ("r_min", "r_max", "f_min", "f_max")})
        problems = check_rfm_rules(rules)
        if problems:
            st.error("The rules must put every R × F cell in exactly one group: " + md("; ".join(problems)) +
                     ". The last valid rules are still in use.")
        else:
            st.session_state["rfm_rules_json"] = rules_to_json(rules)
            st.success("Every R × F cell lands in exactly one group.", icon=":material/check:")
    scores = analysis.rfm_scores(key, ds, analysis.rfm_rules_json())
    counts = scores["rfm_segment"].value_counts().rename_axis("group").reset_index(name="users")
    left, right = st.columns(2)
    left.plotly_chart(charts.fig_rf_heatmap(rf_grid(scores, profiles)), key="rf_heat")
    right.plotly_chart(charts.fig_counts(counts, "group", title="Customers per RFM group"), key="rfm_counts")
    st.caption(md(f"Reading: {int((scores['rfm_segment'] == 'Champions').sum()):,} Champions bought recently "
                  f"and often; {int(scores['rfm_segment'].isin(['At Risk', 'Can' + chr(39) + 't Lose Them']).sum()):,} "
                  "good customers are slipping away (At Risk, Can't Lose Them)."))
    with st.expander("How the scores are made (ties, returns, textbook quintiles)", icon=":material/info:"):
        st.markdown("Each score splits buyers into five groups at about 20%, 40%, 60% and 80%. Customers with the "
                    "same value always share a score (two customers with one order each get the same F); where a "
                    "group of equal values straddles a boundary the cut goes at the nearest end of the group, so "
                    "every score 1-5 is used when there are five or more distinct values. M is net sales: gross "
                    "purchases minus returns and cancellations, with non-product lines left out; buyers who returned "
                    "95% or more of what they bought form their own group, 'Returned (nearly) everything'. The table "
                    "compares the scores with textbook quintiles, which break ties by row order.")
        st.dataframe(customers.rfm_check(key, ds).round(1), hide_index=True, width="stretch")
    downloads(scores, "rfm_scores", "dl_rfm")

with life_tab:
    sug = customers.lifecycle_suggestion(key, ds)
    if sug.ok:
        st.caption(md(f"The data's rhythm: a repeat customer's typical gap between orders is {sug.median_gap:.0f} days "
                      f"(median of {sug.gaps:,} repeat customers; 75th percentile {sug.p75_gap:.0f}, 90th "
                      f"{sug.p90_gap:.0f}). The thresholds below start from these; the back-test shows how well they "
                      "would have done."))
    d = sug.rules
    c = st.columns(6)
    rules = LifecycleRules(
        new_days=c[0].number_input("New: first seen within (days)", 0, 3650, d.new_days, key="lc_new", persist_state="session"),
        churn_days=c[1].number_input("Churned: no purchase for (days)", 0, 3650, d.churn_days, key="lc_churn",
                                     persist_state="session"),
        silent_days=c[2].number_input("Silent: no activity for (days)", 0, 3650, d.silent_days, key="lc_silent",
                                      persist_state="session"),
        active_days=c[3].number_input("Active: look back (days)", 1, 3650, d.active_days, key="lc_active",
                                      persist_state="session"),
        active_views=c[4].number_input("Active: more views than", 0, 3650, d.active_views, key="lc_views",
                                       persist_state="session"),
        active_purchases=c[5].number_input("Active: more orders than", 0, 3650, d.active_purchases,
                                           key="lc_buys", persist_state="session"))
    st.session_state["lifecycle_rules"] = rules
    st.caption("Stages are checked in order, first match wins: New, Never bought, Churned, Silent, Active, "
               "otherwise Occasional. Without view events the Active rule uses purchases only.")
    stages = analysis.lifecycle_stages(key, ds, rules)
    counts = stages["lifecycle"].value_counts().rename_axis("stage").reset_index(name="users")
    st.plotly_chart(charts.fig_counts(counts, "stage", title="Customers per lifecycle stage"), key="lc_counts")
    span = int((ds.events["timestamp"].max() - ds.events["timestamp"].min()).days) if len(ds.events) else 0
    bt_days = st.slider("Back-test: label customers this many days before the end of the data", 14, 180,
                        int(min(90, max(14, span // 3))), key="lc_bt_days", persist_state="session",
                        help="Default: 90 days, or a third of the data's span when it is shorter")
    try:
        bt = customers.lifecycle_check(key, ds, rules, int(bt_days))
    except DataError as exc:
        show_error(exc, "The back-test is not available for this dataset.")
    else:
        st.plotly_chart(charts.fig_lifecycle_backtest(bt), key="lc_bt")
        churn = bt.set_index("stage")
        if "Churned" in churn.index:
            st.caption(md(f"Reading: of the {int(churn.loc['Churned', 'users']):,} customers these rules would have "
                          f"called Churned on {bt['labelled_on'].iloc[0]:%d %b %Y}, {churn.loc['Churned', 'bought_again_pct']:.0f}% "
                          f"bought again in the next {bt_days} days" + (
                              f"; of the Active ones, {churn.loc['Active', 'bought_again_pct']:.0f}%."
                              if "Active" in churn.index else ".")))
        st.dataframe(bt.drop(columns="labelled_on").round(1), hide_index=True, width="stretch")

with prop_tab:
    c = st.columns(2)
    model = c[0].selectbox("Model", list(MODELS), format_func=MODELS.get, key="prop_model", persist_state="session")
    horizon = c[1].slider("Predict purchases in the next (days)", 7, 90, 30, key="prop_h", persist_state="session")
    st.session_state["propensity_args"] = (model, int(horizon))
    try:
        with st.spinner("Training on the past, testing on held-out customers…"):
            prop = analysis.propensity(key, ds, model, int(horizon))
    except DataError as exc:
        show_error(exc, "The propensity model could not be trained.")
        st.stop()
    for note in prop.notes:
        st.warning(md(note))
    if prop.ok:
        c = st.columns(4)
        c[0].metric("ROC AUC", f"{prop.auc:.2f}", help=f"95% interval {prop.auc_ci[0]:.2f} to {prop.auc_ci[1]:.2f} "
                    "(bootstrap of the test customers); 0.5 is a coin toss, 1 is perfect")
        c[1].metric("Buyers in the top 10%", f"{100 * prop.precision_top_decile:.0f}%",
                    help=f"Against {100 * prop.base_rate:.0f}% of all test customers")
        c[2].metric("Share of buyers found in the top 10%", f"{100 * prop.recall_top_decile:.0f}%")
        c[3].metric("Lift of the top 10%", f"{prop.lift_top_decile:.1f}×")
        if prop.baselines:
            y = st.columns(3)
            y[0].metric("AUC: this model", f"{prop.auc:.3f}")
            y[1].metric("AUC: recency only", f"{prop.baselines['recency only']:.3f}",
                        help="Ranking customers by how recently they bought, nothing else")
            y[2].metric("AUC: frequency only", f"{prop.baselines['frequency only']:.3f}",
                        help="Ranking customers by how many orders they placed, nothing else")
            best = max(prop.baselines, key=prop.baselines.get)
            st.caption(md(f"Reading: the model adds {prop.auc - prop.baselines[best]:+.3f} AUC over ranking by "
                          f"{best.replace(' only', '')} alone on the same test customers."))
        st.caption(md(f"Reading: trained on behaviour up to {prop.cutoff:%d %b %Y} and tested on {prop.n_test:,} "
                      f"held-out customers, the score ranks a future buyer above a non-buyer {100 * prop.auc:.0f}% of "
                      f"the time (95% interval {100 * prop.auc_ci[0]:.0f}% to {100 * prop.auc_ci[1]:.0f}%)."))
        left, mid, right = st.columns(3)
        left.plotly_chart(charts.fig_roc(prop.roc, prop.auc), key="roc")
        mid.plotly_chart(charts.fig_calibration(prop.calibration), key="cal")
        right.plotly_chart(charts.fig_importance(prop.importance), key="imp")
    downloads(prop.scores, "propensity_scores", "dl_prop")
