"""The campaign readout: treatment against holdout per segment and in total, beside the plan's forecast.

Inputs
    * the target list the campaign ran from (user_id, segment, group = treatment / holdout, and
      the offer and forecast columns :func:`.holdout.campaign_targets` writes);
    * what the customers did during the campaign: an outcomes file (user id, converted, revenue,
      discount; columns inferred as on the A/B page, :func:`outcomes_from_file`) or canonical events
      of the campaign period (:func:`outcomes_from_events`).
Rules, stated on every readout
    * customers of the target list with no outcome count as non-converters with no revenue;
    * outcome rows of customers not in the target list are ignored, and counted;
    * a target list with assignment problems (a customer twice, in both groups, rows with no group)
      is cleaned as the A/B page's switch does (rows with no group dropped, each customer's first
      row kept), and the counts are reported.
Statistics (all from the A/B engine, :func:`promo_core.experiment_run.run_experiment`)
    Per segment and in total, treatment against holdout: pooled z-test of conversion with Newcombe
    and log-ratio intervals, Welch's test of revenue per user, incremental profit and ROI with
    Fieller's interval on the per-user contribution (revenue + discount) × margin − discount −
    contact cost, the sample-ratio check against the planned holdout share, the integrity counts.
    Across segments the p-values are adjusted (Holm by default, statsmodels ``multipletests``) and
    each segment's interval is widened to match its adjusted p, as the A/B page does across arms.
    An outcomes file also gets a coverage check: a chi-square test (scipy ``chi2_contingency``) of
    whether the share of customers with an outcome row differs between the groups, which would bias
    the comparison.
Evidence for the next plan
    :func:`readout_evidence` turns each measured segment into the planner's
    :class:`promo_core.promotions.Evidence` (per-arm sums are kept, so the profit per user is
    recomputed exactly at the next plan's margin).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from statsmodels.stats.multitest import multipletests

from ..i18n import _, fmt_int
from ..schema import DataError, line_amount, normalise
from .holdout import MIN_GROUP, held_out_count

READOUT_VERSION = 1
ADJUSTMENTS = ("holm", "fdr_bh", "none")


# ---------------------------------------------------------------- inputs

TARGET_SYNONYMS = {"user_id": ("user_id", "userid", "customer_id", "customer", "user", "用户id"),
                   "segment": ("segment", "segment_name", "分群", "客群"), "group": ("group", "分组", "组别")}


def read_targets(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A target list with a holdout, checked: (frame with user_id, segment, group as text, notes).

    Column names are matched ignoring case and punctuation; group values must read treatment or
    holdout (case ignored). Rows with no group are left out and counted in the notes."""
    cols = {normalise(c): c for c in frame.columns}
    rename = {}
    for role, names in TARGET_SYNONYMS.items():
        hit = next((cols[normalise(n)] for n in names if normalise(n) in cols), None)
        if hit is None:
            raise DataError(_("The target list has no {column} column").format(column=role),
                            where=_("its columns are {columns}").format(
                                columns=", ".join(map(repr, map(str, frame.columns[:20])))),
                            hint=_("Use the target list with holdout that PromoScope exported (user_id, segment, "
                                   "offer, group)"), column=role)
        rename[hit] = role
    t = frame.rename(columns=rename)
    if t.empty:
        raise DataError(_("The target list has no rows"), hint=_("Use the target list the campaign ran from"))
    notes = []
    g = t["group"].astype("str").str.strip().str.casefold().where(t["group"].notna())
    g = g.where(g != "")
    bad = sorted(set(g.dropna()) - {"treatment", "holdout"})
    if bad:
        raise DataError(_("The group column must say treatment or holdout"),
                        where=_("other values: {values}").format(values=", ".join(map(repr, bad[:5]))),
                        hint=_("Use the target list with holdout that PromoScope exported"), column="group")
    if g.isna().any():
        notes.append(_("{n} rows of the target list have no group and are left out").format(n=fmt_int(g.isna().sum())))
    t = t.assign(user_id=t["user_id"].astype("str").str.strip(), segment=t["segment"].astype("str"), group=g)
    t = t[t["group"].notna()]
    if not (t["group"] == "holdout").any():
        raise DataError(_("The target list has no holdout group, so the campaign cannot be measured"),
                        hint=_("Export the target list with a holdout share above 0% before the campaign"))
    if not (t["group"] == "treatment").any():
        raise DataError(_("The target list has no treated customers"),
                        hint=_("Use the target list the campaign ran from"))
    return t.reset_index(drop=True), notes


