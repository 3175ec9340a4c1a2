"""The A/B report: the CLI's JSON and a self-contained HTML page for stakeholders.

Every text that came from a file (variant and segment names) is HTML-escaped.
"""

from __future__ import annotations

import html
from dataclasses import asdict

import pandas as pd

from .abtest import Comparison, Experiment, SampleRatio, format_p, p_text
from .i18n import _, current_locale, fmt_int, fmt_money, fmt_num, fmt_pct, fmt_pp
from .roi import Roi, verdict


def _ci(iv) -> list | None:
    """[low, high]; an infinite end (one-sided) or a missing interval is written as null."""
    return None if iv is None else [iv.low, iv.high]


def comparison_record(c: Comparison, r: Roi, alpha: float, currency: str = "£", sequential=None) -> dict:
    """One comparison in the report: the same keys for every comparison (null where not available)."""
    return {
        "treatment": c.treatment, "control": c.control, "metric": c.metric, "alternative": c.alternative,
        "rate_control": c.rate_control, "rate_treatment": c.rate_treatment,
        "abs_diff": c.abs_diff, "abs_diff_ci": _ci(c.abs_ci), "rel_lift": c.rel_lift, "rel_lift_ci": _ci(c.rel_ci),
        "confidence": c.confidence, "p_value": c.p_value, "p_adjusted": c.p_adjusted,
        "abs_diff_ci_adjusted": _ci(c.abs_ci_adjusted), "rel_lift_ci_adjusted": _ci(c.rel_ci_adjusted),
        "confidence_adjusted": c.confidence_adjusted,
        "revenue_diff": c.revenue_diff, "revenue_diff_ci": _ci(c.revenue_ci), "revenue_p_value": c.revenue_p,
        "revenue_diff_bootstrap_ci": _ci(c.revenue_bootstrap_ci),
        "revenue_per_buyer_diff": c.buyer_diff, "revenue_per_buyer_diff_ci": _ci(c.buyer_ci),
        "revenue_per_buyer_p_value": c.buyer_p,
        "chance_to_beat_control": c.chance_to_beat, "expected_loss": c.expected_loss,
        "sequential": sequential, "roi": r.to_dict() | {"roi_ci": _ci(r.roi_ci)},
        "verdict": verdict(c, r, currency, alpha), "ok": c.ok, "notes": list(c.notes) + list(r.notes)}


def report_dict(exp: Experiment, control: str, comparisons: list[Comparison], rois: list[Roi],
                srm: SampleRatio, alpha: float, adjust: str, margin: float, *, integrity: dict | None = None,
                sequential: dict | None = None, metrics: pd.DataFrame | None = None, columns: dict | None = None,
                planned_split: dict | None = None, currency: str = "£") -> dict:
    """The report.json contract (DESIGN.md): per variant n, conversions, rate, revenue per user and
    per buyer; per comparison with the control (one schema, see :func:`comparison_record`) the
    absolute and relative difference, their intervals (raw and adjusted like the p), p-values (raw
    and adjusted), revenue per user and per buyer, ROI with its interval; the ``integrity`` object;
    the sequential results when asked (``sequential``: {"tuning", "alpha", "by_treatment":
    {name: {"absolute": …, "relative": …}}}); every metric (primary and guardrails) with its family."""
    seq_by = (sequential or {}).get("by_treatment", {})
    return {
        "control": control, "metric": exp.metric, "confidence_level": 1 - alpha, "p_value_adjustment": adjust,
        "margin": margin, "columns": columns or {},
        "variants": [{"name": v.name, "n": v.n, "conversions": v.conversions, "rate": v.rate,
                      "revenue_mean": v.revenue_mean, "revenue_per_buyer": v.buyer_mean,
                      "cost": v.cost_sum, "discount": v.discount_sum} for v in exp.variants.values()],
        "sample_ratio": asdict(srm) | {"mismatch": srm.mismatch, "planned_split": planned_split or "equal (assumed)"},
        "integrity": integrity,
        "comparisons": [comparison_record(c, r, alpha, currency, seq_by.get(c.treatment))
                        for c, r in zip(comparisons, rois, strict=True)],
        "sequential": None if sequential is None else {k: v for k, v in sequential.items() if k != "by_treatment"},
        "metrics": [] if metrics is None else metrics.to_dict("records"),
        "notes": list(exp.notes),
    }


