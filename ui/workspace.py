"""The workspace in the app: which database, who is the author, and the planner's "Save this campaign" section.

The database is ``[connections.workspace]`` in ``.streamlit/secrets.toml`` (read through
``st.connection("workspace", type="sql")``, the team set-up), else ``[workspace] url`` there, else the
environment variable ``PROMOSCOPE_WORKSPACE``, else ``~/.promoscope/workspace.db``. The core
(:mod:`promo_core.workspace`) does the rest; nothing is cached except the opened workspace itself,
so every session sees what the others saved.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import streamlit as st

from promo_core.i18n import _, fmt_int
from promo_core.schema import DataError
from promo_core.workspace import Workspace, default_author, open_workspace, resolve_url
from promo_core.workspace.store import normalise_url

from .widgets import show_error

#: session keys where the holdout assignment of the current target list is kept (by the target-list step)


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets file (or an unreadable one): nothing configured
        return {}


@st.cache_resource(show_spinner=False)
def _open_url(url: str) -> Workspace:
    return open_workspace(url)


@st.cache_resource(show_spinner=False)
def _open_engine(url: str, _engine) -> Workspace:
    return open_workspace(engine=_engine)


def workspace(create: bool = True) -> Workspace | None:
    """The app's workspace, opened (and migrated) once per database and shared by every session.

    ``create=False`` returns None instead of creating a SQLite file that does not exist yet (looking at
    the Campaigns page creates nothing; the first saved campaign does)."""
    secrets = _secrets()
    conf = (secrets.get("connections") or {}).get("workspace")
    if isinstance(conf, dict):
        extra = {"url": normalise_url(str(conf["url"]))} if conf.get("url") else {}
        try:  # the URL is passed as well: postgresql:// gets the psycopg driver PromoScope installs
            conn = st.connection("workspace", type="sql", **extra)
        except Exception as exc:  # noqa: BLE001 - a bad secret or a missing driver: say so, without the password
            raise DataError(_("The team workspace in .streamlit/secrets.toml could not be opened ({error})").format(
                error=type(exc).__name__), hint=_("Check [connections.workspace] url in .streamlit/secrets.toml")) from None
        return _open_engine(conn.engine.url.render_as_string(hide_password=True), conn.engine)
    url = resolve_url(None, secrets)
    if not create and url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    return _open_url(url)


def author() -> str:
    """The signed-in user (Streamlit sign-in), else the operating-system user, else 'anonymous'."""
    name = None
    try:
        if st.user.is_logged_in:
            name = st.user.get("email") or st.user.get("name")
    except Exception:  # noqa: BLE001 - st.user unavailable (no sign-in configured)
        name = None
    return default_author(name)


def save_campaign_section(offers, assumptions, fc: pd.DataFrame, base: dict, dataset_id: dict, currency: str,
                          draw=None) -> None:
    """The planner's "Save this campaign": stores the current plan, its forecast and, with ``draw`` (the holdout
    section's :class:`ui.holdout.Draw`), the target list of this plan with its holdout group and seed, drawn when
    the campaign is saved. Below it, saved assumption sets (save the current ones under a name, or load one)."""
    st.subheader(_("Save this campaign"))
    st.caption(_("Saves the plan, its forecast and the date range in the workspace, so that the Campaigns page can "
                 "set what it earns against what was forecast.") + " " +
               (_("The target list of this plan is drawn when you save and stored with it: {treated} customers get "
                  "the offer and {held} are held out (seed {seed}), as in the holdout section above.").format(
                   treated=fmt_int(draw.treated), held=fmt_int(draw.held_out), seed=draw.seed) if draw is not None else
                _("No segment gets an offer, so there is no target list: the plan and forecast are saved, but the "
                  "campaign cannot be measured later.")))
    today = dt.date.today()
    with st.form("ws_save_form", clear_on_submit=False):
        c = st.columns([2, 1, 1])
        name = c[0].text_input(_("Campaign name"), max_chars=200, key="ws_name",
                               placeholder=_("e.g. December win-back"))
        start = c[1].date_input(_("Starts"), today, key="ws_start")
        end = c[2].date_input(_("Ends"), today + dt.timedelta(days=int(assumptions.horizon_days) - 1), key="ws_end")
        submitted = st.form_submit_button(_("Save campaign"), icon=":material/save:")
    if submitted:
        _save(name, start, end, offers, assumptions, fc, base, dataset_id, draw)
    assumption_sets_section(assumptions)


def _save(name, start, end, offers, assumptions, fc, base, dataset_id, draw) -> None:
    from promo_core.promotions import forecast_record

    has_groups = draw is not None
    try:
        assignment = draw.targets()[["user_id", "segment", "group"]] if has_groups else None
        ws = workspace()
        record = {"dataset": dataset_id, "segmentation": st.session_state.get("segmentation_choice", "clusters"),
                  **forecast_record(fc, offers, base, assumptions)}
        saved = ws.save_campaign(name, plan={"offers": [asdict(o) for o in offers], "assumptions": asdict(assumptions)},
                                 forecast=record, dataset=dataset_id, segmentation=record["segmentation"],
                                 author=author(), start_date=start, end_date=end,
                                 assignment=assignment,
                                 seed=draw.seed if has_groups else None,
                                 holdout_share=draw.share if has_groups else None)
    except DataError as exc:
        show_error(exc, _("The campaign was not saved."))
        return
    st.success(_("Saved {name!r}: see it on the Campaigns page.").format(name=saved.name), icon=":material/check:")


#: the planner's assumption widgets, reset when a saved set is loaded so they show the loaded values
ASSUMPTION_WIDGETS = ("pl_margin", "pl_horizon", "pl_unc", "pl_el")


def assumption_sets_section(current) -> None:
    """Save the planner's current assumptions under a name, or load a saved set into the planner."""
    from dataclasses import fields

    from promo_core.promotions import Assumptions
    with st.expander(_("Saved assumptions"), icon=":material/bookmark:"):
        st.caption(_("Keep these assumptions under a name to plan next month's campaign on the same footing, or "
                     "load a set saved earlier (by you or, in a team workspace, by a colleague)."))
        try:
            ws = workspace(create=False)
            sets = ws.assumption_sets() if ws else pd.DataFrame(columns=["name", "author", "created_at"])
            c = st.columns([3, 1])
            name = c[0].text_input(_("Name for the current assumptions"), max_chars=200, key="ws_a_name")
            if c[1].button(_("Save assumptions"), key="ws_a_save", icon=":material/bookmark_add:"):
                workspace().save_assumptions(name, current, author=author())
                st.success(_("Saved the assumptions as {name!r}.").format(name=name.strip()))
                sets = workspace().assumption_sets()
            if len(sets):
                c = st.columns([3, 1])
                pick = c[0].selectbox(_("Saved sets"), sets["name"].tolist(), key="ws_a_pick")
                if c[1].button(_("Load into the planner"), key="ws_a_load", icon=":material/upload:"):
                    values = ws.assumptions(pick) if ws else workspace().assumptions(pick)
                    known = {f.name for f in fields(Assumptions)}
                    try:
                        loaded = Assumptions(**{k: v for k, v in values.items() if k in known}).validate()
                    except TypeError:
                        raise DataError(_("The saved assumptions {name!r} cannot be read by this version").format(
                            name=pick), hint=_("Save them again from the planner")) from None
                    for k in ASSUMPTION_WIDGETS:
                        st.session_state.pop(k, None)
                    st.session_state["assumptions"] = loaded
                    st.rerun()
        except DataError as exc:
            show_error(exc, _("The assumptions were not saved or loaded."))


