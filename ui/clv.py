"""Customer lifetime value on the Value page and in the planner, without blocking a click.

pymc-marketing compiles its models with pytensor the first time (about a minute cold). One background
worker thread, created once per server process (``st.cache_resource``), first warms the compile cache
(:func:`start_warm_up`, which app.py may call at start) and then fits the models per dataset key, one job
at a time. Pages never wait: while a job runs they show its status and poll with a fragment, then rerun.
Fits of a session's private (pseudonymised) data are kept in that session's state, not shared.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

import pandas as pd
import streamlit as st

from promo_core import charts, clv
from promo_core.export import to_csv_bytes, to_json_text
from promo_core.i18n import N_, _, fmt_date, fmt_int, fmt_money, fmt_num, fmt_pct
from promo_core.quality import Dataset
from promo_core.schema import DataError

from . import analysis, state, tables
from .widgets import md, show_error

MAX_DATASETS = 4
POLL_SECONDS = 2.0


def fill(template: str, **values) -> str:
    """A translated markdown template with its values escaped (segment names are user data; ``$`` would
    start LaTeX)."""
    return template.format(**{k: md(v) for k, v in values.items()})


class Worker:
    """One daemon thread running jobs in order. A daemon (unlike a ThreadPoolExecutor's thread, which the
    interpreter joins at exit) never holds up the server's or a test run's exit with a queued fit."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._run, name="promoscope-clv", daemon=True).start()

    def submit(self, fn, *args) -> Future:
        fut: Future = Future()
        self.queue.put((fut, fn, args))
        return fut

    def _run(self) -> None:
        while True:
            fut, fn, args = self.queue.get()
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the page, which shows it
                fut.set_exception(exc)


@dataclass
class Jobs:
    """The worker thread and its jobs: the warm-up, then fits keyed by (kind, dataset key, …)."""

    executor: Worker
    warm: Future
    started: float
    futures: OrderedDict = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, store: OrderedDict, job_key: tuple, fn, *args) -> Future:
        with self.lock:
            fut = store.get(job_key)
            if fut is None:
                fut = self.executor.submit(fn, *args)
                store[job_key] = fut
                while len(store) > 2 * MAX_DATASETS:
                    store.popitem(last=False)
            else:
                store.move_to_end(job_key)
            return fut

    def wait(self, timeout: float | None = None) -> None:
        """Block until every job submitted so far has finished (for tests and benchmarks)."""
        self.executor.submit(lambda: None).result(timeout)


@st.cache_resource(show_spinner=False)
def jobs() -> Jobs:
    clv.configure_compiledir()
    worker = Worker()
    return Jobs(worker, worker.submit(clv.warm_up), time.monotonic())


def start_warm_up() -> None:
    """Start compiling the CLV models in the background (idempotent; call once from app.py)."""
    jobs()


def _store(key: str) -> OrderedDict:
    if state.PRIVATE_MARK in key:  # a session's private data: its fits live and die with the session
        return st.session_state.setdefault("_clv_jobs", OrderedDict())
    return jobs().futures


def _days(ds: Dataset):
    """What the models read: the engine's per-customer-day table for an engine source (no event rows in memory)."""
    return ds.purchase_days() if ds.in_engine else clv.purchase_days(ds.events, ds.returns, ds.nonproduct)


def _fit(ds: Dataset) -> clv.ClvModel:
    return clv.fit_dataset(_days(ds))


def _check(ds: Dataset, cutoff: str | None) -> clv.ClvHoldout:
    return clv.holdout_check(_days(ds), cutoff)


def model_job(key: str, ds: Dataset) -> Future:
    return jobs().submit(_store(key), ("fit", key), _fit, ds)


def holdout_job(key: str, ds: Dataset, cutoff: str | None) -> Future:
    return jobs().submit(_store(key), ("holdout", key, cutoff), _check, ds, cutoff)


@state.cached(max_entries=16)
def predictions(key: str, _model: clv.ClvModel, horizon: int, rate: float) -> pd.DataFrame:
    return clv.predict_clv(_model, None, horizon, rate)


