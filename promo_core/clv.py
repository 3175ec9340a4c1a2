"""Customer lifetime value: BG/NBD for purchases, Gamma-Gamma for spend (pymc-marketing, fitted by MAP).

The models (Fader, Hardie & Lee 2005a, "Counting your customers the easy way"; 2005b, "RFM and CLV")
describe each buyer by three numbers from their purchase history and one from their spend:

=================  =================================================================================
user_id            str
frequency          repeat purchase days: days with a purchase, minus the first one (float, >= 0)
recency            weeks from the first to the last purchase day
T                  weeks from the first purchase day to the end of the observation period
monetary_value     mean net spend per repeat purchase day (currency; 0 without repeat purchases):
                   the mean gross value of the repeat days' product lines times the customer's net
                   share, 1 - returns / gross sales (clipped to 0..1): returns and cancellations are
                   netted as on the Value page (:mod:`promo_core.features`), non-product lines
                   (postage, fees) carry no value but a day with only such lines is still a purchase
=================  =================================================================================

Purchases are counted per day, as in the models' papers and in ``pymc_marketing.clv.rfm_summary``
(which builds the table): two orders on one day are one purchase. Customers who never bought
(viewers only) have no first purchase; the models say nothing about them and they are left out
(counted in :attr:`ClvModel.n_never_bought`).

pymc-marketing compiles its models with pytensor on first use (about a minute cold); the compiled
code is kept in a persistent folder (:func:`configure_compiledir`) so later fits take seconds.
The library is imported only when a model is fitted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .i18n import N_, _
from .schema import MONEY_DECIMALS, DataError, line_amount

DAY = pd.Timedelta(days=1)
#: the models' time unit: weeks, as in the papers (``time_unit="W"`` in pymc-marketing: 4.345 weeks a month)
WEEK_DAYS = 7.0
WEEKS_PER_MONTH = 4.345
#: monthly discount rate: the default and the range offered (the range includes 0, no discounting)
DISCOUNT_RATE = 0.01
DISCOUNT_RANGE = (0.0, 0.05)
HORIZON_MONTHS = 12
HORIZON_RANGE = (1, 60)
#: the least data a fit or a hold-out check needs
MIN_CUSTOMERS = 20
MIN_REPEAT = 10
MIN_CALIBRATION_DAYS = 56
MIN_HOLDOUT_DAYS = 21
#: the model "finds no dropout" when its mean chance of dropping out after a purchase, a / (a + b), is below this
NO_DROPOUT = 0.01
#: P(alive) above this counts as "surely still active" in the hold-out summary
SURE_ALIVE = 0.95

SUMMARY_COLUMNS = ("user_id", "frequency", "recency", "T", "monetary_value", "gross_repeat_value", "net_share")
CUSTOMER_COLUMNS = ("user_id", "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases",
                    "expected_spend", "clv")
SEGMENT_COLUMNS = ("segment", "customers", "buyers", "mean_clv", "median_clv", "total_clv", "share_of_total_clv",
                   "mean_expected_purchases", "mean_p_alive")


@dataclass(frozen=True)
class Note:
    """A message for the user: an English ``msgid`` (wrapped in N_) and its placeholders, translated
    where shown (``note.text()``), so cached results never hold translated text."""

    msgid: str
    params: tuple[tuple[str, object], ...] = ()
    level: str = "info"  # info | warning

    def text(self) -> str:
        from .i18n import _
        return _(self.msgid).format(**dict(self.params))


# ---- the compile cache

def cache_root() -> Path:
    """Where PromoScope keeps caches: ``$PROMOSCOPE_CACHE`` or ``~/.cache/promoscope``."""
    return Path(os.environ.get("PROMOSCOPE_CACHE") or Path.home() / ".cache" / "promoscope")


def configure_compiledir() -> str | None:
    """Point pytensor's compile cache at a persistent folder under :func:`cache_root` (before pytensor
    is imported; a ``compiledir``/``base_compiledir`` already in ``PYTENSOR_FLAGS`` is respected).

    Returns the folder used, or None when pytensor was already imported or the flags name one."""
    import sys
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "pytensor" in sys.modules or "compiledir" in flags:
        return None
    base = cache_root() / "pytensor"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    os.environ["PYTENSOR_FLAGS"] = ",".join(x for x in (flags, f"base_compiledir={base}") if x)
    return str(base)


def _library():
    """(BetaGeoModel, GammaGammaModel, Prior, customer_lifetime_value), imported on first use."""
    configure_compiledir()
    import logging
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pymc_extras.prior import Prior
        from pymc_marketing.clv import BetaGeoModel, GammaGammaModel
        from pymc_marketing.clv.utils import customer_lifetime_value
    for name in ("pymc", "pymc_marketing", "pytensor", "pymc_extras"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return BetaGeoModel, GammaGammaModel, Prior, customer_lifetime_value


def _rfm_summary(transactions: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    configure_compiledir()
    from pymc_marketing.clv.utils import rfm_summary
    return rfm_summary(transactions, "customer_id", "datetime", monetary_value_col="value",
                       observation_period_end=end, time_unit="D", time_scaler=WEEK_DAYS)


# ---- what the models read: purchase days

#: a day's value is settled as all money is (the fit amplifies the 11th digit on data with almost no dropout)
VALUE_DECIMALS = MONEY_DECIMALS


@dataclass(frozen=True)
class PurchaseDays:
    """Everything the models and the hold-out check read from a dataset, one row per customer and day: the product
    value bought and returned that day, when each user was first seen, and the span of the data. Every period
    boundary is a midnight and the models count purchase days, so this is exact, and it is small at any data
    size: an engine builds it without reading the event rows (:func:`promo_core.engines.relational.purchase_days`).
    """

    buys: pd.DataFrame        # user_id, day (midnight), value: product value of that day's purchase lines
    returned: pd.DataFrame    # user_id, day, value: product value returned that day (price × |quantity|)
    first_seen: pd.Series     # user_id -> time of the user's first event
    first: pd.Timestamp | None   # first and last event (None: no times, a basket file)
    last: pd.Timestamp | None
    priced: bool = True       # whether any purchase line has a price (a behaviour log may have none)

    @property
    def has_times(self) -> bool:
        return self.first is not None


def purchase_days(events: pd.DataFrame | PurchaseDays, returns: pd.DataFrame | None = None,
                  nonproduct: tuple[str, ...] = ()) -> PurchaseDays:
    """The :class:`PurchaseDays` of canonical events (given one, returned as it is)."""
    from .nonproduct import is_nonproduct
    if isinstance(events, PurchaseDays):
        return events
    ts = events["timestamp"]
    empty = no_days()
    if ts.isna().all():
        return PurchaseDays(empty, empty, pd.Series(dtype="datetime64[ns]"), None, None)

    def by_day(frame: pd.DataFrame, value: pd.Series) -> pd.DataFrame:
        if frame.empty:
            return empty
        out = pd.DataFrame({"user_id": frame["user_id"].astype(str).to_numpy(),
                            "day": frame["timestamp"].dt.normalize().to_numpy(),
                            "value": value.to_numpy(dtype="float64")})
        out = out.groupby(["user_id", "day"], sort=True, as_index=False)["value"].sum()
        out["value"] = out["value"].round(VALUE_DECIMALS)
        return out
    buys = events[(events["event"].astype(str) == "purchase") & ts.notna()]
    bought = by_day(buys, line_amount(buys).fillna(0.0).where(~is_nonproduct(buys, nonproduct), 0.0))
    returned = empty
    if returns is not None and len(returns):
        r = returns[returns["timestamp"].notna() & ~is_nonproduct(returns, nonproduct)]
        returned = by_day(r, (r["price"] * r["quantity"].abs()).fillna(0.0))
    first_seen = events.groupby(events["user_id"].astype(str), observed=True)["timestamp"].min()
    priced = bool(buys["price"].notna().any()) if "price" in buys else False
    return PurchaseDays(bought, returned, first_seen, ts.min(), ts.max(), priced)


def no_days() -> pd.DataFrame:
    """An empty per-day table (user_id, day, value) of :class:`PurchaseDays`."""
    return pd.DataFrame({"user_id": pd.Series(dtype=str), "day": pd.Series(dtype="datetime64[ns]"),
                         "value": pd.Series(dtype=float)})


def _as_of_default(days: PurchaseDays) -> pd.Timestamp:
    """The day after the last event (:func:`promo_core.features.default_as_of`)."""
    return days.last.normalize() + DAY


# ---- the summary

def clv_summary(events: pd.DataFrame | PurchaseDays, as_of: pd.Timestamp | None = None, *,
                returns: pd.DataFrame | None = None, nonproduct: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per buyer with frequency, recency, T (weeks) and net monetary value (module docstring).

    Parameters
    ----------
    events : DataFrame or PurchaseDays
        Canonical events (purchase rows before ``as_of`` are used), or their :class:`PurchaseDays`.
    as_of : Timestamp, optional
        End of the observation period (exclusive); defaults to the day after the last event, so the
        period ends on the last day of the data.
    returns : DataFrame, optional
        Cancelled/returned lines (:attr:`Dataset.returns`), netted from each customer's spend.
    nonproduct : tuple of str
        Item ids that are not products: no value, but their days still count as purchases.
    """
    days = purchase_days(events, returns, nonproduct)
    if not days.has_times:
        raise DataError(_("Lifetime value needs purchase times, and this dataset has none (a basket file)"),
                        hint=_("Upload transactions with a time column"))
    as_of = _as_of_default(days) if as_of is None else pd.Timestamp(as_of).normalize()
    buys = days.buys[days.buys["day"] < as_of]
    if buys.empty:
        raise DataError(_("No purchases before {date}").format(date=f"{as_of:%Y-%m-%d}"),
                        hint=_("Lifetime value is estimated from purchase histories; load data with purchases"))
    if not days.priced:
        raise DataError(_("Lifetime value needs what customers paid, and this dataset's purchases have no prices"),
                        hint=_("Map a price (or line total) column on the Data page, or load data with prices"))
    tx = pd.DataFrame({"customer_id": buys["user_id"].to_numpy(), "datetime": buys["day"].to_numpy(),
                       "value": buys["value"].to_numpy(dtype="float64")})
    s = _rfm_summary(tx, as_of - DAY)
    s["customer_id"] = s["customer_id"].astype(str)
    gross = tx.groupby("customer_id")["value"].sum()
    ret = pd.Series(0.0, index=gross.index)
    r = days.returned[days.returned["day"] < as_of]
    if len(r):
        ret = r.groupby("user_id")["value"].sum().reindex(gross.index).fillna(0.0)
    share = (1.0 - ret / gross.where(gross > 0)).clip(0.0, 1.0).fillna(0.0)
    share = share.reindex(s["customer_id"]).to_numpy()
    out = pd.DataFrame({"user_id": s["customer_id"], "frequency": s["frequency"], "recency": s["recency"],
                        "T": s["T"], "monetary_value": s["monetary_value"] * share,
                        "gross_repeat_value": s["monetary_value"], "net_share": share})
    return out.sort_values("user_id", kind="stable").reset_index(drop=True)


