"""One experiment analysis from a file's frame, shared by the CLI and the A/B page.

Steps, in order: infer the columns not given (:func:`~promo_core.experiment_io.infer_columns`),
check the assignment data (:func:`~promo_core.experiment_io.check_integrity`) and, when asked,
clean it; reduce to statistics; compare every arm with the control (fixed horizon, adjusted across
arms); optional sequential results and the cumulative effect by day; guardrail metrics; ROI; the
sample-ratio check against the planned split (equal when none is given, and said so).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from .abtest import (
    Comparison,
    Experiment,
    SampleRatio,
    compare_all,
    is_aggregated,
    load_experiment,
    sample_ratio,
    with_control,
)
from .experiment_io import ColumnGuess, Integrity, check_integrity, clean_assignments, infer_columns
from .i18n import _
from .metrics import compare_metrics, default_metrics
from .report import report_dict
from .roi import Roi, compute_roi
from .schema import DataError
from .sequential import DEFAULT_TUNING, ArmMoments, effect_over_time, sequential_test

DEFAULT_MARGIN = 0.4


@dataclass(frozen=True)
class Run:
    """Everything one analysis produced."""

    guess: ColumnGuess | None
    columns: dict
    integrity: Integrity | None
    exp: Experiment
    control: str
    comparisons: list[Comparison]
    rois: list[Roi]
    srm: SampleRatio
    planned_split: dict | None
    alpha: float
    adjust: str
    margin: float
    sequential: dict | None = None
    over_time: dict = field(default_factory=dict)
    metrics: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()

    @property
    def uncleaned(self) -> bool:
        """The analysis counts rows that cleaning would remove (repeated users, users in two arms,
        conflicting rows): its results are those of the uncleaned data."""
        return self.integrity is not None and not self.integrity.cleaned and self.integrity.conflicts > 0

    def clean_advice(self) -> str | None:
        """The advice to clean, for the command line and the JSON report (the page names its switch)."""
        if self.integrity is None or self.integrity.cleaned or not self.integrity.problems:
            return None
        return _("The assignment data has problems (see integrity); the analysis uses every row. Clean it (--clean, "
                 "or the page switch) to drop conflicting rows and keep each user's first exposure.")

    def report(self, currency: str = "£") -> dict:
        seq = self.sequential
        if seq is not None and self.over_time:
            seq = seq | {"by_treatment": {t: v | {"by_day": self.over_time[t].assign(
                day=self.over_time[t]["day"].dt.strftime("%Y-%m-%d")).to_dict("records")} if t in self.over_time else v
                for t, v in seq["by_treatment"].items()}}
        return report_dict(self.exp, self.control, self.comparisons, self.rois, self.srm, self.alpha, self.adjust,
                           self.margin, integrity=None if self.integrity is None else self.integrity.to_dict(),
                           sequential=seq, metrics=self.metrics, columns=self.columns,
                           planned_split=self.planned_split, currency=currency) | {
            "run_notes": [*self.notes, *filter(None, [self.clean_advice()])],
            "computed_on_uncleaned_data": self.uncleaned}


def parse_split(text: str | None) -> dict[str, float] | None:
    """'control=0.9,promo=0.1' -> {'control': 0.9, 'promo': 0.1}."""
    if not text:
        return None
    out = {}
    for part in text.split(","):
        name, _sep, share = part.rpartition("=")
        try:
            value = float(share)
        except ValueError:
            value = float("nan")
        if not name.strip() or not value > 0:
            raise DataError(_("--split part {part} is not NAME=SHARE with a positive share").format(
                part=repr(part.strip())), hint=_("Write for example --split control=0.9,promo=0.1"))
        out[name.strip()] = value
    return out


def _match_split(split: dict[str, float], exp: Experiment) -> dict[str, float]:
    from .schema import normalise
    names = {normalise(v): v for v in exp.variants}
    out = {}
    for k, v in split.items():
        if normalise(k) not in names:
            raise DataError(_("The planned split names an arm {name} that is not in the file").format(name=repr(k)),
                            where=_("the arms are {arms}").format(arms=", ".join(map(repr, exp.variants))),
                            hint=_("Use the arm names"))
        out[names[normalise(k)]] = v
    missing = [v for v in exp.variants if v not in out]
    if missing:
        raise DataError(_("The planned split leaves out some arms"), where=", ".join(map(repr, missing)),
                        hint=_("Give a share for every arm"))
    return out


def run_experiment(frame: pd.DataFrame, *, variant: str | None = None, control: str | None = None,
                   converted: str | None = None, revenue: str | None = None, cost: str | None = None,
                   discount: str | None = None, pre: str | None = None, user: str | None = None,
                   time: str | None = None, segments: tuple[str, ...] = (), guardrails: tuple[str, ...] = (),
                   lower_is_better: tuple[str, ...] = (), ratio: tuple[str, str] | None = None,
                   clean: bool = False, sequential: bool = False, tuning: float = DEFAULT_TUNING,
                   split: dict[str, float] | None = None, cap: float | None = None,
                   alternative: str = "two-sided", alpha: float = 0.05, adjust: str = "holm",
                   margin: float | None = None, cost_per_user: float | None = None,
                   contact_is_default: bool = False) -> Run:
    """Analyse an experiment frame (see the module docstring). Roles left as None are inferred;
    an empty string means "none". ``margin``/``cost_per_user`` None mean the defaults (40%, 0),
    which the verdict then names as defaults."""
    notes = []
    if not tuning > 0 or tuning != tuning:
        raise DataError(_("The sequential tuning parameter must be a positive number of users; got {value}").format(
            value=repr(tuning)), hint=_("Use about the number of users you expect in the whole test, e.g. 5000"))
    for role, col in ((_("arm"), variant), (_("outcome"), converted), (_("revenue"), revenue), (_("user id"), user),
                      (_("time"), time), *((_("guardrail"), g) for g in guardrails)):
        if col and col not in frame.columns:
            raise DataError(_("The experiment file has no column {col} (given as the {role} column)").format(
                                col=repr(col), role=role),
                            where=_("its columns are {columns}").format(
                                columns=", ".join(map(repr, map(str, frame.columns[:20])))),
                            hint=_("Pick a column from the list"), column=col)
    if is_aggregated(frame.columns) and converted is None:
        exp = load_experiment(frame, variant=variant, cost_per_user=cost_per_user, control=control)
        if not control:
            from .experiment_io import guess_control
            control = guess_control(exp.variants)
            if not control:
                raise DataError(_("No arm is named like a control"),
                                where=_("the arms are {arms}").format(arms=", ".join(map(repr, exp.variants))),
                                hint=_("Say which arm is the control (--control NAME, or choose it on the page)"))
            exp = load_experiment(frame, variant=variant, cost_per_user=cost_per_user, control=control)
        guess, integ, columns = None, None, {"layout": "aggregated", "control": control}
    else:
        guess = infer_columns(frame)
        variant = variant or guess.arm
        if not variant:
            raise DataError(_("No column looks like the arms of the experiment"),
                            where=_("its columns are {columns}").format(columns=", ".join(map(str, frame.columns[:20]))),
                            hint=_("Name the arm column (--variant-col, or choose it on the page)"))
        if variant != guess.arm:
            arm_values = frame[variant].dropna().astype(str).str.strip().unique()
            from .experiment_io import guess_control
            guessed_control = guess_control(arm_values)
        else:
            guessed_control = guess.control
        control = control or guessed_control
        if not control:
            arms = sorted(frame[variant].dropna().astype(str).str.strip().unique())
            raise DataError(_("No arm of {col} is named like a control").format(col=repr(variant)),
                            where=_("the arms are {arms}").format(arms=", ".join(map(repr, arms[:10]))),
                            hint=_("Say which arm is the control (--control NAME, or choose it on the page)"))
        converted = converted or guess.outcome
        revenue = guess.revenue if revenue is None else revenue
        user = guess.user if user is None else user
        time = guess.time if time is None else time
        integ = check_integrity(frame, variant, user or None,
                                [c for c in (converted, revenue or None, *guardrails) if c])
        if clean:
            frame, integ = clean_assignments(frame, variant, user or None, time or None, integ)
        extra = tuple(dict.fromkeys(c for c in (*guardrails, *(ratio or ())) if c and c != revenue))
        exp = load_experiment(frame, variant=variant, converted=converted, revenue=revenue, cost=cost,
                              discount=discount, pre=pre, segments=tuple(segments),
                              cost_per_user=cost_per_user, cap_percentile=cap, control=control, time=time or None,
                              extra=extra)
        said = set(integ.lines())
        if any(n in said for n in exp.notes):  # e.g. the rows with no arm: said once, by the integrity check
            exp = replace(exp, notes=tuple(n for n in exp.notes if n not in said))
        from .abtest import guess_columns
        syn = guess_columns(frame.columns)
        used = {r: (v if v is not None else syn.get(r)) or None
                for r, v in (("revenue", revenue), ("cost", cost), ("discount", discount), ("pre", pre))}
        columns = {"arm": variant, "control": control, "outcome": converted, **used,
                   "user": user or None, "time": time or None, "inferred": guess.describe(),
                   "arm_inferred": variant == guess.arm, "layout": "user-level"}
    control, exp = with_control(exp, control or "")
    comparisons = compare_all(exp, control, alpha, adjust, alternative)
    margin_default = margin is None
    m = DEFAULT_MARGIN if margin is None else margin
    rois = [compute_roi(exp, c, m, alpha, margin_is_default=margin_default,
                        contact_cost=cost_per_user if cost_per_user else None,
                        contact_is_default=contact_is_default) for c in comparisons]
    planned = _match_split(split, exp) if split else None
    srm = sample_ratio(exp, planned)
    seq = None
    over_time = {}
    if sequential:
        k = max(len(comparisons), 1)
        a_seq = alpha / k if adjust != "none" else alpha
        by = {}
        for c in comparisons:
            t, cc = exp.variants[c.treatment], exp.variants[control]
            arms = (ArmMoments.proportion(t.n, t.conversions), ArmMoments.proportion(cc.n, cc.conversions))
            by[c.treatment] = {d: sequential_test(*arms, d, a_seq, tuning).to_dict() for d in ("absolute", "relative")}
            if exp.users is not None and "time" in exp.users:
                over_time[c.treatment] = effect_over_time(exp.users, control, c.treatment, alpha=a_seq, tuning=tuning)
        seq = {"tuning": tuning, "alpha": a_seq, "method": "Waudby-Smith et al. asymptotic confidence sequence "
               "(gbstats SequentialTwoSidedTTest)", "adjustment": (f"Bonferroni across {k} treatments"
                                                                   if k > 1 and adjust != "none" else "none"),
               "by_treatment": by}
    metrics = None
    if exp.users is not None:
        metrics = compare_metrics(exp, control, default_metrics(exp, tuple(guardrails), ratio, tuple(lower_is_better)),
                                  alpha, adjust, alternative)
    return Run(guess, columns, integ, exp, control, comparisons, rois, srm, planned, alpha, adjust, m, seq,
               over_time, metrics, tuple(notes))
