"""Reading experiment files as people export them: which column holds the arms, which hold the
outcomes, which arm is the control, and whether the assignment data is clean.

Column inference (:func:`infer_columns`)
    * arms: a column with 2–10 distinct values whose smallest arm holds at least 1% of the rows and
      that is not a yes/no column; the score prefers names like variant, group, arm, bucket,
      version, treatment, segment, cohort (exact name over a name that merely contains one), then
      values that name a control, then balance. Every candidate is kept so a page can offer them.
    * outcomes: columns whose values are all 0/1, TRUE/FALSE or yes/no; the primary one is the one
      whose name looks most like an outcome (converted, conversion, purchase, retention, …).
    * revenue-like: numeric columns that are not yes/no, preferring names like revenue, spend, sales.
    * user id: a header the Data page reads as ``user_id`` (its synonyms and header words, e.g. 顾客,
      会员ID, customer, buyer, visitor_id; or plain ``id``) over mostly distinct values that are not yes/no.
    * time stamp by name and content. Chinese headers count (分组, 是否购买, 金额, 实付, GMV, …) and
      是/否 reads as yes/no.
Control (:func:`guess_control`)
    An arm named control, ctrl, baseline, holdout, default, none, A, 对照(组), 控制组, 基线, 原版, or
    starting "No …" / "old …"; otherwise ``None`` (the caller must ask).
Integrity (:func:`check_integrity`) before any statistic
    rows without an arm, rows without a metric value, rows that repeat a user id, users seen in
    several arms (these two need a user id column: :meth:`Integrity.unchecked` says when there is
    none), and rows that disagree with a column mirroring the arms 1:1 for most rows (like
    ``landing_page`` beside ``group``). :func:`clean_assignments` removes the conflicting rows and keeps
    each user's first exposure (by time when there is a time stamp, else by file order).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .i18n import _
from .inference import _CJK, name_score
from .schema import DataError, normalise

ARM_NAMES = ("variant", "group", "arm", "bucket", "version", "treatment", "segment", "cohort", "cell",
             "experiment group", "test group", "ab group", "variation", "condition", "分组", "组别", "实验分组",
             "实验组别", "版本")
#: Chinese outcome and revenue headers, shared with :data:`promo_core.abtest.EXPERIMENT_SYNONYMS`
ZH_OUTCOME_NAMES = ("是否购买", "是否转化", "转化", "是否下单", "下单", "购买", "是否成交", "成交", "是否留存", "留存",
                    "是否点击", "点击")
ZH_REVENUE_NAMES = ("金额", "收入", "销售额", "营收", "营业额", "实付", "实付金额", "消费金额", "支付金额", "成交金额",
                    "订单金额", "gmv")
OUTCOME_NAMES = ("converted", "conversion", "convert", "purchased", "purchase", "bought", "ordered", "order placed",
                 "outcome", "success", "retained", "retention", "signup", "signed up", "subscribed", "clicked",
                 "click", "visit", "visited", "activated", "churned", *ZH_OUTCOME_NAMES)
REVENUE_NAMES = ("revenue", "spend", "sales", "amount", "gmv", "value", "order value", "net revenue",
                 *ZH_REVENUE_NAMES)
#: names that mean "user id" only in an experiment file (the app's own list is the ``user_id`` column's
#: synonyms and header words, read by :func:`promo_core.inference.name_score`)
USER_NAMES = ("id",)
TIME_NAMES = ("timestamp", "time", "date", "datetime", "ts", "exposure time", "assigned at", "event time", "时间")
CONTROL_NAMES = ("control", "ctrl", "baseline", "holdout", "hold out", "default", "none", "a", "placebo",
                 "control group", "old", "old page", "original", "对照", "对照组", "控制组", "基线", "基线组",
                 "基准", "基准组", "原版", "原版本", "旧版", "空白组", "空白对照")
BOOL_VALUES = {"0", "1", "0.0", "1.0", "true", "false", "yes", "no", "y", "n", "t", "f", "是", "否"}
#: a user id column holds mostly distinct values (repeats are an integrity problem, not the norm)
USER_MIN_DISTINCT = 0.5
MIN_ARM_SHARE = 0.01
MIRROR_MIN_AGREEMENT = 0.9


def _width(key: str) -> int:
    """Length of a normalised name, a Chinese character counting as two letters ('转化' is a word)."""
    return len(key) + len(_CJK.findall(key))


def _name_score(col: str, names: tuple[str, ...]) -> int:
    key = normalise(col)
    keys = [normalise(n) for n in names]
    if key in keys:
        return 3
    if any(k and _width(k) > 2 and (key.startswith(k) or key.endswith(k)) for k in keys):
        return 2
    if any(k and _width(k) > 3 and k in key for k in keys):
        return 1
    return 0


def _user_score(col: str, s: pd.Series) -> float:
    """How surely ``col`` holds user ids: its header read as the Data page reads a ``user_id`` header
    (:func:`promo_core.inference.name_score`: 顾客, 会员ID, customer, buyer, visitor_id, …; or just ``id``),
    and mostly distinct values that are not yes/no. 0 when it is not a user id."""
    score = name_score(col, "user_id")[0] or (4.0 if _name_score(col, USER_NAMES) >= 3 else 0.0)
    if score < 4 or is_boolean(s):
        return 0.0
    v = s.dropna()
    if v.empty or v.astype("str").nunique() < max(3, USER_MIN_DISTINCT * len(v)):
        return 0.0
    return score


def _first_name(col: str, names: tuple[str, ...]) -> int:
    """Position of the first name the column matches (earlier names are likelier outcomes)."""
    key = normalise(col)
    return next((i for i, n in enumerate(names) if normalise(n) and normalise(n) in key), len(names))


def is_boolean(s: pd.Series) -> bool:
    """True when every non-missing value reads as yes/no (0/1, TRUE/FALSE, yes/no)."""
    if pd.api.types.is_bool_dtype(s):
        return True
    v = s.dropna()
    if v.empty:
        return False
    values = set(v.astype("str").str.strip().str.lower().unique()[:20])
    return len(values) <= 2 and values <= BOOL_VALUES


def is_numeric(s: pd.Series) -> bool:
    """A numeric column, or text of which at least 98% of the non-missing values read as numbers
    (files are read as text)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return True
    v = s.dropna()
    if v.empty:
        return False
    sample = v.head(2000)
    return bool(pd.to_numeric(sample, errors="coerce").notna().mean() >= 0.98)


