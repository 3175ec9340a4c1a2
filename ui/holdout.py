"""The campaign loop on the planner page: a holdout group in the target list, and the last readout as evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from promo_core import charts
from promo_core.campaigns import (
    DEFAULT_SEED,
    DEFAULT_SHARE,
    MIN_GROUP,
    CampaignReadout,
    campaign_targets,
    holdout_summary,
    plan_counts,
    readout_evidence,
)
from promo_core.i18n import _, fmt_int, fmt_money, fmt_pct, fmt_pp
from promo_core.schema import DataError

from . import state, tables
from .widgets import md, show_error

READOUT_KEY = "campaign_readout"      # the readout the planner uses as evidence (CampaignReadout.to_dict())
TARGETS_KEY = "campaign_targets"      # (csv bytes, file name, dataset key, dataset name): the last target list sent
#                                       to the readout page, and the data it was drawn from


def readout() -> CampaignReadout | None:
    """The campaign readout chosen as evidence for the next plan, if any."""
    data = st.session_state.get(READOUT_KEY)
    if not data:
        return None
    try:
        return CampaignReadout.from_dict(data)
    except DataError:
        return None


def readout_evidence_for(base: dict, margin: float) -> dict:
    """The chosen readout's measured segments as A/B evidence, for the segments the plan has."""
    r = readout()
    if r is None:
        return {}
    return {k: v for k, v in readout_evidence(r, margin).items() if k[0] in base}


def use_readout(r: CampaignReadout) -> None:
    st.session_state[READOUT_KEY] = r.to_dict()


def _calibration_note(fc: pd.DataFrame, base: dict, margin: float) -> None:
    r = readout()
    if r is None:
        return
    used = sorted({k[0] for k in readout_evidence_for(base, margin)})
    if used:
        st.info(_("Calibrated from campaign readout {name}: the lifts measured there replace the assumptions for "
                  "{segments} (the forecast's source says “A/B test” where the offer is the same, “A/B-calibrated "
                  "elasticity” where only its depth changed).").format(name=md(r.name),
                                                                     segments=md(", ".join(used))),
                icon=":material/history:")
    else:
        st.caption(_("Campaign readout {name} is loaded, but none of its segments with enough customers is in this "
                     "segmentation, so it does not change this plan.").format(name=md(r.name)))
    if st.button(_("Stop using readout {name}").format(name=r.name), key="ho_forget"):
        st.session_state.pop(READOUT_KEY, None)
        st.rerun()


@dataclass(frozen=True)
class Draw:
    """The current plan's target list with its holdout, drawn on demand (a download, "Send", or "Save this
    campaign", which stores the assignment of the plan on screen, never one drawn for an earlier plan)."""

    targets: Callable[[], pd.DataFrame]
    treated: int
    held_out: int
    seed: int
    share: float


