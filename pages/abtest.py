"""A/B tests: significance, intervals, Bayesian view, segments, variance reduction, ROI, planning."""

import pandas as pd
import streamlit as st

from promo_core import charts
from promo_core.abtest import (
    ADJUSTMENTS,
    ALTERNATIVES,
    by_segment,
    cuped,
    days_needed,
    format_p,
    guess_columns,
    is_aggregated,
    mde_conversion,
    rate_interval,
    sample_size_conversion,
)
from promo_core.report import report_html
from promo_core.roi import verdict
from promo_core.schema import DataError
from promo_core.sequential import SequentialResult
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
inferred = None if aggregated else experiment.infer(frame)
if inferred is not None:
    guess |= {k: v for k, v in {"variant": inferred.arm, "converted": inferred.outcome, "revenue": inferred.revenue,
                                "user": inferred.user, "time": inferred.time}.items() if v}
st.caption(md(inferred.describe() if inferred is not None else "Aggregated file: one row per variant")
           + " — change them under **Columns** below.")
with st.expander("Columns" + (" (aggregated file: one row per variant)" if aggregated else ""), icon=":material/view_column:"):
    c = st.columns(4)
    arm_default = guess.get("variant") or cols[1]
    roles = {"variant": c[0].selectbox("Arms (variant)", cols[1:], index=cols[1:].index(arm_default),
                                       key=f"ab_var_{name}")}
    if not aggregated:
        for i, role in enumerate(("converted", "revenue", "cost", "discount", "pre", "user", "time")):
            label = {"pre": "Pre-period metric (for variance reduction)", "converted": "Outcome (yes/no)",
                     "user": "User id (integrity checks)", "time": "Exposure time (effect by day)"}.get(role, role.capitalize())
            roles[role] = c[(i + 1) % 4].selectbox(label, cols, index=cols.index(guess.get(role) or ""), key=f"ab_{role}_{name}")
        roles["segments"] = tuple(st.multiselect("Segment columns", cols[1:], key=f"ab_segs_{name}",
                                                 default=[x for x in ("region",) if x in cols]))
        roles["guardrails"] = tuple(st.multiselect("Guardrail metrics (e.g. returns, unsubscribes)", cols[1:],
                                                   key=f"ab_guard_{name}"))
arm_chosen = inferred is None or roles["variant"] != inferred.arm or inferred.arm_by_name
arms = experiment.arm_values(frame, roles["variant"])
if not 2 <= len(arms) <= 20:
    st.error(f"{md(roles['variant'])} has {len(arms):,} different values; the arm column of an experiment has 2 to 20. "
             "Choose the arm column under Columns.", icon=":material/error:")
    st.stop()
control_guess = experiment.control_guess(tuple(arms))
c = st.columns(6)
control = c[0].selectbox("Control", arms, index=arms.index(control_guess) if control_guess in arms else None,
                         key="ab_control", placeholder="Choose the control arm")
level = c[1].selectbox("Confidence", [0.90, 0.95, 0.99], index=1, key="ab_level", format_func=lambda x: f"{x:.0%}")
adjust = c[2].selectbox("Several treatments", list(ADJUSTMENTS), format_func=ADJUSTMENTS.get, key="ab_adjust")
margin = c[3].slider("Gross margin (%)", 5, 90, 40, key="ab_margin", persist_state="session",
                     help="Share of the full price that is profit before promotion costs") / 100
contact = c[4].number_input(f"Contact cost per treated user ({currency})", 0.0, 100.0, 0.15, 0.05, key="ab_contact",
                            help="Used when the file has no cost column")
cap = c[5].selectbox("Cap revenue at", [None, 99.0, 99.9], key="ab_cap",
                     format_func=lambda x: "no cap" if x is None else f"{x:g}th percentile")
c = st.columns(4)
alternative = c[0].selectbox("Hypothesis", list(ALTERNATIVES), format_func=ALTERNATIVES.get, key="ab_alternative")
clean = c[1].toggle("Remove conflicting rows", key="ab_clean", help="Drop rows that disagree with the assignment "
                    "and keep each user's first exposure")
sequential = c[2].toggle("Sequential (valid at every look)", key="ab_sequential")
tuning = c[3].number_input("Sequential tuning (users)", 100, 10_000_000, 5000, 100, key="ab_tuning",
                           help="Total users (both arms) at which the always-valid interval is tightest")
if control is None:
    st.info(f"No arm of {md(roles['variant'])} is named like a control: choose the control arm above.",
            icon=":material/help:")
    st.stop()
