"""Promotion planner: an offer per segment, the forecast at once, a budget optimiser, plan files."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from promo_core import charts
from promo_core.i18n import _, fmt_int, fmt_money, fmt_num
from promo_core.promotions import (
    Offer,
    forecast,
    offer_from_key,
    optimise,
    plan_comparison,
)
from promo_core.schema import DataError
from ui import analysis, planning, state
from ui import clv as clv_ui
from ui.widgets import md, show_error

st.title(_("Promotion planner"))
st.caption(_("Choose an offer for each segment and see the expected result at once. Lifts come from the A/B test "
             "where it measured the offer in that segment, otherwise from the stated assumptions."))
ds, key = state.dataset(), state.dataset_key()
currency = st.session_state.get("currency", "£")
try:
    segments = analysis.segmentation(ds)
    a = planning.assumptions()
    n_windows, sply = planning.baseline_options()
    base, ev = planning.inputs(key, planning.segmentation_key(), ds, segments, a.horizon_days, a.margin, n_windows,
                               sply)
    base = clv_ui.baseline_option(key, ds, segments, base, a.horizon_days)  # off by default
except DataError as exc:
    show_error(exc, _("The planner needs segments and priced purchases."))
    st.stop()
names = list(base)
cands = analysis.offer_candidates(ds)
if len(cands["bundles"]) and "assumptions" not in st.session_state:
    top = cands["bundles"].head(5)  # price the generic bundle offer from the strongest rules
    st.session_state["assumptions"] = replace(a, bundle_price=float(top["bundle_price"].median()))
    a = planning.assumptions()
dataset_id = {"name": ds.name, "users": ds.report.users, "from": ds.report.first_event, "to": ds.report.last_event,
              "currency": currency}   # amounts are in the data's money: the Campaigns page shows them with this symbol
current = {o.segment: o for o in planning.plan()}
if set(current) != set(names):
    start = {o.segment: o for o in optimise(base, a, 5000.0, ev, only_tested=True).plan} if ev else {}
    planning.set_plan([current.get(s) or start.get(s) or Offer(s) for s in names])
ver = st.session_state["plan_version"]
measured = sorted({offer_from_key("", *k[1:]).label(currency) for k in ev}) if ev else []
st.caption(md(_("Segmentation: {name} ({n} segments; change it on the Segments page). A/B evidence: {evidence}").format(
    name=_(analysis.SEGMENTATIONS[st.session_state.get("segmentation_choice", "clusters")]), n=len(names),
    evidence=_("measured {offers}").format(offers=", ".join(measured)) if ev else _("none for these customers"))))

planning.assumptions_editor(a)

seg = st.selectbox(_("Segment to tune"), names, key="pl_seg")
o = {x.segment: x for x in planning.plan()}[seg]
try:
    edited = planning.offer_controls(o, seg, ver, base[seg], currency).validate()
except DataError as exc:
    show_error(exc, _("This offer was not applied; the plan is unchanged."))
    edited = o
if edited != o:
    planning.set_plan([edited if x.segment == seg else x for x in planning.plan()])
    st.session_state["plan_version"] = ver  # keep the widgets; only the values changed
offers = planning.plan()
fc = forecast(offers, base, planning.assumptions(), ev)
total = fc.iloc[-1]
c = st.columns(4)
c[0].metric(_("Expected incremental profit"), fmt_money(total["incremental_profit"], currency),
            help=_("Range {range}").format(range=planning.money_range(total["profit_low"], total["profit_high"],
                                                                        currency)))
c[1].metric(_("Customers contacted"), fmt_int(total["targeted"]))
c[2].metric(_("Value given (discounts, gifts, points)"), fmt_money(total["value_given"], currency),
            help=_("{amount} of it on orders that would have happened anyway").format(
                amount=fmt_money(total["cannibalised"], currency)))
c[3].metric(_("Return per {currency}1 spent").format(currency=currency),
            "–" if pd.isna(total["roi"]) else fmt_num(total["roi"]))
st.caption(md(planning.reading(total, planning.assumptions().horizon_days, currency)))
planning.forecast_table(fc, currency)
clv_ui.value_at_stake(key, ds, segments, currency)
planning.baselines_panel(key, ds, segments, base, n_windows, sply)
with st.expander(_("Assumptions and their ranges"), icon=":material/rule:"):
    st.caption(_("Where the A/B test did not measure an offer, its effect is assumed. Each assumption's range "
                 "includes 'no effect'; the forecast's low end is what happens if every assumed lift is zero (only the "
                 "discounts on orders that happen anyway and the contact cost remain)."))
    planning.assumptions_table(planning.assumptions())
with st.expander(_("Edit every segment's offer in a table"), icon=":material/edit_note:"):
    try:
        new_plan = planning.offers_editor(offers, ver)
        if new_plan is not None:
            planning.set_plan(new_plan)
            st.rerun()
    except (DataError, TypeError, ValueError) as exc:
        show_error(exc if isinstance(exc, DataError) else DataError(str(exc)),
                   _("The table edit was not applied; the plan is unchanged."))
with st.expander(_("Offer candidates from the Basket rules page"), icon=":material/shopping_basket:"):
    st.caption(md(_("The bundle offer is priced at {price}, the median bundle price of the strongest rules below "
                    "(change it under Assumptions).").format(
                        price=fmt_money(planning.assumptions().bundle_price, currency, decimals=2))))
    planning.candidates_tables(cands, currency)
left, right = st.columns(2)
left.plotly_chart(charts.fig_plan_waterfall(total, currency), key="pl_wf")
template = st.selectbox(_("Compare with everyone getting"),
                        [x for x in offers if x.offer_type != "none"] or [Offer("", "percent_off", 10, 0, 1, 0.15)],
                        format_func=lambda x: x.label(currency), key="pl_cmp")
cmp = plan_comparison(total, template, base, planning.assumptions(), ev, currency)
right.plotly_chart(charts.fig_plan_comparison(cmp, currency), key="pl_cmp_fig")

planning.optimiser_section(base, ev, names, currency)

planning.files_section(offers, segments, fc, total, names, dataset_id, currency)

from ui import holdout  # noqa: E402 - issue 16: the campaign loop (holdout in the target list, readout as evidence)

draw = holdout.section(offers, segments, fc, base, planning.assumptions().margin, currency)

from ui.workspace import save_campaign_section  # noqa: E402

save_campaign_section(offers, planning.assumptions(), fc, base, dataset_id, currency, draw)