def section(offers, segments: pd.DataFrame, fc: pd.DataFrame, base: dict, margin: float,
            currency: str) -> Draw | None:
    """Holdout share and seed, what the holdout can measure and costs, and the target list with it; returns the
    :class:`Draw` of the current plan (None when no segment gets an offer)."""
    from promo_core.export import to_csv_bytes, to_excel_bytes
    from promo_core.promotions import target_list

    st.subheader(_("Campaign holdout and readout"))
    _calibration_note(fc, base, margin)
    st.caption(_("Hold out a random share of every segment's targets: they get no offer, and after the campaign "
                 "they show what the treated customers would have done anyway. Without them the campaign cannot be "
                 "measured."))
    c = st.columns([2, 1, 3])
    share = c[0].slider(_("Holdout share of each segment (%)"), 0, 50, int(100 * DEFAULT_SHARE), key="ho_share",
                        persist_state="session",
                        help=_("Exactly this share of each segment's targeted customers, rounded, is held out")) / 100
    seed = int(c[1].number_input(_("Seed"), 0, 2**31 - 1, DEFAULT_SEED, 1, key="ho_seed",
                                 help=_("The same seed and the same customers give the same file")))
    counts = plan_counts(fc)
    if counts.empty:
        st.info(_("No segment gets an offer in this plan, so there is no target list to hold customers out of."))
        return None
    summary = holdout_summary(counts, share)
    total = summary.iloc[-1]
    small = summary[(summary["segment"] != "Total") & summary["too_small"]]
    m = st.columns(3)
    m[0].metric(_("Customers held out"), fmt_int(total["held_out"]),
                help=_("{treated} treated; seed {seed}").format(treated=fmt_int(total["treated"]), seed=seed))
    cost = float(total["holdout_cost"])
    # a positive cost is profit given up; a negative one (the offer is forecast to lose money) is a loss avoided
    m[1].metric(_("Profit given up by holding out") if cost >= 0 else _("Loss avoided by holding out"),
                fmt_money(abs(cost), currency),
                help=_("Forecast incremental profit per treated customer × customers held out"))
    m[2].metric(_("Smallest detectable lift, all segments"), fmt_pp(total["min_detectable_lift"])
                if not total["too_small"] else _("none"),
                help=_("At 80% power and 5% significance (two-sided), from the pooled baseline"))
    reading = (_("Reading: with {share} held out, the campaign as a whole can show a conversion lift of {mde} or "
                 "more; holding them out gives up {cost} of the forecast profit.") if cost >= 0 else
               _("Reading: with {share} held out, the campaign as a whole can show a conversion lift of {mde} or "
                 "more; the offer is forecast to lose money, so holding them out avoids {cost} of the loss."))
    st.caption(reading.format(share=fmt_pct(share, 0), mde=_("nothing measurable") if total["too_small"] else fmt_pp(
        total["min_detectable_lift"]), cost=fmt_money(abs(cost), currency)))
    if len(small):
        st.warning(_("Too small to measure anything: {segments} (fewer than {n} customers held out, or no "
                     "detectable lift). Raise the holdout share or read these segments together.").format(
            segments=md(", ".join(small["segment"])), n=MIN_GROUP), icon=":material/warning:")
    shown = summary.assign(
        min_detectable_lift=summary["min_detectable_lift"].where(summary["min_detectable_lift"] < float("inf")),
        detects_forecast=summary["detects_forecast"].map({True: _("yes"), False: _("no")}),
        too_small=summary["too_small"].map({True: _("yes"), False: _("no")}))
    tables.show(shown, {
        "segment": (_("Segment"), "text"), "treated": (_("Treated"), "int"), "held_out": (_("Held out"), "int"),
        "baseline_conversion": (_("Baseline conversion"), "pct"), "forecast_lift": (_("Forecast lift"), "pp"),
        "min_detectable_lift": (_("Smallest detectable lift"), "pp"), "detects_forecast": (_("Can see the forecast"),
                                                                                           "text"),
        "too_small": (_("Too small"), "text"), "holdout_cost": (_("Cost of holding out"), "money")},
        currency, key="ho_table", helps={"min_detectable_lift": _("80% power, 5% two-sided, at the segment's baseline"),
                                         "holdout_cost": _("Forecast profit per treated customer × held out")})
    st.plotly_chart(charts.fig_holdout_mde(summary), key="ho_fig")
    with st.expander(_("How is this computed?"), icon=":material/functions:"):
        st.markdown(_("In every segment exactly round(share × targeted customers) are held out (halves rounded up). "
                      "Which ones is decided by a keyed hash of the seed and the customer id, so the same seed and "
                      "customers always give the same groups, whatever the order of the rows. The smallest "
                      "detectable lift is the rise in conversion that a two-sided test at 5% finds 80% of the time "
                      "with these group sizes at the segment's baseline (statsmodels NormalIndPower with Cohen's h). "
                      "A segment with fewer than {n} customers held out, or where not even 100% conversion would be "
                      "detectable, is too small to measure anything. The cost of holding out is the forecast "
                      "incremental profit per treated customer times the customers held out; it is negative when the "
                      "offer is forecast to lose money.").format(n=MIN_GROUP))
    up = st.session_state.get("uplift_scores")

    def targets() -> pd.DataFrame:  # built when a download is clicked or the campaign saved, never on a slider move
        return campaign_targets(target_list(offers, segments, fc, up, seed=seed), fc, offers, share, seed)

    d = st.columns(3)
    d[0].download_button(_("Target list with holdout (CSV)"), lambda: to_csv_bytes(targets()),
                         "target_list_holdout.csv", "text/csv", key="ho_csv", icon=":material/download:")
    d[1].download_button(_("Target list with holdout (Excel)"), lambda: to_excel_bytes(targets()),
                         "target_list_holdout.xlsx", key="ho_xlsx", icon=":material/download:")
    if d[2].button(_("Send to Campaign readout"), key="ho_send", icon=":material/send:",
                   help=_("Keep this target list in the session, to measure the campaign on the Campaign readout "
                          "page")):
        try:
            ds = state.dataset()
            st.session_state[TARGETS_KEY] = (to_csv_bytes(targets(), bom=False), "target_list_holdout.csv",
                                             state.dataset_key(), ds.name)
            st.success(_("The target list is ready on the Campaign readout page."), icon=":material/check:")
        except DataError as exc:
            show_error(exc, _("The target list was not built."))
    return Draw(targets, int(total["treated"]), int(total["held_out"]), seed, share)


# ---- the Campaign readout page's cached calls

@st.cache_data(show_spinner=False, max_entries=8, ttl="30m")
def read_file(data: bytes, name: str) -> pd.DataFrame:
    """A small table (target list, outcomes file) as read by the app's reader, size-capped."""
    from promo_core.io import read_table

    from .state import MAX_UPLOAD_BYTES
    return read_table(data, name, max_bytes=MAX_UPLOAD_BYTES).frame


@state.cached(max_entries=8)
def _measure(key: str, _targets: pd.DataFrame, _outcomes: pd.DataFrame, notes: tuple, source: str, name: str,
             margin: float, alpha: float, adjust: str, period: tuple | None, locale: str) -> CampaignReadout:
    from promo_core.campaigns import campaign_readout
    from promo_core.i18n import locale_context
    with locale_context(locale):
        return campaign_readout(_targets, _outcomes, name=name, source=source, margin=margin, alpha=alpha,
                                adjust=adjust, period=period, notes=notes)


def measure(key: str, targets: pd.DataFrame, outcomes: pd.DataFrame, notes: tuple, source: str, name: str,
            margin: float, alpha: float, adjust: str, period: tuple | None) -> CampaignReadout:
    """The readout, cached by ``key`` (the inputs' content keys, or the dataset's key and the period) and the
    settings; the language is part of the key because the notes are translated."""
    from promo_core.i18n import current_locale
    return _measure(key, targets, outcomes, notes, source, name, margin, alpha, adjust, period, current_locale())
