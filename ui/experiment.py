"""Cached A/B computations and the A/B page's tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from promo_core.experiment_io import infer_columns
from promo_core.experiment_run import run_experiment
from promo_core.io import read_table

from .state import CACHE_TTL, MAX_UPLOAD_BYTES, ROOT

SAMPLE_EXPERIMENT = ROOT / "sample_data" / "experiment.csv"


@st.cache_data(show_spinner=False, max_entries=8, ttl=CACHE_TTL)
def read_experiment(data: bytes | None, name: str) -> pd.DataFrame:
    """The experiment file as a frame (the bundled one when ``data`` is None)."""
    raw = read_table(Path(SAMPLE_EXPERIMENT) if data is None else data, name, max_bytes=MAX_UPLOAD_BYTES)
    return raw.frame


@st.cache_data(show_spinner=False, max_entries=8, ttl=CACHE_TTL)
def infer(frame: pd.DataFrame):
    """What the file's columns probably mean (arms, control, outcome, revenue, user, time)."""
    return infer_columns(frame)


@st.cache_data(show_spinner=False, max_entries=16, ttl=CACHE_TTL)
def analyse(frame: pd.DataFrame, roles: tuple, control: str, alpha: float, adjust: str, margin: float,
            cost_per_user: float, cap: float | None, segment_map: pd.DataFrame | None, *, clean: bool = False,
            sequential: bool = False, tuning: float = 5000.0, alternative: str = "two-sided",
            split: tuple | None = None, margin_default: bool = False, contact_default: bool = False):
    """One analysis (:func:`promo_core.experiment_run.run_experiment`) for one set of choices."""
    roles = dict(roles)
    segments = tuple(roles.pop("segments", ()))
    guardrails = tuple(roles.pop("guardrails", ()))
    frame = frame.copy()
    if segment_map is not None and "user_id" in frame:
        frame["PromoScope segment"] = frame["user_id"].astype(str).map(
            segment_map.set_index("user_id")["segment"]).fillna("(not in the dataset)")
        segments = (*segments, "PromoScope segment")
    return run_experiment(frame, segments=segments, guardrails=guardrails, control=control, clean=clean,
                          sequential=sequential, tuning=tuning, split=dict(split) if split else None, cap=cap,
                          alternative=alternative, alpha=alpha, adjust=adjust,
                          margin=None if margin_default else margin, cost_per_user=cost_per_user,
                          contact_is_default=contact_default, **roles)


def comparison_table(comps) -> pd.DataFrame:
    """One row per treatment: rates, differences with raw and adjusted intervals, p-values."""
    return pd.DataFrame([{
        "treatment": x.treatment, "rate_control": x.rate_control, "rate_treatment": x.rate_treatment,
        "abs_diff": x.abs_diff, "abs_ci_low": x.abs_ci.low, "abs_ci_high": x.abs_ci.high, "rel_lift": x.rel_lift,
        "low": x.rel_ci.low, "high": x.rel_ci.high, "p_value": x.p_value, "p_adjusted": x.p_adjusted,
        "adjusted_low": x.rel_ci_adjusted.low if x.rel_ci_adjusted else None,
        "adjusted_high": x.rel_ci_adjusted.high if x.rel_ci_adjusted else None,
        "adjusted_level": x.confidence_adjusted, "chance_to_beat": x.chance_to_beat,
        "expected_loss": x.expected_loss} for x in comps])


def sequential_table(run) -> pd.DataFrame:
    rows = []
    for t, by in (run.sequential or {}).get("by_treatment", {}).items():
        for diff, r in by.items():
            rows.append({"treatment": t, "difference": diff, "estimate": r["estimate"],
                         "always-valid low": r["ci_low"], "always-valid high": r["ci_high"],
                         "sequential p": r["p_value"], "fixed low": r["fixed_ci_low"],
                         "fixed high": r["fixed_ci_high"], "fixed p": r["fixed_p_value"]})
    return pd.DataFrame(rows)


def arm_values(frame: pd.DataFrame, column: str) -> list[str]:
    """The arms of ``column`` as shown (trimmed), the guessed control first."""
    values = frame[column].dropna().astype(str).str.strip()
    return sorted(values[values != ""].unique(), key=str.casefold)


def control_guess(arms: tuple) -> str | None:
    from promo_core.experiment_io import guess_control
    return guess_control(arms)


