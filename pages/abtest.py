"""A/B tests: significance, intervals, Bayesian view, segments, variance reduction, ROI, planning."""

import pandas as pd
import streamlit as st

from promo_core import charts
from promo_core.abtest import (
    ADJUSTMENTS,
    by_segment,
    cuped,
    days_needed,
    guess_columns,
    is_aggregated,
    mde_conversion,
    rate_interval,
    sample_ratio,
    sample_size_conversion,
)
from promo_core.report import report_dict, report_html
from promo_core.roi import verdict
from promo_core.schema import DataError
from ui import analysis, experiment, state
from ui.widgets import downloads, md, show_error

st.title("A/B tests")
st.caption("Did the promotion work, and did it pay? Conversion is tested with a two-proportion z-test, revenue "
           "with Welch's t-test; profit counts the discount given on orders that would have happened anyway.")
currency = st.session_state.get("currency", "£")
source = st.radio("Experiment", ["sample", "upload"], horizontal=True, key="ab_source", persist_state="session",
                  format_func={"sample": "Bundled sample experiment", "upload": "Upload results"}.get)
data, name = None, "sample_data/experiment.csv"
if source == "upload":
    up = st.file_uploader("User-level (one row per user) or aggregated (one row per variant) results",
                          type=["csv", "tsv", "txt", "gz", "xlsx", "parquet"], key="ab_upload")
    if up is not None:
        try:
            experiment.read_experiment(up.getvalue(), up.name)
            st.session_state["ab_file"] = (up.getvalue(), up.name)
        except DataError as exc:
            show_error(exc, "This file was not loaded; the previous experiment is still shown.")
    if "ab_file" in st.session_state:
        data, name = st.session_state["ab_file"]
    else:
        st.info("Upload a results file; until then the bundled sample experiment is shown.")
frame = experiment.read_experiment(data, name)
cols = ["", *map(str, frame.columns)]
guess = guess_columns(frame.columns)
aggregated = is_aggregated(frame.columns)
with st.expander("Columns" + (" (aggregated file: one row per variant)" if aggregated else ""), icon=":material/view_column:"):
    c = st.columns(4)
    roles = {"variant": c[0].selectbox("Variant", cols[1:], index=cols[1:].index(guess.get("variant", cols[1])),
                                       key=f"ab_var_{name}")}
    if not aggregated:
        for i, role in enumerate(("converted", "revenue", "cost", "discount", "pre")):
            label = {"pre": "Pre-period metric (for variance reduction)"}.get(role, role.capitalize())
            roles[role] = c[(i + 1) % 4].selectbox(label, cols, index=cols.index(guess.get(role, "")), key=f"ab_{role}_{name}")
        roles["segments"] = tuple(st.multiselect("Segment columns", cols[1:], key=f"ab_segs_{name}",
                                                 default=[x for x in ("region",) if x in cols]))
variants = sorted(frame[roles["variant"]].astype(str).str.strip().unique(), key=lambda v: (v.casefold() != "control", v))
c = st.columns(6)
control = c[0].selectbox("Control", variants, key="ab_control")
level = c[1].selectbox("Confidence", [0.90, 0.95, 0.99], index=1, key="ab_level", format_func=lambda x: f"{x:.0%}")
adjust = c[2].selectbox("Several treatments", list(ADJUSTMENTS), format_func=ADJUSTMENTS.get, key="ab_adjust")
margin = c[3].slider("Gross margin (%)", 5, 90, 40, key="ab_margin", persist_state="session",
                     help="Share of the full price that is profit before promotion costs") / 100
contact = c[4].number_input(f"Contact cost per treated user ({currency})", 0.0, 100.0, 0.15, 0.05, key="ab_contact",
                            help="Used when the file has no cost column")
cap = c[5].selectbox("Cap revenue at", [None, 99.0, 99.9], key="ab_cap",
                     format_func=lambda x: "no cap" if x is None else f"{x:g}th percentile")
