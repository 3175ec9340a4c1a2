"""Several metrics per experiment: one primary, the others guardrails.

Each metric is one of
* ``proportion`` — a yes/no per user (converted, unsubscribed, returned): difference of rates,
  Wald z-test and interval (statsmodels ``test_proportions_2indep`` / ``confint_proportions_2indep``,
  ``method="wald"``, so the p-value and the interval are the same test);
* ``mean`` — an amount per user (net revenue, refunds allowed; items): Welch's t-test (scipy);
* ``ratio`` — a sum over a sum (revenue per order, items per order): R = Σ numerator ÷ Σ denominator
  per arm, its variance by the delta method
  ``Var(R) ≈ (s²_y − 2 R s_xy + R² s²_x) / (n x̄²)``, and a z-test of the difference.

Guardrails are tested two-sided for harm unless a non-inferiority ``margin`` is given: then the
test is one-sided, H0 "the treatment is worse by the margin or more". Multiplicity: the primary
metric is adjusted across the treatments; the guardrails across treatments × guardrails, a second
family. Intervals are adjusted like their p (level ``1 − alpha / k`` with ``k = p_adjusted / p``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from .abtest import Experiment, welch, with_control
from .i18n import _, fmt_num
from .schema import DataError

Kind = Literal["proportion", "mean", "ratio"]
COLUMNS = ["metric", "role", "kind", "treatment", "control", "control_value", "treatment_value", "diff", "ci_low",
           "ci_high", "p_value", "p_adjusted", "ci_low_adjusted", "ci_high_adjusted", "confidence_adjusted",
           "alternative", "margin", "family_size", "ok", "reading"]


@dataclass(frozen=True)
class Metric:
    """One metric over the user rows of an :class:`~promo_core.abtest.Experiment`.

    ``column`` (and ``denominator`` for a ratio) name columns of ``Experiment.users``: "converted",
    "revenue", or "metric:<file column>" for the further metrics loaded with ``extra=``.
    """

    name: str
    kind: Kind
    column: str
    denominator: str | None = None
    role: Literal["primary", "guardrail"] = "guardrail"
    higher_is_better: bool = True
    margin: float | None = None


def _ratio(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    n, mx = len(y), x.mean()
    if n < 2 or mx == 0:
        return float("nan"), float("nan")
    r = y.sum() / x.sum()
    cov = np.cov(y, x, ddof=1)
    return float(r), float((cov[0, 0] - 2 * r * cov[0, 1] + r ** 2 * cov[1, 1]) / (n * mx ** 2))


def _test(m: Metric, yt, yc, xt, xc, alpha: float, alternative: str, null: float):
    """(control value, treatment value, diff, ci, p) for one metric."""
    if m.kind == "proportion":
        ct, cc, nt, nc = int(yt.sum()), int(yc.sum()), len(yt), len(yc)
        res = test_proportions_2indep(ct, nt, cc, nc, value=null, method="wald", compare="diff",
                                      alternative={"two-sided": "two-sided", "greater": "larger",
                                                   "less": "smaller"}[alternative])
        a = alpha if alternative == "two-sided" else 2 * alpha
        lo, hi = confint_proportions_2indep(ct, nt, cc, nc, method="wald", compare="diff", alpha=a)
        ci = _one_sided(float(lo), float(hi), alternative)
        p = float(res.pvalue) if np.isfinite(res.pvalue) else (1.0 if ct / nt - cc / nc == null else 0.0)
        return cc / nc, ct / nt, ct / nt - cc / nc, ci, p
    if m.kind == "mean":
        d, ci, p = welch(yt.mean(), yt.var(ddof=1), len(yt), yc.mean(), yc.var(ddof=1), len(yc), alpha, alternative,
                         null)
        return float(yc.mean()), float(yt.mean()), d, (ci.low, ci.high), p
    rt, vt = _ratio(yt, xt)
    rc, vc = _ratio(yc, xc)
    d, se = rt - rc, math.sqrt(vt + vc) if vt + vc >= 0 else float("nan")
    if not se > 0:
        return rc, rt, d, (float("nan"), float("nan")), float("nan")
    z = (d - null) / se
    if alternative == "two-sided":
        q = stats.norm.ppf(1 - alpha / 2)
        return rc, rt, d, (d - q * se, d + q * se), float(2 * stats.norm.sf(abs(z)))
    q = stats.norm.ppf(1 - alpha)
    p = float(stats.norm.sf(z)) if alternative == "greater" else float(stats.norm.cdf(z))
    return rc, rt, d, _one_sided(d - q * se, d + q * se, alternative), p


def _one_sided(lo: float, hi: float, alternative: str) -> tuple[float, float]:
    if alternative == "greater":
        return lo, math.inf
    if alternative == "less":
        return -math.inf, hi
    return lo, hi


REVENUE_METRIC = "net revenue per user"


def metric_name(name: str) -> str:
    """A metric's name as shown: the built-in revenue metric translated, column names as they are."""
    return _("net revenue per user") if name == REVENUE_METRIC else name