@state.cached(max_entries=16)
def purchase_chance(key: str, _model: clv.ClvModel, days: int) -> pd.DataFrame:
    return pd.DataFrame({"user_id": _model.summary["user_id"],
                         "p_buy": clv.probability_of_purchase(_model, _model.summary, days)})


def _status_text(what: str) -> str:
    j = jobs()
    if not j.warm.done():
        return _("CLV model is warming up… (the first fit after the server starts compiles the model, about a "
                 "minute; {s} s so far)").format(s=fmt_int(time.monotonic() - j.started))
    return what


@st.fragment(run_every=POLL_SECONDS)
def _wait_for(fut: Future, what: str) -> None:
    """A status line that checks the job every few seconds and reruns the page when it is done."""
    if fut.done():
        st.rerun(scope="app")
    st.status(_status_text(what), state="running")


def ready(fut: Future, what: str):
    """The job's result, or None after showing a status that polls until it is done."""
    if not fut.done():
        _wait_for(fut, what)
        return None
    exc = fut.exception()
    if exc is None:
        return fut.result()
    if isinstance(exc, DataError):
        show_error(exc, _("Lifetime value is not available for this dataset."))
    else:
        st.error(_("The lifetime-value model failed ({kind}). The rest of the page is unaffected.")
                 .format(kind=type(exc).__name__), icon=":material/error:")
    return None


# ---- the Value page section

SEGMENT_SPEC = {
    "segment": (N_("Segment"), "text"), "customers": (N_("Customers"), "int"), "buyers": (N_("Buyers"), "int"),
    "mean_clv": (N_("Mean lifetime value"), "money"), "median_clv": (N_("Median lifetime value"), "money"),
    "total_clv": (N_("Total lifetime value"), "money"), "share_of_total_clv": (N_("Share of total value"), "pct"),
    "mean_expected_purchases": (N_("Expected purchase days per buyer"), "num"),
    "mean_p_alive": (N_("Chance still active (mean)"), "pct"),
}


def _spec(spec: dict) -> dict:
    return {k: (_(label), kind) for k, (label, kind) in spec.items()}


def _groupings(key: str, ds: Dataset) -> dict[str, str]:
    return {"rfm": _("RFM value groups"), "lifecycle": _("Lifecycle stages")}


def _segments(key: str, ds: Dataset, by: str) -> pd.DataFrame:
    from . import analysis
    if by == "lifecycle":
        s = analysis.lifecycle_stages(key, ds, analysis.lifecycle_rules())
        return s.rename(columns={"lifecycle": "segment"})[["user_id", "segment"]]
    s = analysis.rfm_scores(key, ds, analysis.rfm_rules_json())
    return s[["user_id"]].assign(segment=s["rfm_segment"])


