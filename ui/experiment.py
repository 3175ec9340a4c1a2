"""Cached A/B computations and the A/B page's tables, readings and tabs.

Tables go through :func:`ui.tables.show` (human labels, locale-aware numbers); the frames behind them
keep machine names and full precision, and only those are exported. The cached analysis takes the
locale as an argument, because its notes and verdict-ready texts are written in that language.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from promo_core.abtest import p_text
from promo_core.experiment_io import infer_columns
from promo_core.experiment_run import run_experiment
from promo_core.i18n import N_, _, fmt_int, fmt_money, fmt_num, fmt_pct
from promo_core.io import read_table

from .state import CACHE_TTL, MAX_UPLOAD_BYTES, ROOT
from .tables import show

SAMPLE_EXPERIMENT = ROOT / "sample_data" / "experiment.csv"
#: the roles of the Columns expander (values stay stable: they key the widgets)
ROLE_LABELS = {"converted": N_("Outcome (yes/no)"), "revenue": N_("Revenue"), "cost": N_("Cost"),
               "discount": N_("Discount"), "pre": N_("Pre-period metric (for variance reduction)"),
               "user": N_("User id (integrity checks)"), "time": N_("Exposure time (effect by day)")}
HOW = N_("How is this computed?")


@st.cache_data(show_spinner=False, max_entries=8, ttl=CACHE_TTL)
def read_experiment(data: bytes | None, name: str) -> pd.DataFrame:
    """The experiment file as a frame (the bundled one when ``data`` is None)."""
    raw = read_table(Path(SAMPLE_EXPERIMENT) if data is None else data, name, max_bytes=MAX_UPLOAD_BYTES)
    return raw.frame


@st.cache_data(show_spinner=False, max_entries=8, ttl=CACHE_TTL)
def infer(frame: pd.DataFrame, locale: str = "en"):
    """What the file's columns probably mean (arms, control, outcome, revenue, user, time); its notes
    and description are in ``locale`` (part of the cache key)."""
    from promo_core.i18n import locale_context
    with locale_context(locale):
        return infer_columns(frame)


@st.cache_data(show_spinner=False, max_entries=16, ttl=CACHE_TTL)
def analyse(frame: pd.DataFrame, roles: tuple, control: str, alpha: float, adjust: str, margin: float,
            cost_per_user: float, cap: float | None, segment_map: pd.DataFrame | None, *, clean: bool = False,
            sequential: bool = False, tuning: float = 5000.0, alternative: str = "two-sided",
            split: tuple | None = None, margin_default: bool = False, contact_default: bool = False,
            locale: str = "en"):
    """One analysis (:func:`promo_core.experiment_run.run_experiment`) for one set of choices; the
    notes it writes are in ``locale`` (part of the cache key: two sessions may speak two languages)."""
    from promo_core.i18n import locale_context
    roles = dict(roles)
    segments = tuple(roles.pop("segments", ()))
    guardrails = tuple(roles.pop("guardrails", ()))
    frame = frame.copy()
    with locale_context(locale):
        if segment_map is not None and "user_id" in frame:
            frame["PromoScope segment"] = frame["user_id"].astype(str).map(
                segment_map.set_index("user_id")["segment"]).fillna(_("(not in the dataset)"))
            segments = (*segments, "PromoScope segment")
        return run_experiment(frame, segments=segments, guardrails=guardrails, control=control, clean=clean,
                              sequential=sequential, tuning=tuning, split=dict(split) if split else None, cap=cap,
                              alternative=alternative, alpha=alpha, adjust=adjust,
                              margin=None if margin_default else margin, cost_per_user=cost_per_user,
                              contact_is_default=contact_default, **roles)


def how(text: str) -> None:
    """The method behind a figure, folded away."""
    with st.expander(_(HOW), icon=":material/functions:"):
        st.markdown(text)


def comparison_table(comps) -> pd.DataFrame:
    """One row per treatment: rates, differences with raw and adjusted intervals, p-values (numbers,
    machine names: this is what is exported); ``p_text``/``p_adjusted_text`` are the p-values as read."""
    return pd.DataFrame([{
        "treatment": x.treatment, "rate_control": x.rate_control, "rate_treatment": x.rate_treatment,
        "abs_diff": x.abs_diff, "abs_ci_low": x.abs_ci.low, "abs_ci_high": x.abs_ci.high, "rel_lift": x.rel_lift,
        "low": x.rel_ci.low, "high": x.rel_ci.high, "p_value": x.p_value, "p_adjusted": x.p_adjusted,
        "adjusted_low": x.rel_ci_adjusted.low if x.rel_ci_adjusted else None,
        "adjusted_high": x.rel_ci_adjusted.high if x.rel_ci_adjusted else None,
        "adjusted_level": x.confidence_adjusted, "chance_to_beat": x.chance_to_beat,
        "expected_loss": x.expected_loss, "p_text": p_text(x.p_value), "p_adjusted_text": p_text(x.p_adjusted)}
        for x in comps])


def show_comparisons(table: pd.DataFrame, alpha: float) -> None:
    """The comparison table, labelled, with its reading and method."""
    level = fmt_pct(1 - alpha, 0)
    show(table, {"treatment": (_("Treatment"), "text"), "rate_control": (_("Control conversion"), "pct"),
                 "rate_treatment": (_("Treatment conversion"), "pct"),
                 "abs_diff": (_("Difference (percentage points)"), "pp"),
                 "abs_ci_low": (_("{level} interval: from").format(level=level), "pp"),
                 "abs_ci_high": (_("{level} interval: to").format(level=level), "pp"),
                 "rel_lift": (_("Relative lift"), "pct"),
                 "low": (_("Lift interval: from"), "pct"), "high": (_("Lift interval: to"), "pct"),
                 "p_text": (_("p-value"), "text"), "p_adjusted_text": (_("p-value (adjusted)"), "text"),
                 "adjusted_level": (_("Adjusted interval level"), "pct")},
         key="ab_table_comparisons",
         helps={"abs_diff": _("Treatment conversion minus control conversion, in percentage points"),
                "rel_lift": _("How much higher (or lower) the treatment's conversion is, as a share of the control's"),
                "p_text": _("How surprising the difference would be if the offer had no effect"),
                "p_adjusted_text": _("The p-value corrected for testing several treatments at once"),
                "adjusted_level": _("The level of the adjusted interval that matches the adjusted p-value")})
    st.caption(_("Reading: a p-value below {alpha} means a difference this large would rarely happen by chance if "
                 "the offer had no effect. The interval is the range of effects the data are consistent with: when "
                 "it does not include 0, the effect is significant.").format(alpha=fmt_num(alpha)))
    how(_("Conversion: pooled two-proportion z-test (statsmodels `proportions_ztest`). Interval of the difference: "
          "Newcombe's hybrid score method; interval of the relative lift: log ratio (statsmodels "
          "`confint_proportions_2indep`). With several treatments the p-values are adjusted (Holm or "
          "Benjamini-Hochberg, statsmodels `multipletests`) and the adjusted intervals are at the level that "
          "matches the adjusted p (Bonferroni's for the smallest p, the Holm or Benjamini-Hochberg step for the "
          "others), so the verdict's interval and p agree."))


def show_variants(summary: pd.DataFrame, currency: str) -> None:
    show(summary, {"variant": (_("Variant"), "text"), "users": (_("Users"), "int"),
                   "conversions": (_("Conversions"), "int"), "conversion_rate": (_("Conversion rate"), "pct"),
                   "revenue_per_user": (_("Revenue per user"), "money2"),
                   "revenue_per_buyer": (_("Revenue per buyer"), "money2"), "cost": (_("Contact cost"), "money"),
                   "discount": (_("Discounts given"), "money")}, currency, key="ab_table_variants")


def sequential_table(run) -> pd.DataFrame:
    """The sequential results, one row per treatment and kind of difference (numbers, machine names)."""
    rows = []
    for t, by in (run.sequential or {}).get("by_treatment", {}).items():
        for diff, r in by.items():
            rows.append({"treatment": t, "difference": diff, "estimate": r["estimate"],
                         "always-valid low": r["ci_low"], "always-valid high": r["ci_high"],
                         "sequential p": r["p_value"], "fixed low": r["fixed_ci_low"],
                         "fixed high": r["fixed_ci_high"], "fixed p": r["fixed_p_value"]})
    return pd.DataFrame(rows)


def arm_values(frame: pd.DataFrame, column: str) -> list[str]:
    """The arms of ``column`` as shown (trimmed), the guessed control first."""
    values = frame[column].dropna().astype(str).str.strip()
    return sorted(values[values != ""].unique(), key=str.casefold)


def control_guess(arms: tuple) -> str | None:
    from promo_core.experiment_io import guess_control
    return guess_control(arms)


def integrity_panel(integ, clean: bool) -> None:
    """The integrity counts, shown before any statistic; checks that could not be made (no user id
    column) are said to be not made, with how to make them, never reported as passed."""
    if integ is None:
        return
    from ui.widgets import md
    lines, unchecked = integ.lines(), integ.unchecked()
    if not lines and not unchecked:
        st.caption(_("Assignment checks passed on {n} rows: no repeated users, no user in two arms, no conflicting "
                     "rows, no missing values.").format(n=fmt_int(integ.rows)))
        return
    if not lines:
        st.info(_("Assignment checks on {n} rows: no conflicting rows, no missing values.").format(
            n=fmt_int(integ.rows)) + " " + " ".join(unchecked), icon=":material/person_search:")
        return
    body = "\n".join(f"- {md(x)}" for x in lines + unchecked)
    if clean:
        st.warning(_("**Assignment data cleaned**: {removed} of {rows} rows removed (conflicting rows, then each "
                     "user's first exposure kept).").format(removed=fmt_int(integ.removed_rows),
                                                            rows=fmt_int(integ.rows)) + f"\n\n{body}",
                   icon=":material/cleaning_services:")
    else:
        st.warning(_("**The assignment data has problems; every row is analysed.** Switch on *Remove conflicts* "
                     "to analyse the cleaned data.") + f"\n\n{body}", icon=":material/rule:")


def uncleaned_note(run) -> str:
    """Said inside every verdict while it counts rows that cleaning would remove ('' otherwise)."""
    if not run.uncleaned:
        return ""
    return ("\n\n:material/rule: **" + _("Computed on the uncleaned data.") + "** "
            + _("The repeated users and conflicting rows listed above are all counted; switch on *Remove conflicts* "
                "to compute the verdict on the cleaned data."))


def horizon_note(exp, control: str, sequential: bool) -> None:
    """A plain warning on the fixed-horizon view until the planned sample size is reached."""
    if sequential:
        st.caption(_("Sequential (always-valid) intervals: you may look at this test as often as you like."))
        return
    smallest = min(v.n for v in exp.variants.values())
    planned = st.number_input(_("Planned users per arm"), 0, 100_000_000, 0, 100, key="ab_planned_n",
                              help=_("For the fixed-horizon warning; from the Planning tab. 0 = not planned"))
    if planned and smallest < planned:
        st.warning(_("The smallest arm has {n} users, short of the planned {planned}. A fixed-horizon p-value is "
                     "valid only once, at the planned size: checking early and stopping when it looks significant "
                     "raises false alarms (ten looks: about 20% instead of 5%). Wait, or switch on "
                     "Sequential.").format(n=fmt_int(smallest), planned=fmt_int(planned)), icon=":material/schedule:")
    elif not planned:
        st.caption(_("These fixed-horizon p-values are valid once, at the planned sample size. If the test is still "
                     "running and you are checking it, switch on Sequential."))


def sequential_tab(run) -> None:
    from promo_core import charts
    if not run.sequential:
        st.info(_("Switch on *Sequential* above for intervals and p-values that stay valid however often you look."))
        return
    seq = sequential_table(run)
    level = fmt_pct(1 - run.sequential["alpha"], 1)
    for diff, title, kind in (("absolute", _("Difference in conversion (percentage points)"), "pp"),
                              ("relative", _("Relative lift"), "pct")):
        part = seq[seq["difference"] == diff].assign(
            seq_p=lambda d: d["sequential p"].map(p_text), fixed_p=lambda d: d["fixed p"].map(p_text))
        st.markdown(f"**{title}**")
        show(part, {"treatment": (_("Treatment"), "text"), "estimate": (_("Estimate"), kind),
                    "always-valid low": (_("Always-valid interval: from"), kind),
                    "always-valid high": (_("Always-valid interval: to"), kind),
                    "seq_p": (_("Sequential p-value"), "text"),
                    "fixed low": (_("Fixed interval: from"), kind), "fixed high": (_("Fixed interval: to"), kind),
                    "fixed_p": (_("Fixed-horizon p-value"), "text")}, key=f"ab_table_seq_{diff}")
    adjustment = (_("Bonferroni across {k} treatments").format(k=len(run.comparisons))
                  if run.sequential["adjustment"] != "none" else _("none"))
    st.caption(_("Always-valid: Waudby-Smith et al. asymptotic confidence sequence (GrowthBook gbstats); tuning "
                 "{tuning} users; adjustment across treatments: {adjustment}. Reading: the always-valid interval "
                 "({level}) stays correct however often you look, so it is wider than the fixed one: that is the "
                 "price of looking at any time.").format(tuning=fmt_int(run.sequential["tuning"]),
                                                         adjustment=adjustment, level=level))
    how(_("Each arm's conversions are summarised as a mean and variance; the always-valid interval is the asymptotic "
          "confidence sequence of Waudby-Smith et al. (as GrowthBook's `SequentialTwoSidedTTest`), tightest around "
          "the tuning number of users. The fixed-horizon interval beside it is Welch's, valid once, at the planned "
          "size."))
    for t, ot in run.over_time.items():
        if len(ot):
            st.plotly_chart(charts.fig_effect_over_time(ot, t), key=f"ab_ot_{t}")
    if not run.over_time:
        st.caption(_("Choose an exposure-time column to see the effect day by day."))


def metrics_tab(run) -> None:
    if run.metrics is None or run.metrics.empty:
        st.info(_("Several metrics need user-level results."))
        return
    from promo_core.abtest import ADJUSTMENTS
    from promo_core.metrics import metric_name
    roles = {"primary": _("primary"), "guardrail": _("guardrail")}
    m = run.metrics.assign(p_text=lambda d: d["p_value"].map(p_text),
                           p_adjusted_text=lambda d: d["p_adjusted"].map(p_text),
                           name=lambda d: d["metric"].map(metric_name),
                           role_text=lambda d: d["role"].map(lambda r: roles.get(r, r)))
    fams = m.groupby("role")["family_size"].max().to_dict()
    for kind, value, diff in (("proportion", "pct", "pp"), ("other", "num", "num")):
        part = m[(m["kind"] == "proportion") == (kind == "proportion")]
        if part.empty:
            continue
        st.markdown("**" + (_("Yes/no metrics (rates; differences in percentage points)") if kind == "proportion"
                            else _("Amounts and ratios")) + "**")
        show(part, {"name": (_("Metric"), "text"), "role_text": (_("Role"), "text"),
                    "treatment": (_("Treatment"), "text"), "control_value": (_("Control value"), value),
                    "treatment_value": (_("Treatment value"), value), "diff": (_("Difference"), diff),
                    "ci_low": (_("Interval: from"), diff), "ci_high": (_("Interval: to"), diff),
                    "p_text": (_("p-value"), "text"), "p_adjusted_text": (_("p-value (adjusted)"), "text")},
             key=f"ab_table_metrics_{kind}")
    for line in m["reading"]:
        st.caption(line)
    st.caption(_("Multiplicity: the primary metric is adjusted across {primary} comparison(s); the guardrails form a "
                 "second family of {guardrail} (treatments × guardrails), adjusted with {adjust}.").format(
        primary=fams.get("primary", 0), guardrail=fams.get("guardrail", 0),
        adjust=_(ADJUSTMENTS.get(run.adjust, run.adjust))))
    how(_("Ratio metrics use the delta method; guardrails with a margin are one-sided non-inferiority tests; "
          "proportions use the two-proportion test and means Welch's t-test."))


def srm_notice(srm, variant_col: str, arm_chosen: bool) -> None:
    """The sample-ratio check: blocks (until acknowledged) when the user chose or named the arm column, a
    warning beside the results when the column was only guessed."""
    from promo_core.abtest import format_p

    from .widgets import md
    if not srm.mismatch:
        st.caption(_("Sample ratio check passed ({p} against the planned split): each arm got about the share of "
                     "users it was meant to.").format(p=format_p(srm.p_value)))
        return
    msg = _("Sample ratio mismatch (chi-square {p}) in {col}: the arms did not get their planned share of users, so "
            "randomisation may be broken and every result below may be biased.").format(p=format_p(srm.p_value),
                                                                                       col=md(variant_col))
    if not arm_chosen:
        st.warning(msg + " " + _("This column was guessed: if it is not the arm column, change it under Columns."),
                   icon=":material/warning:")
        return
    st.error(msg + " " + _("Find the cause first."), icon=":material/block:")
    if not st.checkbox(_("I understand; show the results anyway"), key="ab_srm_ack"):
        st.stop()


def revenue_tab(exp, comps, currency: str, alpha: float) -> None:
    from promo_core.report import revenue_frame
    if not exp.has_revenue:
        st.info(_("Choose a revenue column to compare revenue per user."))
        return
    level = fmt_pct(1 - alpha, 0)
    show(revenue_frame(comps), {
        "treatment": (_("Treatment"), "text"), "revenue_diff": (_("Revenue per user: difference"), "money2"),
        "revenue_low": (_("{level} interval: from").format(level=level), "money2"),
        "revenue_high": (_("{level} interval: to").format(level=level), "money2"),
        "revenue_p_text": (_("p-value"), "text"), "bootstrap_low": (_("Bootstrap interval: from"), "money2"),
        "bootstrap_high": (_("Bootstrap interval: to"), "money2"),
        "buyer_diff": (_("Revenue per buyer: difference"), "money2"),
        "buyer_p_text": (_("Per-buyer p-value"), "text")}, currency, key="ab_table_revenue")
    st.caption(_("Reading: the difference is what an average user in the treatment spent more (or less) than one in "
                 "the control; per buyer counts only those who bought. When the bootstrap and Welch intervals "
                 "disagree, a few big spenders dominate: cap revenue above."))
    how(_("Welch's t-test and interval (scipy) on revenue per user and per buyer; the bootstrap interval resamples "
          "users within each arm 2,000 times (scipy `bootstrap`, percentile method)."))


def bayes_tab(table: pd.DataFrame) -> None:
    show(table, {"treatment": (_("Treatment"), "text"), "chance_to_beat": (_("Chance to beat control"), "pct"),
                 "expected_loss": (_("Expected loss (percentage points)"), "pp")}, key="ab_table_bayes")
    for r in table.itertuples(index=False):
        if r.chance_to_beat is not None and r.chance_to_beat == r.chance_to_beat:
            st.caption(_("Reading: {treatment} has a {chance} chance of a truly higher conversion rate than the "
                         "control; choosing it when it is in fact worse would give up {loss} of conversion on "
                         "average.").format(treatment=r.treatment, chance=fmt_pct(r.chance_to_beat, 1),
                                            loss=_("{x} percentage points").format(
                                                x=fmt_num(100 * r.expected_loss, 2))))
    how(_("Each arm's conversion rate gets a Beta(1 + conversions, 1 + non-conversions) posterior (flat prior). "
          "Chance to beat control is the probability that the treatment's rate is higher, integrated numerically; "
          "it is not 1 − p. Expected loss is the conversion given up, on average, if the treatment is in fact worse "
          "(seeded Monte Carlo)."))


def roi_tab(rois, currency: str, alpha: float) -> None:
    from promo_core import charts
    from promo_core.roi import basis_label, roi_frame
    level = fmt_pct(1 - alpha, 0)
    unit = fmt_money(1, currency)
    frame = roi_frame(rois)
    show(frame, {"treatment": (_("Treatment"), "text"),
                 "incremental_conversions": (_("Extra conversions"), "num"),
                 "incremental_revenue": (_("Extra revenue"), "money"), "promotion_cost": (_("Promotion cost"), "money"),
                 "incremental_profit": (_("Incremental profit"), "money"),
                 "profit_low": (_("Profit {level} interval: from").format(level=level), "money"),
                 "profit_high": (_("Profit {level} interval: to").format(level=level), "money"),
                 "roi": (_("Profit per {unit} spent").format(unit=unit), "money2"),
                 "roi_low": (_("ROI interval: from"), "money2"), "roi_high": (_("ROI interval: to"), "money2"),
                 "chance_profit_positive": (_("Chance it made money"), "pct"),
                 "break_even_lift": (_("Break-even lift"), "pct")}, currency, key="ab_table_roi",
         helps={"break_even_lift": _("The relative conversion lift at which the treatment's profit equals the "
                                     "control's"),
                "roi": _("Incremental profit divided by the promotion's cost")})
    for r in rois:
        if r.incremental_profit is not None:
            st.caption(_("Reading: {treatment} brought an estimated {profit} of extra profit (between {low} and {high}); "
                         "the chance it made money is {chance}.").format(
                treatment=r.treatment, profit=fmt_money(r.incremental_profit, currency),
                low=fmt_money(r.incremental_profit_ci.low, currency),
                high=fmt_money(r.incremental_profit_ci.high, currency),
                chance=fmt_pct(r.chance_profit_positive, 0)))
    if rois:
        how(_("Profit basis: {basis}. Incremental profit = (mean contribution of the treatment − mean contribution of "
              "the control) × treated users, with a Welch interval. ROI = incremental profit ÷ promotion cost; its "
              "interval is Fieller's, because the cost is uncertain too (unbounded when the cost's own interval "
              "reaches 0).").format(basis=basis_label(rois[0])))
    for r in rois:
        if r.incremental_profit is not None:
            st.plotly_chart(charts.fig_profit_waterfall(r, currency), key=f"wf_{r.treatment}")


def segments_tab(exp, control: str, alpha: float) -> None:
    from promo_core import charts
    from promo_core.abtest import by_segment
    users = exp.users.columns if exp.users is not None else []
    seg_cols = [c.removeprefix("segment:") for c in users if c.startswith("segment:")]
    if not seg_cols:
        st.info(_("Choose a segment column (or load user-level results whose user ids match the dataset)."))
        return
    seg = by_segment(exp, control, st.selectbox(
        _("Break down by"), seg_cols, key="ab_segcol",
        format_func=lambda c: _("Segments page's segments") if c == "PromoScope segment" else c), alpha)
    st.warning(_("Segment results are exploratory: with many segments some differences appear by chance. Confirm a "
                 "segment finding with its own test before acting on it."), icon=":material/science:")
    for t in seg["treatment"].unique():
        d = seg[seg["treatment"] == t].rename(columns={"ci_low": "low", "ci_high": "high"})
        st.plotly_chart(charts.fig_lift_forest(
            d, "segment", "abs_diff", title=_("{treatment}: conversion change by segment (percentage points)").format(
                treatment=t), axis=_("Change against the control (percentage points)")), key=f"seg_{t}")
    level = fmt_pct(1 - alpha, 0)
    show(seg.assign(p_text=seg["p_value"].map(p_text),
                    enough=seg["ok"].map(lambda ok: _("yes") if ok else _("too few users"))),
         {"segment": (_("Segment"), "text"), "treatment": (_("Treatment"), "text"), "users": (_("Users"), "int"),
          "rate_control": (_("Control conversion"), "pct"), "rate_treatment": (_("Treatment conversion"), "pct"),
          "abs_diff": (_("Difference (percentage points)"), "pp"),
          "ci_low": (_("{level} interval: from").format(level=level), "pp"),
          "ci_high": (_("{level} interval: to").format(level=level), "pp"), "p_text": (_("p-value"), "text"),
          "enough": (_("Enough users"), "text")}, key="ab_table_segments")


def cuped_tab(exp, control: str, alpha: float, currency: str) -> None:
    from promo_core.abtest import cuped
    from promo_core.report import cuped_frame
    if not exp.has_pre or not exp.has_revenue:
        st.info(_("Choose a revenue column and a pre-period metric to reduce variance (CUPED)."))
        return
    cu = cuped(exp, control, alpha)
    st.metric(_("Variance removed"), fmt_pct(cu.variance_saved, 0),
              help=_("Share of the noise in revenue per user explained by the pre-period metric"))
    st.caption(_("Reading: adjusting for what each user did before the test removed {share} of the noise in revenue, "
                 "so these intervals are narrower than the plain ones on the Revenue tab.").format(
        share=fmt_pct(cu.variance_saved, 0)))
    level = fmt_pct(1 - alpha, 0)
    show(cuped_frame(cu), {"treatment": (_("Treatment"), "text"),
                           "revenue_diff": (_("Adjusted revenue difference per user"), "money2"),
                           "low": (_("{level} interval: from").format(level=level), "money2"),
                           "high": (_("{level} interval: to").format(level=level), "money2"),
                           "p_text": (_("p-value"), "text")}, currency, key="ab_table_cuped")
    how(_("CUPED: each user's revenue Y is adjusted by the pre-period value X as Y − θ(X − mean X), with θ = "
          "cov(Y, X) / var(X) pooled over all users (here θ = {theta}); the adjusted revenue is then compared with "
          "Welch's t-test.").format(theta=fmt_num(cu.theta, 4)))


def planning_tab(exp, control: str, alpha: float) -> None:
    from promo_core.abtest import days_needed, mde_conversion, sample_size_conversion
    from promo_core.report import sample_size_reading
    from promo_core.schema import DataError

    from .widgets import show_error
    c = st.columns(4)
    base = c[0].number_input(_("Baseline conversion (%)"), 0.1, 99.0,
                             round(100 * exp.variants[control].rate, 2) or 5.0) / 100
    lift = c[1].number_input(_("Lift to detect (%)"), 1.0, 500.0, 10.0) / 100
    power = c[2].selectbox(_("Power"), [0.8, 0.9], format_func=lambda x: fmt_pct(x, 0),
                           help=_("The chance of detecting the lift if it is real"))
    daily = c[3].number_input(_("Users entering the test per day"), 1, 10_000_000, 1000)
    try:
        n_arm = sample_size_conversion(base, lift, alpha, power)
        n_control = exp.variants[control].n
        st.markdown(sample_size_reading(n_arm, len(exp.variants), days_needed(n_arm, len(exp.variants), daily), daily,
                                        n_control, mde_conversion(base, n_control, alpha, power)))
    except DataError as exc:
        show_error(exc)
    how(_("Users per arm from statsmodels `NormalIndPower` on Cohen's h (two-sided, at the confidence level chosen "
          "above); the smallest detectable lift solves the same equation for the lift."))


def mark_set(flag: str):
    """An on_change callback that records the user set a widget (so its value is no longer 'the default')."""
    return lambda: st.session_state.__setitem__(flag, True)


def columns_key(frame: pd.DataFrame) -> str:
    """Keys the Columns widgets: the same for every file with the same columns, so choices made for one
    file carry over to the next one of the same shape (a new name does not reset them)."""
    import hashlib
    return hashlib.sha1("\x1f".join(map(str, frame.columns)).encode()).hexdigest()[:10]


def _chosen(sig: str):
    """on_change of a Columns widget: the user chose columns for files of this shape."""
    def record():
        st.session_state["ab_columns_chosen"] = sig
        st.session_state.pop("ab_columns_reset", None)
    return record


def column_roles(frame: pd.DataFrame, guess: dict, aggregated: bool) -> dict:
    """The Columns expander: which column plays which role (pre-filled with the inferred guess). Keyed
    by the file's columns: a file with the same columns keeps the choices; one with other columns
    starts from its own guess, and says so when the user had chosen columns."""
    sig = columns_key(frame)
    chosen = st.session_state.get("ab_columns_chosen")
    if chosen and chosen != sig:
        st.session_state["ab_columns_reset"] = sig
        del st.session_state["ab_columns_chosen"]
    if st.session_state.get("ab_columns_reset") == sig:
        st.info(_("This file's columns differ from the previous file's, so the columns you chose were not carried "
                  "over: they were read again from this file's headers. Check them under Columns."),
                icon=":material/view_column:")
    cols = ["", *map(str, frame.columns)]
    title = _("Columns (aggregated file: one row per variant)") if aggregated else _("Columns")
    record = _chosen(sig)
    with st.expander(title, icon=":material/view_column:"):
        c = st.columns(4)
        arm_default = guess.get("variant") or cols[1]
        roles = {"variant": c[0].selectbox(_("Arms (variant)"), cols[1:], index=cols[1:].index(arm_default),
                                           key=f"ab_var_{sig}", on_change=record)}
        if not aggregated:
            for i, role in enumerate(("converted", "revenue", "cost", "discount", "pre", "user", "time")):
                roles[role] = c[(i + 1) % 4].selectbox(_(ROLE_LABELS[role]), cols,
                                                       index=cols.index(guess.get(role) or ""),
                                                       format_func=lambda x: x or _("(none)"), key=f"ab_{role}_{sig}",
                                                       on_change=record)
            roles["segments"] = tuple(st.multiselect(_("Segment columns"), cols[1:], key=f"ab_segs_{sig}",
                                                     default=[x for x in ("region",) if x in cols], on_change=record))
            roles["guardrails"] = tuple(st.multiselect(_("Guardrail metrics (e.g. returns, unsubscribes)"), cols[1:],
                                                       key=f"ab_guard_{sig}", on_change=record))
    return roles