# ---- the models

@dataclass
class ClvModel:
    """Fitted BG/NBD and Gamma-Gamma models with the summary they were fitted on.

    ``params`` holds r, alpha, a, b (BG/NBD; alpha in weeks) and p, q, v (Gamma-Gamma).
    ``n_spend_fit`` repeat buyers with positive net spend fed the spend model; ``spend_frequency_corr``
    is the Pearson correlation of their frequency and spend (the Gamma-Gamma model assumes none)."""

    bg: object
    gg: object
    params: dict[str, float]
    summary: pd.DataFrame
    as_of: pd.Timestamp
    n_customers: int
    n_repeat: int
    n_spend_fit: int
    n_never_bought: int = 0
    spend_frequency_corr: float = float("nan")
    notes: list[Note] = field(default_factory=list)

    @property
    def dropout_per_purchase(self) -> float:
        """The model's mean chance that a customer drops out after a purchase, a / (a + b)."""
        a, b = self.params["a"], self.params["b"]
        return a / (a + b)


def _bg_data(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": np.arange(len(summary)), "frequency": summary["frequency"].to_numpy(float),
                         "recency": summary["recency"].to_numpy(float), "T": summary["T"].to_numpy(float)})


def fit_clv(summary: pd.DataFrame, *, as_of: pd.Timestamp | None = None, n_never_bought: int = 0) -> ClvModel:
    """Fit BG/NBD (purchases) and Gamma-Gamma (spend) by maximum a posteriori with flat priors,
    which is maximum likelihood: the papers' estimates.

    ``summary`` has the columns of :func:`clv_summary`. Raises DataError with fewer than
    ``MIN_CUSTOMERS`` buyers or ``MIN_REPEAT`` repeat buyers (nothing to learn a rhythm from).
    """
    n, n_repeat = len(summary), int((summary["frequency"] > 0).sum())
    if n < MIN_CUSTOMERS or n_repeat < MIN_REPEAT:
        raise DataError(_("Lifetime value needs at least {min_n} buyers and {min_repeat} who bought on more than one "
                          "day; this data has {n} buyers, {repeat} of them repeat buyers").format(
                              min_n=MIN_CUSTOMERS, min_repeat=MIN_REPEAT, n=n, repeat=n_repeat),
                        hint=_("Load a longer purchase history"))
    BetaGeoModel, GammaGammaModel, Prior, _clv = _library()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg = BetaGeoModel(model_config={k: Prior("HalfFlat") for k in ("r", "alpha", "a", "b")})
        bg.fit(data=_bg_data(summary), method="map", progressbar=False)
        spend = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
        gg = None
        params = {k: float(bg.idata.posterior[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")}
        notes: list[Note] = []
        if len(spend) >= MIN_REPEAT:
            gg = GammaGammaModel()
            gg.fit(data=pd.DataFrame({"customer_id": np.arange(len(spend)),
                                      "frequency": spend["frequency"].to_numpy(float),
                                      "monetary_value": spend["monetary_value"].to_numpy(float)}),
                   method="map", progressbar=False)
            params |= {k: float(gg.idata.posterior[k].values.ravel()[0]) for k in ("p", "q", "v")}
        else:
            notes.append(Note(N_("Only {n} repeat buyers have a positive net spend: too few to fit the spend model, "
                                 "so each customer's own mean spend is used."), (("n", len(spend)),), "warning"))
    corr = float(np.corrcoef(spend["frequency"], spend["monetary_value"])[0, 1]) if len(spend) > 2 else float("nan")
    if gg is not None and params["q"] <= 1:
        notes.append(Note(N_("The spend model's q is {q}, at or below 1: its population mean spend is not finite, "
                             "so spend forecasts lean entirely on each customer's own history."),
                          (("q", round(params["q"], 3)),), "warning"))
    if abs(corr) > 0.3:
        notes.append(Note(N_("Among repeat buyers, spend per purchase and how often they buy are correlated ({corr}); "
                             "the spend model assumes they are not, so read the spend forecasts of the most frequent "
                             "buyers with care."), (("corr", f"{corr:.2f}"),), "warning"))
    repeat = summary[summary["frequency"] > 0]
    unpriced = int((repeat["gross_repeat_value"] <= 0).sum())
    returned = int(((repeat["gross_repeat_value"] > 0) & (repeat["monetary_value"] <= 0)).sum())
    if returned:
        notes.append(Note(N_("{n} repeat buyers returned as much as they bought (net spend 0 or less); they are left "
                             "out of the spend model and their expected spend is 0."), (("n", returned),)))
    if unpriced:
        notes.append(Note(N_("{n} repeat buyers bought nothing with a price on their repeat days (no price, or only "
                             "non-product lines); they are left out of the spend model and their expected spend is 0."),
                          (("n", unpriced),)))
    seen_days = float(np.median(summary["T"])) * WEEK_DAYS
    if seen_days < MIN_CALIBRATION_DAYS:
        notes.insert(0, Note(N_("Half of the buyers made their first purchase less than {days} days before the end of "
                                "the data: "
                                "the model learns each customer's rhythm from those days and extends it over the "
                                "whole forecast, so read the values as a ranking of customers rather than as "
                                "amounts. A history of {min_days} days or more gives forecasts that can be "
                                "checked."), (("days", int(round(seen_days))), ("min_days", MIN_CALIBRATION_DAYS)),
                             "warning"))
    return ClvModel(bg, gg, params, summary, pd.Timestamp(as_of) if as_of is not None else pd.NaT, n, n_repeat,
                    len(spend), n_never_bought, corr, notes)


def expected_spend(model: ClvModel, summary: pd.DataFrame) -> np.ndarray:
    """Expected net spend per future purchase day: the Gamma-Gamma posterior mean, which shrinks each
    customer's mean towards the population's (a customer without repeats gets the population mean);
    0 for repeat buyers whose net spend is 0 or less."""
    f = summary["frequency"].to_numpy(float)
    m = summary["monetary_value"].to_numpy(float)
    if model.gg is None:
        return np.where(f > 0, np.clip(m, 0, None), float(np.mean(m[(f > 0) & (m > 0)])) if ((f > 0) & (m > 0)).any()
                        else 0.0)
    p, q, v = (model.params[k] for k in ("p", "q", "v"))
    pop = v * p / (q - 1) if q > 1 else np.nan
    w = p * f / (p * f + q - 1)
    out = (1 - w) * pop + w * m
    out = np.where((f > 0) & (m <= 0), 0.0, out)
    return np.where(np.isfinite(out), out, np.clip(m, 0, None))


def _squeeze(x) -> np.ndarray:
    return np.asarray(x.mean([d for d in ("chain", "draw") if d in x.dims]).values, dtype=float).ravel()


def predict_clv(model: ClvModel, summary: pd.DataFrame | None = None, horizon_months: int = HORIZON_MONTHS,
                discount_rate: float = DISCOUNT_RATE) -> pd.DataFrame:
    """Per buyer: P(alive), expected purchase days and lifetime value over the horizon.

    Columns (CUSTOMER_COLUMNS): the summary's frequency, recency, T, monetary_value; ``p_alive``
    (0..1); ``expected_purchases`` (purchase days in the next ``horizon_months``); ``expected_spend``
    (per purchase day, :func:`expected_spend`); ``clv`` (currency): the sum over months of expected
    purchases in the month × expected spend, discounted at ``discount_rate`` per month
    (``pymc_marketing.clv.utils.customer_lifetime_value``; 0 = no discounting).
    """
    lo, hi = HORIZON_RANGE
    if not (isinstance(horizon_months, int | np.integer) and lo <= horizon_months <= hi):
        raise DataError(_("The lifetime-value horizon must be a whole number of months from {lo} to {hi}; got {value}")
                        .format(lo=lo, hi=hi, value=repr(horizon_months)), hint=_("Try 12 months"))
    dlo, dhi = DISCOUNT_RANGE
    if not (dlo <= float(discount_rate) <= dhi):
        raise DataError(_("The monthly discount rate must be from {lo} to {hi}; got {value}").format(
            lo=f"{dlo:.0%}", hi=f"{dhi:.0%}", value=repr(discount_rate)),
            hint=_("Use 0 for no discounting, or about 1% a month"))
    summary = model.summary if summary is None else summary
    customer_lifetime_value = _library()[3]
    data = _bg_data(summary)
    spend = expected_spend(model, summary)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p_alive = _squeeze(model.bg.expected_probability_alive(data=data))
        purchases = _squeeze(model.bg.expected_purchases(data=data, future_t=horizon_months * WEEKS_PER_MONTH))
        clv = _squeeze(customer_lifetime_value(model.bg, data.assign(future_spend=spend), future_t=int(horizon_months),
                                               discount_rate=float(discount_rate), time_unit="W"))
    return pd.DataFrame({"user_id": summary["user_id"].to_numpy(), "frequency": summary["frequency"].to_numpy(),
                         "recency": summary["recency"].to_numpy(), "T": summary["T"].to_numpy(),
                         "monetary_value": summary["monetary_value"].to_numpy(), "p_alive": p_alive,
                         "expected_purchases": purchases, "expected_spend": spend, "clv": clv})


def probability_of_purchase(model: ClvModel, summary: pd.DataFrame, days: float) -> np.ndarray:
    """Each buyer's chance of at least one purchase day in the next ``days`` (BG/NBD)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        none = _squeeze(model.bg.expected_probability_no_purchase(t=float(days) / WEEK_DAYS, data=_bg_data(summary)))
    return 1.0 - none


def segment_clv(customers: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Per segment (SEGMENT_COLUMNS): customers in the segment, buyers among them, mean and median
    CLV per customer (never-buyers count as 0: the models say nothing about them), total CLV
    (= customers × mean CLV: the value at stake), its share of the total, mean expected purchases and
    mean P(alive) of the buyers. Sorted by total CLV, largest first."""
    seg = segments.assign(user_id=segments["user_id"].astype(str), segment=segments["segment"].astype(str))
    c = customers.assign(user_id=customers["user_id"].astype(str))
    m = seg.merge(c[["user_id", "clv", "expected_purchases", "p_alive"]], on="user_id", how="left")
    m["buyer"] = m["clv"].notna()
    m["clv0"] = m["clv"].fillna(0.0)
    g = m.groupby("segment", sort=False, observed=True)
    out = pd.DataFrame({"customers": g.size(), "buyers": g["buyer"].sum().astype("int64"),
                        "mean_clv": g["clv0"].mean(), "median_clv": g["clv0"].median(), "total_clv": g["clv0"].sum(),
                        "mean_expected_purchases": g["expected_purchases"].mean(),
                        "mean_p_alive": g["p_alive"].mean()}).reset_index()
    total = out["total_clv"].sum()
    out["share_of_total_clv"] = out["total_clv"] / total if total > 0 else np.nan
    return out.sort_values("total_clv", ascending=False, kind="stable").reset_index(drop=True).loc[:, list(SEGMENT_COLUMNS)]


# ---- one call for a dataset

@dataclass
class ClvResult:
    """What the Value page, the planner and the CLI show: the fitted model and per-customer forecasts."""

    model: ClvModel
    customers: pd.DataFrame
    horizon_months: int
    discount_rate: float

    @property
    def total_clv(self) -> float:
        return float(self.customers["clv"].sum())


def fit_dataset(events: pd.DataFrame | PurchaseDays, *, returns: pd.DataFrame | None = None,
                nonproduct: tuple[str, ...] = (), as_of: pd.Timestamp | None = None) -> ClvModel:
    """:func:`clv_summary` then :func:`fit_clv` on a dataset's events (or their :class:`PurchaseDays`)."""
    days = purchase_days(events, returns, nonproduct)
    if not days.has_times:
        return fit_clv(clv_summary(days))  # raises the DataError that says why
    as_of = _as_of_default(days) if as_of is None else pd.Timestamp(as_of).normalize()
    summary = clv_summary(days, as_of)
    users = int((days.first_seen < as_of).sum())
    return fit_clv(summary, as_of=as_of, n_never_bought=int(users - len(summary)))


def customer_value(ds, horizon_months: int = HORIZON_MONTHS, discount_rate: float = DISCOUNT_RATE) -> ClvResult:
    """CLV of every buyer of a :class:`promo_core.quality.Dataset` (returns and non-product lines netted)."""
    model = fit_dataset(ds.purchase_days() if getattr(ds, "in_engine", False) else ds.events, returns=ds.returns,
                        nonproduct=ds.nonproduct)
    return ClvResult(model, predict_clv(model, None, horizon_months, discount_rate), horizon_months, discount_rate)


# ---- honest hold-out accuracy

@dataclass
class ClvHoldout:
    """Calibrate before ``cutoff``, predict ``cutoff`` to ``end``, compare with what happened.

    ``ok`` is False (with ``notes``) when the data is too short for the check. Totals are over the
    customers who bought before the cutoff; revenue is net product sales in the hold-out period.
    ``top_decile_share``: share of hold-out revenue from the 10% of customers with the highest
    predicted revenue (10% = no better than chance); ``past_spend_top_decile_share``: the same when
    customers are ranked by their net spend before the cutoff (a yardstick without any model)."""

    ok: bool
    cutoff: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    customers: int = 0
    predicted_purchases: float = float("nan")
    actual_purchases: float = float("nan")
    predicted_revenue: float = float("nan")
    actual_revenue: float = float("nan")
    top_decile_share: float = float("nan")
    past_spend_top_decile_share: float = float("nan")
    median_p_alive: float = float("nan")  # among repeat buyers (1 by definition for the others)
    share_p_alive_above: float = float("nan")  # share of repeat buyers with P(alive) above SURE_ALIVE
    dropout_per_purchase: float = float("nan")
    no_dropout: bool = False
    deciles: pd.DataFrame = field(default_factory=pd.DataFrame)
    params: dict[str, float] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)

    @property
    def purchases_error(self) -> float:
        """predicted / actual - 1 (negative: the model under-predicts)."""
        return self.predicted_purchases / self.actual_purchases - 1 if self.actual_purchases else float("nan")

    @property
    def revenue_error(self) -> float:
        return self.predicted_revenue / self.actual_revenue - 1 if self.actual_revenue else float("nan")

    @property
    def holdout_days(self) -> int:
        return int((self.end - self.cutoff) / DAY) if self.ok else 0

    def to_dict(self) -> dict:
        keys = ("ok", "cutoff", "end", "customers", "predicted_purchases", "actual_purchases", "predicted_revenue",
                "actual_revenue", "top_decile_share", "past_spend_top_decile_share", "median_p_alive",
                "share_p_alive_above", "dropout_per_purchase", "no_dropout", "params")
        out = {k: getattr(self, k) for k in keys}
        out |= {"purchases_error": self.purchases_error, "revenue_error": self.revenue_error,
                "holdout_days": self.holdout_days, "notes": [n.text() for n in self.notes],
                "deciles": self.deciles.to_dict(orient="records")}
        return out


def default_cutoff(events: pd.DataFrame | PurchaseDays) -> pd.Timestamp:
    """The first of the month nearest to three quarters of the data's span (2011-09-01 on Online
    Retail, whose data runs 2010-12-01 to 2011-12-09): about a quarter of the time is held out."""
    if isinstance(events, PurchaseDays):
        first, last = events.first, events.last
    else:
        first, last = events["timestamp"].min(), events["timestamp"].max()
    start, end = first.normalize(), last.normalize() + DAY
    point = start + 0.75 * (end - start)
    this = point.to_period("M").to_timestamp()
    nxt = this + pd.offsets.MonthBegin(1)
    return this if point - this <= nxt - point else nxt


def _top_share(score: pd.Series, actual: pd.Series) -> float:
    """Share of the actual total held by the top 10% by score (ties broken by row order): the first of the
    ten deciles, which hold floor(n / 10) customers at the top."""
    n = max(1, int(0.1 * len(score)))
    top = score.sort_values(ascending=False, kind="stable").index[:n]
    total = actual.sum()
    return float(actual.loc[top].sum() / total) if total > 0 else float("nan")


def holdout_check(events: pd.DataFrame | PurchaseDays, cutoff: pd.Timestamp | str | None = None, *,
                  returns: pd.DataFrame | None = None, nonproduct: tuple[str, ...] = ()) -> ClvHoldout:
    """Fit on purchases before ``cutoff`` (default :func:`default_cutoff`), predict each calibration
    customer's purchase days and net revenue up to the end of the data, and compare with the truth.

    Needs at least ``MIN_CALIBRATION_DAYS`` before and ``MIN_HOLDOUT_DAYS`` after the cutoff;
    otherwise returns ``ok=False`` with a note saying why.
    """
    days = purchase_days(events, returns, nonproduct)
    if not days.has_times:
        return ClvHoldout(False, notes=[Note(N_("The hold-out check needs purchase times, and this dataset has none."))])
    start, end = days.first.normalize(), _as_of_default(days)
    try:
        cut = default_cutoff(days) if cutoff is None else pd.Timestamp(cutoff).normalize()
    except (ValueError, TypeError):
        raise DataError(_("The hold-out date {value} is not a date").format(value=repr(cutoff)),
                        hint=_("Write it as YYYY-MM-DD")) from None
    before, after = int((cut - start) / DAY), int((end - cut) / DAY)
    if before < MIN_CALIBRATION_DAYS or after < MIN_HOLDOUT_DAYS:
        return ClvHoldout(False, cut, end, notes=[Note(
            N_("The data runs {start} to {last}: a hold-out check needs at least {cal} days to learn from and {hold} "
               "days to check against (split at {cut}: {before} and {after} days), so the forecast's accuracy cannot "
               "be checked on this data."),
            (("start", f"{start:%Y-%m-%d}"), ("last", f"{end - DAY:%Y-%m-%d}"), ("cal", MIN_CALIBRATION_DAYS),
             ("hold", MIN_HOLDOUT_DAYS), ("cut", f"{cut:%Y-%m-%d}"), ("before", max(before, 0)),
             ("after", max(after, 0))), "warning")])
    try:
        model = fit_dataset(days, as_of=cut)
    except DataError as exc:
        return ClvHoldout(False, cut, end, notes=[Note(N_("The hold-out check could not fit the model on the data "
                                                          "before {cut}: {reason}"),
                                                       (("cut", f"{cut:%Y-%m-%d}"), ("reason", exc.what)), "warning")])
    weeks = (end - cut) / DAY / WEEK_DAYS
    s = model.summary
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred_n = _squeeze(model.bg.expected_purchases(data=_bg_data(s), future_t=weeks))
        p_alive = _squeeze(model.bg.expected_probability_alive(data=_bg_data(s)))
    spend = expected_spend(model, s)
    ids = s["user_id"].astype(str)
    # what happened: purchase days and net product revenue after the cutoff, for calibration customers
    buys = days.buys[(days.buys["day"] >= cut) & (days.buys["day"] < end)]
    buys = buys[buys["user_id"].isin(set(ids))]
    n_days = buys.groupby("user_id")["day"].nunique()
    rev = buys.groupby("user_id")["value"].sum()
    r = days.returned[(days.returned["day"] >= cut) & (days.returned["day"] < end)]
    if len(r):
        rev = rev.sub(r.groupby("user_id")["value"].sum(), fill_value=0.0)
    frame = pd.DataFrame({"predicted_purchases": pred_n, "actual_purchases": n_days.reindex(ids).fillna(0).to_numpy(),
                          "predicted_revenue": pred_n * spend, "actual_revenue": rev.reindex(ids).fillna(0.0).to_numpy(),
                          "past_spend": (s["monetary_value"] * s["frequency"]).to_numpy()}, index=ids.to_numpy())
    # deciles by predicted revenue (1 = highest)
    order = frame["predicted_revenue"].rank(method="first", ascending=False)
    frame["decile"] = np.ceil(order / len(frame) * 10).astype(int).clip(1, 10)
    d = frame.groupby("decile").agg(customers=("decile", "size"), predicted_purchases=("predicted_purchases", "sum"),
                                    actual_purchases=("actual_purchases", "sum"),
                                    predicted_revenue=("predicted_revenue", "sum"),
                                    actual_revenue=("actual_revenue", "sum")).reset_index()
    total_rev = frame["actual_revenue"].sum()
    d["share_of_actual_revenue"] = d["actual_revenue"] / total_rev if total_rev else np.nan
    # the top decile against past spend (gross first purchase left in: past net spend of all purchase days)
    past = _past_spend(days, cut).reindex(frame.index).fillna(0.0)
    repeat = s["frequency"].to_numpy() > 0  # P(alive) is 1 by definition without a repeat purchase
    alive = p_alive[repeat] if repeat.any() else p_alive
    above = float((alive > SURE_ALIVE).mean())
    out = ClvHoldout(True, cut, end, len(frame), float(frame["predicted_purchases"].sum()),
                     float(frame["actual_purchases"].sum()), float(frame["predicted_revenue"].sum()), float(total_rev),
                     _top_share(frame["predicted_revenue"], frame["actual_revenue"]),
                     _top_share(past, frame["actual_revenue"]), float(np.median(alive)), above,
                     model.dropout_per_purchase, False, d, dict(model.params), list(model.notes))
    out.no_dropout = bool(model.dropout_per_purchase < NO_DROPOUT)
    if out.no_dropout:
        out.notes.insert(0, Note(N_("The model finds almost no dropout: the median repeat customer's chance of still "
                                    "being active is {p}, so it treats nearly every past buyer as a future buyer."),
                                 (("p", f"{np.median(alive):.1%}"),), "warning"))
    return out


def _past_spend(days: PurchaseDays, cut: pd.Timestamp) -> pd.Series:
    b = days.buys[days.buys["day"] < cut]
    v = b.groupby("user_id")["value"].sum()
    r = days.returned[days.returned["day"] < cut]
    if len(r):
        v = v.sub(r.groupby("user_id")["value"].sum(), fill_value=0.0)
    return v


# ---- a tiny fit that compiles the models (for the app's warm-up)

def warm_up(seed: int = 0) -> float:
    """Fit both models once on a small simulated customer base so pytensor compiles them into the
    persistent cache; returns the seconds it took (about a minute cold, seconds when cached)."""
    import time
    t0 = time.perf_counter()
    summary = simulate_bgnbd(300, r=0.25, alpha=4.0, a=0.8, b=2.5, T=39.0, seed=seed)
    rng = np.random.default_rng(seed)
    summary["monetary_value"] = np.where(summary["frequency"] > 0, rng.gamma(6.0, 5.0, len(summary)), 0.0)
    model = fit_clv(summary)
    predict_clv(model, None, 12, DISCOUNT_RATE)
    return time.perf_counter() - t0


def simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, T: float | np.ndarray,
                   seed: int = 0) -> pd.DataFrame:
    """Purchase histories drawn from the BG/NBD process (Fader, Hardie & Lee 2005a, section 2): each
    customer buys at a Poisson rate λ ~ Gamma(r, rate alpha) and after each purchase drops out with
    probability p ~ Beta(a, b). Returns the summary columns (frequency, recency, T in weeks;
    monetary_value 0) for ``n`` customers observed ``T`` weeks from their first purchase."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    Ts = np.broadcast_to(np.asarray(T, dtype=float), (n,))
    freq, rec = np.zeros(n), np.zeros(n)
    for i in range(n):
        t, x = 0.0, 0
        while True:
            t += rng.exponential(1.0 / lam[i]) if lam[i] > 0 else np.inf
            if t > Ts[i]:
                break
            x += 1
            rec[i] = t
            if rng.random() < p[i]:
                break
        freq[i] = x
    return pd.DataFrame({"user_id": [f"c{i}" for i in range(n)], "frequency": freq, "recency": rec, "T": Ts.copy(),
                         "monetary_value": 0.0, "gross_repeat_value": 0.0, "net_share": 1.0})
