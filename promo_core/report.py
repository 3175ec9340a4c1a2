"""The A/B report: the CLI's JSON and a self-contained HTML page for stakeholders.

Every text that came from a file (variant and segment names) is HTML-escaped.
"""

from __future__ import annotations

import html
from dataclasses import asdict

import pandas as pd

from .abtest import Comparison, Experiment, SampleRatio, format_p
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


def report_html(title: str, exp: Experiment, control: str, comparisons: list[Comparison], rois: list[Roi],
                srm: SampleRatio, figures: list, currency: str = "£", alpha: float = 0.05,
                integrity_lines: list[str] = (), sequential: dict | None = None) -> str:
    """A one-page HTML report (plotly.js embedded once, so it opens offline)."""
    esc = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)}</title>",
             "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#1f2933}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccd;padding:4px 8px;"
             "text-align:right}th{background:#eef1f5}.warn{background:#fde8e8;padding:1em;border-radius:6px}"
             ".verdict{font-size:1.1em;margin:.6em 0}</style></head><body>",
             f"<h1>{esc(title)}</h1>"]
    if srm.mismatch:
        parts.append(f"<p class='warn'><b>Sample ratio mismatch</b> ({format_p(srm.p_value)}): the variants did not get "
                     "the planned share of users, so the randomisation may be broken. Do not trust the results "
                     "below until the cause is found.</p>")
    if integrity_lines:
        parts.append("<h2>Assignment checks</h2><ul>" + "".join(f"<li>{esc(x)}</li>" for x in integrity_lines)
                     + "</ul>")
    parts.append("<h2>Verdict</h2>")
    seq_by = (sequential or {}).get("by_treatment", {})
    for c, r in zip(comparisons, rois, strict=True):
        seq = None
        if c.treatment in seq_by:
            from .sequential import SequentialResult
            seq = SequentialResult(**seq_by[c.treatment]["relative"])
        parts.append(f"<p class='verdict'>{esc(verdict(c, r, currency, alpha, seq))}</p>")
    summary = exp.summary()
    parts.append("<h2>Variants</h2>" + summary.to_html(index=False, escape=True, float_format=lambda x: f"{x:,.4f}"))
    rows = [{"treatment": c.treatment, "control rate": f"{c.rate_control:.2%}", "treatment rate": f"{c.rate_treatment:.2%}",
             "difference": f"{c.abs_diff:+.2%}", "interval": f"{c.abs_ci.low:+.2%} to {c.abs_ci.high:+.2%}",
             "relative lift": f"{c.rel_lift:+.1%}", "p (adjusted)": format_p(c.p_adjusted).removeprefix("p ").removeprefix("= "),
             "chance to beat control": f"{c.chance_to_beat:.1%}" if c.chance_to_beat is not None else "",
             "incremental profit": "" if r.incremental_profit is None else f"{currency}{r.incremental_profit:,.0f}",
             "ROI": "" if r.roi is None else f"{r.roi:+.2f}"} for c, r in zip(comparisons, rois, strict=True)]
    parts.append("<h2>Comparisons with the control</h2>" + pd.DataFrame(rows).to_html(index=False, escape=True))
    for i, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    parts.append(f"<p><small>Control: {esc(control)}. Conversion: pooled two-proportion z-test; intervals: Newcombe "
                 "(difference) and log ratio (relative lift); revenue: Welch's t-test; profit per user: (revenue + "
                 "discount) × margin − discount − contact cost.</small></p></body></html>")
    return "".join(parts)


def campaign_brief_html(title: str, forecast: pd.DataFrame, assumptions: dict, currency: str = "£",
                        notes: tuple[str, ...] = ()) -> str:
    """A one-page brief for stakeholders: the offers, the expected result with its range, the
    assumptions. All names are escaped."""
    esc = html.escape
    seg = forecast[forecast["segment"] != "Total"]
    total = forecast[forecast["segment"] == "Total"].iloc[0]
    lines = "".join(f"<tr><td style='text-align:left'>{esc(str(r.segment))}</td><td style='text-align:left'>"
                    f"{esc(str(r.offer))}</td><td>{int(r.targeted):,}</td><td>{currency}{r.incremental_profit:,.0f}</td>"
                    f"<td>{currency}{r.profit_low:,.0f} to {currency}{r.profit_high:,.0f}</td>"
                    f"<td style='text-align:left'>{esc(str(r.source))}</td></tr>" for r in seg.itertuples(index=False))
    roi = "" if pd.isna(total["roi"]) else f", a return of {total['roi']:+.2f} per {currency}1 spent"
    return ("<!doctype html><html><head><meta charset='utf-8'><title>" + esc(title) + "</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#1f2933}table{border-collapse:"
            "collapse}td,th{border:1px solid #ccd;padding:4px 8px;text-align:right}th{background:#eef1f5}</style>"
            f"</head><body><h1>{esc(title)}</h1><p><b>Expected incremental profit: {currency}"
            f"{total['incremental_profit']:,.0f}</b> (range {currency}{total['profit_low']:,.0f} to {currency}"
            f"{total['profit_high']:,.0f}){roi}, from {int(total['targeted']):,} customers contacted. The plan gives "
            f"away {currency}{total['value_given']:,.0f} in discounts, of which {currency}{total['cannibalised']:,.0f} "
            "goes to orders that would have happened anyway.</p><table><tr><th>Segment</th><th>Offer</th><th>Contacted"
            "</th><th>Expected profit</th><th>Range</th><th>Based on</th></tr>" + lines + "</table>"
            "<h2>Assumptions</h2><ul>" + "".join(f"<li>{esc(str(k))}: {esc(str(v))}</li>" for k, v in assumptions.items())
            + "</ul>" + "".join(f"<p>{esc(n)}</p>" for n in notes) + "</body></html>")


def revenue_frame(comps) -> pd.DataFrame:
    """Revenue per user and per buyer for each comparison: differences, Welch and bootstrap intervals, p."""
    def span(ci) -> str:
        return "" if ci is None else f"{ci.low:,.2f} to {ci.high:,.2f}"
    return pd.DataFrame([{"treatment": x.treatment, "revenue per user: difference": x.revenue_diff,
                          "Welch interval": span(x.revenue_ci), "Welch p": x.revenue_p,
                          "bootstrap interval": span(x.revenue_bootstrap_ci),
                          "revenue per buyer: difference": x.buyer_diff, "per-buyer p": x.buyer_p} for x in comps])


def cuped_frame(cu) -> pd.DataFrame:
    """CUPED-adjusted revenue differences, one row per treatment."""
    return pd.DataFrame([{"treatment": x.treatment, "adjusted revenue difference": x.revenue_diff,
                          "interval": f"{x.revenue_ci.low:,.2f} to {x.revenue_ci.high:,.2f}", "p": x.revenue_p}
                         for x in cu.comparisons])


def sample_size_reading(n_arm: int, arms: int, days: int, daily: int, n_control: int, mde: float) -> str:
    """The planning tab's sentence: users per arm, days, and the smallest lift this test could detect."""
    detectable = ("was beyond a rate of 100% (no rise was detectable)." if mde == float("inf")
                  else f"was {mde:+.0%}.")
    return (f"**{n_arm:,} users per arm** ({n_arm * arms:,} in all) — about **{days} days** at {daily:,} users a "
            f"day. With the {n_control:,} users per arm of this test, the smallest detectable lift {detectable}")