def _html_table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    """A table of already formatted text, every cell escaped; the first ``left`` columns align left."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td{' class=l' if i < left else ''}>{esc(str(v))}</td>" for i, v in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def report_html(title: str, exp: Experiment, control: str, comparisons: list[Comparison], rois: list[Roi],
                srm: SampleRatio, figures: list, currency: str = "£", alpha: float = 0.05,
                integrity_lines: list[str] = (), sequential: dict | None = None, uncleaned: bool = False) -> str:
    """A one-page HTML report (plotly.js embedded once, so it opens offline), written in the current
    language (:func:`promo_core.i18n.use_locale` / ``locale_context``); numbers are formatted for that
    language and every text that came from a file is escaped."""
    esc = html.escape
    lang = "zh-CN" if current_locale() == "zh_CN" else "en"
    parts = [f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{esc(title)}</title>",
             "<style>body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;max-width:1100px;"
             "margin:2em auto;color:#1f2933}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccd;"
             "padding:4px 8px;text-align:right}td.l{text-align:left}th{background:#eef1f5}.warn{background:#fde8e8;"
             "padding:1em;border-radius:6px}.verdict{font-size:1.1em;margin:.6em 0}</style></head><body>",
             f"<h1>{esc(title)}</h1>"]
    if srm.mismatch:
        parts.append("<p class='warn'><b>" + esc(_("Sample ratio mismatch")) + "</b> ("
                     + esc(format_p(srm.p_value)) + "): " + esc(_(
                         "the variants did not get the planned share of users, so the randomisation may be broken. "
                         "Do not trust the results below until the cause is found.")) + "</p>")
    if integrity_lines:
        parts.append("<h2>" + esc(_("Assignment checks")) + "</h2><ul>"
                     + "".join(f"<li>{esc(x)}</li>" for x in integrity_lines) + "</ul>")
    parts.append("<h2>" + esc(_("Verdict")) + "</h2>")
    if uncleaned:
        parts.append("<p class='warn'><b>" + esc(_("Computed on the uncleaned data.")) + "</b> " + esc(_(
            "The repeated users and conflicting rows listed under the assignment checks are all counted. Clean the "
            "data (the A/B page's Remove conflicts switch, or --clean on the command line) to compute the verdict "
            "on the cleaned data.")) + "</p>")
    seq_by = (sequential or {}).get("by_treatment", {})
    for c, r in zip(comparisons, rois, strict=True):
        seq = None
        if c.treatment in seq_by:
            from .sequential import SequentialResult
            seq = SequentialResult(**seq_by[c.treatment]["relative"])
        parts.append(f"<p class='verdict'>{esc(verdict(c, r, currency, alpha, seq))}</p>")

    def money(x):
        return "–" if x is None else fmt_money(x, currency, 2)
    variants = [[v.name, fmt_int(v.n), fmt_int(v.conversions), fmt_pct(v.rate, 2), money(v.revenue_mean),
                 money(v.buyer_mean), fmt_money(v.cost_sum, currency), fmt_money(v.discount_sum, currency)]
                for v in exp.variants.values()]
    parts.append("<h2>" + esc(_("Variants")) + "</h2>" + _html_table(
        [_("Variant"), _("Users"), _("Conversions"), _("Conversion rate"), _("Revenue per user"),
         _("Revenue per buyer"), _("Contact cost"), _("Discounts given")], variants))
    level = fmt_pct(1 - alpha, 0)
    rows = [[c.treatment, fmt_pct(c.rate_control, 2), fmt_pct(c.rate_treatment, 2), fmt_pp(c.abs_diff),
             _("{low} to {high}").format(low=fmt_pp(c.abs_ci.low), high=fmt_pp(c.abs_ci.high)),
             fmt_pct(c.rel_lift, 1, signed=True), p_text(c.p_adjusted),
             "–" if c.chance_to_beat is None else fmt_pct(c.chance_to_beat, 1),
             "–" if r.incremental_profit is None else fmt_money(r.incremental_profit, currency),
             "–" if r.roi is None else fmt_money(r.roi, currency, 2, signed=True)]
            for c, r in zip(comparisons, rois, strict=True)]
    parts.append("<h2>" + esc(_("Comparisons with the control")) + "</h2>" + _html_table(
        [_("Treatment"), _("Control conversion"), _("Treatment conversion"), _("Difference (percentage points)"),
         _("{level} interval of the difference").format(level=level), _("Relative lift"), _("p-value (adjusted)"),
         _("Chance to beat control"), _("Incremental profit"), _("Profit per {unit} spent").format(
             unit=fmt_money(1, currency))], rows))
    for i, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    parts.append("<h2>" + esc(_("How to read this report")) + "</h2><ul>" + "".join(
        f"<li>{esc(x)}</li>" for x in (
            _("p-value: how surprising the difference would be if the offer had no effect at all; below {alpha} "
              "the difference is called significant.").format(alpha=fmt_num(alpha)),
            _("Interval: the range of effects consistent with the data, at the {level} level; when it excludes 0 "
              "the effect is significant.").format(level=level),
            _("Chance to beat control: the probability that the treatment's true conversion rate is higher (flat "
              "priors). It is not 1 − p."),
            _("Profit per {unit} spent: incremental profit divided by the promotion's cost (discounts and contact "
              "costs).").format(unit=fmt_money(1, currency)))) + "</ul>")
    parts.append("<p><small>" + esc(_(
        "Control: {control}. Conversion: pooled two-proportion z-test; intervals: Newcombe (difference) and log "
        "ratio (relative lift); revenue: Welch's t-test; profit per user: (revenue + discount) × margin − discount "
        "− contact cost.").format(control=control)) + "</small></p></body></html>")
    return "".join(parts)


def campaign_brief_html(title: str, forecast: pd.DataFrame, assumptions: dict, currency: str = "£",
                        notes: tuple[str, ...] = (), offers: list | None = None) -> str:
    """A one-page brief for stakeholders, in the current language: the offers, the expected result with its
    range and a plain reading, how each offer type used is priced, and the assumptions with their ranges.
    All names are escaped; numbers are formatted for the language (``-£853``, never ``£-853``)."""
    from dataclasses import fields as dc_fields

    from .i18n import _, fmt_int, fmt_money, fmt_num, fmt_pct
    from .offers import MECHANICS
    from .promotions import SOURCE_LABELS, Assumptions, assumption_label, assumption_ranges
    esc = html.escape
    seg = forecast[forecast["segment"] != "Total"]
    total = forecast[forecast["segment"] == "Total"].iloc[0]

    def money(x) -> str:
        return esc(fmt_money(x, currency))

    def span(lo, hi) -> str:
        return esc(_("{low} to {high}").format(low=fmt_money(lo, currency), high=fmt_money(hi, currency)))
    lines = "".join(f"<tr><td style='text-align:left'>{esc(str(r.segment))}</td><td style='text-align:left'>"
                    f"{esc(str(r.offer))}</td><td>{esc(fmt_int(r.targeted))}</td><td>{money(r.incremental_profit)}</td>"
                    f"<td>{span(r.profit_low, r.profit_high)}</td><td style='text-align:left'>"
                    f"{esc(_(SOURCE_LABELS.get(r.source, r.source)))}</td></tr>" for r in seg.itertuples(index=False))
    roi = "" if pd.isna(total["roi"]) else _(", a return of {roi} per {currency}1 spent").format(
        roi=f"{total['roi']:+.2f}", currency=currency)
    headline = esc(_("Expected incremental profit: {profit}").format(profit=fmt_money(total["incremental_profit"],
                                                                                       currency)))
    summary = esc(_("(range {range}){roi}, from {n} customers contacted. The plan gives away {given}, of which "
                    "{cannibal} goes to orders that would have happened anyway.").format(
        range=_("{low} to {high}").format(low=fmt_money(total["profit_low"], currency),
                                          high=fmt_money(total["profit_high"], currency)),
        roi=roi, n=fmt_int(total["targeted"]), given=fmt_money(total["value_given"], currency),
        cannibal=fmt_money(total["cannibalised"], currency)))
    reading = esc(_("Reading: the low end is what happens if none of the assumed effects happen (only the discounts on "
                    "orders that would happen anyway and the contact costs remain); the high end puts the assumed "
                    "effects at the top of their ranges."))
    extra = []
    if total.get("deferred_cost", 0) and total["deferred_cost"] > 0:
        extra.append(_("{amount} of the value given is member points, paid later when they are redeemed.").format(
            amount=fmt_money(total["deferred_cost"], currency)))
    if total.get("forfeited_deposits", 0) and total["forfeited_deposits"] > 0:
        extra.append(_("{amount} of forfeited pre-sale deposits is counted as revenue.").format(
            amount=fmt_money(total["forfeited_deposits"], currency)))
    kinds = sorted({o.offer_type for o in (offers or []) if o.offer_type in MECHANICS})
    mechanics = "".join(f"<li><b>{esc(_(MECHANICS[k].name))}</b>: {esc(_(MECHANICS[k].sentence))}</li>" for k in kinds)
    known = {f.name for f in dc_fields(Assumptions)}
    a = Assumptions(**{k: v for k, v in assumptions.items() if k in known})
    ranges = assumption_ranges(a)
    arows = "".join(f"<tr><td style='text-align:left'>{esc(assumption_label(r.key))}</td><td>{esc(fmt_num(r.value))}"
                    f"</td><td>{esc(_('{low} to {high}').format(low=fmt_num(r.low), high=fmt_num(r.high)))}</td>"
                    f"<td style='text-align:left'>{esc(_(r.meaning))}</td></tr>" for r in ranges.itertuples(index=False))
    facts = esc(_("Gross margin {margin}; campaign length {days} days.").format(
        margin=fmt_pct(a.margin), days=a.horizon_days))
    return ("<!doctype html><html><head><meta charset='utf-8'><title>" + esc(title) + "</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#1f2933}table{border-collapse:"
            "collapse}td,th{border:1px solid #ccd;padding:4px 8px;text-align:right}th{background:#eef1f5}</style>"
            f"</head><body><h1>{esc(title)}</h1><p><b>{headline}</b> {summary}</p><p>{reading}</p>"
            + "".join(f"<p>{esc(x)}</p>" for x in extra)
            + f"<table><tr><th>{esc(_('Segment'))}</th><th>{esc(_('Offer'))}</th><th>{esc(_('Contacted'))}</th>"
            f"<th>{esc(_('Expected profit'))}</th><th>{esc(_('Range'))}</th><th>{esc(_('Based on'))}</th></tr>"
            + lines + "</table>"
            + (f"<h2>{esc(_('How the offers are priced'))}</h2><ul>{mechanics}</ul>" if mechanics else "")
            + f"<h2>{esc(_('Assumptions'))}</h2><p>{facts}</p><table><tr><th>{esc(_('Assumption'))}</th>"
            f"<th>{esc(_('Value used'))}</th><th>{esc(_('Range'))}</th><th>{esc(_('What it means'))}</th></tr>"
            + arows + "</table>" + "".join(f"<p>{esc(n)}</p>" for n in notes) + "</body></html>")


def revenue_frame(comps) -> pd.DataFrame:
    """Revenue per user and per buyer for each comparison (numbers, machine names): differences, Welch
    and bootstrap intervals, p-values. Columns: treatment, revenue_diff, revenue_low, revenue_high,
    revenue_p, bootstrap_low, bootstrap_high, buyer_diff, buyer_low, buyer_high, buyer_p (p as text
    in ``*_p_text`` for the screen)."""
    def end(ci, which):
        return None if ci is None else getattr(ci, which)
    out = pd.DataFrame([{"treatment": x.treatment, "revenue_diff": x.revenue_diff,
                         "revenue_low": end(x.revenue_ci, "low"), "revenue_high": end(x.revenue_ci, "high"),
                         "revenue_p": x.revenue_p, "bootstrap_low": end(x.revenue_bootstrap_ci, "low"),
                         "bootstrap_high": end(x.revenue_bootstrap_ci, "high"), "buyer_diff": x.buyer_diff,
                         "buyer_low": end(x.buyer_ci, "low"), "buyer_high": end(x.buyer_ci, "high"),
                         "buyer_p": x.buyer_p} for x in comps])
    if len(out):
        out["revenue_p_text"] = out["revenue_p"].map(p_text)
        out["buyer_p_text"] = out["buyer_p"].map(p_text)
    return out


def cuped_frame(cu) -> pd.DataFrame:
    """CUPED-adjusted revenue differences, one row per treatment (numbers): treatment, revenue_diff,
    low, high, p (and p_text for the screen)."""
    return pd.DataFrame([{"treatment": x.treatment, "revenue_diff": x.revenue_diff, "low": x.revenue_ci.low,
                          "high": x.revenue_ci.high, "p": x.revenue_p, "p_text": p_text(x.revenue_p)}
                         for x in cu.comparisons])


def sample_size_reading(n_arm: int, arms: int, days: int, daily: int, n_control: int, mde: float) -> str:
    """The planning tab's sentence: users per arm, days, and the smallest lift this test could detect."""
    detectable = (_("was beyond a rate of 100% (no rise was detectable).") if mde == float("inf")
                  else _("was {lift}.").format(lift=fmt_pct(mde, 0, signed=True)))
    return _("**{n} users per arm** ({total} in all) — about **{days} days** at {daily} users a day. With the "
             "{n_control} users per arm of this test, the smallest detectable lift {detectable}").format(
        n=fmt_int(n_arm), total=fmt_int(n_arm * arms), days=fmt_int(days), daily=fmt_int(daily),
        n_control=fmt_int(n_control), detectable=detectable)