def guess_control(arms) -> str | None:
    """The arm whose name says it is the control, or None when no name does."""
    arms = [str(a) for a in arms]
    keys = {normalise(a): a for a in arms}
    for name in CONTROL_NAMES:
        if normalise(name) in keys:
            return keys[normalise(name)]
    for a in arms:
        low = a.strip().casefold()
        if low.startswith(("no ", "no-", "no_", "old ", "old_", "old-")) or "control" in low or "对照" in low:
            return a
    return None


@dataclass(frozen=True)
class ArmCandidate:
    column: str
    n_values: int
    values: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class ColumnGuess:
    """What an experiment file's columns probably mean; each field names a column or is None."""

    arm: str | None
    control: str | None
    outcome: str | None
    outcomes: tuple[str, ...] = ()
    revenue: str | None = None
    numeric: tuple[str, ...] = ()
    user: str | None = None
    time: str | None = None
    arm_candidates: tuple[ArmCandidate, ...] = ()
    arm_by_name: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """One line for the page and the CLI: what was inferred."""
        if self.arm is None:
            return _("No column looks like the arms of an experiment")
        arm = next(c for c in self.arm_candidates if c.column == self.arm)
        return describe_columns(self.arm, arm.n_values, self.control, self.outcome, self.revenue, self.user,
                                self.time)

    def to_dict(self) -> dict:
        return asdict(self)


def describe_columns(arm: str, n_values: int, control: str | None, outcome: str | None = None,
                     revenue: str | None = None, user: str | None = None, time: str | None = None) -> str:
    """One line naming the columns in use (inferred or chosen) and the control ("not recognisable —
    choose it" while there is none)."""
    parts = [_("Arms: {col} ({n} values)").format(col=arm, n=n_values),
             _("control: {name}").format(name=control) if control else _("control: not recognisable — choose it")]
    if outcome:
        parts.append(_("outcome: {col}").format(col=outcome))
    if revenue:
        parts.append(_("revenue: {col}").format(col=revenue))
    if user:
        parts.append(_("user id: {col}").format(col=user))
    if time:
        parts.append(_("time: {col}").format(col=time))
    return _("; ").join(parts)