def _reading(m: Metric, r: dict, alpha: float) -> str:
    points = m.kind == "proportion"
    scale = 100 if points else 1
    d = (_("{x} points") if points else "{x}").format(x=f"{r['diff'] * scale:+.2f}")
    sig = r["p_adjusted"] < alpha
    if m.margin is not None:
        verdict = ((_("not worse than the control by {margin} points or more") if points else
                    _("not worse than the control by {margin} or more")).format(margin=fmt_num(m.margin * scale))
                   if sig else _("non-inferiority not shown"))
    elif m.role == "guardrail":
        harm = (r["diff"] < 0) == m.higher_is_better and r["diff"] != 0
        verdict = (_("likely harmed") if harm else _("likely improved")) if sig else _("no clear change")
    else:
        verdict = (_("unlikely to be chance") if sig else _("could well be chance"))
    return _("{metric}: {treatment} {diff} against {control} — {verdict}").format(
        metric=metric_name(m.name), treatment=r["treatment"], diff=d, control=r["control"], verdict=verdict)


def compare_metrics(exp: Experiment, control: str, metrics: list[Metric], alpha: float = 0.05,
                    adjust: str = "holm", alternative: str = "two-sided") -> pd.DataFrame:
    """Every treatment against the control on every metric (columns: see ``COLUMNS``; one row per
    metric and treatment). ``alternative`` applies to the primary metric."""
    if exp.users is None:
        raise DataError(_("Several metrics need user rows"), hint=_("Upload the user-level experiment file"))
    control, exp = with_control(exp, control)
    u = exp.users
    rows = []
    for m in metrics:
        for col in (m.column, m.denominator):
            if col and col not in u:
                raise DataError(_("No metric column {col}").format(col=repr(col.removeprefix("metric:"))),
                                hint=_("Choose a column of the file"))
        if m.margin is not None and m.margin < 0:
            raise DataError(_("The non-inferiority margin of {name} must be 0 or more").format(name=repr(m.name)),
                            hint=_("Try 0.01"))
        if m.margin is not None:
            alt = "greater" if m.higher_is_better else "less"
            null = -m.margin if m.higher_is_better else m.margin
        else:
            alt, null = (alternative if m.role == "primary" else "two-sided"), 0.0
        yc = pd.to_numeric(u.loc[u["variant"] == control, m.column], errors="coerce")
        xc = u.loc[u["variant"] == control, m.denominator].to_numpy(float) if m.denominator else None
        for name in exp.variants:
            if name == control:
                continue
            yt = pd.to_numeric(u.loc[u["variant"] == name, m.column], errors="coerce")
            xt = u.loc[u["variant"] == name, m.denominator].to_numpy(float) if m.denominator else None
            ok = len(yt.dropna()) > 1 and len(yc.dropna()) > 1
            if ok:
                mt, mc = yt.notna().to_numpy(), yc.notna().to_numpy()
                cv, tv, d, ci, p = _test(m, yt.to_numpy(float)[mt], yc.to_numpy(float)[mc],
                                         xt[mt] if xt is not None else None, xc[mc] if xc is not None else None,
                                         alpha, alt, null)
            else:
                cv = tv = d = p = float("nan")
                ci = (float("nan"), float("nan"))
            rows.append({"metric": m.name, "role": m.role, "kind": m.kind, "treatment": name, "control": control,
                         "control_value": cv, "treatment_value": tv, "diff": d, "ci_low": ci[0], "ci_high": ci[1],
                         "p_value": p, "alternative": alt, "margin": m.margin, "ok": ok and not math.isnan(p),
                         "_m": m, "_args": (yt, yc, xt, xc, alt, null)})
    out = []
    for role in ("primary", "guardrail"):
        fam = [r for r in rows if r["role"] == role]
        ps = np.array([r["p_value"] for r in fam], dtype=float)
        valid = ~np.isnan(ps)
        k_total = int(valid.sum())
        adj = ps.copy()
        if adjust != "none" and k_total > 1:
            adj[valid] = multipletests(ps[valid], alpha=alpha, method=adjust)[1]
        for r, a in zip(fam, adj, strict=True):
            r["p_adjusted"] = float(a)
            r["family_size"] = k_total
            r["ci_low_adjusted"], r["ci_high_adjusted"], r["confidence_adjusted"] = r["ci_low"], r["ci_high"], 1 - alpha
            if adjust != "none" and k_total > 1 and not math.isnan(a):
                k = k_total if r["p_value"] == 0 else min(max(a / r["p_value"], 1.0), k_total)
                yt, yc, xt, xc, alt, null = r["_args"]
                mt, mc = yt.notna().to_numpy(), yc.notna().to_numpy()
                ci = _test(r["_m"], yt.to_numpy(float)[mt], yc.to_numpy(float)[mc],
                           xt[mt] if xt is not None else None, xc[mc] if xc is not None else None,
                           alpha / k, alt, null)[3]
                r["ci_low_adjusted"], r["ci_high_adjusted"], r["confidence_adjusted"] = ci[0], ci[1], 1 - alpha / k
            r["reading"] = (_reading(r["_m"], r, alpha) if r["ok"]
                            else _("{metric}: not enough data").format(metric=metric_name(r["metric"])))
            out.append(r)
    return pd.DataFrame([{k: r[k] for k in COLUMNS} for r in out], columns=COLUMNS)


