"""Value & lifecycle: RFM value groups from an editable rule table, lifecycle stages, propensity to buy."""

import pandas as pd
import streamlit as st

from promo_core import charts
from promo_core.i18n import N_, _, fmt_date, fmt_int, fmt_num, fmt_pct
from promo_core.propensity import MODELS
from promo_core.schema import DataError, tr
from promo_core.segments import (
    LifecycleRules,
    check_rfm_rules,
    rf_grid,
    rules_from_json,
    rules_to_json,
)
from ui import analysis, customers, state
from ui import clv as clv_ui
from ui.tables import show
from ui.widgets import downloads, md, show_error

#: the propensity models in words (promo_core.propensity.MODELS holds the English names)
MODEL_NAMES = {"logistic": N_("Logistic regression"), "tree": N_("Decision tree"), "forest": N_("Random forest"),
               "boosting": N_("Gradient boosting"), "mlp": N_("Neural net (small MLP)")}
DIMENSIONS = {"Recency": N_("Recency"), "Frequency": N_("Frequency"), "Monetary": N_("Monetary")}

st.title(_("Value & lifecycle"))
st.caption(_("RFM scores each buyer 1-5 on Recency (5 = bought most recently), Frequency (orders) and Monetary "
             "(spend) against the other buyers; named groups come from the rule table below. Lifecycle stages "
             "and a purchase-propensity model complete the picture."))
ds = state.dataset()
key = state.dataset_key()
try:
    profiles = analysis.profiles(key, ds)
except DataError as exc:
    show_error(exc, _("Value groups are not available for this dataset."))
    st.stop()


def _counts(series, label: str):
    counts = series.value_counts().rename_axis(label).reset_index(name="users")
    return counts.assign(**{label: [tr(x) for x in counts[label]]})


rfm_tab, life_tab, prop_tab = st.tabs([_("RFM value groups"), _("Lifecycle stages"), _("Propensity to buy")])
clv_ui.section(key, ds)  # below the tabs; runs first, so a tab that stops early cannot hide it
with rfm_tab:
    with st.expander(_("RFM rules (edit the score ranges of each group)"), icon=":material/rule:"):
        start = rules_from_json(analysis.rfm_rules_json())
        rules = st.data_editor(start, num_rows="dynamic", hide_index=True, key="rfm_rules_editor",
                               column_config={"segment": st.column_config.TextColumn(_("Group")), **{
                                   c: st.column_config.NumberColumn(label, min_value=1, max_value=5, step=1)
                                   for c, label in (("r_min", _("R from")), ("r_max", _("R to")),
                                                    ("f_min", _("F from")), ("f_max", _("F to")))}})
        problems = check_rfm_rules(rules)
        if problems:
            st.error(_("The rules must put every R × F cell in exactly one group: {problems}. The last valid rules "
                       "are still in use.").format(problems=md("; ".join(problems))))
        else:
            st.session_state["rfm_rules_json"] = rules_to_json(rules)
            st.success(_("Every R × F cell lands in exactly one group."), icon=":material/check:")
    scores = analysis.rfm_scores(key, ds, analysis.rfm_rules_json())
    left, right = st.columns([3, 2])  # the heat map needs the room for its cell labels
    grid = rf_grid(scores, profiles)
    left.plotly_chart(charts.fig_rf_heatmap(grid), key="rf_heat")
    mixed = int((grid["users"] - grid["segment_users"]).sum())
    left.caption(md(_("Each cell is named after the group holding most of its customers and counts every customer "
                      "in it; the cells add up to the {total} scored buyers.").format(
        total=fmt_int(grid["users"].sum()))
        + ("" if not mixed else " " + _("{n} customers sit in a cell named after another group (buyers who "
                                        "returned (nearly) everything form a group of their own whatever their "
                                        "scores); hover a cell for its mix, the bars count every group.").format(n=fmt_int(mixed)))))
    right.plotly_chart(charts.fig_counts(_counts(scores["rfm_segment"], "group"), "group",
                                         title=_("Customers per RFM group")), key="rfm_counts")
    st.caption(md(_("Reading: {champions} Champions bought recently and often; {slipping} good customers are "
                    "slipping away ({at_risk}, {cant_lose}).").format(
        champions=fmt_int((scores["rfm_segment"] == "Champions").sum()),
        slipping=fmt_int(scores["rfm_segment"].isin(["At Risk", "Can't Lose Them"]).sum()),
        at_risk=_("At Risk"), cant_lose=_("Can't Lose Them"))))
    with st.expander(_("How the scores are made (ties, returns, textbook quintiles)"), icon=":material/info:"):
        st.markdown(_("Each score splits buyers into five groups at about 20%, 40%, 60% and 80%. Customers with the "
                      "same value always share a score (two customers with one order each get the same F); where a "
                      "group of equal values straddles a boundary the cut goes at the nearest end of the group, so "
                      "every score 1-5 is used when there are five or more distinct values. M is net sales: gross "
                      "purchases minus returns and cancellations, with non-product lines left out; buyers who "
                      "returned 95% or more of what they bought form their own group, 'Returned (nearly) "
                      "everything'. The table compares the scores with textbook quintiles, which break ties by row "
                      "order."))
        check = customers.rfm_check(key, ds)
        check = check.assign(dimension=[_(DIMENSIONS[d]) if d in DIMENSIONS else d for d in check["dimension"]])
        show(check, {"dimension": (_("Score"), "text"),
                     "agreement_pct": (_("Same as textbook quintiles"), "pct_points"),
                     "users_per_score": (_("Customers per score 1-5"), "text"),
                     "textbook_users_per_score": (_("Textbook: customers per score"), "text")})
    downloads(scores, "rfm_scores", "dl_rfm")

