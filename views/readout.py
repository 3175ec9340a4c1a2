"""Campaign readout: treatment against holdout per segment, beside the forecast; the result feeds the next plan."""

import pandas as pd
import streamlit as st

from promo_core import charts
from promo_core.campaigns import outcomes_from_events, outcomes_from_file
from promo_core.export import to_json_text
from promo_core.i18n import _, fmt_int, fmt_money, fmt_pct, fmt_pp
from promo_core.schema import DataError
from ui import holdout, planning, state, tables
from ui.widgets import md, show_error
from ui.workspace import save_readout_section, saved_target_list

st.title(_("Campaign readout"))
st.caption(_("After a campaign run from a target list with a holdout: did the offer work, and did it pay, in each "
             "segment? The treated customers are compared with the held-out ones by the A/B test engine, beside what "
             "the plan forecast. The measured lifts can then feed the next plan."))
currency = st.session_state.get("currency", "£")
UPLOAD_TYPES = ["csv", "tsv", "txt", "gz", "xlsx", "parquet"]

up = st.file_uploader(_("Target list with holdout (the file the campaign ran from)"), type=UPLOAD_TYPES,
                      key="ro_targets")
saved = saved_target_list(currency)
sent = st.session_state.get(holdout.TARGETS_KEY)
campaign, stored = None, (None, None)
try:
    if up is not None:
        t_bytes, t_name = up.getvalue(), up.name
        targets, t_key = holdout.read_file(t_bytes, t_name), state.content_key(t_bytes)
    elif saved is not None:
        campaign, targets, stored = saved
        t_name, t_key = campaign, f"campaign|{campaign}|{len(targets)}"
        st.caption(_("Using the target list of the saved campaign {name!r}.").format(name=campaign))
    elif sent is not None:
        t_bytes, t_name, sent_key, sent_data = sent
        targets, t_key = holdout.read_file(t_bytes, t_name), state.content_key(t_bytes)
        if sent_key == state.dataset_key():
            st.caption(_("Using the target list sent from the Promotion planner in this session."))
        else:   # other data was loaded since: say which data the list belongs to
            st.warning(md(_("Using the target list sent from the Promotion planner for {sent}. The data in use is now "
                            "{current}: measure this list with its own campaign's outcomes, or send a new list from "
                            "the planner.").format(sent=sent_data, current=state.dataset().name)),
                       icon=":material/warning:")
    else:
        st.info(_("Upload the target list with its group column (treatment / holdout), pick a saved campaign, or "
                  "build one on the Promotion planner and send it here."), icon=":material/upload:")
        st.stop()
except DataError as exc:
    show_error(exc, _("The target list was not read."))
    st.stop()

kinds = {"outcomes": _("Upload an outcomes file"), "events": _("Upload the campaign period's events"),
         "loaded": _("Use the data already loaded")}
source = st.radio(_("What the customers did during the campaign"), list(kinds), format_func=kinds.get,
                  horizontal=True, key="ro_source")