def outcomes_from_file(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per customer (user_id, converted 0/1, revenue, discount) from an outcomes file.

    Columns are inferred as on the A/B page (:func:`promo_core.experiment_io.infer_columns`, then
    the A/B synonyms for discount). Without a yes/no column, converted = revenue above 0 (noted);
    without revenue or discount they are 0 (noted); several rows of one customer are added up."""
    from ..abtest import _binary, _money, guess_columns
    from ..experiment_io import infer_columns
    if frame.empty:
        raise DataError(_("The outcomes file has no rows"), hint=_("Use one row per customer"))
    guess = infer_columns(frame)
    syn = guess_columns(frame.columns)
    user = guess.user
    if user is None:
        raise DataError(_("The outcomes file has no column that looks like a customer id"),
                        where=_("its columns are {columns}").format(
                            columns=", ".join(map(repr, map(str, frame.columns[:20])))),
                        hint=_("Name it user_id (or customer id)"))
    revenue = guess.revenue or syn.get("revenue")
    outcome = guess.outcome if guess.outcome not in (None, user) else syn.get("converted")
    discount = syn.get("discount")
    notes = [_("Columns used: customer {user}, converted {converted}, revenue {revenue}, discount {discount}").format(
        user=user, converted=outcome or "–", revenue=revenue or "–", discount=discount or "–")]
    out = pd.DataFrame({"user_id": frame[user].astype("str").str.strip()})
    out["revenue"] = _money(frame[revenue], revenue, allow_negative=True).fillna(0.0) if revenue else 0.0
    out["discount"] = _money(frame[discount], discount).fillna(0.0) if discount else 0.0
    if outcome:
        conv = _binary(frame[outcome], outcome)
        out["converted"] = conv.fillna(0).astype(int)
    elif revenue:
        out["converted"] = (out["revenue"] > 0).astype(int)
        notes.append(_("The file has no yes/no outcome column: a customer with revenue above 0 counts as converted"))
    else:
        raise DataError(_("The outcomes file has neither a converted nor a revenue column"),
                        where=_("its columns are {columns}").format(
                            columns=", ".join(map(repr, map(str, frame.columns[:20])))),
                        hint=_("Add converted (0/1) and revenue per customer"))
    if not revenue:
        notes.append(_("The file has no revenue column: revenue and profit cannot be measured, only conversion"))
    out = out[out["user_id"].ne("") & frame[user].notna().to_numpy()]
    if out["user_id"].duplicated().any():
        notes.append(_("{n} customers have several rows; their rows are added up").format(
            n=fmt_int(out["user_id"].duplicated().sum())))
        out = out.groupby("user_id", sort=False).agg(converted=("converted", "max"), revenue=("revenue", "sum"),
                                                     discount=("discount", "sum")).reset_index()
    return out[["user_id", "converted", "revenue", "discount"]].assign(_has_revenue=bool(revenue)), notes


def outcomes_from_events(events: pd.DataFrame, start=None, end=None,
                         nonproduct: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[str]]:
    """One row per customer who bought in [start, end) (user_id, converted = 1, revenue, discount).

    ``events``: canonical events (:class:`promo_core.quality.Dataset`.events). Revenue is the
    purchase lines' amount (:func:`promo_core.schema.line_amount`, what was paid), discount the
    discount per unit × quantity where the data has one, non-product lines (postage, fees) left
    out. ``start``/``end`` None: the events' first and last day (the whole file)."""
    from ..nonproduct import product_lines
    if "timestamp" not in events or events["timestamp"].isna().all():
        raise DataError(_("The campaign events have no time stamps, so the campaign period cannot be found"),
                        hint=_("Upload events with a time column, or an outcomes file"))
    t = events["timestamp"]
    lo = pd.Timestamp(start) if start is not None else t.min().normalize()
    hi = pd.Timestamp(end) if end is not None else t.max().normalize() + pd.Timedelta(days=1)
    if not lo < hi:
        raise DataError(_("The campaign period ends before it starts"), hint=_("Choose an end after the start"))
    buys = events[(events["event"] == "purchase") & (t >= lo) & (t < hi)]
    buys = product_lines(buys, nonproduct)
    if "price" not in buys or buys["price"].isna().all():
        has_rev = False
        rev = pd.Series(0.0, index=buys.index)
    else:
        has_rev = True
        rev = line_amount(buys).fillna(0.0)
    disc = (buys["discount"].fillna(0) * buys["quantity"]) if "discount" in buys else pd.Series(0.0, index=buys.index)
    per = pd.DataFrame({"user_id": buys["user_id"].astype("str").to_numpy(), "revenue": rev.to_numpy(float),
                        "discount": disc.to_numpy(float)}).groupby("user_id", sort=True).sum().reset_index()
    return outcomes_frame(per, has_rev, lo, hi)


def outcomes_frame(per: pd.DataFrame, has_revenue: bool, lo: pd.Timestamp,
                   hi: pd.Timestamp) -> tuple[pd.DataFrame, list[str]]:
    """The outcomes table from one row per buyer (user_id, revenue, discount), with the period's note (shared with
    the engines' :func:`promo_core.engines.relational.campaign_outcomes`)."""
    notes = [_("Campaign period {start} to {end} (end excluded): {n} customers bought").format(
        start=lo.strftime("%Y-%m-%d"), end=hi.strftime("%Y-%m-%d"), n=fmt_int(len(per)))]
    return per.assign(converted=1, _has_revenue=has_revenue)[["user_id", "converted", "revenue", "discount",
                                                              "_has_revenue"]], notes


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class ArmStats:
    """Sums over one group's customers: enough to recompute any margin's profit per user exactly.

    gross = revenue + discount (sales at full price)."""

    n: int
    conversions: int
    gross_sum: float
    gross_sq: float
    discount_sum: float
    discount_sq: float
    gross_discount: float

    @classmethod
    def of(cls, g: pd.DataFrame) -> ArmStats:
        gross = (g["revenue"] + g["discount"]).to_numpy(float)
        d = g["discount"].to_numpy(float)
        return cls(len(g), int(g["converted"].sum()), float(gross.sum()), float((gross ** 2).sum()), float(d.sum()),
                   float((d ** 2).sum()), float((gross * d).sum()))

    def contribution(self, margin: float) -> tuple[float, float]:
        """(mean, variance with ddof 1) of gross × margin − discount per customer."""
        n = self.n
        mg, md = self.gross_sum / n, self.discount_sum / n
        if n < 2:
            return margin * mg - md, math.nan
        vg = (self.gross_sq - n * mg * mg) / (n - 1)
        vd = (self.discount_sq - n * md * md) / (n - 1)
        cov = (self.gross_discount - n * mg * md) / (n - 1)
        return margin * mg - md, max(margin * margin * vg + vd - 2 * margin * cov, 0.0)


@dataclass(frozen=True)
class SegmentReadout:
    """Treatment against holdout in one segment (or 'Total'), beside the forecast.

    Rates are shares (0.031 = 3.1%); differences are treatment − holdout; money is in the data's
    currency for all treated customers (``*_per_user`` per treated customer). ``adj_ci_*`` is the
    interval of the conversion difference at the level matching ``p_adjusted`` (across segments).
    """

    segment: str
    offer: str = ""
    offer_type: str = ""
    depth: float = 0.0
    threshold: float = 0.0
    offer_spec: str = ""             # the offer's settings as JSON (the target list's offer_spec), when known
    contact_cost: float = 0.0
    treated: int = 0
    held_out: int = 0
    planned_share: float = math.nan
    treated_with_outcome: int = 0
    held_out_with_outcome: int = 0
    rate_treatment: float = math.nan
    rate_holdout: float = math.nan
    abs_diff: float = math.nan
    abs_ci_low: float = math.nan
    abs_ci_high: float = math.nan
    rel_lift: float = math.nan
    rel_ci_low: float = math.nan
    rel_ci_high: float = math.nan
    p_value: float = math.nan
    p_adjusted: float = math.nan
    adj_ci_low: float = math.nan
    adj_ci_high: float = math.nan
    confidence_adjusted: float = math.nan
    chance_to_beat: float = math.nan
    revenue_diff: float = math.nan
    revenue_ci_low: float = math.nan
    revenue_ci_high: float = math.nan
    revenue_p: float = math.nan
    incremental_profit: float = math.nan
    profit_ci_low: float = math.nan
    profit_ci_high: float = math.nan
    promotion_cost: float = math.nan
    roi: float = math.nan
    roi_ci_low: float = math.nan
    roi_ci_high: float = math.nan
    roi_unbounded: bool = False
    chance_profit_positive: float = math.nan
    srm_chi2: float = math.nan
    srm_p: float = math.nan
    srm_mismatch: bool = False
    forecast_baseline: float = math.nan
    forecast_conversion: float = math.nan
    forecast_lift: float = math.nan
    forecast_profit_per_user: float = math.nan
    forecast_profit: float = math.nan
    forecast_in_interval: bool | None = None
    measured: bool = False
    notes: tuple[str, ...] = ()
    arms: dict[str, ArmStats] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignReadout:
    """A whole readout: settings, counts, per-segment and total results, notes. JSON-safe through
    :meth:`to_dict` / :meth:`from_dict` (NaN and infinities become null)."""

    name: str
    created: str
    source: str                      # 'outcomes file' / 'campaign events' / 'loaded data'
    margin: float
    alpha: float
    adjust: str
    holdout_share: float
    seed: int | None
    target_users: int
    users_without_outcome: dict[str, int]
    outcome_users_ignored: int
    target_rows_removed: int
    has_revenue: bool
    segments: tuple[SegmentReadout, ...]
    total: SegmentReadout
    integrity: dict = field(default_factory=dict)
    coverage_p: float = math.nan
    period_start: str | None = None
    period_end: str | None = None
    notes: tuple[str, ...] = ()
    version: int = READOUT_VERSION

    def to_dict(self) -> dict:
        return _json_safe(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> CampaignReadout:
        if not isinstance(data, dict) or data.get("version") != READOUT_VERSION or "total" not in data:
            raise DataError(_("This is not a PromoScope campaign readout (or it is from another version)"),
                            hint=_("Run the readout again on the Campaign readout page"))
        try:
            kw = {f.name: data[f.name] for f in fields(cls) if f.name in data}
            kw["segments"] = tuple(_segment_from(s) for s in data["segments"])
            kw["total"] = _segment_from(data["total"])
            kw["notes"] = tuple(data.get("notes", ()))
            kw["coverage_p"] = _float(data.get("coverage_p"))
            return cls(**kw)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(_("The campaign readout is incomplete ({error})").format(error=exc),
                            hint=_("Run the readout again on the Campaign readout page")) from None

    def frame(self) -> pd.DataFrame:
        """One row per segment and a 'Total' row: every scalar field of :class:`SegmentReadout`."""
        rows = [{k: v for k, v in asdict(s).items() if k not in ("arms", "notes")}
                for s in (*self.segments, self.total)]
        return pd.DataFrame(rows)


def _text(v: Any) -> str:
    """A text cell: '' for missing (NaN, None)."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _float(v: Any) -> float:
    return math.nan if v is None else float(v)


def _segment_from(d: dict) -> SegmentReadout:
    kw = {}
    for f in fields(SegmentReadout):
        if f.name not in d:
            continue
        v = d[f.name]
        if f.name == "arms":
            v = {k: ArmStats(**a) for k, a in (v or {}).items()}
        elif f.name == "notes":
            v = tuple(v or ())
        elif f.type == "float":
            v = _float(v)
        kw[f.name] = v
    return SegmentReadout(**kw)


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(float(obj)) else None
    return obj


# ---------------------------------------------------------------- the readout

def _first(g: pd.DataFrame, col: str, default=math.nan):
    if col not in g:
        return default
    v = g[col].dropna()
    return v.iloc[0] if len(v) else default


def _num(v, default=math.nan) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return default
    return x if math.isfinite(x) else default


def _measure(users: pd.DataFrame, name: str, share: float, margin: float, alpha: float, has_revenue: bool,
             forecast: dict | None) -> tuple[SegmentReadout, Any]:
    """Treatment against holdout in ``users`` through the A/B engine; (result, the engine's Run or None)."""
    from ..experiment_run import run_experiment
    t, h = users[users["group"] == "treatment"], users[users["group"] == "holdout"]
    g0 = users.iloc[:1] if len(users) else users
    offers = users.loc[users["group"] == "treatment", "offer"].dropna().astype(str).unique() \
        if "offer" in users else []
    base = SegmentReadout(
        segment=name, offer=offers[0] if len(offers) == 1 else "", offer_type=str(_first(g0, "offer_type", "")),
        depth=_num(_first(g0, "depth"), 0.0), threshold=_num(_first(g0, "threshold"), 0.0),
        offer_spec=_text(_first(g0, "offer_spec", "")),
        contact_cost=_num(_first(g0, "contact_cost"), 0.0), treated=len(t), held_out=len(h), planned_share=share,
        treated_with_outcome=int(t["_matched"].sum()), held_out_with_outcome=int(h["_matched"].sum()),
        arms={"treatment": ArmStats.of(t), "holdout": ArmStats.of(h)} if len(t) and len(h) else {})
    fc = forecast or {}
    f_base, f_conv, f_per = (_num(fc.get("baseline_conversion")), _num(fc.get("expected_conversion")),
                             _num(fc.get("forecast_profit_per_user")))
    base = replace(base, forecast_baseline=f_base, forecast_conversion=f_conv, forecast_lift=f_conv - f_base,
                   forecast_profit_per_user=f_per, forecast_profit=f_per * len(t))
    if min(len(t), len(h)) < 2:
        return replace(base, notes=(_("Too few customers in one of the groups to compare them"),)), None
    frame = users[["user_id", "group", "converted", "revenue", "discount", "cost"]]
    run = run_experiment(frame, variant="group", control="holdout", converted="converted",
                         revenue="revenue" if has_revenue else "", cost="cost", discount="discount", pre="",
                         user="user_id", time="", split={"treatment": 1 - share, "holdout": share} if 0 < share < 1
                         else None, alpha=alpha, adjust="none", margin=margin)
    c, r = run.comparisons[0], run.rois[0]
    notes = list(c.notes) + list(r.notes)
    if min(len(t), len(h)) < MIN_GROUP:
        notes.append(_("Fewer than {n} customers in a group: read this segment as an indication only").format(
            n=MIN_GROUP))
    out = replace(
        base, rate_treatment=c.rate_treatment, rate_holdout=c.rate_control, abs_diff=c.abs_diff,
        abs_ci_low=c.abs_ci.low, abs_ci_high=c.abs_ci.high, rel_lift=c.rel_lift, rel_ci_low=c.rel_ci.low,
        rel_ci_high=c.rel_ci.high, p_value=c.p_value, p_adjusted=c.p_value, adj_ci_low=c.abs_ci.low,
        adj_ci_high=c.abs_ci.high, confidence_adjusted=1 - alpha, chance_to_beat=_num(c.chance_to_beat),
        revenue_diff=_num(c.revenue_diff), revenue_ci_low=c.revenue_ci.low if c.revenue_ci else math.nan,
        revenue_ci_high=c.revenue_ci.high if c.revenue_ci else math.nan, revenue_p=_num(c.revenue_p),
        incremental_profit=_num(r.incremental_profit),
        profit_ci_low=r.incremental_profit_ci.low if r.incremental_profit_ci else math.nan,
        profit_ci_high=r.incremental_profit_ci.high if r.incremental_profit_ci else math.nan,
        promotion_cost=r.promotion_cost, roi=_num(r.roi), roi_ci_low=r.roi_ci.low if r.roi_ci else math.nan,
        roi_ci_high=r.roi_ci.high if r.roi_ci else math.nan, roi_unbounded=r.roi_unbounded,
        chance_profit_positive=_num(r.chance_profit_positive), srm_chi2=run.srm.chi2, srm_p=run.srm.p_value,
        srm_mismatch=run.srm.mismatch, measured=bool(c.ok), notes=tuple(dict.fromkeys(notes)))
    return _with_forecast_check(out), run


def _with_forecast_check(s: SegmentReadout) -> SegmentReadout:
    if math.isnan(s.forecast_lift) or math.isnan(s.adj_ci_low):
        return replace(s, forecast_in_interval=None)
    return replace(s, forecast_in_interval=bool(s.adj_ci_low <= s.forecast_lift <= s.adj_ci_high))


def _adjust(results: list[tuple[SegmentReadout, Any]], alpha: float, adjust: str) -> list[SegmentReadout]:
    """Adjust the segments' conversion p-values for their number, and widen their intervals to match."""
    from ..abtest import _rate_intervals
    out = [s for s, _run in results]
    idx = [i for i, (s, run) in enumerate(results) if run is not None and not math.isnan(s.p_value)]
    m = len(idx)
    if adjust == "none" or m < 2:
        return out
    ps = np.array([out[i].p_value for i in idx])
    adj = multipletests(ps, alpha=alpha, method=adjust)[1]
    for i, a in zip(idx, adj, strict=True):
        s, run = results[i]
        k = m if s.p_value == 0 else min(max(a / s.p_value, 1.0), m)
        v = run.exp.variants
        ci, _rel = _rate_intervals(v["treatment"], v["holdout"], alpha / k, "two-sided")
        out[i] = _with_forecast_check(replace(s, p_adjusted=float(a), adj_ci_low=ci.low, adj_ci_high=ci.high,
                                              confidence_adjusted=1 - alpha / k))
    return out


def campaign_readout(targets: pd.DataFrame, outcomes: pd.DataFrame, *, name: str = "", source: str = "outcomes file",
                     margin: float = 0.4, alpha: float = 0.05, adjust: str = "holm",
                     forecast: dict[str, dict] | None = None, period: tuple[str, str] | None = None,
                     notes: tuple[str, ...] = ()) -> CampaignReadout:
    """Measure a campaign: ``targets`` (see :func:`read_targets`; the forecast is read from its
    columns unless ``forecast`` maps segment → {baseline_conversion, expected_conversion,
    forecast_profit_per_user}) against ``outcomes`` (:func:`outcomes_from_file` or
    :func:`outcomes_from_events`). See the module docstring for the rules and methods."""
    from ..experiment_io import check_integrity, clean_assignments
    if not 0 < margin <= 1:
        raise DataError(_("The gross margin must be between 0% and 100%; got {value}").format(value=margin),
                        hint=_("Try 40%"))
    if not 0 < alpha < 0.5:
        raise DataError(_("The significance level must be between 0 and 0.5; got {value}").format(value=alpha),
                        hint=_("Try 0.05"))
    if adjust not in ADJUSTMENTS:
        raise DataError(_("Unknown adjustment {value}").format(value=repr(adjust)),
                        hint=", ".join(ADJUSTMENTS))
    t, t_notes = read_targets(targets)
    all_notes = [*notes, *t_notes]
    integ = check_integrity(t, "group", "user_id", mirror=None)
    removed = 0
    if integ.problems:
        t, integ = clean_assignments(t, "group", "user_id", None, integ)
        removed = integ.removed_rows
        all_notes.append(_("The target list had assignment problems ({problems}); each customer's first row was "
                           "kept ({n} rows removed)").format(problems="; ".join(integ.lines()), n=fmt_int(removed)))
    has_revenue = bool(outcomes["_has_revenue"].iloc[0]) if "_has_revenue" in outcomes and len(outcomes) else (
        "_has_revenue" not in outcomes)
    o = outcomes[["user_id", "converted", "revenue", "discount"]].assign(user_id=outcomes["user_id"].astype("str"))
    if o["user_id"].duplicated().any():  # one row per customer, as the readers give (never duplicate a target)
        o = o.groupby("user_id", sort=False).agg(converted=("converted", "max"), revenue=("revenue", "sum"),
                                                 discount=("discount", "sum")).reset_index()
    known = set(t["user_id"])
    ignored = int((~o["user_id"].isin(known)).sum())
    users = t.merge(o.assign(_matched=True), on="user_id", how="left")
    users["_matched"] = users["_matched"].fillna(False).astype(bool)
    for c in ("converted", "revenue", "discount"):
        users[c] = users[c].fillna(0).astype(int if c == "converted" else float)
    cc = users["contact_cost"] if "contact_cost" in users else pd.Series(0.0, index=users.index)
    users["cost"] = np.where(users["group"] == "treatment", pd.to_numeric(cc, errors="coerce").fillna(0.0), 0.0)
    if len(o) and not users["_matched"].any():  # every target "did nothing": a readout of 0 vs 0 would be a guess
        raise DataError(_("None of the {n} customers of the target list appear in the outcomes ({m} customers): "
                          "they are not the same customers").format(n=fmt_int(len(users)), m=fmt_int(len(o))),
                        hint=_("Use the outcomes of the campaign's own shop and dates, with user ids written as in the "
                               "target list (00123 is not 123)"))
    missing = {g: int((~users.loc[users["group"] == g, "_matched"]).sum()) for g in ("treatment", "holdout")}
    all_notes.append(_("{t} treated and {h} held-out customers of the target list have no outcome and count as "
                       "non-converters with no revenue").format(t=fmt_int(missing["treatment"]), h=fmt_int(missing["holdout"])))
    all_notes.append(_("{n} customers in the outcomes are not in the target list and are ignored").format(n=fmt_int(ignored)))
    coverage_p = math.nan
    if source == "outcomes file" and users["_matched"].any() and (~users["_matched"]).any():
        table = pd.crosstab(users["group"], users["_matched"])
        if table.shape == (2, 2):
            coverage_p = float(chi2_contingency(table.to_numpy())[1])
            if coverage_p < 0.001:
                all_notes.append(_("The share of customers with an outcome differs between treatment and holdout "
                                   "(p = {p}): the outcomes may have been exported for one group only, which biases "
                                   "the comparison").format(p=f"{coverage_p:.2g}"))
    shares = pd.to_numeric(users["holdout_share"], errors="coerce") if "holdout_share" in users else None
    fc = forecast if forecast is not None else _forecast_from_targets(users)
    results = []
    planned_holdout = 0.0
    for seg, g in users.groupby("segment", sort=True):
        share = _num(shares[g.index].dropna().iloc[0]) if shares is not None and shares[g.index].notna().any() \
            else len(g[g["group"] == "holdout"]) / len(g)
        planned_holdout += held_out_count(len(g), share) if not math.isnan(share) else 0
        results.append(_measure(g, str(seg), share, margin, alpha, has_revenue, fc.get(str(seg))))
    segs = _adjust(results, alpha, adjust)
    total_share = planned_holdout / len(users)
    total, _run = _measure(users, "Total", total_share, margin, alpha, has_revenue, _total_forecast(segs))
    total = replace(total, offer="", offer_type="", depth=0.0, threshold=0.0, offer_spec="", contact_cost=math.nan)
    seed = _first(users, "seed", None)
    return CampaignReadout(
        name=name or _("Campaign readout"), created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), source=source,
        margin=margin, alpha=alpha, adjust=adjust, holdout_share=total_share,
        seed=None if seed is None or pd.isna(_num(seed)) else int(_num(seed)), target_users=len(users),
        users_without_outcome=missing, outcome_users_ignored=ignored, target_rows_removed=removed,
        has_revenue=has_revenue, segments=tuple(segs), total=total, integrity=_json_safe(integ.to_dict()),
        coverage_p=coverage_p, period_start=period[0] if period else None, period_end=period[1] if period else None,
        notes=tuple(all_notes))


def _forecast_from_targets(users: pd.DataFrame) -> dict[str, dict]:
    cols = ("baseline_conversion", "expected_conversion", "forecast_profit_per_user")
    if not any(c in users for c in cols):
        return {}
    out = {}
    for seg, g in users.groupby("segment"):
        out[str(seg)] = {c: _num(_first(g, c)) for c in cols}
    return out


def _total_forecast(segs: list[SegmentReadout]) -> dict:
    ok = [s for s in segs if not math.isnan(s.forecast_baseline) and s.treated]
    if not ok:
        return {}
    w = np.array([s.treated for s in ok], dtype=float)
    per = [s.forecast_profit_per_user for s in ok]
    return {"baseline_conversion": float(np.average([s.forecast_baseline for s in ok], weights=w)),
            "expected_conversion": float(np.average([s.forecast_conversion for s in ok], weights=w)),
            "forecast_profit_per_user": float(np.average(per, weights=w)) if not np.isnan(per).any() else math.nan}


def forecast_from_json(data: dict) -> dict[str, dict]:
    """Per segment forecast from a forecast.json (``promo-core plan --out``): segment → baseline,
    expected conversion and profit per targeted customer."""
    rows = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise DataError(_("The forecast file has no list of segments"),
                        hint=_("Give the forecast.json written by promo-core plan"))
    out = {}
    for r in rows:
        if not isinstance(r, dict) or "segment" not in r:
            continue
        n = _num(r.get("targeted"), 0.0)
        out[str(r["segment"])] = {"baseline_conversion": _num(r.get("baseline_conversion")),
                                  "expected_conversion": _num(r.get("expected_conversion")),
                                  "forecast_profit_per_user": _num(r.get("incremental_profit")) / n if n else math.nan}
    return out


# ---------------------------------------------------------------- evidence for the planner

def readout_evidence(readout: CampaignReadout, margin: float, min_users: int = MIN_GROUP) -> dict:
    """The readout's measured segments as the planner's A/B evidence, keyed like
    :func:`promo_core.promotions.evidence`: (segment, offer type, depth, threshold) → Evidence.

    Per treated customer, from the kept sums: conversion of each group, Δ gross sales, the discount
    given, and Δ contribution ((gross × margin − discount), contact cost excluded as the planner adds
    its own) with its Welch interval (scipy, as the A/B evidence). Segments with fewer than
    ``min_users`` in a group, or with no offer type, give no evidence."""
    from ..abtest import welch
    from ..promotions import Evidence
    out = {}
    for s in readout.segments:
        arms = s.arms
        if not s.offer_type or s.offer_type == "none" or set(arms) != {"treatment", "holdout"}:
            continue
        t, c = arms["treatment"], arms["holdout"]
        if min(t.n, c.n) < min_users:
            continue
        mt, vt = t.contribution(margin)
        mc, vc = c.contribution(margin)
        d, ci, _p = welch(mt, vt, t.n, mc, vc, c.n)
        offer = measured_offer(s)
        if offer is None:
            continue
        key = offer.evidence_key()
        out[key] = Evidence(
            s.offer_type, key[2], key[3], t.n, c.conversions / c.n, t.conversions / t.n,
            t.gross_sum / t.n - c.gross_sum / c.n, t.gross_sum / t.n, t.discount_sum / t.n, d, ci.low, ci.high,
            offer=offer)
    return out


def measured_offer(s: SegmentReadout):
    """The offer a segment of the readout ran: from its ``offer_spec`` (target lists since the Chinese
    mechanics), else from offer type, depth and threshold; None when that does not describe a valid offer
    (a several-tier 满减 of an older target list, or an edited spec), which then gives no evidence."""
    from ..promotions import Offer, offer_from_spec
    try:
        if s.offer_spec:
            return offer_from_spec(s.segment, s.offer_spec)
        return Offer(s.segment, s.offer_type, float(s.depth), float(s.threshold)).validate()
    except DataError:
        return None
