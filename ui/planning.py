"""Cached inputs of the planner and uplift pages: segments, baselines, A/B evidence, uplift."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from promo_core.abtest import load_experiment
from promo_core.i18n import _, fmt_int, fmt_money
from promo_core.offers import MECHANICS, parse_tiers, tiers_text
from promo_core.promotions import (
    DEPTH,
    OFFER_TYPES,
    SOURCE_LABELS,
    WHY,
    Assumptions,
    Baseline,
    Offer,
    assumption_label,
    assumption_ranges,
    baseline_windows,
    baselines,
    basis_label,
    depth_unit,
    evidence,
    offer_type_name,
    segmenter,
)
from promo_core.promotions import history as history_of
from promo_core.quality import Dataset
from promo_core.schema import DataError
from promo_core.uplift import uplift_targeting

from . import analysis, experiment, state
from .tables import show


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
    ids = ds.profiles()["user_id"] if ds.in_engine else ds.events["user_id"]   # every user (the engine's per-user table)
    known = set(ids.astype(str).unique())
    if users["user_id"].isin(known).mean() < 0.5:
        return None
    return users, control


def _segmenter(ds: Dataset):
    """Re-labels customers at an earlier date under the chosen rule-based segmentation (None for clusters)."""
    from promo_core.segments import rules_from_json
    choice = st.session_state.get("segmentation_choice", "clusters")
    rfm_rules, lifecycle_rules = rules_from_json(analysis.rfm_rules_json()), analysis.lifecycle_rules()
    if ds.in_engine:   # the profiles at each earlier date are computed in the engine
        return ds.segmenter(choice, rfm_rules, lifecycle_rules)
    return segmenter(choice, ds.events, returns=ds.returns, nonproduct=ds.nonproduct, rfm_rules=rfm_rules,
                     lifecycle_rules=lifecycle_rules)


def history(ds: Dataset):
    """What the baselines read: the engine's orders table for an engine source (no event rows in memory)."""
    return ds.history() if ds.in_engine else history_of(ds.events, ds.nonproduct)


def baseline_options() -> tuple[int, bool]:
    """(earlier windows, same period last year) as set on the planner page."""
    return int(st.session_state.get("pl_windows", 4)), bool(st.session_state.get("pl_sply", False))