seg_map = analysis.segmentation_or_none(state.dataset()) if "user_id" in frame.columns else None
try:
    with st.spinner("Testing…"):
        exp, comps, rois = experiment.analyse(frame, tuple(sorted(roles.items())), control, round(1 - level, 4),
                                              adjust, margin, contact, cap, seg_map)
except DataError as exc:
    show_error(exc, "The experiment cannot be analysed with these settings.")
    st.stop()
alpha = round(1 - level, 4)
for note in exp.notes:
    st.caption(md(note))
with st.expander("Planned split (for the sample ratio check)", icon=":material/balance:"):
    shares = {v: st.number_input(f"Planned share: {v}", 0.01, 100.0, 1.0, key=f"ab_share_{v}") for v in exp.variants}
srm = sample_ratio(exp, shares)
if srm.mismatch:
    st.error(f"Sample ratio mismatch (chi-square p = {srm.p_value:.2g}): the variants did not get their planned share "
             "of users, so randomisation may be broken and every result below may be biased. Find the cause first.",
             icon=":material/block:")
    if not st.checkbox("I understand; show the results anyway", key="ab_srm_ack"):
        st.stop()
else:
    st.caption(f"Sample ratio check passed (p = {srm.p_value:.2f} against the planned split).")

st.subheader("Verdict")
for cmp, roi in zip(comps, rois, strict=True):
    st.info(md(verdict(cmp, roi, currency, alpha)), icon=":material/gavel:")
    for note in cmp.notes + roi.notes:
        st.caption(md(note))
summary = exp.summary().sort_values("variant", key=lambda s: s != control, kind="stable")
intervals = {v.name: rate_interval(v, alpha) for v in exp.variants.values()}
table = pd.DataFrame([{"treatment": x.treatment, "rate_control": x.rate_control, "rate_treatment": x.rate_treatment,
                       "abs_diff": x.abs_diff, "abs_ci_low": x.abs_ci.low, "abs_ci_high": x.abs_ci.high,
                       "rel_lift": x.rel_lift, "low": x.rel_ci.low, "high": x.rel_ci.high, "p_value": x.p_value,
                       "p_adjusted": x.p_adjusted, "chance_to_beat": x.chance_to_beat,
                       "expected_loss": x.expected_loss} for x in comps])
t_over, t_rev, t_bayes, t_roi, t_seg, t_cuped, t_plan = st.tabs(
    ["Conversion", "Revenue", "Bayesian view", "ROI", "Segments", "Variance reduction", "Planning"])
with t_over:
    left, right = st.columns(2)
    left.plotly_chart(charts.fig_rates(summary, intervals), key="ab_rates")
    right.plotly_chart(charts.fig_lift_forest(table), key="ab_forest")
    st.dataframe(table.drop(columns=["chance_to_beat", "expected_loss"]).round(5), hide_index=True, width="stretch")
    st.dataframe(summary.round(4), hide_index=True, width="stretch")
with t_rev:
    if not exp.has_revenue:
        st.info("Choose a revenue column to compare revenue per user.")
    else:
        rev = pd.DataFrame([{"treatment": x.treatment, "revenue per user: difference": x.revenue_diff,
                             "Welch interval": f"{x.revenue_ci.low:,.2f} to {x.revenue_ci.high:,.2f}",
                             "Welch p": x.revenue_p, "bootstrap interval": "" if x.revenue_bootstrap_ci is None else
                             f"{x.revenue_bootstrap_ci.low:,.2f} to {x.revenue_bootstrap_ci.high:,.2f}",
                             "revenue per buyer: difference": x.buyer_diff, "per-buyer p": x.buyer_p} for x in comps])
        st.dataframe(rev.round(4), hide_index=True, width="stretch")
        st.caption("The bootstrap interval (2,000 resamples) checks the Welch interval when a few big spenders "
                   "dominate; if they disagree, cap revenue above.")