def infer_columns(frame: pd.DataFrame) -> ColumnGuess:
    """Guess the arm, outcome, revenue, user id and time columns of a user-level experiment file."""
    n = len(frame)
    cols = [str(c) for c in frame.columns]
    frame = frame.set_axis(cols, axis=1)
    booleans = [c for c in cols if is_boolean(frame[c])]
    numeric = [c for c in cols if c not in booleans and is_numeric(frame[c])]
    user_scores = {c: _user_score(c, frame[c]) for c in cols if c not in booleans}
    user = max(user_scores, key=lambda c: (user_scores[c], -cols.index(c)), default=None)
    user = user if user is not None and user_scores[user] > 0 else None
    time = None
    for c in sorted(cols, key=lambda c: -_name_score(c, TIME_NAMES)):
        if c in booleans or c in numeric:
            continue
        if pd.api.types.is_datetime64_any_dtype(frame[c]) or (
                _name_score(c, TIME_NAMES) >= 2 and pd.to_datetime(frame[c].head(50), errors="coerce",
                                                                  format="mixed").notna().mean() > 0.9):
            time = c
            break
    candidates = []
    for c in cols:
        if c in booleans or c in (user, time):
            continue
        counts = _arm_text(frame[c]).value_counts()  # blank cells are missing arms, not an arm
        if not 2 <= len(counts) <= 10 or n == 0 or counts.min() < MIN_ARM_SHARE * counts.sum():
            continue
        values = tuple(str(v) for v in counts.index)
        shares = counts.to_numpy() / counts.sum()
        balance = float(-(shares * np.log(shares)).sum() / np.log(len(shares)))
        score = (10 * _name_score(c, ARM_NAMES) + 4 * (guess_control(values) is not None)
                 - 3 * (c in numeric) + balance)
        candidates.append(ArmCandidate(c, len(counts), values, score))
    candidates.sort(key=lambda a: -a.score)
    arm = candidates[0].column if candidates else None
    control = guess_control(candidates[0].values) if candidates else None
    outcomes = sorted(booleans, key=lambda c: (-_name_score(c, OUTCOME_NAMES), _first_name(c, OUTCOME_NAMES),
                                               cols.index(c)))
    outcomes = [c for c in outcomes if c != arm]
    named = [c for c in outcomes if _name_score(c, OUTCOME_NAMES)]
    outcome = (named or outcomes or [None])[0]
    revenue = max(numeric, key=lambda c: (_name_score(c, REVENUE_NAMES), -cols.index(c)), default=None)
    revenue = revenue if revenue and _name_score(revenue, REVENUE_NAMES) >= 2 and revenue != arm else None
    notes = []
    if arm and len(candidates) > 1:
        notes.append(_("Other columns that could hold the arms: {cols}").format(
            cols=", ".join(a.column for a in candidates[1:4])))
    return ColumnGuess(arm, control, outcome, tuple(named or outcomes), revenue,
                       tuple(c for c in numeric if c not in (arm, user)), user, time, tuple(candidates),
                       bool(candidates and _name_score(arm, ARM_NAMES) >= 2), tuple(notes))


# ---------------------------------------------------------------- integrity

@dataclass(frozen=True)
class Integrity:
    """Counts of assignment problems in an experiment file (rows as read, before cleaning)."""

    rows: int
    missing_arm: int
    missing_values: dict[str, int]
    repeated_user_rows: int
    users_in_several_arms: int
    mirror_column: str | None
    mirror_mapping: dict[str, str]
    mirror_conflicts: int
    cleaned: bool = False
    removed_rows: int = 0
    rows_after: int = 0
    arm_column: str | None = None
    user_column: str | None = None   # None: repeated users and users in two arms were not checked

    @property
    def problems(self) -> int:
        return (self.missing_arm + sum(self.missing_values.values()) + self.repeated_user_rows
                + self.users_in_several_arms + self.mirror_conflicts)

    @property
    def user_checked(self) -> bool:
        """Whether repeated users and users in several arms were looked for (it needs a user id column)."""
        return self.user_column is not None

    @property
    def conflicts(self) -> int:
        """The problems cleaning resolves and an uncleaned analysis counts: repeated users, users in
        several arms and rows that disagree with a mirroring column (rows with no arm are left out anyway)."""
        return self.repeated_user_rows + self.users_in_several_arms + self.mirror_conflicts

    def unchecked(self) -> list[str]:
        """Plain sentences, one per check that could not be made, with what would enable it."""
        if self.user_checked:
            return []
        return [_("Repeated users and users in two arms were not checked: there is no user id column. To check "
                  "them, choose the user id column under Columns.")]

    def lines(self) -> list[str]:
        """Plain sentences, one per problem found."""
        out = []
        if self.mirror_conflicts:
            pairs = ", ".join(f"{k} ↔ {v}" for k, v in self.mirror_mapping.items())
            out.append(_("{n} rows disagree with {col}, which otherwise mirrors the arms ({pairs})").format(
                n=f"{self.mirror_conflicts:,}", col=repr(self.mirror_column), pairs=pairs))
        if self.repeated_user_rows:
            out.append(_("{n} rows repeat a user id that appears earlier").format(n=f"{self.repeated_user_rows:,}"))
        if self.users_in_several_arms:
            out.append(_("{n} users appear in more than one arm").format(n=f"{self.users_in_several_arms:,}"))
        if self.missing_arm and self.arm_column is not None:
            out.append(_("{n} rows have no arm in {col} and are left out").format(n=f"{self.missing_arm:,}",
                                                                                   col=repr(self.arm_column)))
        elif self.missing_arm:
            out.append(_("{n} rows have no arm and are left out").format(n=f"{self.missing_arm:,}"))
        for col, k in self.missing_values.items():
            if k:
                out.append(_("{n} rows have no value in {col}").format(n=f"{k:,}", col=repr(col)))
        return out

    def to_dict(self) -> dict:
        return asdict(self) | {"problems": self.problems, "user_checked": self.user_checked}