SAVED_TARGETS_KEY = "ro_saved_targets"  # (campaign, row count, currency, its target list) read for the readout page


def saved_target_list(currency: str) -> tuple[str, pd.DataFrame, tuple] | None:
    """For the Campaign readout page: pick a saved campaign whose target list has a holdout, so a campaign
    saved last month is measured without downloading and uploading its list. Returns (name, target list
    with its forecast columns, (start date, end date) as stored, either None) or None (nothing picked, no
    workspace yet, or it could not be read)."""
    try:
        ws = workspace(create=False)
        df = ws.list_campaigns() if ws else None
    except DataError as exc:
        show_error(exc, _("The saved campaigns could not be listed."))
        return None
    if df is None or df.empty:
        return None
    names = df.loc[(df["n_targets"] > 0) & (df["n_holdout"] > 0), "name"].tolist()
    if not names:
        return None
    pick = st.selectbox(_("Or measure a saved campaign"), ["", *names], key="ro_campaign",
                        format_func=lambda n: n or _("– none –"),
                        help=_("Its target list and forecast as stored in the workspace when it was saved"))
    if not pick:
        return None
    row = df.loc[df["name"] == pick].iloc[0]
    n = int(row["n_targets"])
    dates = tuple(None if pd.isna(row.get(c)) else pd.Timestamp(row[c]).date() for c in ("start_date", "end_date"))
    held = st.session_state.get(SAVED_TARGETS_KEY)
    if not held or held[:3] != (pick, n, currency):
        try:
            with st.spinner(_("Reading the target list of {name!r}…").format(name=pick)):
                held = (pick, n, currency, ws.targets(pick, currency))
        except DataError as exc:
            show_error(exc, _("The target list of {name!r} was not read.").format(name=pick))
            return None
        st.session_state[SAVED_TARGETS_KEY] = held
    return pick, held[3], dates