def default_metrics(exp: Experiment, guardrails: tuple[str, ...] = (), ratio: tuple[str, str] | None = None,
                    lower_is_better: tuple[str, ...] = ()) -> list[Metric]:
    """The primary outcome, revenue per user when there is revenue, then the chosen guardrail
    columns (``metric:<name>`` in the user rows) and an optional ratio (numerator, denominator)."""
    out = [Metric(exp.metric, "proportion", "converted", role="primary")]
    if exp.has_revenue:
        out.append(Metric(REVENUE_METRIC, "mean", "revenue"))
    u = exp.users if exp.users is not None else pd.DataFrame()
    for g in guardrails:
        col = f"metric:{g}"
        if col not in u:
            raise DataError(_("No guardrail column {col} was loaded").format(col=repr(g)),
                            hint=_("Load it with the experiment (extra=...)"))
        values = set(pd.to_numeric(u[col], errors="coerce").dropna().unique())
        kind = "proportion" if values <= {0, 1} else "mean"
        out.append(Metric(g, kind, col, higher_is_better=g not in lower_is_better))
    if ratio:
        num, den = ratio
        cols = {"revenue": "revenue"}
        out.append(Metric(f"{num} per {den}", "ratio", cols.get(num, f"metric:{num}"), cols.get(den, f"metric:{den}")))
    return out