@state.cached(max_entries=8)
def windows(key: str, seg_key: str, _ds: Dataset, _segments: pd.DataFrame, horizon: int, n: int,
            sply: bool) -> pd.DataFrame:
    """Purchase rates per segment in the earlier windows (the seasonality chart)."""
    return baseline_windows(history(_ds), _segments, horizon, n, _segmenter(_ds), sply, _ds.nonproduct)


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
    return baselines(history(_ds), _segments, horizon, control_rows, windows=n_windows, segment_at=_segmenter(_ds),
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


def _share_slider(label: str, value: float, key: str, help: str) -> float:
    """A 0-100% slider for a share; an untouched slider keeps the exact value (e.g. 0.333 from a plan file)."""
    shown = int(round(100 * value))
    moved = st.slider(label, 0, 100, shown, key=key, help=help)
    return value if moved == shown else moved / 100


def assumptions_editor(a: Assumptions) -> None:
    """The sidebar's assumption sliders and table; a change is stored and the page reruns."""
    from dataclasses import replace
    no_effect = _("0 means no effect.")
    with st.sidebar.expander(_("Assumptions"), icon=":material/tune:"):
        margin = st.slider(_("Gross margin (%)"), 5, 90, int(100 * a.margin), key="pl_margin") / 100
        horizon = st.slider(_("Campaign length (days)"), 7, 60, a.horizon_days, key="pl_horizon")
        unc = st.slider(_("Uncertainty of assumed lifts (±%)"), 0, 100, int(100 * a.uncertainty), key="pl_unc") / 100
        st.caption(_("Elasticity: conversion lift per unit of order value given away (2 = 10% off lifts conversion "
                     "by 20%). Redemption: share of orders using the offer."))
        kinds = list(a.elasticity)
        table = pd.DataFrame({"offer": [offer_type_name(k) for k in kinds],
                              "elasticity": [a.elasticity[k] for k in kinds],
                              "redemption": [a.redemption.get(k, 1.0) for k in kinds]})
        el = st.data_editor(table, key="pl_el", hide_index=True, column_config={
            "offer": st.column_config.TextColumn(_("Offer"), disabled=True),
            "elasticity": st.column_config.NumberColumn(_("Elasticity"), min_value=0.0, max_value=50.0),
            "redemption": st.column_config.NumberColumn(_("Redemption"), min_value=0.0, max_value=1.0)})
        pull = _share_slider(_("Threshold top-up pull (%)"), a.threshold_pull, "pl_pull",
                             _("Share of orders just under a threshold (满减, 满赠, coupons) that top up to reach it.")
                             + " " + no_effect)
        take = _share_slider(_("Extra items bought, 第二件半价 (%)"), a.second_item_take, "pl_take",
                             _("Share of one-item orders that add a second item to get the discount.") + " "
                             + no_effect)
        redeemed = _share_slider(_("Points redeemed, 会员积分 (%)"), a.points_redeemed, "pl_redeemed",
                                 _("Share of member points ever redeemed; only that share costs the shop, later.")
                                 + " " + _("0 means no cost."))
        point_value = st.number_input(_("Value of a point"), 0.0, 100.0, float(a.point_value), 0.005, format="%.3f",
                                      key="pl_point_value", help=_("What one point is worth when redeemed."))
        completion = _share_slider(_("Deposits completed, 预售定金膨胀 (%)"), a.presale_completion, "pl_completion",
                                   _("Share of extra pre-sale deposits that complete; the others are forfeited and "
                                     "kept as revenue."))
        forward = _share_slider(_("Pulled-forward demand, 预售定金膨胀 (%)"), a.presale_pull_forward, "pl_forward",
                                _("Share of extra completed pre-sale orders that would have come later at full price "
                                  "anyway.") + " " + no_effect)
        st.slider(_("Baseline: earlier windows to average"), 1, 12, 4, key="pl_windows", persist_state="session",
                  help=_("Windows of the campaign's length before the last one (which defines recency-based "
                         "segments)"))
        st.toggle(_("Baseline: same period last year"), value=False, key="pl_sply", persist_state="session",
                  help=_("Use the campaign's dates one year earlier instead, when the data reaches back that far"))
        new_a = replace(a, margin=margin, horizon_days=horizon, uncertainty=unc,
                        elasticity=dict(zip(kinds, map(float, el["elasticity"]), strict=True)),
                        redemption=dict(zip(kinds, map(float, el["redemption"]), strict=True)),
                        threshold_pull=pull, second_item_take=take, points_redeemed=redeemed,
                        point_value=float(point_value), presale_completion=completion, presale_pull_forward=forward)
        if new_a != a:
            st.session_state["assumptions"] = new_a
            st.rerun()


def baselines_panel(key: str, ds: Dataset, segments: pd.DataFrame, base: dict, n_windows: int, sply: bool) -> None:
    """How each segment's baseline was measured, with the purchase rate per earlier window."""
    from promo_core import charts

    with st.expander(_("Baselines: what each segment does without a promotion"), icon=":material/history:"):
        st.caption(_("Measured in windows of the campaign's length before the last one (the last days define "
                     "recency, so Champions all bought there and Lost customers never did). Under RFM and lifecycle "
                     "segments, customers are re-labelled as the rules would have labelled them at each window's "
                     "start; under clusters, today's members who were already customers are followed. Rates are "
                     "(buyers + ½) ÷ (customers + 1), so no segment gets exactly zero."))
        rows = pd.DataFrame([{"segment": s, "basis": basis_label(b.basis), "windows": b.customers_observed,
                              "conversion": b.conversion, "aov": b.aov, "orders": len(b.order_values),
                              "items": float(b.order_items.mean()) if b.order_items is not None and len(b.order_items)
                              else float("nan")} for s, b in base.items()])
        show(rows, {"segment": (_("Segment"), "text"), "basis": (_("Measured from"), "text"),
                    "windows": (_("Customer-windows"), "int"), "conversion": (_("Bought without an offer"), "pct"),
                    "aov": (_("Average order (gross)"), "money2"), "orders": (_("Orders behind the order values"), "int"),
                    "items": (_("Items per order"), "num")}, currency_of_session(), key="pl_baselines_table")
        win = windows(key, segmentation_key(), ds, segments, assumptions().horizon_days,
                               n_windows, sply)
        if len(win):
            st.plotly_chart(charts.fig_baseline_windows(win), key="pl_windows_fig")


def optimiser_section(base: dict, ev: dict, names: list[str], currency: str) -> None:
    """Budget, caps and minimum margin; runs the MILP optimiser and offers to apply its plan."""
    from promo_core.promotions import optimise

    from .widgets import md, show_error
    st.subheader(_("Budget optimiser"))
    st.caption(_("Tries every offer type (the Chinese mechanics included) at a few settings and targeted shares for "
                 "each segment, and picks one per segment for the most expected profit within the budget."))
    c = st.columns(4)
    budget = c[0].number_input(_("Budget ({currency})").format(currency=currency), value=5000.0, step=500.0,
                               key="pl_budget")
    min_margin = c[1].slider(_("Minimum margin after discount (%)"), 0, 60, 0, key="pl_minmargin") / 100
    tested = c[2].toggle(_("Only offers the A/B test measured"), value=bool(ev), key="pl_tested", disabled=not ev)
    caps_table = st.data_editor(pd.DataFrame({"segment": names, "cap": pd.Series([float("nan")] * len(names),
                                                                                   dtype="float64")}), hide_index=True,
                                key="pl_caps", column_config={
                                    "segment": st.column_config.TextColumn(_("Segment"), disabled=True),
                                    "cap": st.column_config.NumberColumn(
                                        _("Most to spend on it ({currency}; blank: no cap)").format(currency=currency),
                                        min_value=0.0)})
    caps = {r.segment: float(r.cap) for r in caps_table.itertuples() if pd.notna(r.cap)}
    if c[3].button(_("Run optimiser"), type="primary", key="pl_opt"):
        try:
            st.session_state["optimised"] = optimise(base, assumptions(), budget, ev, caps=caps,
                                                     min_margin=min_margin, only_tested=tested and bool(ev),
                                                     currency=currency)
        except DataError as exc:
            show_error(exc, _("The optimiser did not run; the plan is unchanged."))
    opt = st.session_state.get("optimised")
    if opt is not None:
        st.caption(md(_("Best plan found: expected profit {profit} for {cost} of cost. The runner-up is the best other "
                        "offer for the segment that is not more profitable than the choice; a more profitable offer "
                        "the budget rules out is listed separately.").format(
                            profit=fmt_money(opt.expected_profit, currency), cost=fmt_money(opt.cost, currency))))
        why = {v: k for k, v in WHY.items()}
        shown = opt.reasons.assign(why=opt.reasons["why"].map(lambda w: _(WHY[why[w]]) if w in why else w))
        show(shown, {"segment": (_("Segment"), "text"), "chosen": (_("Chosen offer"), "text"),
                     "targeted_share": (_("Share targeted"), "pct"), "expected_profit": (_("Expected profit"), "money"),
                     "cost": (_("Cost"), "money"), "why": (_("Why"), "text"),
                     "runner_up": (_("Runner-up"), "text"), "runner_up_profit": (_("Runner-up profit"), "money"),
                     "better_but_over_budget": (_("Better but over budget"), "text"),
                     "better_but_over_budget_profit": (_("Its profit"), "money"),
                     "better_but_over_budget_cost": (_("Its cost"), "money")}, currency, key="pl_opt_table")
        if st.button(_("Apply this plan"), key="pl_apply"):
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
    st.subheader(_("Save, load and export"))
    st.caption(_("Exports keep machine column names and full precision, so other tools can read them."))
    c = st.columns(4)
    c[0].download_button(_("Save plan (JSON)"), plan_to_json(offers, assumptions(), dataset_id,
                         st.session_state.get("segmentation_choice", "clusters")), "promotion_plan.json", "application/json",
                         key="pl_save", icon=":material/save:")
    loaded = c[1].file_uploader(_("Load a plan"), type=["json"], key="pl_load", label_visibility="collapsed")
    if loaded is not None and st.session_state.get("pl_loaded") != loaded.file_id:
        st.session_state["pl_loaded"] = loaded.file_id
        try:
            new_plan, new_a = plan_from_json(loaded.getvalue(), dataset_id, names)
            set_plan(new_plan)
            st.session_state["assumptions"] = new_a
            st.rerun()
        except DataError as exc:
            show_error(exc, _("The plan was not loaded; the current plan is kept."))
    up = st.session_state.get("uplift_scores")

    def targets():  # built only when a download is clicked, never on a slider move
        return target_list(offers, segments, fc, up)

    c[2].download_button(_("Target list ({n} users, CSV)").format(n=fmt_int(total["targeted"])),
                         lambda: to_csv_bytes(targets()), "target_list.csv", "text/csv", key="pl_targets",
                         icon=":material/download:")
    c[3].download_button(_("Campaign brief (HTML)"), lambda: campaign_brief_html(_("Campaign brief"), fc, asdict(
                         assumptions()), currency, offers=offers), "campaign_brief.html", "text/html", key="pl_brief",
                         icon=":material/description:")
    st.download_button(_("Target list (Excel)"), lambda: to_excel_bytes(targets()), "target_list.xlsx",
                       key="pl_targets_xlsx")


# ---------------------------------------------------------------- the page's offer widgets and tables

def currency_of_session() -> str:
    return st.session_state.get("currency", "£")


def _depth_top(kind: str) -> float:
    unit, lo, hi = DEPTH[kind]
    if "%" in unit:
        return float(min(hi, 100.0))
    if kind in ("points", "member_points"):
        return 20.0
    return float(min(hi, 200.0))


def _defaults(kind: str, b: Baseline) -> dict:
    """Settings a newly chosen offer starts from, scaled to the segment's average order (a depth of 0 would show an
    offer that gives nothing and costs only its contacts)."""
    if kind in MECHANICS:
        grid = MECHANICS[kind].grid(Offer, b)
        return grid[-1] if kind == "tiered_discount" and grid else (grid[0] if grid else {})
    aov = b.aov if b.aov and b.aov > 0 else 50.0
    money = float(max(1.0, round(0.1 * aov)))    # a tenth of the average order, in whole units
    return {"percent_off": {"depth": 10.0}, "bundle": {"depth": 10.0}, "points": {"depth": 2.0},
            "fixed_coupon": {"depth": money},
            "threshold_coupon": {"depth": money, "threshold": float(max(5.0, 5 * round(1.2 * aov / 5)))},
            }.get(kind, {})


def offer_controls(o: Offer, seg: str, ver: int, b: Baseline, currency: str) -> Offer:
    """The widgets of one segment's offer: type, depth, threshold, share, contact cost, and each mechanic's own
    settings (tiers, gift cost, time window and stock, deposit). Returns the offer as set (not validated)."""
    c = st.columns(5)
    kind = c[0].selectbox(_("Offer"), list(OFFER_TYPES), index=list(OFFER_TYPES).index(o.offer_type),
                          format_func=offer_type_name, key=f"pl_type_{seg}_{ver}")
    start = o if kind == o.offer_type else Offer(seg, kind, target_share=o.target_share,
                                                 contact_cost=o.contact_cost, **_defaults(kind, b))
    unit, lo, _hi = DEPTH[kind]
    top = min(max(_depth_top(kind), start.depth), _hi) if unit else 1.0  # never clips a loaded plan's depth
    label = _("Depth ({unit})").format(unit=depth_unit(kind, currency)) if unit else _("Depth")
    step = 1.0 if "%" in unit or top >= 20 else 0.5   # whole percents (0.01 steps were the default)
    depth = c[1].slider(label, float(lo), top, float(min(max(start.depth, lo), top)), step,
                        key=f"pl_depth_{seg}_{kind}_{ver}", disabled=not unit)
    uses_threshold = kind in ("threshold_coupon", "gift_with_purchase")
    threshold = c[2].number_input(_("Threshold ({currency})").format(currency=currency), 0.0, 10_000_000.0,
                                  float(start.threshold or 80.0), 5.0, key=f"pl_thr_{seg}_{ver}",
                                  disabled=not uses_threshold)
    share = c[3].slider(_("Share of segment targeted (%)"), 0, 100, int(100 * o.target_share),
                        key=f"pl_share_{seg}_{ver}")
    contact = c[4].number_input(_("Contact cost per user ({currency})").format(currency=currency), 0.0,
                                max(50.0, float(o.contact_cost)),
                                float(o.contact_cost or 0.15), 0.05, key=f"pl_contact_{seg}_{ver}")
    extra: dict = {}
    if kind == "tiered_discount":
        text = st.text_input(_("Tiers: spend threshold:amount off, separated by commas ({currency})").format(
            currency=currency), tiers_text(start.tiers), key=f"pl_tiers_{seg}_{ver}",
            help=_("For example 200:20, 400:50, 800:120 (满200减20 / 满400减50 / 满800减120)."))
        extra["tiers"] = parse_tiers(text)
    elif kind == "flash_sale":
        f = st.columns(3)
        extra["window_start"] = float(f[0].slider(_("Daily window starts at (hour)"), 0, 23,
                                                  int(start.window_start), key=f"pl_wstart_{seg}_{ver}"))
        extra["window_hours"] = float(f[1].slider(_("Window length (hours; 24 = all day)"), 1, 24,
                                                  int(start.window_hours), key=f"pl_whours_{seg}_{ver}"))
        extra["stock"] = float(f[2].number_input(_("Stock at the flash price (units; 0 = no limit)"), 0, 1_000_000_000,
                                                 int(start.stock), 50, key=f"pl_stock_{seg}_{ver}"))
    elif kind == "deposit_presale":
        f = st.columns(2)
        extra["deposit"] = float(f[0].number_input(_("Deposit paid now ({currency})").format(currency=currency),
                                                   0.0, 10_000_000.0, float(start.deposit or 10.0), 1.0,
                                                   key=f"pl_deposit_{seg}_{ver}"))
        extra["deposit_value"] = float(f[1].number_input(
            _("Counts as at the final payment ({currency})").format(currency=currency), 0.0, 10_000_000.0,
            float(start.deposit_value or 20.0), 1.0, key=f"pl_deposit_value_{seg}_{ver}"))
    if kind in MECHANICS:
        mechanic_note(kind)
    return Offer(seg, kind, depth if unit else 0.0, threshold if uses_threshold else 0.0, share / 100, contact,
                 **extra)


def mechanic_note(kind: str) -> None:
    """The mechanic's economics in one sentence, and the method in an expander."""
    m = MECHANICS[kind]
    st.caption(_(m.sentence))
    with st.expander(_("How is this computed?"), icon=":material/calculate:"):
        st.markdown(_(m.method))


def forecast_view(fc: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The forecast with human text: the source and total row translated, the range as one phrase."""
    view = fc.copy()
    total = view["segment"] == "Total"
    view.loc[total, "segment"] = _("Total")
    view["source"] = [_(SOURCE_LABELS.get(x, x)) if x else "" for x in view["source"]]
    view["offer"] = view["offer"].fillna("")
    view["baseline_source"] = [basis_label(x) if x else "" for x in view["baseline_source"].fillna("")]
    view["range"] = [money_range(lo, hi, currency) for lo, hi in zip(view["profit_low"], view["profit_high"],
                                                                      strict=True)]
    return view


def forecast_table(fc: pd.DataFrame, currency: str) -> None:
    show(forecast_view(fc, currency), {
        "segment": (_("Segment"), "text"), "offer": (_("Offer"), "text"), "source": (_("Effect from"), "text"),
        "users": (_("Customers"), "int"), "targeted": (_("Contacted"), "int"),
        "baseline_conversion": (_("Buy without offer"), "pct"), "baseline_source": (_("Baseline from"), "text"),
        "expected_conversion": (_("Buy with offer"), "pct"),
        "incremental_orders": (_("Extra orders"), "num"), "incremental_profit": (_("Expected profit"), "money"),
        "range": (_("Profit range"), "text"), "value_given": (_("Value given"), "money"),
        "cannibalised": (_("…on orders that happen anyway"), "money"), "contact_cost": (_("Contact costs"), "money"),
        "deferred_cost": (_("Paid later (points)"), "money"),
        "forfeited_deposits": (_("Forfeited deposits kept"), "money"),
        "roi": (_("Return per {currency}1 spent").format(currency=currency), "num")},
        currency, key="pl_forecast_table")


def money_range(low: float, high: float, currency: str) -> str:
    """'-£853 to £1,200'."""
    return _("{low} to {high}").format(low=fmt_money(low, currency), high=fmt_money(high, currency))


def reading(total: pd.Series, horizon: int, currency: str) -> str:
    """The plain reading of the plan's forecast and its range."""
    text = _("Reading: this plan is expected to add {profit} of profit over {days} days. The range runs from {low} "
             "(if none of the assumed effects happen: only the discounts on orders that would happen anyway and the "
             "contact costs remain) to {high} (assumed effects at the top of their ranges).").format(
        profit=fmt_money(total["incremental_profit"], currency), days=horizon,
        low=fmt_money(total["profit_low"], currency), high=fmt_money(total["profit_high"], currency))
    if total.get("deferred_cost", 0) > 0:
        text += " " + _("{amount} of the value given is member points, paid later when they are redeemed.").format(
            amount=fmt_money(total["deferred_cost"], currency))
    if total.get("forfeited_deposits", 0) > 0:
        text += " " + _("{amount} of forfeited pre-sale deposits is counted as revenue.").format(
            amount=fmt_money(total["forfeited_deposits"], currency))
    return text


def assumptions_table(a: Assumptions) -> None:
    r = assumption_ranges(a)
    r = r.assign(assumption=[assumption_label(k) for k in r["key"]], meaning=[_(m) for m in r["meaning"]])
    show(r, {"assumption": (_("Assumption"), "text"), "value": (_("Value used"), "num"),
             "low": (_("Range from"), "num"), "high": (_("Range to"), "num"), "no_effect": (_("No effect at"), "num"),
             "meaning": (_("What it means"), "text")}, key="pl_assumptions_table")


def offers_editor(offers: list[Offer], ver: int) -> list[Offer] | None:
    """Every segment's offer in an editable table (tiers typed as text); the edited plan, or None if unchanged."""
    from dataclasses import asdict
    table = pd.DataFrame([asdict(x) | {"tiers": tiers_text(x.tiers)} for x in offers])
    cfg = {"segment": st.column_config.TextColumn(_("Segment"), disabled=True),
           "offer_type": st.column_config.SelectboxColumn(_("Offer type"), options=list(OFFER_TYPES), required=True),
           "depth": st.column_config.NumberColumn(_("Depth")),
           "threshold": st.column_config.NumberColumn(_("Threshold")),
           "target_share": st.column_config.NumberColumn(_("Share targeted (0-1)"), min_value=0.0, max_value=1.0,
                                                         step=0.05),
           "contact_cost": st.column_config.NumberColumn(_("Contact cost per user")),
           "tiers": st.column_config.TextColumn(_("Tiers (threshold:off, …)")),
           "window_start": st.column_config.NumberColumn(_("Window start (hour)")),
           "window_hours": st.column_config.NumberColumn(_("Window hours")),
           "stock": st.column_config.NumberColumn(_("Stock (units)")),
           "deposit": st.column_config.NumberColumn(_("Deposit")),
           "deposit_value": st.column_config.NumberColumn(_("Deposit counts as"))}
    new = st.data_editor(table, hide_index=True, column_config=cfg, key=f"pl_table_{ver}")
    if new.equals(table):
        return None
    rows = new.to_dict(orient="records")
    return [Offer(**(r | {"tiers": parse_tiers(r["tiers"]) if str(r.get("tiers") or "").strip() else ()})).validate()
            for r in rows]


def candidates_tables(cands: dict, currency: str) -> None:
    show(cands["bundles"], {"bundle": (_("Bundle"), "text"), "baskets": (_("Baskets with all of it"), "int"),
                            "best_confidence": (_("Bought together (confidence)"), "pct"), "lift": (_("Lift"), "num"),
                            "combined_price": (_("Combined price"), "money2"),
                            "suggested_discount_pct": (_("Suggested discount"), "pct_points"),
                            "bundle_price": (_("Bundle price"), "money2")}, currency, key="pl_bundles")
    show(cands["cross_sell"], {"if_bought": (_("Customers who bought"), "text"), "offer": (_("Offer them"), "text"),
                               "confidence": (_("Also bought it (confidence)"), "pct"), "lift": (_("Lift"), "num"),
                               "buyers_of_x": (_("Buyers"), "int"),
                               "targetable_users": (_("Buyers who never bought it"), "int")}, currency,
         key="pl_cross_sell")


# ---- issue 16: the last campaign readout is evidence too. `inputs` above stays the cached call; the
# name is re-bound to add the readout's measured lifts per call (the readout lives in this session only,
# so it must stay outside the shared cache). Measured readout lifts replace the A/B file's for the same
# segment and offer: they are the later measurement.
_inputs_without_readout = inputs


def inputs(*args, **kwargs):  # noqa: F811
    """:func:`_inputs_without_readout` plus the campaign readout chosen on the Campaign readout page."""
    from .holdout import readout_evidence_for
    base, ev = _inputs_without_readout(*args, **kwargs)
    extra = readout_evidence_for(base, assumptions().margin)
    return (base, {**(ev or {}), **extra}) if extra else (base, ev)