def save_readout_section(result, campaign: str | None = None) -> None:
    """For the Campaign readout page: attach a readout (a mapping, or an object with ``to_dict()``, holding
    per-segment and total results) to a saved campaign, so the Campaigns page can set it against the forecast."""
    st.subheader(_("Save this readout"))
    try:
        ws = workspace(create=False)
        names = ws.list_campaigns()["name"].tolist() if ws else []
        if not names:
            st.info(_("No saved campaign to attach this readout to: save the campaign from the planner first."),
                    icon=":material/info:")
            return
        c = st.columns([3, 1])
        pick = c[0].selectbox(_("Campaign measured"), names, key="ws_r_pick",
                              index=names.index(campaign) if campaign in names else 0)
        if c[1].button(_("Save readout"), key="ws_r_save", icon=":material/save:"):
            ws.add_readout(pick, result, author=author())
            st.success(_("Saved the readout of {name!r}: see it on the Campaigns page.").format(name=pick),
                       icon=":material/check:")
    except DataError as exc:
        show_error(exc, _("The readout was not saved."))


# ---------------------------------------------------------------- the Campaigns page's sections

def campaigns_table(df: pd.DataFrame, currency: str) -> None:
    """Every campaign with its forecast and latest measured profit and ROI."""
    from promo_core.workspace.store import STATUS_LABELS

    from .tables import show
    shown = df.assign(status=df["status"].map(lambda s: _(STATUS_LABELS.get(s, s))))
    show(shown, {
        "name": (_("Campaign"), "text"), "status": (_("Status"), "text"), "start_date": (_("Starts"), "date"),
        "end_date": (_("Ends"), "date"), "forecast_profit": (_("Forecast profit"), "money"),
        "measured_profit": (_("Measured profit"), "money"), "accuracy": (_("Measured ÷ forecast"), "pct"),
        "forecast_roi": (_("Forecast return per {cur}1").format(cur=currency), "num"),
        "measured_roi": (_("Measured return per {cur}1").format(cur=currency), "num"),
        "n_targets": (_("Customers in target list"), "int"), "n_holdout": (_("Held out"), "int"),
        "author": (_("Saved by"), "text"), "created_at": (_("Saved on"), "date"),
    }, currency, key="cp_table", helps={
        "forecast_profit": _("Incremental profit the plan forecast when it was saved"),
        "measured_profit": _("Incremental profit measured by the latest readout (treatment vs holdout)"),
        "accuracy": _("Measured ÷ forecast profit: 100% means the forecast was exact; empty until a readout exists "
                      "or when the forecast was not a profit"),
        "forecast_roi": _("Forecast profit per unit of money spent on discounts and contacts"),
    })


