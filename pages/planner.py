"""Promotion planner: an offer per segment, the forecast at once, a budget optimiser, plan files."""

from dataclasses import asdict, replace

import pandas as pd
import streamlit as st

from promo_core import charts
from promo_core.promotions import (
    DEPTH,
    OFFER_TYPES,
    Offer,
    assumption_ranges,
    forecast,
    optimise,
    plan_comparison,
)
from promo_core.schema import DataError
from ui import analysis, planning, state
from ui.widgets import md, show_error

st.title("Promotion planner")
st.caption("Choose an offer for each segment and see the expected result at once. Lifts come from the A/B test "
           "where it measured the offer in that segment, otherwise from the stated assumptions.")
ds, key = state.dataset(), state.dataset_key()
currency = st.session_state.get("currency", "£")
try:
    segments = analysis.segmentation(ds)
    a = planning.assumptions()
    n_windows, sply = planning.baseline_options()
    base, ev = planning.inputs(key, planning.segmentation_key(), ds, segments, a.horizon_days, a.margin, n_windows,
                               sply)
except DataError as exc:
    show_error(exc, "The planner needs segments and priced purchases.")
    st.stop()
names = list(base)
cands = analysis.offer_candidates(ds)
if len(cands["bundles"]) and "assumptions" not in st.session_state:
    top = cands["bundles"].head(5)  # price the generic bundle offer from the strongest rules
    st.session_state["assumptions"] = replace(a, bundle_price=float(top["bundle_price"].median()))
    a = planning.assumptions()
dataset_id = {"name": ds.name, "users": ds.report.users, "from": ds.report.first_event, "to": ds.report.last_event}
current = {o.segment: o for o in planning.plan()}
if set(current) != set(names):
    start = {o.segment: o for o in optimise(base, a, 5000.0, ev, only_tested=True).plan} if ev else {}
    planning.set_plan([current.get(s) or start.get(s) or Offer(s) for s in names])
ver = st.session_state["plan_version"]
st.caption(md(f"Segmentation: {analysis.SEGMENTATIONS[st.session_state.get('segmentation_choice', 'clusters')]} "
              f"({len(names)} segments; change it on the Segments page). A/B evidence: "
              + ("measured " + ", ".join(sorted({Offer('', k[1], k[2], k[3]).label(currency) for k in ev})) if ev
                 else "none for these customers")))

planning.assumptions_editor(a)

seg = st.selectbox("Segment to tune", names, key="pl_seg")
o = {x.segment: x for x in planning.plan()}[seg]
c = st.columns(5)
kind = c[0].selectbox("Offer", list(OFFER_TYPES), index=list(OFFER_TYPES).index(o.offer_type), format_func=OFFER_TYPES.get,
                      key=f"pl_type_{seg}_{ver}")
unit, lo, hi = DEPTH[kind]
top = float(min(hi, 100.0 if "%" in unit else 200.0)) if unit else 1.0
depth = c[1].slider(f"Depth ({unit})" if unit else "Depth", float(lo), top, float(min(max(o.depth, lo), top)),
                    key=f"pl_depth_{seg}_{kind}_{ver}", disabled=not unit)
threshold = c[2].number_input(f"Threshold ({currency})", 0.0, 10_000.0, float(o.threshold or 80.0), 5.0,
                              key=f"pl_thr_{seg}_{ver}", disabled=kind != "threshold_coupon")
share = c[3].slider("Share of segment targeted (%)", 0, 100, int(100 * o.target_share), key=f"pl_share_{seg}_{ver}")
contact = c[4].number_input(f"Contact cost per user ({currency})", 0.0, 50.0, float(o.contact_cost or 0.15), 0.05,
                            key=f"pl_contact_{seg}_{ver}")
edited = Offer(seg, kind, depth if unit else 0.0, threshold if kind == "threshold_coupon" else 0.0, share / 100, contact)
try:
    edited.validate()