period = None
try:
    if source == "outcomes":
        o_up = st.file_uploader(_("Outcomes: one row per customer with user id, converted, revenue, discount"),
                                type=UPLOAD_TYPES, key="ro_outcomes")
        if o_up is None:
            st.info(_("Upload the outcomes file, or choose another source above."), icon=":material/upload:")
            st.stop()
        outcomes, notes = outcomes_from_file(holdout.read_file(o_up.getvalue(), o_up.name))
        key, label = state.content_key(o_up.getvalue()), "outcomes file"
    else:
        if source == "events":
            e_up = st.file_uploader(_("Events of the campaign period (any layout the Data page reads)"),
                                    type=UPLOAD_TYPES, key="ro_events")
            if e_up is None:
                st.info(_("Upload the campaign period's events, or choose another source above."),
                        icon=":material/upload:")
                st.stop()
            zone = state.dataset().report.time_zone   # the shop's clock, as the data in use was read
            ds = state.prepare_upload(e_up.getvalue(), e_up.name, "auto", None, (), zone)
            dkey, label = state.content_key(e_up.getvalue()) + (f":{zone}" if zone else ""), "campaign events"
            days = 0
        else:
            ds, dkey, label = state.dataset(), state.dataset_key(), "loaded data"
            days = planning.assumptions().horizon_days
        if ds.in_engine:   # the period and the outcomes are computed in the engine
            first, last = (pd.Timestamp(ds.report.first_event).date(), pd.Timestamp(ds.report.last_event).date())
        elif ds.events["timestamp"].isna().all():
            raise DataError(_("These events have no time stamps, so the campaign period cannot be chosen"),
                            hint=_("Upload events with a time column, or an outcomes file"))
        else:
            first, last = ds.events["timestamp"].min().date(), ds.events["timestamp"].max().date()
        d_start = max(first, last - pd.Timedelta(days=days - 1)) if days else first
        d_end, from_campaign = last, False
        if source == "loaded" and stored[0] and stored[1] and first <= stored[0] <= stored[1] <= last:
            d_start, d_end, from_campaign = stored[0], stored[1], True   # the dates the saved campaign ran
        c = st.columns(2)
        suffix = f"{source}_{campaign or ''}"
        start = c[0].date_input(_("Campaign start"), d_start, first, last, key=f"ro_start_{suffix}")
        end = c[1].date_input(_("Campaign end (included)"), d_end, first, last, key=f"ro_end_{suffix}")
        lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
        outcomes, notes = (ds.campaign_outcomes(lo, hi) if ds.in_engine
                           else outcomes_from_events(ds.events, lo, hi, ds.nonproduct))
        period = (str(start), str(end))
        key = f"{dkey}|{start}|{end}"
        if source == "loaded" and from_campaign:
            st.caption(_("Default period: the dates stored with the campaign {name!r}.").format(name=campaign))
        elif source == "loaded":
            if campaign and stored[0] and stored[1]:
                st.caption(_("The campaign's stored dates ({start} to {end}) are not inside the loaded data "
                             "({first} to {last}).").format(start=stored[0], end=stored[1], first=first, last=last))
            st.caption(_("Default period: the last {n} days of the data (the plan's campaign length); change it to the "
                         "dates the campaign ran.").format(n=days))
except DataError as exc:
    show_error(exc, _("The campaign's outcomes were not read; nothing was changed."))
    st.stop()

c = st.columns(4)
name = c[0].text_input(_("Name of this readout"), campaign or t_name.rsplit(".", 1)[0], key="ro_name", max_chars=80)
margin = c[1].slider(_("Gross margin (%)"), 5, 90, int(100 * planning.assumptions().margin), key="ro_margin") / 100
level = c[2].selectbox(_("Confidence"), [0.90, 0.95, 0.99], index=1, key="ro_level", format_func=lambda x: fmt_pct(x, 0))
adjustments = {"holm": _("Holm (controls any false positive)"),
               "fdr_bh": _("Benjamini-Hochberg (controls the false discovery rate)"), "none": _("None")}
adjust = c[3].selectbox(_("Adjust across segments"), list(adjustments), format_func=adjustments.get, key="ro_adjust")
try:
    with st.spinner(_("Measuring the campaign…")):
        r = holdout.measure(f"{t_key}|{key}", targets, outcomes, tuple(notes), label, name,
                            margin, round(1 - level, 4), adjust, period)
except DataError as exc:
    show_error(exc, _("The readout could not be made."))
    st.stop()

t = r.total
m = st.columns(4)
m[0].metric(_("Conversion lift, all segments"), fmt_pp(t.abs_diff),
            help=_("{level} interval {low} to {high}").format(level=fmt_pct(level, 0), low=fmt_pp(t.abs_ci_low),
                                                              high=fmt_pp(t.abs_ci_high)))
m[1].metric(_("Measured incremental profit"), fmt_money(t.incremental_profit, currency),
            help=_("{level} interval {low} to {high}").format(level=fmt_pct(level, 0),
                                                              low=fmt_money(t.profit_ci_low, currency),
                                                              high=fmt_money(t.profit_ci_high, currency)))
