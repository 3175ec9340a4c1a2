"""Cached A/B computations for the A/B tests page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from promo_core.abtest import compare_all, load_experiment
from promo_core.io import read_table
from promo_core.roi import compute_roi

from .state import CACHE_TTL, MAX_UPLOAD_BYTES, ROOT

SAMPLE_EXPERIMENT = ROOT / "sample_data" / "experiment.csv"


@st.cache_data(show_spinner=False, max_entries=8, ttl=CACHE_TTL)
def read_experiment(data: bytes | None, name: str) -> pd.DataFrame:
    """The experiment file as a frame (the bundled one when ``data`` is None)."""
    raw = read_table(Path(SAMPLE_EXPERIMENT) if data is None else data, name, max_bytes=MAX_UPLOAD_BYTES)
    return raw.frame


@st.cache_data(show_spinner=False, max_entries=16, ttl=CACHE_TTL)
def analyse(frame: pd.DataFrame, roles: tuple, control: str, alpha: float, adjust: str, margin: float,
            cost_per_user: float, cap: float | None, segment_map: pd.DataFrame | None):
    """Experiment, comparisons and ROI for one set of choices."""
    roles = dict(roles)
    segments = tuple(roles.pop("segments", ()))
    frame = frame.copy()
    if segment_map is not None and "user_id" in frame:
        frame["PromoScope segment"] = frame["user_id"].astype(str).map(
            segment_map.set_index("user_id")["segment"]).fillna("(not in the dataset)")
        segments = (*segments, "PromoScope segment")
    exp = load_experiment(frame, segments=segments, cost_per_user=cost_per_user, cap_percentile=cap,
                          control=control, **roles)
    comparisons = compare_all(exp, control, alpha, adjust)
    rois = [compute_roi(exp, c, margin, alpha) for c in comparisons]
    return exp, comparisons, rois