with st.expander("Planned split (for the sample ratio check)", icon=":material/balance:"):
    shares = {v: st.number_input(f"Planned share: {v}", 0.01, 100.0, 1.0, key=f"ab_share_{v}") for v in arms}
seg_map = analysis.segmentation_or_none(state.dataset()) if "user_id" in frame.columns else None
alpha = round(1 - level, 4)
try:
    with st.spinner("Testing…"):
        run = experiment.analyse(frame, tuple(sorted(roles.items())), control, alpha, adjust, margin, contact, cap,
                                 seg_map, clean=clean, sequential=sequential, tuning=float(tuning),
                                 alternative=alternative, split=tuple(sorted(shares.items())),
                                 margin_default=margin == 0.4, contact_default=contact == 0.15)
except DataError as exc:
    show_error(exc, "The experiment cannot be analysed with these settings.")
    st.stop()
exp, comps, rois, srm, control = run.exp, run.comparisons, run.rois, run.srm, run.control
experiment.integrity_panel(run.integrity, clean)
for note in exp.notes + run.notes:
    st.caption(md(note))
if srm.mismatch:
    msg = (f"Sample ratio mismatch (chi-square {format_p(srm.p_value)}) in {md(roles['variant'])}: the arms did not get "
           "their planned share of users, so randomisation may be broken and every result below may be biased.")
    if arm_chosen:
        st.error(msg + " Find the cause first.", icon=":material/block:")
        if not st.checkbox("I understand; show the results anyway", key="ab_srm_ack"):
            st.stop()
    else:
        st.warning(msg + " This column was guessed: if it is not the arm column, change it under Columns.",
                   icon=":material/warning:")
else:
    st.caption(f"Sample ratio check passed ({format_p(srm.p_value)} against the planned split).")

st.subheader("Verdict")
seq_by = (run.sequential or {}).get("by_treatment", {})
for cmp, roi in zip(comps, rois, strict=True):
    seq = SequentialResult(**seq_by[cmp.treatment]["relative"]) if cmp.treatment in seq_by else None
    st.info(md(verdict(cmp, roi, currency, alpha, seq)), icon=":material/gavel:")
    for note in cmp.notes + roi.notes:
        st.caption(md(note))
experiment.horizon_note(exp, control, sequential)
summary = exp.summary().sort_values("variant", key=lambda s: s != control, kind="stable")
intervals = {v.name: rate_interval(v, alpha) for v in exp.variants.values()}
table = experiment.comparison_table(comps)
t_over, t_seq, t_metrics, t_rev, t_bayes, t_roi, t_seg, t_cuped, t_plan = st.tabs(
    ["Outcome", "Sequential", "Metrics", "Revenue", "Bayesian view", "ROI", "Segments", "Variance reduction", "Planning"])
with t_over:
    left, right = st.columns(2)
    left.plotly_chart(charts.fig_rates(summary, intervals), key="ab_rates")
    right.plotly_chart(charts.fig_lift_forest(table), key="ab_forest")
    st.dataframe(table.drop(columns=["chance_to_beat", "expected_loss"]).round(5), hide_index=True, width="stretch")
    st.caption("Adjusted intervals are at the level that matches the adjusted p (Bonferroni's for the smallest p, "
               "the Holm or Benjamini-Hochberg step for the others), so the verdict's interval and p agree.")
    st.dataframe(summary.round(4), hide_index=True, width="stretch")
with t_seq:
    experiment.sequential_tab(run)
with t_metrics:
    experiment.metrics_tab(run)
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
        mde = mde_conversion(base, exp.variants[control].n, alpha, power)
        st.caption(f"With the {exp.variants[control].n:,} users per arm of this test, the smallest detectable lift "
                   + ("was beyond a rate of 100% (no rise was detectable)." if mde == float("inf") else f"was {mde:+.0%}."))
    except DataError as exc:
        show_error(exc)
report = run.report(currency)
figs = [charts.fig_rates(summary, intervals), charts.fig_lift_forest(table)]
c = st.columns(2)
c[0].download_button("Download report (HTML)", lambda: report_html(f"A/B test report: {name}", exp, control, comps,
                     rois, srm, figs, currency, alpha, run.integrity.lines() if run.integrity else [], run.sequential),
                     "ab_report.html", "text/html", key="dl_ab_html",
                     icon=":material/description:")
with c[1]:
    downloads(None, "ab_report", "dl_ab", json_obj=report)
