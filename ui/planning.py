"""Cached inputs of the planner and uplift pages: segments, baselines, A/B evidence, uplift."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from promo_core.abtest import load_experiment
from promo_core.promotions import Assumptions, Offer, baseline_windows, baselines, evidence, segmenter
from promo_core.quality import Dataset
from promo_core.schema import DataError
from promo_core.uplift import uplift_targeting

from . import analysis, experiment, state


def segmentation_key() -> str:
    return json.dumps({"choice": st.session_state.get("segmentation_choice", "clusters"),
                       "clusters": analysis.cluster_args(), "rfm": analysis.rfm_rules_json(),
                       "lifecycle": analysis.lifecycle_rules().__dict__,
                       "renames": st.session_state.get("segment_renames", {})}, sort_keys=True, default=str)


def experiment_users(ds: Dataset) -> tuple[pd.DataFrame, str] | None:
    """User rows of the experiment on the A/B page (the bundled one by default) when its user ids are
    customers of the dataset in use; with the control's name."""
    data, name = st.session_state.get("ab_file", (None, "sample_data/experiment.csv"))
    if st.session_state.get("ab_source", "sample") == "sample":
        data, name = None, "sample_data/experiment.csv"
    frame = experiment.read_experiment(data, name)
    if "user_id" not in frame:
        return None
    control = st.session_state.get("ab_control", "control")
    try:
        exp = load_experiment(frame, control=control)
    except DataError:  # an experiment the planner cannot use is simply not evidence
        return None
    if exp.users is None:
        return None
    users = exp.users.assign(user_id=frame["user_id"].astype(str).to_numpy())
    known = set(ds.events["user_id"].astype(str).unique())
    if users["user_id"].isin(known).mean() < 0.5:
        return None
    return users, control


def _segmenter(ds: Dataset):
    """Re-labels customers at an earlier date under the chosen rule-based segmentation (None for clusters)."""
    from promo_core.segments import rules_from_json
    choice = st.session_state.get("segmentation_choice", "clusters")
    return segmenter(choice, ds.events, returns=ds.returns, nonproduct=ds.nonproduct,
                     rfm_rules=rules_from_json(analysis.rfm_rules_json()), lifecycle_rules=analysis.lifecycle_rules())


def baseline_options() -> tuple[int, bool]:
    """(earlier windows, same period last year) as set on the planner page."""
    return int(st.session_state.get("pl_windows", 4)), bool(st.session_state.get("pl_sply", False))


@state.cached(max_entries=8)
def windows(key: str, seg_key: str, _ds: Dataset, _segments: pd.DataFrame, horizon: int, n: int,
            sply: bool) -> pd.DataFrame:
    """Purchase rates per segment in the earlier windows (the seasonality chart)."""
    return baseline_windows(_ds.events, _segments, horizon, n, _segmenter(_ds), sply, _ds.nonproduct)


@state.cached(max_entries=8)
def inputs(key: str, seg_key: str, _ds: Dataset, _segments: pd.DataFrame, horizon: int, margin: float,
           n_windows: int = 4, sply: bool = False):
    """Baselines per segment and the A/B evidence (None without a matching experiment)."""
    found = experiment_users(_ds)
    control_rows = None
    ev = None
    if found is not None:
        users, control = found
        control_rows = users[users["variant"].str.casefold() == control.casefold()][["user_id", "converted"]]
        ev = evidence(users, _segments, next(v for v in users["variant"].unique() if v.casefold() == control.casefold()),
                      margin)
    return baselines(_ds.events, _segments, horizon, control_rows, windows=n_windows, segment_at=_segmenter(_ds),
                     same_period_last_year=sply, nonproduct=_ds.nonproduct), ev


def plan() -> list[Offer]:
    return [Offer(**o) for o in st.session_state.get("plan", [])]


def set_plan(offers: list[Offer]) -> None:
    from dataclasses import asdict
    st.session_state["plan"] = [asdict(o) for o in offers]
    st.session_state["plan_version"] = st.session_state.get("plan_version", 0) + 1


def assumptions() -> Assumptions:
    return st.session_state.get("assumptions", Assumptions())


@state.cached(max_entries=8)
def uplift(key: str, _ds: Dataset, treatment: str, control: str, learner: str, margin: float, contact: float):
    found = experiment_users(_ds)
    if found is None:
        return None
    users, _ = found
    prop = analysis.propensity(key, _ds, *st.session_state.get("propensity_args", ("logistic", 30))).scores
    return uplift_targeting(analysis.profiles(key, _ds), users, treatment, control, learner, margin, contact, prop)


def assumptions_editor(a: Assumptions) -> None:
    """The sidebar's assumption sliders and table; a change is stored and the page reruns."""
    from dataclasses import replace
    with st.sidebar.expander("Assumptions", icon=":material/tune:"):
        margin = st.slider("Gross margin (%)", 5, 90, int(100 * a.margin), key="pl_margin") / 100
        horizon = st.slider("Campaign length (days)", 7, 60, a.horizon_days, key="pl_horizon")
        unc = st.slider("Uncertainty of assumed lifts (±%)", 0, 100, int(100 * a.uncertainty), key="pl_unc") / 100
        st.caption("Elasticity: conversion lift per unit of order value given away (2 = 10% off lifts conversion by "
                   "20%). Redemption: share of orders using the offer.")
        el = st.data_editor(pd.DataFrame({"elasticity": a.elasticity, "redemption": a.redemption}), key="pl_el")
        st.slider("Baseline: earlier windows to average", 1, 12, 4, key="pl_windows", persist_state="session",
                  help="Windows of the campaign's length before the last one (which defines recency-based segments)")
        st.toggle("Baseline: same period last year", value=False, key="pl_sply", persist_state="session",
                  help="Use the campaign's dates one year earlier instead, when the data reaches back that far")
        new_a = replace(a, margin=margin, horizon_days=horizon, uncertainty=unc, elasticity=el["elasticity"].to_dict(),
                        redemption=el["redemption"].to_dict())
        if new_a != a:
            st.session_state["assumptions"] = new_a
            st.rerun()


