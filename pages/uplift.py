"""Uplift targeting: who buys because of the offer, and how many to target for the most profit."""

import streamlit as st

from promo_core import charts
from promo_core.schema import DataError
from promo_core.uplift import LEARNERS
from ui import planning, state
from ui.widgets import downloads, md, show_error

st.title("Uplift targeting")
st.caption("Trained on the randomized experiment: the model predicts how much more likely each customer is to buy "
           "when given the offer. Target the persuadables; leave sure things (they buy anyway) and sleeping dogs "
           "(the offer puts them off) alone.")
ds, key = state.dataset(), state.dataset_key()
currency = st.session_state.get("currency", "£")
found = planning.experiment_users(ds)
if found is None:
    st.info("Uplift models need a user-level experiment run on the customers of the dataset in use. The bundled "
            "sample data and experiment work together; with your own data, load its experiment on the A/B tests page.")
    st.stop()
users, control = found
variants = sorted(v for v in users["variant"].unique() if v.casefold() != control.casefold())
c = st.columns(4)
treatment = c[0].selectbox("Offer (treatment)", variants, key="up_treat")
learner = c[1].selectbox("Model", list(LEARNERS), format_func=LEARNERS.get, key="up_learner", persist_state="session")
margin = c[2].slider("Gross margin (%)", 5, 90, 40, key="up_margin") / 100
contact = c[3].number_input(f"Contact cost per user ({currency})", 0.0, 50.0, 0.15, 0.05, key="up_contact")
try:
    with st.spinner("Training on half the experiment, checking on the other half…"):
        res = planning.uplift(key, ds, treatment, control, learner, margin, contact)
except DataError as exc:
    show_error(exc, "The uplift model could not be trained.")
    st.stop()
c = st.columns(3)
c[0].metric("Uplift model vs random (AUUC)", f"{res.auuc_model:+.2f}",
            help="Average extra conversions over random targeting along the Qini curve (hold-out customers)")
if res.auuc_propensity is not None:
    c[1].metric("Propensity score vs random", f"{res.auuc_propensity:+.2f}",
                help="Targeting the likeliest buyers instead: often sure things")
c[2].metric("Hold-out customers", f"{res.n_test:,}")
best = res.profit_curve.loc[res.profit_curve["incremental_profit"].idxmax()]
st.caption(md(f"Reading: ranked by the model, the offer is worth most when sent to the top {100 * best['share_targeted']:.0f}% "
              f"(about {currency}{best['incremental_profit']:,.0f} on customers like these); "
              + ("the model ranks better than random." if res.auuc_model > 0 else
                 "the model does no better than random here, so do not target on it.")))
left, right = st.columns(2)
left.plotly_chart(charts.fig_qini(res.curves), key="up_qini")
right.plotly_chart(charts.fig_profit_curve(res.profit_curve, currency), key="up_profit")
st.plotly_chart(charts.fig_counts(res.label_counts, "label", title="Customers by response type"), key="up_labels")
use = st.toggle("Use these uplift scores to pick the planner's target list", key="up_use",
                value="uplift_scores" in st.session_state)
if use:
    st.session_state["uplift_scores"] = res.scores.set_index("user_id")["uplift"]
else:
    st.session_state.pop("uplift_scores", None)
downloads(res.scores, "uplift_scores", "dl_uplift")