def section(key: str, ds: Dataset, currency: str | None = None) -> None:
    """Customer lifetime value: per-segment table, distribution, readings, method, hold-out check, CSV."""
    currency = currency or st.session_state.get("currency", "£")
    st.subheader(_("Customer lifetime value"), anchor="clv")
    st.caption(_("What each customer is expected to spend from now on, net of returns: how often they will buy "
                 "(BG/NBD model) times how much per purchase (Gamma-Gamma model), fitted to every buyer's history."))
    c = st.columns(3)
    horizon = c[0].slider(_("Horizon (months)"), clv.HORIZON_RANGE[0], 36, clv.HORIZON_MONTHS, key="clv_horizon",
                          persist_state="session", help=_("How far ahead the value is counted"))
    rate = c[1].slider(_("Discount rate per month (%)"), 0.0, 100 * clv.DISCOUNT_RANGE[1], 100 * clv.DISCOUNT_RATE,
                       0.25, key="clv_rate", persist_state="session",
                       help=_("An assumption: money next year is worth less than money now. 0 = no discounting; "
                              "1% a month is about 12.7% a year.")) / 100
    groupings = _groupings(key, ds)
    by = c[2].selectbox(_("Group customers by"), list(groupings), format_func=groupings.get, key="clv_by",
                        persist_state="session")
    model = ready(model_job(key, ds), _("Fitting the lifetime-value model to this dataset…"))
    if model is None:
        return
    customers = predictions(key, model, int(horizon), float(rate))
    try:
        seg = clv.segment_clv(customers, _segments(key, ds, by))
    except DataError as exc:
        show_error(exc, _("Segments are not available; the per-customer values below still are."))
        seg = None
    for note in model.notes:
        (st.warning if note.level == "warning" else st.caption)(md(note.text()))
    total = float(customers["clv"].sum())
    top = customers["clv"].nlargest(max(1, len(customers) // 10)).sum() / total if total > 0 else float("nan")
    m = st.columns(4)
    m[0].metric(_("Total lifetime value"), fmt_money(total, currency),
                help=_("Over the next {months} months, discounted at {rate} a month").format(
                    months=horizon, rate=fmt_pct(rate)))
    m[1].metric(_("Mean per buyer"), fmt_money(customers["clv"].mean(), currency))
    m[2].metric(_("Buyers valued"), fmt_int(len(customers)),
                help=_("{n} customers who never bought are not valued: the model needs a first purchase").format(
                    n=fmt_int(model.n_never_bought)))
    m[3].metric(_("Chance still active (median)"), fmt_pct(customers["p_alive"].median()))
    st.caption(fill(_("Reading: the {n} buyers are expected to bring {total} of net sales over the next {months} "
                    "months (discounted at {rate} a month); the top 10% of them hold {top} of it."),
                    n=fmt_int(len(customers)), total=fmt_money(total, currency), months=horizon,
                    rate=fmt_pct(rate), top=fmt_pct(top)))
    if seg is not None and len(seg):
        seg = seg.assign(segment=[analysis.segment_label(ds, str(n)) for n in seg["segment"]])
        tables.show(seg, _spec(SEGMENT_SPEC), currency, key="clv_segments")
        best = seg.iloc[0]
        st.caption(fill(_("Reading: {segment} holds {share} of the total lifetime value ({value} across {n} "
                        "customers, {mean} each on average)."),
                        segment=best["segment"], share=fmt_pct(best["share_of_total_clv"]),
                        value=fmt_money(best["total_clv"], currency), n=fmt_int(best["customers"]),
                        mean=fmt_money(best["mean_clv"], currency)))
    st.plotly_chart(charts.fig_clv_distribution(customers, currency, int(horizon)), key="clv_dist")
    holdout_expander(key, ds, currency)
    method_expander(model, int(horizon), rate)
    d = st.columns(2)
    d[0].download_button(_("Lifetime value per customer (CSV)"), lambda: to_csv_bytes(customers),
                         "customer_lifetime_value.csv", "text/csv", key="clv_dl_customers", icon=":material/download:")
    if seg is not None:
        d[1].download_button(_("Lifetime value per segment (CSV)"), lambda: to_csv_bytes(seg),
                             "segment_lifetime_value.csv", "text/csv", key="clv_dl_segments",
                             icon=":material/download:")


def method_expander(model: clv.ClvModel, horizon: int, rate: float) -> None:
    p = model.params
    with st.expander(_("How is this computed?"), icon=":material/info:"):
        st.markdown(_(
            "Each buyer's history is reduced to four numbers: repeat purchase days (days with a purchase after the "
            "first), the weeks from the first to the last purchase, the weeks since the first purchase, and the mean "
            "net spend per repeat purchase day (gross spend times the share not returned; postage and fees carry no "
            "value). The **BG/NBD** model (Fader, Hardie & Lee 2005) says each customer buys at their own steady "
            "rate and may drop out after any purchase; the **Gamma-Gamma** model says each customer has their own "
            "typical spend, pulled towards the average when they have bought only a few times. Both are fitted by "
            "maximum likelihood with pymc-marketing. Lifetime value = expected purchase days in each coming month × "
            "expected spend per purchase day, discounted per month and summed over the horizon."))
        st.markdown(fill(_("Fitted on {n} buyers ({repeat} repeat buyers; {spend} fed the spend model). Purchase rate: "
                      "r = {r}, alpha = {alpha} weeks; dropout: a = {a}, b = {b}, so on average {drop} of customers "
                      "drop out after a purchase. Spend: p = {pp}, q = {q}, v = {v}."),
            n=fmt_int(model.n_customers), repeat=fmt_int(model.n_repeat), spend=fmt_int(model.n_spend_fit),
            r=fmt_num(p["r"]), alpha=fmt_num(p["alpha"]), a=fmt_num(p["a"]), b=fmt_num(p["b"]),
            drop=fmt_pct(model.dropout_per_purchase), pp=fmt_num(p.get("p")), q=fmt_num(p.get("q")),
            v=fmt_num(p.get("v"))))
        st.markdown(fill(_("Assumptions: horizon {months} months (1 to 36 offered); discount rate {rate} a month (0% to 5% "
                      "offered; 0% = no discounting). The spend model assumes spend does not depend on how often a "
                      "customer buys: here the correlation between the two is {corr} (near 0 is what it assumes)."),
                         months=horizon, rate=fmt_pct(rate), corr=fmt_num(model.spend_frequency_corr)))


def holdout_expander(key: str, ds: Dataset, currency: str) -> None:
    """'How good is this forecast?': calibrate before a date, predict the rest, compare (from the data loaded)."""
    with st.expander(_("How good is this forecast?"), icon=":material/fact_check:"):
        st.caption(_("The model is fitted again on the purchases before a split date only, asked to predict the rest "
                     "of the data, and compared with what the same customers actually did."))
        times = _days(ds) if ds.in_engine else ds.events   # the engine's table is built once per dataset
        has_times = times.has_times if ds.in_engine else times["timestamp"].notna().any()
        auto = clv.default_cutoff(times) if has_times else None
        picked = st.date_input(_("Split date"), value=auto.date() if auto is not None else None, key="clv_cutoff",
                               help=_("Default: the first of the month nearest to three quarters of the data's span"))
        cutoff = None if picked is None or (auto is not None and pd.Timestamp(picked) == auto) else str(picked)
        h = ready(holdout_job(key, ds, cutoff), _("Checking the forecast against the held-out months…"))
        if h is None:
            return
        if not h.ok:
            for note in h.notes:
                st.info(md(note.text()), icon=":material/info:")
            return
        for note in h.notes:
            (st.warning if note.level == "warning" else st.caption)(md(note.text()))
        c = st.columns(4)
        c[0].metric(_("Purchase days: predicted"), fmt_int(h.predicted_purchases),
                    delta=_("{pct} against actual").format(pct=fmt_pct(h.purchases_error, signed=True)),
                    delta_color="off")
        c[1].metric(_("Purchase days: actual"), fmt_int(h.actual_purchases))
        c[2].metric(_("Revenue: predicted"), fmt_money(h.predicted_revenue, currency),
                    delta=_("{pct} against actual").format(pct=fmt_pct(h.revenue_error, signed=True)),
                    delta_color="off")
        c[3].metric(_("Revenue: actual"), fmt_money(h.actual_revenue, currency))
        under = h.purchases_error < 0
        st.caption(fill((_("Reading: trained on purchases before {cut} and asked about the next {days} days, the model "
                         "predicted {pred} purchase days for these {n} customers where {actual} happened: it "
                         "under-predicts by {err}.") if under else
                       _("Reading: trained on purchases before {cut} and asked about the next {days} days, the model "
                         "predicted {pred} purchase days for these {n} customers where {actual} happened: it "
                         "over-predicts by {err}.")),
                      cut=fmt_date(h.cutoff), days=fmt_int(h.holdout_days), pred=fmt_int(h.predicted_purchases),
                      n=fmt_int(h.customers), actual=fmt_int(h.actual_purchases),
                      err=fmt_pct(abs(h.purchases_error))))
        st.caption(fill(_("Reading: the 10% of customers the model ranks highest brought {top} of the hold-out revenue "
                        "(10% would be chance; ranking by past spend alone gives {past})."),
                        top=fmt_pct(h.top_decile_share), past=fmt_pct(h.past_spend_top_decile_share)))
        st.plotly_chart(charts.fig_clv_deciles(h.deciles, currency), key="clv_deciles")
        tables.show(h.deciles, {"decile": (_("Decile (1 = highest predicted)"), "int"),
                                "customers": (_("Customers"), "int"),
                                "predicted_purchases": (_("Purchase days: predicted"), "num"),
                                "actual_purchases": (_("Purchase days: actual"), "int"),
                                "predicted_revenue": (_("Revenue: predicted"), "money"),
                                "actual_revenue": (_("Revenue: actual"), "money"),
                                "share_of_actual_revenue": (_("Share of actual revenue"), "pct")}, currency,
                    key="clv_deciles_table")
        st.download_button(_("Hold-out check (JSON)"), lambda: to_json_text(h.to_dict()), "clv_holdout.json",
                           "application/json", key="clv_dl_holdout", icon=":material/download:")


# ---- the planner's hooks

def _model_if_ready(key: str, ds: Dataset):
    fut = model_job(key, ds)
    if fut.done() and fut.exception() is None:
        return fut.result()
    return None


def value_at_stake(key: str, ds: Dataset, segments: pd.DataFrame, currency: str | None = None) -> None:
    """Per planner segment: customers × mean lifetime value (12 months, 1% a month), beside the forecast."""
    currency = currency or st.session_state.get("currency", "£")
    with st.expander(_("Value at stake per segment (customer lifetime value)"), icon=":material/savings:"):
        model = ready(model_job(key, ds), _("Fitting the lifetime-value model to this dataset…"))
        if model is None:
            return
        horizon, rate = (int(st.session_state.get("clv_horizon", clv.HORIZON_MONTHS)),
                         float(st.session_state.get("clv_rate", 100 * clv.DISCOUNT_RATE)) / 100)
        seg = clv.segment_clv(predictions(key, model, horizon, rate), segments)
        seg = seg.assign(segment=[analysis.segment_label(ds, str(n)) for n in seg["segment"]])
        tables.show(seg.rename(columns={"total_clv": "value_at_stake"}),
                    {"segment": (_("Segment"), "text"), "customers": (_("Customers"), "int"),
                     "mean_clv": (_("Mean lifetime value"), "money"),
                     "value_at_stake": (_("Value at stake"), "money"),
                     "share_of_total_clv": (_("Share of total value"), "pct")}, currency, key="pl_clv_stake")
        top = seg.iloc[0]
        st.caption(fill(_("Reading: value at stake = customers × mean lifetime value over the next {months} months "
                        "(discounted at {rate} a month; set both on the Value page). {segment} has the most at stake: "
                        "{value}."), months=horizon, rate=fmt_pct(rate), segment=top["segment"],
                        value=fmt_money(top["total_clv"], currency)))


def baseline_option(key: str, ds: Dataset, segments: pd.DataFrame, base: dict, horizon_days: int) -> dict:
    """A sidebar toggle (off by default): each segment's baseline conversion from the CLV model, the mean
    chance of at least one purchase in the campaign's days (customers who never bought count as 0).
    Returns ``base`` unchanged when off or while the model is not ready."""
    on = st.sidebar.toggle(_("Baseline: expected purchases from the CLV model"), value=False, key="pl_clv_base",
                           help=_("Off: baselines measured in earlier windows. On: the BG/NBD model's chance that "
                                  "each customer buys in the campaign's days, averaged per segment."))
    if not on:
        return base
    model = _model_if_ready(key, ds)
    if model is None:
        st.sidebar.caption(_status_text(_("Fitting the lifetime-value model to this dataset…")) + " "
                           + _("Measured baselines are used until it is ready."))
        return base
    chance = purchase_chance(key, model, int(horizon_days))
    seg = segments.assign(user_id=segments["user_id"].astype(str), segment=segments["segment"].astype(str))
    rate = seg.merge(chance, on="user_id", how="left").fillna({"p_buy": 0.0}).groupby("segment")["p_buy"].mean()
    label = _("CLV model (BG/NBD)")
    st.sidebar.caption(_("Baselines from the CLV model: the chance of a purchase in the next {days} days, per "
                         "segment (marked '{label}' in the forecast).").format(days=horizon_days, label=label))
    return {s: replace(b, conversion=float(rate.get(s, b.conversion)), basis=label) for s, b in base.items()}