except DataError as exc:
    show_error(exc, "This offer was not applied; the plan is unchanged.")
    edited = o
if edited != o:
    planning.set_plan([edited if x.segment == seg else x for x in planning.plan()])
    st.session_state["plan_version"] = ver  # keep the widgets; only the values changed
offers = planning.plan()
fc = forecast(offers, base, planning.assumptions(), ev)
total = fc.iloc[-1]
c = st.columns(4)
c[0].metric("Expected incremental profit", f"{currency}{total['incremental_profit']:,.0f}",
            help=f"Range {currency}{total['profit_low']:,.0f} to {currency}{total['profit_high']:,.0f}")
c[1].metric("Customers contacted", f"{int(total['targeted']):,}")
c[2].metric("Discounts given", f"{currency}{total['value_given']:,.0f}",
            help=f"{currency}{total['cannibalised']:,.0f} of it on orders that would have happened anyway")
c[3].metric("Return per £1 spent", "–" if pd.isna(total["roi"]) else f"{total['roi']:+.2f}")
st.caption(md(f"Reading: this plan is expected to add {currency}{total['incremental_profit']:,.0f} of profit over "
              f"{planning.assumptions().horizon_days} days (range {currency}{total['profit_low']:,.0f} to "
              f"{currency}{total['profit_high']:,.0f})."))
st.dataframe(fc.round(3), hide_index=True, width="stretch")
planning.baselines_panel(key, ds, segments, base, n_windows, sply)
with st.expander("Assumptions and their ranges", icon=":material/rule:"):
    st.caption("Where the A/B test did not measure an offer, its effect is assumed. Each assumption's range includes "
               "'no effect'; the forecast's low end is what happens if every assumed lift is zero (only the discounts "
               "on orders that happen anyway and the contact cost remain).")
    st.dataframe(assumption_ranges(planning.assumptions()).round(3), hide_index=True, width="stretch")
with st.expander("Edit every segment's offer in a table", icon=":material/edit_note:"):
    table = pd.DataFrame([asdict(x) for x in offers])
    cfg = {"segment": st.column_config.TextColumn(disabled=True),
           "offer_type": st.column_config.SelectboxColumn(options=list(OFFER_TYPES), required=True),
           "target_share": st.column_config.NumberColumn(min_value=0.0, max_value=1.0, step=0.05)}
    new = st.data_editor(table, hide_index=True, column_config=cfg, key=f"pl_table_{ver}")
    if not new.equals(table):
        try:
            planning.set_plan([Offer(**r).validate() for r in new.to_dict(orient="records")])
            st.rerun()
        except (DataError, TypeError) as exc:
            show_error(exc if isinstance(exc, DataError) else DataError(str(exc)),
                       "The table edit was not applied; the plan is unchanged.")
with st.expander("Offer candidates from the Basket rules page", icon=":material/shopping_basket:"):
    st.caption(md(f"The bundle offer is priced at {currency}{planning.assumptions().bundle_price:,.2f}, the median "
                  "bundle price of the strongest rules below (change it under Assumptions)."))
    st.dataframe(cands["bundles"].round(2), hide_index=True, width="stretch")
    st.dataframe(cands["cross_sell"].round(3), hide_index=True, width="stretch")
left, right = st.columns(2)
left.plotly_chart(charts.fig_plan_waterfall(total, currency), key="pl_wf")
template = st.selectbox("Compare with everyone getting", [x for x in offers if x.offer_type != "none"] or [Offer("", "percent_off", 10, 0, 1, 0.15)],
                        format_func=lambda x: x.label(currency), key="pl_cmp")
cmp = plan_comparison(total, template, base, planning.assumptions(), ev, currency)
right.plotly_chart(charts.fig_plan_comparison(cmp, currency), key="pl_cmp_fig")

planning.optimiser_section(base, ev, names, currency)

planning.files_section(offers, segments, fc, total, names, dataset_id, currency)