with life_tab:
    try:
        sug = customers.lifecycle_suggestion(key, ds)
    except DataError as exc:  # the engine failed on the orders: the stages still come from the defaults
        sug = None
        st.info(md(_("The thresholds start from the defaults: the gaps between orders could not be measured. "
                     "{reason}.").format(reason=exc.what)), icon=":material/info:")
    if sug is not None and sug.ok:
        st.caption(md(_("The data's rhythm: a repeat customer's typical gap between orders is {median} days (median "
                        "of {n} repeat customers; 75th percentile {p75}, 90th {p90}). The thresholds below start from "
                        "these; the back-test shows how well they would have done.").format(
            median=fmt_num(sug.median_gap, 2) if sug.median_gap is not None else "–", n=fmt_int(sug.gaps),
            p75=fmt_num(sug.p75_gap, 2) if sug.p75_gap is not None else "–",
            p90=fmt_num(sug.p90_gap, 2) if sug.p90_gap is not None else "–")))
    d = sug.rules if sug is not None else LifecycleRules()
    c = st.columns(3)
    rules = LifecycleRules(
        new_days=c[0].number_input(_("New: first seen within (days)"), 0, 3650, d.new_days, key="lc_new",
                                   persist_state="session"),
        churn_days=c[1].number_input(_("Churned: no purchase for (days)"), 0, 3650, d.churn_days, key="lc_churn",
                                     persist_state="session"),
        silent_days=c[2].number_input(_("Silent: no activity for (days)"), 0, 3650, d.silent_days, key="lc_silent",
                                      persist_state="session"),
        active_days=c[0].number_input(_("Active: look back (days)"), 1, 3650, d.active_days, key="lc_active",
                                      persist_state="session"),
        active_views=c[1].number_input(_("Active: more views than"), 0, 3650, d.active_views, key="lc_views",
                                       persist_state="session"),
        active_purchases=c[2].number_input(_("Active: more orders than"), 0, 3650, d.active_purchases,
                                           key="lc_buys", persist_state="session"))
    st.session_state["lifecycle_rules"] = rules
    st.caption(_("Stages are checked in order, first match wins: New, Never bought, Churned, Silent, Active, "
                 "otherwise Occasional. Without view events the Active rule uses purchases only."))
    stages = analysis.lifecycle_stages(key, ds, rules)
    st.plotly_chart(charts.fig_counts(_counts(stages["lifecycle"], "stage"), "stage",
                                      title=_("Customers per lifecycle stage")), key="lc_counts")
    first, last = ds.report.first_event, ds.report.last_event
    span = int((pd.Timestamp(last) - pd.Timestamp(first)).days) if first and last else 0
    bt_days = st.slider(_("Back-test: label customers this many days before the end of the data"), 14, 180,
                        int(min(90, max(14, span // 3))), key="lc_bt_days", persist_state="session",
                        help=_("Default: 90 days, or a third of the data's span when it is shorter"))
    try:
        bt = customers.lifecycle_check(key, ds, rules, int(bt_days))
    except DataError as exc:
        show_error(exc, _("The back-test is not available for this dataset."))
    else:
        st.plotly_chart(charts.fig_lifecycle_backtest(bt), key="lc_bt")
        churn = bt.set_index("stage")
        if "Churned" in churn.index:
            st.caption(md(_("Reading: of the {n} customers these rules would have called Churned on {date}, {pct} "
                            "bought again in the next {days} days").format(
                n=fmt_int(churn.loc["Churned", "users"]), date=fmt_date(bt["labelled_on"].iloc[0]),
                pct=fmt_pct(churn.loc["Churned", "bought_again_pct"] / 100, 0), days=bt_days) + (
                _("; of the Active ones, {pct}.").format(pct=fmt_pct(churn.loc["Active", "bought_again_pct"] / 100, 0))
                if "Active" in churn.index else ".")))
        show(bt.assign(stage=[tr(s) for s in bt["stage"]]),
             {"stage": (_("Stage"), "text"), "users": (_("Customers"), "int"),
              "bought_again": (_("Bought again"), "int"), "bought_again_pct": (_("Share who bought again"),
                                                                                "pct_points")})

with prop_tab:
    c = st.columns(2)
    model = c[0].selectbox(_("Model"), list(MODELS), format_func=lambda m: _(MODEL_NAMES.get(m, MODELS[m])),
                           key="prop_model", persist_state="session")
    horizon = c[1].slider(_("Predict purchases in the next (days)"), 7, 90, 30, key="prop_h", persist_state="session")
    st.session_state["propensity_args"] = (model, int(horizon))
    try:
        with st.spinner(_("Training on the past, testing on held-out customers…")):
            prop = analysis.propensity(key, ds, model, int(horizon))
    except DataError as exc:
        show_error(exc, _("The propensity model could not be trained."))
        st.stop()
    for note in prop.notes:
        st.warning(md(tr(note)))
    if prop.ok:
        c = st.columns(4)
        c[0].metric("ROC AUC", fmt_num(prop.auc, 2), help=_(
            "95% interval {low} to {high} (bootstrap of the test customers); 0.5 is a coin toss, 1 is perfect").format(
            low=fmt_num(prop.auc_ci[0], 2), high=fmt_num(prop.auc_ci[1], 2)))
        c[1].metric(_("Buyers in the top 10%"), fmt_pct(prop.precision_top_decile, 0),
                    help=_("Against {base} of all test customers").format(base=fmt_pct(prop.base_rate, 0)))
        c[2].metric(_("Share of buyers found in the top 10%"), fmt_pct(prop.recall_top_decile, 0))
        c[3].metric(_("Lift of the top 10%"), _("{x}×").format(x=fmt_num(prop.lift_top_decile, 2)))
        if prop.baselines:
            y = st.columns(3)
            y[0].metric(_("AUC: this model"), fmt_num(prop.auc, 3))
            y[1].metric(_("AUC: recency only"), fmt_num(prop.baselines["recency only"], 3),
                        help=_("Ranking customers by how recently they bought, nothing else"))
            y[2].metric(_("AUC: frequency only"), fmt_num(prop.baselines["frequency only"], 3),
                        help=_("Ranking customers by how many orders they placed, nothing else"))
            best = max(prop.baselines, key=prop.baselines.get)
            st.caption(md(_("Reading: the model adds {gain} AUC over ranking by {best} alone on the same test "
                            "customers.").format(gain=f"{prop.auc - prop.baselines[best]:+.3f}",
                                                 best=_("recency") if best == "recency only" else _("frequency"))))
        st.caption(md(_("Reading: trained on behaviour up to {cutoff} and tested on {n} held-out customers, the score "
                        "ranks a future buyer above a non-buyer {pct} of the time (95% interval {low} to {high}).").format(
            cutoff=fmt_date(prop.cutoff), n=fmt_int(prop.n_test), pct=fmt_pct(prop.auc, 0),
            low=fmt_pct(prop.auc_ci[0], 0), high=fmt_pct(prop.auc_ci[1], 0))))
        with st.expander(_("How is this computed?"), icon=":material/help:"):
            st.markdown(_("The model learns from behaviour up to a cut-off date who bought in the following days, on "
                          "part of the customers, and is tested on the others. **ROC AUC** is the chance that a "
                          "customer who bought gets a higher score than one who did not (0.5: no better than a coin "
                          "toss). The top-10% figures sort test customers by score and look at the tenth scored "
                          "highest; the baselines rank by recency or by number of orders alone."))
        left, mid, right = st.columns(3)
        left.plotly_chart(charts.fig_roc(prop.roc, prop.auc), key="roc")
        mid.plotly_chart(charts.fig_calibration(prop.calibration), key="cal")
        right.plotly_chart(charts.fig_importance(prop.importance), key="imp")
    downloads(prop.scores, "propensity_scores", "dl_prop")