def integrity_panel(integ, clean: bool) -> None:
    """The integrity counts, shown before any statistic."""
    if integ is None:
        return
    lines = integ.lines()
    if not lines:
        st.caption(f"Assignment checks passed on {integ.rows:,} rows: no repeated users, no user in two arms, "
                   "no conflicting rows, no missing values.")
        return
    from ui.widgets import md
    body = "\n".join(f"- {md(x)}" for x in lines)
    if clean:
        st.warning(f"**Assignment data cleaned**: {integ.removed_rows:,} of {integ.rows:,} rows removed "
                   f"(conflicting rows, then each user's first exposure kept).\n\n{body}", icon=":material/cleaning_services:")
    else:
        st.warning(f"**The assignment data has problems; every row is analysed.** Switch on *Remove conflicting "
                   f"rows* to analyse the cleaned data.\n\n{body}", icon=":material/rule:")


def horizon_note(exp, control: str, sequential: bool) -> None:
    """A plain warning on the fixed-horizon view until the planned sample size is reached."""
    if sequential:
        st.caption("Sequential (always-valid) intervals: you may look at this test as often as you like.")
        return
    smallest = min(v.n for v in exp.variants.values())
    planned = st.number_input("Planned users per arm (for the fixed-horizon warning)", 0, 100_000_000, 0, 100,
                              key="ab_planned_n", help="From the Planning tab; 0 = not planned")
    if planned and smallest < planned:
        st.warning(f"The smallest arm has {smallest:,} users, short of the planned {planned:,}. A fixed-horizon "
                   "p-value is valid only once, at the planned size: checking early and stopping when it looks "
                   "significant raises false alarms (ten looks: about 20% instead of 5%). Wait, or switch on "
                   "Sequential.", icon=":material/schedule:")
    elif not planned:
        st.caption("These fixed-horizon p-values are valid once, at the planned sample size. If the test is still "
                   "running and you are checking it, switch on Sequential.")


def sequential_tab(run) -> None:
    from promo_core import charts
    if not run.sequential:
        st.info("Switch on *Sequential* above for intervals and p-values that stay valid however often you look.")
        return
    st.dataframe(sequential_table(run).round(5), hide_index=True, width="stretch")
    st.caption(f"Always-valid: {run.sequential['method']}; tuning {run.sequential['tuning']:,.0f} users; "
               f"adjustment across treatments: {run.sequential['adjustment']}. The sequential interval is wider "
               "than the fixed one: that is the price of looking at any time.")
    for t, ot in run.over_time.items():
        if len(ot):
            st.plotly_chart(charts.fig_effect_over_time(ot, t), key=f"ab_ot_{t}")
    if not run.over_time:
        st.caption("Choose an exposure-time column to see the effect day by day.")


def metrics_tab(run) -> None:
    if run.metrics is None or run.metrics.empty:
        st.info("Several metrics need user-level results.")
        return
    m = run.metrics
    fams = m.groupby("role")["family_size"].max().to_dict()
    st.dataframe(m.drop(columns=["reading"]).round(5), hide_index=True, width="stretch")
    for line in m["reading"]:
        st.caption(line)
    st.caption(f"Multiplicity: the primary metric is adjusted across {fams.get('primary', 0)} comparison(s); the "
               f"guardrails form a second family of {fams.get('guardrail', 0)} (treatments × guardrails), adjusted "
               f"with {run.adjust}. Ratio metrics use the delta method; guardrails with a margin are one-sided "
               "non-inferiority tests.")


def srm_notice(srm, variant_col: str, arm_chosen: bool) -> None:
    """The sample-ratio check: blocks (until acknowledged) when the user chose or named the arm column, a
    warning beside the results when the column was only guessed."""
    from promo_core.abtest import format_p

    from .widgets import md
    if not srm.mismatch:
        st.caption(f"Sample ratio check passed ({format_p(srm.p_value)} against the planned split).")
        return
    msg = (f"Sample ratio mismatch (chi-square {format_p(srm.p_value)}) in {md(variant_col)}: the arms did not get "
           "their planned share of users, so randomisation may be broken and every result below may be biased.")
    if not arm_chosen:
        st.warning(msg + " This column was guessed: if it is not the arm column, change it under Columns.",
                   icon=":material/warning:")
        return
    st.error(msg + " Find the cause first.", icon=":material/block:")
    if not st.checkbox("I understand; show the results anyway", key="ab_srm_ack"):
        st.stop()


