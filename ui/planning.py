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