m[2].metric(_("Forecast incremental profit"), fmt_money(t.forecast_profit, currency),
            help=_("The plan's forecast profit per treated customer × treated customers"))
m[3].metric(_("Customers measured"), fmt_int(r.target_users),
            help=_("{t} treated, {h} held out").format(t=fmt_int(t.treated), h=fmt_int(t.held_out)))
st.caption(_("Reading: treated customers converted {lift} more than held-out ones ({low} to {high}), and the campaign "
             "earned {profit} of incremental profit against {forecast} forecast.").format(
    lift=fmt_pp(t.abs_diff), low=fmt_pp(t.abs_ci_low), high=fmt_pp(t.abs_ci_high),
    profit=fmt_money(t.incremental_profit, currency), forecast=fmt_money(t.forecast_profit, currency)))
if any(s.srm_mismatch for s in (*r.segments, t)):
    st.error(_("Sample ratio mismatch: the groups' sizes do not match the planned holdout share in {segments}. The "
               "target list may have been changed after it was drawn; the comparison may be biased.").format(
        segments=md(", ".join(s.segment for s in (*r.segments, t) if s.srm_mismatch))), icon=":material/error:")
for note in r.notes:
    st.caption(md(note))

frame = r.frame()
tables.show(frame, {
    "segment": (_("Segment"), "text"), "offer": (_("Offer"), "text"), "treated": (_("Treated"), "int"),
    "held_out": (_("Held out"), "int"), "rate_treatment": (_("Conversion, treated"), "pct"),
    "rate_holdout": (_("Conversion, held out"), "pct"), "abs_diff": (_("Measured lift"), "pp"),
    "adj_ci_low": (_("Interval from"), "pp"), "adj_ci_high": (_("Interval to"), "pp"),
    "p_adjusted": (_("p (adjusted)"), "num"), "forecast_lift": (_("Forecast lift"), "pp"),
    "incremental_profit": (_("Measured profit"), "money"), "forecast_profit": (_("Forecast profit"), "money"),
    "roi": (_("Return per {currency}1 spent").format(currency=currency), "num"), "srm_p": (_("Sample ratio p"), "num")}, currency, key="ro_table",
    helps={"adj_ci_low": _("Widened for the number of segments, to match the adjusted p"),
           "p_adjusted": _("Adjusted across segments ({method})").format(method=adjustments[adjust]),
           "srm_p": _("Below 0.001: the groups' sizes do not match the planned holdout share")})
st.plotly_chart(charts.fig_readout(frame), key="ro_fig")
with st.expander(_("How is this computed?"), icon=":material/functions:"):
    st.markdown(_("Each segment's treated customers are compared with its held-out customers by the A/B test engine: "
                  "conversion by a two-proportion z-test with Newcombe's interval; revenue per customer by Welch's "
                  "t-test; incremental profit on each customer's contribution, (revenue + discount) × margin − "
                  "discount − contact cost, with ROI by Fieller's interval. The sample ratio check compares the "
                  "groups' sizes with the planned holdout share (chi-square). The p-values are adjusted across "
                  "segments and each interval widened to match. Customers of the target list with no outcome count "
                  "as non-converters; outcomes of customers not in the target list are ignored. The forecast is the "
                  "one written into the target list when it was exported."))
    for s in r.segments:
        for note in s.notes:
            st.caption(md(f"{s.segment}: {note}"))

c = st.columns(2)
c[0].download_button(_("Readout (JSON)"), to_json_text(r.to_dict()), "campaign_readout.json", "application/json",
                     key="ro_json", icon=":material/download:")
chosen = holdout.readout()
if chosen is not None and chosen.name == r.name and chosen.created == r.created:
    c[1].success(_("The Promotion planner uses this readout as evidence."), icon=":material/check:")
elif c[1].button(_("Use this readout in the next plan"), key="ro_use", type="primary", icon=":material/history:"):
    holdout.use_readout(r)
    st.rerun()


save_readout_section(r, campaign)