def accuracy_reading(acc: pd.DataFrame) -> str:
    """One plain sentence on the forecast accuracy so far."""
    from promo_core.i18n import fmt_pct
    if acc.empty:
        return _("No campaign has both a profit forecast above zero and a readout yet, so forecast accuracy "
                 "cannot be judged.")
    med = float(acc["accuracy"].median())
    if len(acc) == 1:
        return _("The one measured campaign earned {pct} of its forecast profit (100% = forecast exact).").format(
            pct=fmt_pct(med, 0))
    return _("Measured campaigns earned a median {pct} of their forecast profit across {n} campaigns "
             "(100% = forecast exact; below 100%, the forecasts were too optimistic).").format(
        pct=fmt_pct(med, 0), n=fmt_int(len(acc)))


def campaign_detail(ws: Workspace, name: str, currency: str) -> None:
    """One campaign: offers and holdout sizes per segment, readouts, the target list, delete."""
    from promo_core.export import to_csv_bytes
    from promo_core.i18n import fmt_date, fmt_money, fmt_pct
    from promo_core.workspace.store import STATUS_LABELS

    from .tables import show
    d = ws.campaign(name)
    currency = str((d.dataset or {}).get("currency") or currency)   # the symbol it was saved with
    t = d.forecast.get("total", {})
    st.caption(_("Saved on {when} by {author} · {status} · runs {start} to {end} · data: {dataset}").format(
        when=fmt_date(d.created_at), author=d.author, status=_(STATUS_LABELS.get(d.status, d.status)),
        start=fmt_date(d.start_date), end=fmt_date(d.end_date), dataset=str(d.dataset.get("name", "–"))))
    c = st.columns(3)
    c[0].metric(_("Forecast profit"), fmt_money(t.get("incremental_profit"), currency),
                help=_("Range {low} to {high}").format(low=fmt_money(t.get("profit_low"), currency),
                                                       high=fmt_money(t.get("profit_high"), currency)))
    c[1].metric(_("Customers in target list"), fmt_int(d.n_targets))
    c[2].metric(_("Held out"), fmt_int(d.n_holdout),
                help=_("Holdout share {share}, drawn with seed {seed}").format(
                    share=fmt_pct(d.holdout_share), seed="–" if d.seed is None else d.seed))
    segs = pd.DataFrame(d.forecast.get("segments", []))
    if len(segs):
        segs = segs.merge(d.groups[["segment", "holdout"]], on="segment", how="left").fillna({"holdout": 0})
        labels = d.offer_labels(currency)
        segs["offer"] = [labels.get(str(s), "") for s in segs["segment"]]
        show(segs, {"segment": (_("Segment"), "text"), "offer": (_("Offer"), "text"),
                    "targeted": (_("Customers targeted (forecast)"), "int"), "holdout": (_("Held out"), "int"),
                    "incremental_profit": (_("Forecast profit"), "money"), "roi": (_("Forecast return per {cur}1")
                                                                                   .format(cur=currency), "num")},
             currency, key="cp_segments")
    if d.readouts.empty:
        st.info(_("No readout yet: measure this campaign on the Campaign readout page once it has run."),
                icon=":material/hourglass:")
    else:
        st.markdown("**" + _("Readouts") + "**")
        show(d.readouts, {"created_at": (_("Measured on"), "date"), "author": (_("By"), "text"),
                          "measured_profit": (_("Measured profit"), "money"),
                          "measured_profit_low": (_("Low end"), "money"), "measured_profit_high": (_("High end"), "money"),
                          "roi": (_("Return per {cur}1").format(cur=currency), "num"), "lift": (_("Conversion lift"), "pct")},
             currency, key="cp_readouts")
    left, right = st.columns(2)
    left.download_button(_("Download the target list (CSV)"), lambda: to_csv_bytes(ws.targets(name, currency)),
                         "targets_" + re.sub(r"[^\w.-]+", "_", name)[:80] + ".csv", "text/csv", key="cp_targets", icon=":material/download:",
                         disabled=d.n_targets == 0)
    with right.popover(_("Delete this campaign"), icon=":material/delete:"):
        st.warning(_("This deletes {name!r}, its target list and its readouts for everyone using this workspace.")
                   .format(name=name))
        sure = st.checkbox(_("Yes, delete it"), key=f"cp_sure_{name}")
        if st.button(_("Delete for good"), key="cp_delete", type="primary", disabled=not sure):
            ws.delete_campaign(name)
            st.session_state.pop("cp_pick", None)
            st.rerun()
