"""A/B tests: significance, intervals, Bayesian view, segments, variance reduction, ROI, planning."""

import streamlit as st

from promo_core import charts
from promo_core.abtest import (
    ADJUSTMENT_HELP,
    ADJUSTMENTS,
    ALTERNATIVES,
    guess_columns,
    is_aggregated,
    rate_interval,
)
from promo_core.experiment_io import describe_columns
from promo_core.export import to_json_text
from promo_core.i18n import _, current_locale, default_currency, fmt_int, fmt_pct, locale_context
from promo_core.report import report_html
from promo_core.roi import verdict
from promo_core.schema import DataError
from promo_core.sequential import SequentialResult
from ui import analysis, experiment, state
from ui.widgets import downloads, md, show_error

st.title(_("A/B tests"))
st.caption(_("Did the promotion work, and did it pay? Conversion is tested with a two-proportion z-test, revenue "
             "with Welch's t-test; profit counts the discount given on orders that would have happened anyway."))
currency = st.session_state.get("currency") or default_currency()
locale = current_locale()
source = st.radio(_("Experiment"), ["sample", "upload"], horizontal=True, key="ab_source", persist_state="session",
                  format_func=lambda x: {"sample": _("Bundled sample experiment"), "upload": _("Upload results")}[x])
data, name = None, "sample_data/experiment.csv"
if source == "upload":
    up = st.file_uploader(_("User-level (one row per user) or aggregated (one row per variant) results"),
                          type=["csv", "tsv", "txt", "gz", "xlsx", "parquet"], key="ab_upload")
    if up is not None:
        try:
            experiment.read_experiment(up.getvalue(), up.name)
            st.session_state["ab_file"] = (up.getvalue(), up.name)
        except DataError as exc:
            show_error(exc, _("This file was not loaded; the previous experiment is still shown."))
    if "ab_file" in st.session_state:
        data, name = st.session_state["ab_file"]
    else:
        st.info(_("Upload a results file; until then the bundled sample experiment is shown."))
frame = experiment.read_experiment(data, name)
guess = guess_columns(frame.columns)
aggregated = is_aggregated(frame.columns)
inferred = None if aggregated else experiment.infer(frame, locale)
if inferred is not None:
    guess |= {k: v for k, v in {"variant": inferred.arm, "converted": inferred.outcome, "revenue": inferred.revenue,
                                "user": inferred.user, "time": inferred.time}.items() if v}
heading = st.empty()  # the columns in use, written once the control is known
roles = experiment.column_roles(frame, guess, aggregated)
arm_chosen = inferred is None or roles["variant"] != inferred.arm or inferred.arm_by_name
arms = experiment.arm_values(frame, roles["variant"])


def columns_line(control: str | None) -> None:
    """The columns and control in use (as chosen, else as inferred), above the Columns expander."""
    text = _("Aggregated file: one row per variant") if inferred is None else describe_columns(
        roles["variant"], len(arms), control, roles["converted"] or inferred.outcome, roles["revenue"],
        roles["user"], roles["time"])
    heading.caption(md(text) + " — " + _("change them under **Columns** below."))


if not 2 <= len(arms) <= 20:
    columns_line(None)
    st.error(_("{col} has {n} different values; the arm column of an experiment has 2 to 20. Choose the arm column "
               "under Columns.").format(col=md(roles["variant"]), n=fmt_int(len(arms))), icon=":material/error:")
    st.stop()
control_guess = experiment.control_guess(tuple(arms))
c = st.columns(6)
control = c[0].selectbox(_("Control"), arms, index=arms.index(control_guess) if control_guess in arms else None,
                         key="ab_control", placeholder=_("Choose the control arm"))
columns_line(control)
level = c[1].selectbox(_("Confidence"), [0.90, 0.95, 0.99], index=1, key="ab_level",
                       format_func=lambda x: fmt_pct(x, 0),
                       help=_("How sure a result must be before it is called significant (95% is usual)"))
adjust = c[2].selectbox(_("Several treatments"), list(ADJUSTMENTS), format_func=lambda x: _(ADJUSTMENTS[x]),
                        key="ab_adjust", help="\n\n".join(f"**{_(ADJUSTMENTS[k])}**: {_(v)}"
                                                           for k, v in ADJUSTMENT_HELP.items()))
margin = c[3].slider(_("Gross margin (%)"), 5, 90, 40, key="ab_margin", persist_state="session",
                     on_change=experiment.mark_set("ab_margin_set"),
                     help=_("Share of the full price that is profit before promotion costs")) / 100
contact = c[4].number_input(_("Contact cost ({currency})").format(currency=currency), 0.0, 100.0, 0.15, 0.05,
                            key="ab_contact", on_change=experiment.mark_set("ab_contact_set"),
                            help=_("Per treated user; used when the file has no cost column"))
cap = c[5].selectbox(_("Cap revenue at"), [None, 99.0, 99.9], key="ab_cap",
                     format_func=lambda x: _("no cap") if x is None else _("{p}th percentile").format(p=f"{x:g}"),
                     help=_("Limits the pull of a few very big spenders on revenue per user"))
c = st.columns(4)
alternative = c[0].selectbox(_("Hypothesis"), list(ALTERNATIVES), format_func=lambda x: _(ALTERNATIVES[x]),
                             key="ab_alternative",
                             help=_("Either direction: a two-sided test. Treatment better or worse: a one-sided test "
                                    "of that direction only, decided before looking at the data"))
