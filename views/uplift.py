"""Uplift targeting: who buys because of the offer, and how many to target for the most profit."""

import streamlit as st

from promo_core import charts
from promo_core.i18n import _, default_currency, fmt_int, fmt_money, fmt_num, fmt_pct
from promo_core.schema import DataError
from promo_core.uplift import LABELS, LEARNERS
from ui import planning, state
from ui.widgets import downloads, md, show_error

st.title(_("Uplift targeting"))
st.caption(_("Trained on the randomized experiment: the model predicts how much more likely each customer is to buy "
             "when given the offer. Target the persuadables; leave sure things (they buy anyway) and sleeping dogs "
             "(the offer puts them off) alone."))
ds, key = state.dataset(), state.dataset_key()
currency = st.session_state.get("currency") or default_currency()
found = planning.experiment_users(ds)
if found is None:
    st.info(_("Uplift models need a user-level experiment run on the customers of the dataset in use. The bundled "
              "sample data and experiment work together; with your own data, load its experiment on the A/B tests "
              "page."))
    st.stop()
users, control = found
variants = sorted(v for v in users["variant"].unique() if v.casefold() != control.casefold())
c = st.columns(4)
treatment = c[0].selectbox(_("Offer (treatment)"), variants, key="up_treat")
learner = c[1].selectbox(_("Model"), list(LEARNERS), format_func=lambda x: _(LEARNERS[x]), key="up_learner",
                         persist_state="session", help=_("T-learner: one model per arm. X-learner: also learns from "
                                                         "the other arm's errors; steadier when the arms differ in size"))
margin = c[2].slider(_("Gross margin (%)"), 5, 90, 40, key="up_margin") / 100
contact = c[3].number_input(_("Contact cost ({currency})").format(currency=currency), 0.0, 50.0, 0.15, 0.05,
                            key="up_contact", help=_("Per targeted customer"))
try:
    with st.spinner(_("Training on half the experiment, checking on the other half…")):
        res = planning.uplift(key, ds, treatment, control, learner, margin, contact)
except DataError as exc:
    show_error(exc, _("The uplift model could not be trained."))
    st.stop()
c = st.columns(3)
c[0].metric(_("Uplift model vs random (AUUC)"), ("+" if res.auuc_model > 0 else "") + fmt_num(res.auuc_model, 3),
            help=_("Average extra conversions over random targeting along the Qini curve (hold-out customers)"))
if res.auuc_propensity is not None:
    c[1].metric(_("Propensity score vs random"), ("+" if res.auuc_propensity > 0 else "") + fmt_num(res.auuc_propensity, 3),
                help=_("Targeting the likeliest buyers instead: often sure things"))
c[2].metric(_("Hold-out customers"), fmt_int(res.n_test))
st.caption(_("Reading: AUUC above 0 means that ranking customers by the model finds more extra buyers than picking "
             "them at random; the propensity score ranks by who is likely to buy at all, which often picks people "
             "who would have bought anyway."))
best = res.profit_curve.loc[res.profit_curve["incremental_profit"].idxmax()]
st.caption(md(_("Reading: ranked by the model, the offer is worth most when sent to the top {share} (about {profit} "
                "on customers like these); ").format(share=fmt_pct(best["share_targeted"], 0),
                                                     profit=fmt_money(best["incremental_profit"], currency))
              + (_("the model ranks better than random.") if res.auuc_model > 0 else
                 _("the model does no better than random here, so do not target on it."))))
with st.expander(_("How is this computed?"), icon=":material/functions:"):
    st.markdown(_("The experiment's customers are split in half (stratified, seeded). On one half, regularised "
                  "logistic regressions (scikit-learn) learn each customer's chance to buy with and without the offer "
                  "from their pre-experiment profile; the difference is the uplift (the X-learner also learns from "
                  "each arm's errors). On the other half, customers are ranked by uplift and the Qini curve counts "
                  "the extra conversions among the top share targeted, against random targeting; AUUC is the "
                  "average gap. The profit curve does the same with each customer's contribution, (revenue + "
                  "discount) × margin − discount − contact cost, scaled to all customers.\n\n"
                  "Response types: persuadable (uplift above +2 points), sleeping dog (below −2 points); of the rest, "
                  "sure thing (chance to buy without the offer at or above the median) or lost cause."))
left, right = st.columns(2)
left.plotly_chart(charts.fig_qini(res.curves), key="up_qini")
right.plotly_chart(charts.fig_profit_curve(res.profit_curve, currency), key="up_profit")
counts = res.label_counts.assign(label=res.label_counts["label"].map(lambda x: _(LABELS.get(x, x))))
st.plotly_chart(charts.fig_counts(counts, "label", title=_("Customers by response type")), key="up_labels")
use = st.toggle(_("Use these uplift scores to pick the planner's target list"), key="up_use",
                value="uplift_scores" in st.session_state)
if use:
    st.session_state["uplift_scores"] = res.scores.set_index("user_id")["uplift"]
else:
    st.session_state.pop("uplift_scores", None)
downloads(res.scores, "uplift_scores", "dl_uplift")