def revenue_tab(exp, comps) -> None:
    from promo_core.report import revenue_frame
    if not exp.has_revenue:
        st.info("Choose a revenue column to compare revenue per user.")
        return
    st.dataframe(revenue_frame(comps).round(4), hide_index=True, width="stretch")
    st.caption("The bootstrap interval (2,000 resamples) checks the Welch interval when a few big spenders "
               "dominate; if they disagree, cap revenue above.")


def bayes_tab(table: pd.DataFrame) -> None:
    st.dataframe(table[["treatment", "chance_to_beat", "expected_loss"]].round(5), hide_index=True, width="stretch")
    st.caption("Chance to beat control: the probability, with flat Beta(1, 1) priors, that the treatment's true "
               "conversion rate is higher. It is not 1 − p. Expected loss: conversion given up on average if the "
               "treatment is in fact worse.")


def roi_tab(rois, currency: str) -> None:
    from promo_core import charts
    st.dataframe(pd.DataFrame([r.to_dict() for r in rois]).drop(columns=["notes"]), hide_index=True, width="stretch")
    for r in rois:
        if r.incremental_profit is not None:
            st.plotly_chart(charts.fig_profit_waterfall(r, currency), key=f"wf_{r.treatment}")


def segments_tab(exp, control: str, alpha: float) -> None:
    from promo_core import charts
    from promo_core.abtest import by_segment
    users = exp.users.columns if exp.users is not None else []
    seg_cols = [c.removeprefix("segment:") for c in users if c.startswith("segment:")]
    if not seg_cols:
        st.info("Choose a segment column (or load user-level results whose user ids match the dataset).")
        return
    seg = by_segment(exp, control, st.selectbox("Break down by", seg_cols, key="ab_segcol"), alpha)
    st.warning("Segment results are exploratory: with many segments some differences appear by chance. "
               "Confirm a segment finding with its own test before acting on it.", icon=":material/science:")
    for t in seg["treatment"].unique():
        d = seg[seg["treatment"] == t].rename(columns={"ci_low": "low", "ci_high": "high"})
        st.plotly_chart(charts.fig_lift_forest(d, "segment", "abs_diff", title=f"{t}: conversion change by segment "
                                               "(percentage points)"), key=f"seg_{t}")
    st.dataframe(seg.round(4), hide_index=True, width="stretch")


def cuped_tab(exp, control: str, alpha: float) -> None:
    from promo_core.abtest import cuped
    from promo_core.report import cuped_frame
    if not exp.has_pre or not exp.has_revenue:
        st.info("Choose a revenue column and a pre-period metric to reduce variance (CUPED).")
        return
    cu = cuped(exp, control, alpha)
    st.metric("Variance removed", f"{100 * cu.variance_saved:.0f}%", help=f"θ = {cu.theta:.4f}")
    st.dataframe(cuped_frame(cu), hide_index=True, width="stretch")


def planning_tab(exp, control: str, alpha: float) -> None:
    from promo_core.abtest import days_needed, mde_conversion, sample_size_conversion
    from promo_core.report import sample_size_reading
    from promo_core.schema import DataError

    from .widgets import show_error
    c = st.columns(4)
    base = c[0].number_input("Baseline conversion (%)", 0.1, 99.0, round(100 * exp.variants[control].rate, 2) or 5.0) / 100
    lift = c[1].number_input("Lift to detect (%)", 1.0, 500.0, 10.0) / 100
    power = c[2].selectbox("Power", [0.8, 0.9], format_func=lambda x: f"{x:.0%}")
    daily = c[3].number_input("Users entering the test per day", 1, 10_000_000, 1000)
    try:
        n_arm = sample_size_conversion(base, lift, alpha, power)
        n_control = exp.variants[control].n
        st.markdown(sample_size_reading(n_arm, len(exp.variants), days_needed(n_arm, len(exp.variants), daily), daily,
                                        n_control, mde_conversion(base, n_control, alpha, power)))
    except DataError as exc:
        show_error(exc)


def mark_set(flag: str):
    """An on_change callback that records the user set a widget (so its value is no longer 'the default')."""
    return lambda: st.session_state.__setitem__(flag, True)


def column_roles(frame: pd.DataFrame, name: str, guess: dict, aggregated: bool) -> dict:
    """The Columns expander: which column plays which role (pre-filled with the inferred guess)."""
    cols = ["", *map(str, frame.columns)]
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
    return roles
