"""Cached core calls about customer value: non-product lines, revenue split, lifecycle checks."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from promo_core.i18n import _
from promo_core.nonproduct import (
    KIND_LABELS,
    classify_items,
    detect_nonproduct,
    revenue_from_items,
    revenue_split,
)
from promo_core.quality import Dataset

from . import state


@state.cached(max_entries=8)
def nonproduct_candidates(key: str, _ds: Dataset) -> pd.DataFrame:
    if _ds.in_engine:  # the per-item table computed in the engine; the same evidence rules
        return classify_items(_ds.item_table())
    return detect_nonproduct(_ds.events, _ds.returns)


@state.cached(max_entries=16)
def revenue(key: str, _ds: Dataset, codes: tuple[str, ...]) -> pd.DataFrame:
    if _ds.in_engine:
        return revenue_from_items(_ds.item_table(), codes, *_ds.totals())
    return revenue_split(_ds.events, _ds.returns, codes)


def set_nonproduct(ds: Dataset, codes: tuple[str, ...]) -> None:
    """Make ``codes`` the non-product list of the dataset in use (a new dataset key, so every
    cached profile, rule and recommendation is recomputed without them)."""
    codes = tuple(sorted(set(codes)))
    base = state.dataset_key().split("|np:")[0].split(state.PRIVATE_MARK)[0]
    tag = hashlib.blake2b("\x1f".join(codes).encode(), digest_size=6).hexdigest()
    state.set_dataset(ds.with_nonproduct(codes), f"{base}|np:{tag}")


@state.cached(max_entries=8)
def rfm_check(key: str, _ds: Dataset) -> pd.DataFrame:
    from promo_core.segments import rfm_agreement

    from .analysis import profiles
    return rfm_agreement(profiles(key, _ds))


@state.cached(max_entries=8)
def lifecycle_suggestion(key: str, _ds: Dataset):
    from promo_core.segments import gaps_of_orders, suggest_lifecycle
    if _ds.in_engine:   # one row per order from the engine, never the event rows
        from promo_core.engines.relational import order_times
        return suggest_lifecycle(None, gaps=gaps_of_orders(_ds.run(order_times)))
    return suggest_lifecycle(_ds.events)


@state.cached(max_entries=16)
def _lifecycle_check(key: str, _ds: Dataset, rules: tuple[int, ...], horizon: int) -> pd.DataFrame:
    from promo_core.segments import LifecycleRules, lifecycle_backtest
    return lifecycle_backtest(_ds.event_history() if _ds.in_engine else _ds.events, LifecycleRules(*rules), horizon)


def lifecycle_check(key: str, ds: Dataset, rules, horizon: int) -> pd.DataFrame:
    """The lifecycle back-test for these rules (cached by their values)."""
    return _lifecycle_check(key, ds, tuple(rules.__dict__.values()), horizon)


def nonproduct_columns(currency: str) -> dict:
    """Column config of the non-product editor: human labels, money with the currency."""
    return {"leave_out": st.column_config.CheckboxColumn(_("Leave out")),
            "item_id": st.column_config.TextColumn(_("Item id")),
            "item_name": st.column_config.TextColumn(_("Item name")),
            "kind": st.column_config.TextColumn(_("Kind")),
            "evidence": st.column_config.TextColumn(_("Evidence")),
            "lines": st.column_config.NumberColumn(_("Lines"), format="localized"),
            "customers": st.column_config.NumberColumn(_("Customers"), format="localized"),
            "sales": st.column_config.NumberColumn(_("Sales ({currency})").format(currency=currency), format="localized"),
            "returned": st.column_config.NumberColumn(_("Returned ({currency})").format(currency=currency),
                                                      format="localized")}


def nonproduct_shown(found: pd.DataFrame) -> pd.DataFrame:
    """The candidates with their kind in words, in the reader's language (the ids and names are data)."""
    return found.assign(kind=[_(KIND_LABELS[k]) if k in KIND_LABELS else k for k in found["kind"]])


def revenue_lines(split: pd.DataFrame) -> list[str]:
    """The ``line`` labels of :func:`promo_core.nonproduct.revenue_split` in the reader's language."""
    prefix = "Non-product: "
    return [_("Non-product: {item}").format(item=x.removeprefix(prefix)) if x.startswith(prefix) else _(x)
            for x in split["line"]]