def _arm_text(s: pd.Series) -> pd.Series:
    return s.astype("str").str.strip().where(s.notna() & (s.astype("str").str.strip() != ""))


def find_mirror(frame: pd.DataFrame, arm: str, exclude=()) -> tuple[str | None, dict[str, str], int]:
    """A column that maps 1:1 onto the arms for at least 90% of rows (like ``landing_page`` beside
    ``group``): (column, arm -> value, rows that disagree). (None, {}, 0) when there is none."""
    arms = _arm_text(frame[arm])
    k = arms.nunique()
    best = (None, {}, 0)
    for c in frame.columns:
        if c == arm or c in exclude:
            continue
        other = _arm_text(frame[c])
        if other.nunique() != k or k < 2:
            continue
        both = pd.DataFrame({"a": arms, "b": other}).dropna()
        if both.empty:
            continue
        top = both.groupby(["a", "b"]).size().reset_index(name="n").sort_values("n", ascending=False)
        mapping = top.drop_duplicates("a").set_index("a")["b"]
        if mapping.nunique() != len(mapping) or len(mapping) != k:
            continue
        agree = int((both["b"] == both["a"].map(mapping)).sum())
        if agree == len(both) and set(mapping.index) == set(mapping.values):
            continue  # an identical copy of the arm column is no check
        if agree >= MIRROR_MIN_AGREEMENT * len(both) and (best[0] is None or len(both) - agree < best[2]):
            best = (str(c), {str(a): str(b) for a, b in mapping.items()}, len(both) - agree)
    return best


def check_integrity(frame: pd.DataFrame, arm: str, user: str | None = None, metrics=(),
                    mirror: str | None = "auto") -> Integrity:
    """Count the assignment problems of ``frame`` (see the module docstring). ``mirror="auto"``
    searches for a mirroring column; None skips that check; a name uses that column."""
    if arm not in frame:
        raise DataError(_("The experiment file has no column {col}").format(col=repr(arm)),
                        hint=_("Pick the arm column from the list"), column=arm)
    arms = _arm_text(frame[arm])
    missing = {str(c): int(frame[c].isna().sum()) for c in metrics if c and c in frame}
    repeated = several = 0
    if user and user in frame:
        ids = frame[user].astype("str")
        repeated = int(ids.duplicated().sum())
        several = int(pd.DataFrame({"u": ids, "a": arms}).dropna().groupby("u")["a"].nunique().gt(1).sum())
    col, mapping, conflicts = (None, {}, 0)
    if mirror == "auto":
        col, mapping, conflicts = find_mirror(frame, arm, exclude=(user, *metrics))
    elif mirror:
        col, mapping, conflicts = find_mirror(frame[[arm, mirror]], arm)
    return Integrity(len(frame), int(arms.isna().sum()), missing, repeated, several, col, mapping, conflicts,
                     rows_after=len(frame), arm_column=str(arm), user_column=str(user) if user and user in frame
                     else None)


def clean_assignments(frame: pd.DataFrame, arm: str, user: str | None = None, time: str | None = None,
                      integrity: Integrity | None = None) -> tuple[pd.DataFrame, Integrity]:
    """Drop rows with no arm, rows that disagree with the mirroring column, then keep each user's
    first exposure (earliest time stamp, else first row). Returns the clean frame and the integrity
    record marked cleaned with the number of rows removed."""
    integ = integrity or check_integrity(frame, arm, user)
    keep = _arm_text(frame[arm]).notna()
    if integ.mirror_column and integ.mirror_column in frame:
        expected = _arm_text(frame[arm]).map(integ.mirror_mapping)
        keep &= _arm_text(frame[integ.mirror_column]) == expected
    out = frame[keep]
    if user and user in out:
        if time and time in out:
            order = pd.to_datetime(out[time], errors="coerce", format="mixed")
            out = out.assign(_t=order).sort_values("_t", kind="stable").drop(columns="_t")
        out = out[~out[user].astype("str").duplicated()].sort_index()
    from dataclasses import replace
    return out, replace(integ, cleaned=True, removed_rows=len(frame) - len(out), rows_after=len(out))