def baselines_panel(key: str, ds: Dataset, segments: pd.DataFrame, base: dict, n_windows: int, sply: bool) -> None:
    """How each segment's baseline was measured, with the purchase rate per earlier window."""
    from promo_core import charts

    from .widgets import md
    with st.expander("Baselines: what each segment does without a promotion", icon=":material/history:"):
        st.caption(md("Measured in windows of the campaign's length before the last one (the last days define recency, "
                      "so Champions all bought there and Lost customers never did). Under RFM and lifecycle segments, "
                      "customers are re-labelled as the rules would have labelled them at each window's start; under "
                      "clusters, today's members who were already customers are followed. Rates are (buyers + ½) ÷ "
                      "(customers + 1), so no segment gets exactly zero. Source per segment: "
                      + "; ".join(f"{s}: {b.basis} ({b.customers_observed:,} customer-windows)" for s, b in base.items())))
        win = windows(key, segmentation_key(), ds, segments, assumptions().horizon_days,
                               n_windows, sply)
        if len(win):
            st.plotly_chart(charts.fig_baseline_windows(win), key="pl_windows_fig")


def optimiser_section(base: dict, ev: dict, names: list[str], currency: str) -> None:
    """Budget, caps and minimum margin; runs the MILP optimiser and offers to apply its plan."""
    from promo_core.promotions import optimise

    from .widgets import md, show_error
    st.subheader("Budget optimiser")
    c = st.columns(4)
    budget = c[0].number_input(f"Budget ({currency})", value=5000.0, step=500.0, key="pl_budget")
    min_margin = c[1].slider("Minimum margin after discount (%)", 0, 60, 0, key="pl_minmargin") / 100
    tested = c[2].toggle("Only offers the A/B test measured", value=bool(ev), key="pl_tested", disabled=not ev)
    caps_table = st.data_editor(pd.DataFrame({"segment": names, "cap": [None] * len(names)}), hide_index=True,
                                key="pl_caps", column_config={"segment": st.column_config.TextColumn(disabled=True),
                                                              "cap": st.column_config.NumberColumn(
                                                                  f"most to spend on it ({currency}; blank: no cap)",
                                                                  min_value=0.0)})
    caps = {r.segment: float(r.cap) for r in caps_table.itertuples() if pd.notna(r.cap)}
    if c[3].button("Run optimiser", type="primary", key="pl_opt"):
        try:
            st.session_state["optimised"] = optimise(base, assumptions(), budget, ev, caps=caps,
                                                     min_margin=min_margin, only_tested=tested and bool(ev))
        except DataError as exc:
            show_error(exc, "The optimiser did not run; the plan is unchanged.")
    opt = st.session_state.get("optimised")
    if opt is not None:
        st.caption(md(f"Best plan found: expected profit {currency}{opt.expected_profit:,.0f} for {currency}{opt.cost:,.0f} of cost. "
                      "The runner-up is the best other offer for the segment that is not more profitable than the choice; "
                      "a more profitable offer the budget rules out is listed separately."))
        st.dataframe(opt.reasons.round(2), hide_index=True, width="stretch")
        if st.button("Apply this plan", key="pl_apply"):
            set_plan(opt.plan)
            st.rerun()


def files_section(offers: list[Offer], segments: pd.DataFrame, fc: pd.DataFrame, total: pd.Series, names: list[str],
                  dataset_id: dict, currency: str) -> None:
    """Save and load the plan (JSON), and the target list and campaign brief (built only when clicked)."""
    from dataclasses import asdict

    from promo_core.export import to_csv_bytes, to_excel_bytes
    from promo_core.promotions import plan_from_json, plan_to_json, target_list
    from promo_core.report import campaign_brief_html

    from .widgets import show_error
    st.subheader("Save, load and export")
    c = st.columns(4)
    c[0].download_button("Save plan (JSON)", plan_to_json(offers, assumptions(), dataset_id,
                         st.session_state.get("segmentation_choice", "clusters")), "promotion_plan.json", "application/json",
                         key="pl_save", icon=":material/save:")
    loaded = c[1].file_uploader("Load a plan", type=["json"], key="pl_load", label_visibility="collapsed")
    if loaded is not None and st.session_state.get("pl_loaded") != loaded.file_id:
        st.session_state["pl_loaded"] = loaded.file_id
        try:
            new_plan, new_a = plan_from_json(loaded.getvalue(), dataset_id, names)
            set_plan(new_plan)
            st.session_state["assumptions"] = new_a
            st.rerun()
        except DataError as exc:
            show_error(exc, "The plan was not loaded; the current plan is kept.")
    up = st.session_state.get("uplift_scores")

    def targets():  # built only when a download is clicked, never on a slider move
        return target_list(offers, segments, fc, up)

    c[2].download_button(f"Target list ({int(total['targeted']):,} users, CSV)", lambda: to_csv_bytes(targets()),
                         "target_list.csv", "text/csv", key="pl_targets", icon=":material/download:")
    c[3].download_button("Campaign brief (HTML)", lambda: campaign_brief_html("Campaign brief", fc, asdict(
                         assumptions()), currency), "campaign_brief.html", "text/html", key="pl_brief",
                         icon=":material/description:")
    st.download_button("Target list (Excel)", lambda: to_excel_bytes(targets()), "target_list.xlsx", key="pl_targets_xlsx")