with t_bayes:
    st.dataframe(table[["treatment", "chance_to_beat", "expected_loss"]].round(5), hide_index=True, width="stretch")
    st.caption("Chance to beat control: the probability, with flat Beta(1, 1) priors, that the treatment's true "
               "conversion rate is higher. It is not 1 − p. Expected loss: conversion given up on average if the "
               "treatment is in fact worse.")
with t_roi:
    roi_table = pd.DataFrame([r.to_dict() for r in rois]).drop(columns=["notes"])
    st.dataframe(roi_table, hide_index=True, width="stretch")
    for r in rois:
        if r.incremental_profit is not None:
            st.plotly_chart(charts.fig_profit_waterfall(r, currency), key=f"wf_{r.treatment}")
with t_seg:
    seg_cols = [c.removeprefix("segment:") for c in (exp.users.columns if exp.users is not None else []) if c.startswith("segment:")]
    if not seg_cols:
        st.info("Choose a segment column (or load user-level results whose user ids match the dataset).")
    else:
        seg_col = st.selectbox("Break down by", seg_cols, key="ab_segcol")
        seg = by_segment(exp, control, seg_col, alpha)
        st.warning("Segment results are exploratory: with many segments some differences appear by chance. "
                   "Confirm a segment finding with its own test before acting on it.", icon=":material/science:")
        for t in seg["treatment"].unique():
            d = seg[seg["treatment"] == t].rename(columns={"ci_low": "low", "ci_high": "high"})
            st.plotly_chart(charts.fig_lift_forest(d, "segment", "abs_diff", title=f"{t}: conversion change by segment "
                                                   "(percentage points)"), key=f"seg_{t}")
        st.dataframe(seg.round(4), hide_index=True, width="stretch")
with t_cuped:
    if not exp.has_pre or not exp.has_revenue:
        st.info("Choose a revenue column and a pre-period metric to reduce variance (CUPED).")
    else:
        cu = cuped(exp, control, alpha)
        st.metric("Variance removed", f"{100 * cu.variance_saved:.0f}%", help=f"θ = {cu.theta:.4f}")
        st.dataframe(pd.DataFrame([{"treatment": x.treatment, "adjusted revenue difference": x.revenue_diff,
                                    "interval": f"{x.revenue_ci.low:,.2f} to {x.revenue_ci.high:,.2f}",
                                    "p": x.revenue_p} for x in cu.comparisons]), hide_index=True, width="stretch")
with t_plan:
    c = st.columns(4)
    base = c[0].number_input("Baseline conversion (%)", 0.1, 99.0, round(100 * exp.variants[control].rate, 2) or 5.0) / 100
    lift = c[1].number_input("Lift to detect (%)", 1.0, 500.0, 10.0) / 100
    power = c[2].selectbox("Power", [0.8, 0.9], format_func=lambda x: f"{x:.0%}")
    daily = c[3].number_input("Users entering the test per day", 1, 10_000_000, 1000)
    try:
        n_arm = sample_size_conversion(base, lift, alpha, power)
        st.markdown(f"**{n_arm:,} users per arm** ({n_arm * len(exp.variants):,} in all) — about "
                    f"**{days_needed(n_arm, len(exp.variants), daily)} days** at {daily:,} users a day.")
        st.caption(f"With the {exp.variants[control].n:,} users per arm of this test, the smallest detectable lift "
                   f"was {mde_conversion(base, exp.variants[control].n, alpha, power):+.0%}.")
    except DataError as exc:
        show_error(exc)
report = report_dict(exp, control, comps, rois, srm, alpha, adjust, margin)
figs = [charts.fig_rates(summary, intervals), charts.fig_lift_forest(table)]
c = st.columns(2)
c[0].download_button("Download report (HTML)", lambda: report_html(f"A/B test report: {name}", exp, control, comps,
                     rois, srm, figs, currency, alpha), "ab_report.html", "text/html", key="dl_ab_html",
                     icon=":material/description:")
with c[1]:
    downloads(None, "ab_report", "dl_ab", json_obj=report)
