"""Cached core calls about customer value: non-product lines, revenue split, lifecycle checks."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pandas as pd

from promo_core.nonproduct import detect_nonproduct, revenue_split
from promo_core.quality import Dataset

from . import state


@state.cached(max_entries=8)
def nonproduct_candidates(key: str, _ds: Dataset) -> pd.DataFrame:
    return detect_nonproduct(_ds.events, _ds.returns)


@state.cached(max_entries=16)
def revenue(key: str, _ds: Dataset, codes: tuple[str, ...]) -> pd.DataFrame:
    return revenue_split(_ds.events, _ds.returns, codes)


def set_nonproduct(ds: Dataset, codes: tuple[str, ...]) -> None:
    """Make ``codes`` the non-product list of the dataset in use (a new dataset key, so every
    cached profile, rule and recommendation is recomputed without them)."""
    codes = tuple(sorted(set(codes)))
    base = state.dataset_key().split("|np:")[0].split(state.PRIVATE_MARK)[0]
    tag = hashlib.blake2b("\x1f".join(codes).encode(), digest_size=6).hexdigest()
    state.set_dataset(replace(ds, nonproduct=codes), f"{base}|np:{tag}")


@state.cached(max_entries=8)
def rfm_check(key: str, _ds: Dataset) -> pd.DataFrame:
    from promo_core.segments import rfm_agreement

    from .analysis import profiles
    return rfm_agreement(profiles(key, _ds)).rename(columns={
        "dimension": "score", "agreement_pct": "same as textbook quintiles (%)",
        "users_per_score": "customers per score 1-5", "textbook_users_per_score": "textbook: customers per score"})


@state.cached(max_entries=8)
def lifecycle_suggestion(key: str, _ds: Dataset):
    from promo_core.segments import suggest_lifecycle
    return suggest_lifecycle(_ds.events)


@state.cached(max_entries=16)
def _lifecycle_check(key: str, _ds: Dataset, rules: tuple[int, ...], horizon: int) -> pd.DataFrame:
    from promo_core.segments import LifecycleRules, lifecycle_backtest
    return lifecycle_backtest(_ds.events, LifecycleRules(*rules), horizon)


def lifecycle_check(key: str, ds: Dataset, rules, horizon: int) -> pd.DataFrame:
    """The lifecycle back-test for these rules (cached by their values)."""
    return _lifecycle_check(key, ds, tuple(rules.__dict__.values()), horizon)