clean = c[1].toggle(_("Remove conflicts"), key="ab_clean", help=_(
    "Drop rows that disagree with the assignment and keep each user's first exposure"))
sequential = c[2].toggle(_("Sequential"), key="ab_sequential",
                         help=_("Always-valid intervals: correct however often you look at a running test"))
tuning = c[3].number_input(_("Sequential tuning (users)"), 100, 10_000_000, 5000, 100, key="ab_tuning",
                           help=_("Total users (both arms) at which the always-valid interval is tightest"))
if control is None:
    st.info(_("No arm of {col} is named like a control: choose the control arm above.").format(
        col=md(roles["variant"])), icon=":material/help:")
    st.stop()
with st.expander(_("Planned split (for the sample ratio check)"), icon=":material/balance:"):
    shares = {v: st.number_input(_("Planned share: {arm}").format(arm=v), 0.01, 100.0, 1.0, key=f"ab_share_{v}")
              for v in arms}
seg_map = analysis.segmentation_or_none(state.dataset()) if "user_id" in frame.columns else None
alpha = round(1 - level, 4)
try:
    with st.spinner(_("Testing…")):
        run = experiment.analyse(frame, tuple(sorted(roles.items())), control, alpha, adjust, margin, contact, cap,
                                 seg_map, clean=clean, sequential=sequential, tuning=float(tuning),
                                 alternative=alternative, split=tuple(sorted(shares.items())),
                                 margin_default=not st.session_state.get("ab_margin_set"),
                                 contact_default=not st.session_state.get("ab_contact_set"), locale=locale)
except DataError as exc:
    show_error(exc, _("The experiment cannot be analysed with these settings."))
    st.stop()
exp, comps, rois, srm, control = run.exp, run.comparisons, run.rois, run.srm, run.control
experiment.integrity_panel(run.integrity, clean)
for note in exp.notes + run.notes:
    st.caption(md(note))
experiment.srm_notice(srm, roles["variant"], arm_chosen)

st.subheader(_("Verdict"))
seq_by = (run.sequential or {}).get("by_treatment", {})
for cmp, roi in zip(comps, rois, strict=True):
    seq = SequentialResult(**seq_by[cmp.treatment]["relative"]) if cmp.treatment in seq_by else None
    st.info(md(verdict(cmp, roi, currency, alpha, seq)) + experiment.uncleaned_note(run), icon=":material/gavel:")
    for note in cmp.notes + roi.notes:
        st.caption(md(note))
experiment.horizon_note(exp, control, sequential)
summary = exp.summary().sort_values("variant", key=lambda s: s != control, kind="stable")
intervals = {v.name: rate_interval(v, alpha) for v in exp.variants.values()}
table = experiment.comparison_table(comps)
t_over, t_seq, t_metrics, t_rev, t_bayes, t_roi, t_seg, t_cuped, t_plan = st.tabs(
    [_("Outcome"), _("Sequential"), _("Metrics"), _("Revenue"), _("Bayesian view"), _("ROI"), _("Segments"),
     _("Variance reduction"), _("Planning")])
with t_over:
    left, right = st.columns(2)
    left.plotly_chart(charts.fig_rates(summary, intervals, level), key="ab_rates")
    right.plotly_chart(charts.fig_lift_forest(table), key="ab_forest")
    experiment.show_comparisons(table, alpha)
    experiment.show_variants(summary, currency)
with t_seq:
    experiment.sequential_tab(run)
with t_metrics:
    experiment.metrics_tab(run)
with t_rev:
    experiment.revenue_tab(exp, comps, currency, alpha)
with t_bayes:
    experiment.bayes_tab(table)
with t_roi:
    experiment.roi_tab(rois, currency, alpha)
with t_seg:
    experiment.segments_tab(exp, control, alpha)
with t_cuped:
    experiment.cuped_tab(exp, control, alpha, currency)
with t_plan:
    experiment.planning_tab(exp, control, alpha)
report = run.report(currency)
figs = [charts.fig_rates(summary, intervals, level), charts.fig_lift_forest(table)]
st.subheader(_("Downloads"))


def html_report() -> str:
    """Built when clicked, in the language of the screen that showed the button."""
    with locale_context(locale):
        return report_html(_("A/B test report: {name}").format(name=name), exp, control, comps, rois, srm, figs,
                           currency, alpha, run.integrity.lines() + run.integrity.unchecked() if run.integrity else [],
                           run.sequential, uncleaned=run.uncleaned)


c = st.columns(2)
c[0].download_button(_("Report (HTML)"), html_report, "ab_report.html", "text/html", key="dl_ab_html",
                     icon=":material/description:",
                     help=_("A one-page report in the language of this screen, for stakeholders"))
c[1].download_button(_("Report (JSON)"), lambda: to_json_text(report), "ab_report.json", "application/json",
                     key="dl_ab_json", icon=":material/download:",
                     help=_("Every figure at full precision, with machine names, for automation"))
st.caption(_("The comparison table, with machine column names and full precision:"))
downloads(table.drop(columns=["p_text", "p_adjusted_text"]), "ab_comparisons", "dl_ab_table")
