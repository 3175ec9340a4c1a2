"""Cached core calls for the analysis pages, split at the expensive boundaries.

Each function is keyed by the dataset key plus its own arguments; the dataset itself is passed
unhashed (``_ds``). A display option never reaches these functions, so it never re-clusters.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from promo_core.features import customer_profiles
from promo_core.i18n import N_
from promo_core.propensity import Propensity, fit_propensity
from promo_core.quality import Dataset
from promo_core.schema import DataError, tr
from promo_core.segments import (
    Clustering,
    LifecycleRules,
    cluster,
    lifecycle,
    rfm,
    rules_from_json,
)

from . import state

SEGMENTATIONS = {"clusters": N_("Clusters (Segments page)"), "rfm": N_("RFM value groups"),
                 "lifecycle": N_("Lifecycle stages")}


@state.cached(max_entries=8)
def profiles(key: str, _ds: Dataset) -> pd.DataFrame:
    if _ds.in_engine:  # the same profiles, computed in the engine (promo_core.engines.relational)
        return _ds.profiles()
    return customer_profiles(_ds)  # net of returns, non-product lines left out of sales


@state.cached(max_entries=32)
def clustering(key: str, _ds: Dataset, features: tuple[str, ...], k: int | str, method: str, use_log: bool,
               seed: int) -> Clustering:
    return cluster(profiles(key, _ds), list(features), k=k, method=method, use_log=use_log, seed=seed)


@state.cached(max_entries=16)
def rfm_scores(key: str, _ds: Dataset, rules_json: str) -> pd.DataFrame:
    return rfm(profiles(key, _ds), rules_from_json(rules_json))


@state.cached(max_entries=16)
def _lifecycle(key: str, _ds: Dataset, rules: tuple[int, ...]) -> pd.DataFrame:
    if _ds.in_engine:
        from promo_core.engines.relational import lifecycle as in_engine
        return _ds.run(in_engine, LifecycleRules(*rules))
    return lifecycle(_ds.events, LifecycleRules(*rules))


def lifecycle_stages(key: str, ds: Dataset, rules: LifecycleRules) -> pd.DataFrame:
    return _lifecycle(key, ds, tuple(rules.__dict__.values()))


@state.cached(max_entries=16)
def propensity(key: str, _ds: Dataset, model: str, horizon: int) -> Propensity:
    # an engine source trains on per-user tables computed in the engine, never on its event rows
    return fit_propensity(_ds.event_history() if _ds.in_engine else _ds.events, model, horizon)


# ---- the choices a user made, kept in session state so every page uses the same ones

def cluster_args() -> dict:
    return st.session_state.get("cluster_args", {})


def rfm_rules_json() -> str:
    return st.session_state.get("rfm_rules_json", "")


def lifecycle_rules() -> LifecycleRules:
    return st.session_state.get("lifecycle_rules", LifecycleRules())


def segment_names(c: Clustering, args_key: str, translate: bool = True) -> dict[int, str]:
    """The segments' names: the user's own name, else the generated one in the reader's language
    (``translate=False``: in English, the stable key that plan files and target lists carry; show it
    with :func:`promo_core.schema.tr`)."""
    renames = st.session_state.get("segment_renames", {}).get(args_key, {})
    return {k: renames.get(k) or (tr(v) if translate else str(v)) for k, v in c.names.items()}


@state.cached(max_entries=8)
def varying_features(key: str, _ds: Dataset) -> list[str]:
    """The numeric profile features that differ between users (a constant one cannot tell users apart,
    so it is not offered as a default)."""
    from promo_core.features import numeric_features
    p = profiles(key, _ds)
    return [f for f in numeric_features(p) if p[f].nunique(dropna=True) > 1]


def args_key(args: dict) -> str:
    return json.dumps(args, sort_keys=True, default=str)


def current_clustering(ds: Dataset, translate: bool = False) -> tuple[Clustering, dict[int, str]] | None:
    args = cluster_args()
    if not args:
        return None
    c = clustering(state.dataset_key(), ds, **args)
    return c, segment_names(c, args_key(args), translate)


def segment_label(ds: Dataset, name: str) -> str:
    """A segment key (the English name plan files and target lists carry) in the reader's language: a
    generated cluster name through its message, an RFM group or lifecycle stage through the catalog, a name
    the user typed unchanged."""
    cur = current_clustering(ds, translate=False)
    if cur is not None:
        generated = {str(v): v for v in cur[0].names.values()}
        if name in generated:
            return tr(generated[name])
    return tr(name)


def segmentation(ds: Dataset) -> pd.DataFrame:
    """user_id and segment (a readable name) under the segmentation chosen on the Segments page.

    Defaults to clusters with the default settings when nothing was chosen yet.
    """
    choice = st.session_state.get("segmentation_choice", "clusters")
    key = state.dataset_key()
    if choice == "rfm":
        s = rfm_scores(key, ds, rfm_rules_json())
        return s[["user_id"]].assign(segment=s["rfm_segment"])
    if choice == "lifecycle":
        s = lifecycle_stages(key, ds, lifecycle_rules())
        return s.rename(columns={"lifecycle": "segment"})
    found = current_clustering(ds)
    if found is None:
        from promo_core.segments import DEFAULT_FEATURES
        p = profiles(key, ds)
        st.session_state["cluster_args"] = {"features": tuple(f for f in DEFAULT_FEATURES if f in p.columns),
                                            "k": "auto", "method": "kmeans", "use_log": True, "seed": 0}
        found = current_clustering(ds)
    c, names = found
    return pd.DataFrame({"user_id": profiles(key, ds)["user_id"], "segment": [names[int(i)] for i in c.labels]})


def segmentation_or_none(ds: Dataset) -> pd.DataFrame | None:
    """:func:`segmentation`, or None when the data cannot be segmented (no times, e.g. a basket
    file): for pages that use segments as an extra, not as their subject."""
    try:
        return segmentation(ds)
    except DataError:
        return None


def user_table(ds: Dataset) -> pd.DataFrame:
    """Every user with profile, cluster, RFM group, lifecycle stage and propensity (the export)."""
    from promo_core.segments import user_table as build
    key = state.dataset_key()
    found = current_clustering(ds)
    prop_model, horizon = st.session_state.get("propensity_args", ("logistic", 30))
    scores = None
    # an engine dataset's propensity model takes two passes over every row in the engine: only once the Value page
    # fitted it (the Segments page's first render stays fast)
    if not ds.in_engine or "propensity_args" in st.session_state:
        try:
            scores = propensity(key, ds, prop_model, horizon).scores
        except DataError:  # too short a history: export without scores
            scores = None
    c, names = found if found else (None, None)
    return build(profiles(key, ds), c, names, rfm_scores(key, ds, rfm_rules_json()),
                 lifecycle_stages(key, ds, lifecycle_rules()), scores)


# ---- basket rules and recommendations

@state.cached(max_entries=16, resource=True)
def baskets(key: str, _ds: Dataset, by: str, level: str, max_basket_size: int | None, segment: str | None = None):
    """Baskets, kept as one shared object (not copied per rerun) so the pyfim input built on first
    use is reused by every later mining run; nothing modifies them."""
    from promo_core.rules import make_baskets
    users = None
    if segment is not None:
        seg = segmentation(_ds)
        users = set(seg.loc[seg["segment"] == segment, "user_id"])
    if _ds.in_engine:  # the distinct basket lines are formed in the engine; the same baskets (tests/test_engines.py)
        from promo_core.engines.relational import basket_lines
        lines = _ds.run(basket_lines, by, level, _ds.nonproduct)
        return make_baskets(lines, by=by, level=level, max_basket_size=max_basket_size, users=users)
    from promo_core.nonproduct import product_lines  # postage, fees etc. are not basket items (issue 12)
    return make_baskets(product_lines(_ds.events, _ds.nonproduct), by=by, level=level, max_basket_size=max_basket_size, users=users)


@state.cached(max_entries=16)
def itemsets(key: str, _ds: Dataset, by: str, level: str, max_basket_size: int | None, min_support: float,
             max_len: int | None, algorithm: str, segment: str | None = None) -> pd.DataFrame:
    """Mining: the expensive step. Confidence and lift filters never reach this function."""
    from promo_core.rules import mine_itemsets
    b = baskets(key, _ds, by, level, max_basket_size, segment)
    return mine_itemsets(b, min_support, max_len, algorithm)


@state.cached(max_entries=32)
def rule_set(key: str, _ds: Dataset, mining: tuple, min_confidence: float, min_lift: float,
             single_consequent: bool, test: str):
    """Rules from cached itemsets. ``mining`` = (by, level, max_basket_size, min_support, max_len,
    algorithm, segment), the arguments of :func:`itemsets`."""
    from promo_core.rules import make_rules
    by, level, size, _support, _max_len, _algo, segment = mining
    b = baskets(key, _ds, by, level, size, segment)
    return make_rules(itemsets(key, _ds, *mining), b.n, min_confidence, min_lift, single_consequent, test)


@state.cached(max_entries=8)
def recommender(key: str, _ds: Dataset):
    from promo_core.recommend import fit_model
    if _ds.in_engine:   # one row per purchase line from the engine, not every event
        return fit_model(None, pairs=_ds.purchase_pairs())
    return fit_model(_ds.events, _ds.nonproduct)


@state.cached(max_entries=8)
def hold_out_check(key: str, _ds: Dataset, n: int):
    from promo_core.recommend import hold_out
    if _ds.in_engine:
        return hold_out(None, n, pairs=_ds.purchase_pairs())
    return hold_out(_ds.events, n, _ds.nonproduct)


@state.cached(max_entries=16)
def promotion_hooks(key: str, _ds: Dataset, mining: tuple, min_confidence: float, min_lift: float,
                    single_consequent: bool, test: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bundle suggestions and cross-sell offers for the current rules; also handed to the planner."""
    from promo_core.rules import cross_sell, item_prices, suggest_bundles
    by, level, size, _support, _max_len, _algo, segment = mining
    b = baskets(key, _ds, by, level, size, segment)
    result = rule_set(key, _ds, mining, min_confidence, min_lift, single_consequent, test)
    sets = itemsets(key, _ds, *mining)
    if _ds.in_engine:
        from promo_core.engines.relational import item_prices as engine_prices
        prices = _ds.run(engine_prices, b.labels)
    else:
        prices = item_prices(_ds.events, b.labels)
    return suggest_bundles(sets, result.rules, prices, b.n), cross_sell(result.rules, b)


def offer_candidates(ds: Dataset) -> dict[str, pd.DataFrame]:
    """Bundles and cross-sell offers from the rules as last set on the Basket rules page
    (defaults when the page was not opened)."""
    args = st.session_state.get("rules_args")
    if args is None:
        args = (("order", "item", None, 0.01, None, "pyfim", None), 0.2, 1.0, True, "fisher")
    bundles, offers = promotion_hooks(state.dataset_key(), ds, *args)
    return {"bundles": bundles, "cross_sell": offers}
