"""The workspace repository: campaigns, their assignments and readouts, saved experiments and assumptions.

The core talks to the database through :class:`Workspace` only; nothing here imports streamlit. A
workspace is opened from a SQLAlchemy URL (:func:`open_workspace`): an embedded SQLite file by default
(created on first use, nothing to install or start) or a PostgreSQL server for a team
(``postgresql+psycopg://user:password@host/db``). Opening upgrades the schema to the newest Alembic
revision this version of PromoScope ships, and refuses a database written by a newer version.

Every problem a user can cause (a duplicate name, an unknown campaign, a malformed assignment, a
database that cannot be reached) is a :class:`~promo_core.schema.DataError`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, delete, event, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from ..i18n import N_, _
from ..schema import DataError
from .models import NAME_LENGTH, AssumptionSet, Campaign, Experiment, Readout, Target

#: environment variable naming the workspace (a URL or a SQLite file path)
ENV_VAR = "PROMOSCOPE_WORKSPACE"
STATUSES = ("planned", "running", "measured", "closed")
#: the statuses as shown (translated with ``_(STATUS_LABELS[s])``)
STATUS_LABELS = {"planned": N_("planned"), "running": N_("running"), "measured": N_("measured"), "closed": N_("closed")}
GROUPS = ("treatment", "holdout")
_CHUNK = 5_000

#: columns of :meth:`Workspace.list_campaigns`
CAMPAIGN_COLUMNS = [
    "name", "author", "created_at", "start_date", "end_date", "status", "segmentation", "dataset_name",
    "n_targets", "n_holdout", "holdout_share", "seed", "forecast_profit", "forecast_profit_low",
    "forecast_profit_high", "forecast_roi", "forecast_cost", "n_readouts", "last_readout_at", "measured_profit",
    "measured_profit_low", "measured_profit_high", "measured_roi", "lift", "accuracy",
]
READOUT_COLUMNS = ["created_at", "author", "measured_profit", "measured_profit_low", "measured_profit_high", "roi",
                   "lift"]


def default_path() -> Path:
    """``~/.promoscope/workspace.db`` (read at call time, so a changed HOME is honoured)."""
    return Path.home() / ".promoscope" / "workspace.db"


def resolve_url(url: str | None = None, settings: Mapping[str, Any] | None = None) -> str:
    """The workspace URL to use, first found of:

    1. ``url`` (the CLI's ``--workspace``, or the app's ``[connections.workspace]`` secret);
    2. the environment variable ``PROMOSCOPE_WORKSPACE``;
    3. ``settings["connections"]["workspace"]["url"]`` then ``settings["workspace"]["url"]`` (the
       parsed ``.streamlit/secrets.toml``);
    4. the SQLite file ``~/.promoscope/workspace.db``.

    A value without ``://`` is a SQLite file path. ``postgresql://`` and ``postgres://`` get the
    psycopg (version 3) driver that PromoScope installs.
    """
    chosen = url or os.environ.get(ENV_VAR)
    if not chosen and settings:
        conn = (settings.get("connections") or {}).get("workspace") or {}
        chosen = conn.get("url") if isinstance(conn, Mapping) else None
        if not chosen:
            ws = settings.get("workspace") or {}
            chosen = ws.get("url") if isinstance(ws, Mapping) else None
    if not chosen:
        chosen = str(default_path())
    return normalise_url(str(chosen))


def normalise_url(text: str) -> str:
    text = text.strip()
    if not text:
        raise DataError(_("The workspace location is empty"),
                        hint=_("Give a SQLite file path or a database URL such as postgresql+psycopg://user@host/db"))
    if "://" not in text:
        return "sqlite:///" + str(Path(text).expanduser().resolve())
    for plain in ("postgres://", "postgresql://"):
        if text.startswith(plain):
            text = "postgresql+psycopg://" + text[len(plain):]
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise DataError(_("The workspace URL is not a database URL"), where=_mask_text(text),
                        hint=_("Write it as sqlite:///path/to/workspace.db or "
                               "postgresql+psycopg://user:password@host:5432/database")) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DataError(_("The workspace must be a SQLite file or a PostgreSQL database; got {kind}").format(
            kind=parsed.get_backend_name()), where=safe_url(text),
            hint=_("Use sqlite:///… or postgresql+psycopg://…"))
    return text


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages and screens."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return _mask_text(url)


def _mask_text(text: str) -> str:
    head, sep, tail = text.partition("@")
    if not sep:
        return text[:80]
    scheme, _s, cred = head.rpartition("//")
    return f"{scheme}//{cred.split(':')[0]}:***@{tail}"[:120]


def default_author(signed_in: str | None = None) -> str:
    """The signed-in user, else the operating-system user, else ``anonymous``."""
    if signed_in and str(signed_in).strip():
        return str(signed_in).strip()[:NAME_LENGTH]
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in this environment (e.g. a container without passwd entry)
        user = ""
    return user[:NAME_LENGTH] if user else "anonymous"


def create_workspace_engine(url: str) -> Engine:
    """A SQLAlchemy engine for ``url`` (the SQLite file's folder is created on first use)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_conn, _record):  # SQLite enforces ON DELETE CASCADE only when asked
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return engine
    return create_engine(url, pool_pre_ping=True)


def open_workspace(url: str | None = None, settings: Mapping[str, Any] | None = None, *,
                   engine: Engine | None = None) -> Workspace:
    """Open (and create or upgrade) the workspace at ``url`` (see :func:`resolve_url`).

    ``engine`` uses an existing engine instead (the app's ``st.connection("workspace", type="sql")``).
    """
    if engine is None:
        url = resolve_url(url, settings)
        try:
            engine = create_workspace_engine(url)
        except (ArgumentError, ImportError) as exc:
            raise DataError(_("The workspace database could not be opened ({error})").format(error=exc),
                            where=safe_url(url), hint=_("Check the workspace URL")) from None
    from .migrate import upgrade  # alembic is imported only when a workspace is opened

    shown = safe_url(engine.url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
    except OperationalError as exc:
        raise DataError(_("The workspace database could not be reached ({error})").format(
            error=str(exc.orig).strip().splitlines()[0] if exc.orig else exc), where=shown,
            hint=_("Check that the server is running and that the URL, user and password are right; "
                   "for a file, check that its folder can be written")) from None
    except OSError as exc:
        raise DataError(_("The workspace database could not be opened ({error})").format(error=exc), where=shown,
                        hint=_("Check the workspace location")) from None
    except SQLAlchemyError as exc:  # e.g. no right to create tables, or not a database file
        orig = getattr(exc, "orig", None)
        raise DataError(_("The workspace database could not be opened ({error})").format(
            error=str(orig or exc).strip().splitlines()[0][:200]), where=shown,
            hint=_("Check that the URL names a PromoScope workspace and that its user may create tables")) from None
    return Workspace(engine)


# ---------------------------------------------------------------- values in and out

def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def jsonable(obj: Any) -> Any:
    """Plain JSON values: numpy numbers become Python numbers, NaN/inf become null, dates ISO text."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, dt.date | pd.Timestamp):
        return obj.isoformat()
    if obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    return str(obj)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _first(record: Mapping[str, Any], keys: tuple[str, ...]) -> float | None:
    for k in keys:
        if k in record and _number(record[k]) is not None:
            return _number(record[k])
    return None


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_LENGTH:
        raise DataError(_("The {what} name must be a text of 1 to {n} characters").format(what=what, n=NAME_LENGTH),
                        where=repr(name)[:60], hint=_("Type a short name, e.g. 'December win-back'"))
    return name.strip()


def _date(value: Any, label: str) -> dt.date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    try:  # text only as ISO dates: pd.Timestamp("20 Sept") is 20 September of the year 1
        return (pd.to_datetime(value, format="ISO8601") if isinstance(value, str) else pd.Timestamp(value)).date()
    except (ValueError, TypeError, OverflowError):
        raise DataError(_("The {label} is not a date").format(label=label), where=repr(value)[:40],
                        hint=_("Write dates as YYYY-MM-DD")) from None


def campaign_dates(start: Any, end: Any) -> tuple[dt.date | None, dt.date | None]:
    """A campaign's start and end as dates (either may be missing); DataError for text that is not an ISO
    date or an end before the start."""
    s, e = _date(start, _("start date")), _date(end, _("end date"))
    if s and e and e < s:
        raise DataError(_("The campaign ends before it starts"), where=f"{s} – {e}", hint=_("Check the dates"))
    return s, e


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class CampaignDetail:
    """Everything stored about one campaign.

    ``offers``: one row per segment (segment, offer_type, depth, threshold, target_share, contact_cost);
    ``groups``: one row per segment of the stored assignment (segment, targeted, treatment, holdout);
    ``readouts``: one row per readout, oldest first (:data:`READOUT_COLUMNS`); ``results``: each
    readout's stored JSON, in the same order.
    """

    name: str
    author: str
    created_at: dt.datetime
    start_date: dt.date | None
    end_date: dt.date | None
    status: str
    dataset: dict
    segmentation: str
    plan: dict
    forecast: dict
    seed: int | None
    holdout_share: float | None
    n_targets: int
    n_holdout: int
    offers: pd.DataFrame
    groups: pd.DataFrame
    readouts: pd.DataFrame
    results: list[dict] = field(default_factory=list)

    def offer_labels(self, currency: str = "£") -> dict[str, str]:
        """Each segment's offer in words, in the current language and ``currency``, made again from the stored
        plan (the forecast's ``offer`` text is in the language it was saved in); the stored text where a plan
        offer cannot be read back."""
        labels = {str(r.get("segment")): str(r.get("offer", "")) for r in self.forecast.get("segments", [])
                  if isinstance(r, Mapping)}
        return labels | {k: o.label(currency) for k, o in plan_offers(self.plan).items()}

    def to_dict(self) -> dict:
        """JSON-ready (for ``promo-core campaigns show --json``)."""
        return jsonable({
            "name": self.name, "author": self.author, "created_at": self.created_at,
            "start_date": self.start_date, "end_date": self.end_date, "status": self.status,
            "dataset": self.dataset, "segmentation": self.segmentation, "plan": self.plan,
            "forecast": self.forecast, "seed": self.seed, "holdout_share": self.holdout_share,
            "n_targets": self.n_targets, "n_holdout": self.n_holdout,
            "groups": self.groups.to_dict(orient="records"),
            "readouts": [{**r, "result": res} for r, res in zip(self.readouts.to_dict(orient="records"),
                                                                 self.results, strict=True)],
        })


def plan_offers(plan: Mapping[str, Any]) -> dict[str, Any]:
    """segment → :class:`~promo_core.promotions.Offer` of a stored plan; offers this version cannot read back
    (unknown type, invalid settings) are left out, and the caller falls back to what was stored."""
    from ..promotions import Offer
    offers = {}
    for o in plan.get("offers", []) if isinstance(plan, Mapping) else []:
        try:
            offer = Offer(**o).validate()
        except (TypeError, ValueError, DataError):
            continue
        offers[str(offer.segment)] = offer
    return offers


def _texts(values: pd.Series) -> pd.Series:
    return pd.Series([str(v) for v in values.tolist()], index=values.index, dtype=object)


def _assignment_rows(assignment: pd.DataFrame, segments: set[str]) -> list[dict]:
    """Validate a target/holdout assignment and return its compact rows."""
    if not isinstance(assignment, pd.DataFrame):
        raise DataError(_("The target list must be a table"), hint=_("Give a table with user_id, segment and group"))
    missing = [c for c in ("user_id", "segment") if c not in assignment.columns]
    if "group" not in assignment.columns and "holdout" not in assignment.columns:
        missing.append("group")
    if missing:
        raise DataError(_("The target list has no {columns} column").format(columns=", ".join(missing)),
                        hint=_("A target list has the columns user_id, segment and group (treatment or holdout)"))
    frame = assignment.dropna(subset=["user_id"])
    users = _texts(frame["user_id"]).str.strip()
    if (users == "").any() or (users.str.len() > 200).any():
        raise DataError(_("Some user ids in the target list are empty or longer than 200 characters"),
                        hint=_("Use the target list PromoScope wrote"))
    dup = users.duplicated()
    if dup.any():
        raise DataError(_("The target list names {n} users more than once").format(n=int(dup.sum())),
                        where=", ".join(users[dup].head(5)), hint=_("Each customer belongs to one group only"))
    if "group" in frame.columns:
        group = _texts(frame["group"]).str.strip().str.casefold()
        bad = ~group.isin(GROUPS)
        if bad.any():
            raise DataError(_("The target list's group column must be treatment or holdout"),
                            where=", ".join(sorted(set(_texts(frame.loc[bad, "group"])))[:5]),
                            hint=_("Use the target list PromoScope wrote"))
        holdout = (group == "holdout").to_numpy()
    else:
        holdout = frame["holdout"].astype(bool).to_numpy()
    if frame["segment"].isna().any():
        raise DataError(_("Some customers in the target list have no segment"),
                        rows=frame.index[frame["segment"].isna()][:5], hint=_("Use the target list PromoScope wrote"))
    seg = _texts(frame["segment"])
    unknown = sorted(set(seg) - segments)
    if unknown and segments:
        raise DataError(_("The target list names segments the plan does not have"),
                        where=", ".join(map(repr, unknown[:5])), hint=_("Save the target list made from this plan"))
    return [{"user_id": u, "segment": s, "holdout": bool(h)}
            for u, s, h in zip(users.tolist(), seg.tolist(), holdout.tolist(), strict=True)]


def _insert_targets(s: Session, campaign_id: int, rows: list[dict]) -> None:
    """Bulk-insert an assignment in the session's transaction: PostgreSQL's COPY through psycopg (about 10×
    faster than batched INSERTs for 100,000 rows), batched INSERTs elsewhere."""
    conn = s.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg" and rows:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy("COPY campaign_targets (campaign_id, user_id, segment, holdout) "
                                           "FROM STDIN") as copy:
            for r in rows:
                copy.write_row((campaign_id, r["user_id"], r["segment"], r["holdout"]))
        return
    for i in range(0, len(rows), _CHUNK):
        s.execute(insert(Target.__table__), [{**r, "campaign_id": campaign_id} for r in rows[i:i + _CHUNK]])


class Workspace:
    """The repository over one workspace database (see the module docstring)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @property
    def url(self) -> str:
        """The database URL with its password hidden."""
        return safe_url(self.engine.url.render_as_string(hide_password=False))

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _campaign(self, s: Session, name: str) -> Campaign:
        row = s.scalars(select(Campaign).where(Campaign.name == name)).first()
        if row is None:
            raise DataError(_("There is no campaign called {name!r} in this workspace").format(name=name),
                            hint=_("List the saved campaigns to see their names"))
        return row

    def _commit(self, s: Session, what: str, name: str) -> None:
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            raise DataError(_("A {what} called {name!r} already exists in this workspace").format(what=what, name=name),
                            hint=_("Choose another name, or delete the old one first")) from None
        except SQLAlchemyError as exc:
            s.rollback()
            raise DataError(_("The workspace could not save this ({error})").format(error=type(exc).__name__),
                            where=self.url, hint=_("Check that the database can be written and try again")) from None

    # ------------------------------------------------------------ campaigns

    def save_campaign(self, name: str, *, plan: Mapping[str, Any], forecast: Mapping[str, Any],
                      dataset: Mapping[str, Any], segmentation: str, author: str | None = None,
                      start_date: Any = None, end_date: Any = None, assignment: pd.DataFrame | None = None,
                      seed: int | None = None, holdout_share: float | None = None,
                      status: str = "planned") -> CampaignDetail:
        """Store a campaign: the plan (offers and assumptions), its forecast (the forecast.json record,
        with ``segments`` and ``total``), the dataset id and, when given, the target/holdout assignment
        (user_id, segment, group = treatment / holdout) with its seed and holdout share.

        Raises DataError for a duplicate name (names are unique per workspace), a plan without
        offers, a forecast without a total, or a malformed assignment.
        """
        name = _check_name(name, _("campaign"))
        offers = plan.get("offers") if isinstance(plan, Mapping) else None
        if not isinstance(offers, list) or not offers:
            raise DataError(_("The campaign's plan has no offers"), hint=_("Save a plan made in the planner"))
        total = forecast.get("total") if isinstance(forecast, Mapping) else None
        if not isinstance(total, Mapping):
            raise DataError(_("The campaign's forecast has no total"), hint=_("Save a forecast made by the planner"))
        if status not in STATUSES:
            raise DataError(_("Unknown campaign status {status!r}").format(status=status),
                            hint=_("Use one of: {options}").format(options=", ".join(STATUSES)))
        start, end = campaign_dates(start_date, end_date)
        if holdout_share is not None and not (_number(holdout_share) is not None and 0 <= holdout_share < 1):
            raise DataError(_("The holdout share must be from 0% to below 100%; got {value}").format(
                value=holdout_share), hint=_("Try 10%"))
        rows = _assignment_rows(assignment, {str(o.get("segment")) for o in offers if isinstance(o, Mapping)}) \
            if assignment is not None else []
        n_hold = sum(r["holdout"] for r in rows)
        if holdout_share is None and rows:
            holdout_share = n_hold / len(rows)
        cost = (_number(total.get("value_given")) or 0.0) + (_number(total.get("contact_cost")) or 0.0)
        with self._session() as s:
            if s.scalar(select(func.count()).select_from(Campaign).where(Campaign.name == name)):
                raise DataError(_("A {what} called {name!r} already exists in this workspace").format(
                    what=_("campaign"), name=name), hint=_("Choose another name, or delete the old one first"))
            c = Campaign(name=name, author=default_author(author), created_at=_now(), start_date=start, end_date=end,
                         dataset=jsonable(dict(dataset)), segmentation=str(segmentation)[:40], plan=jsonable(plan),
                         forecast=jsonable(forecast), forecast_profit=_number(total.get("incremental_profit")),
                         forecast_profit_low=_number(total.get("profit_low")),
                         forecast_profit_high=_number(total.get("profit_high")),
                         forecast_roi=_number(total.get("roi")), forecast_cost=cost,
                         seed=None if seed is None else int(seed), holdout_share=_number(holdout_share),
                         n_targets=len(rows), n_holdout=int(n_hold), status=status)
            s.add(c)
            try:
                s.flush()
            except IntegrityError:
                s.rollback()
                raise DataError(_("A {what} called {name!r} already exists in this workspace").format(
                    what=_("campaign"), name=name), hint=_("Choose another name, or delete the old one first")) from None
            _insert_targets(s, c.id, rows)
            self._commit(s, _("campaign"), name)
        return self.campaign(name)

    def has_campaign(self, name: str) -> bool:
        with self._session() as s:
            return bool(s.scalar(select(func.count()).select_from(Campaign)
                                 .where(Campaign.name == str(name).strip())))

    def list_campaigns(self) -> pd.DataFrame:
        """Every campaign, newest first, with its forecast and its latest readout (:data:`CAMPAIGN_COLUMNS`).

        ``accuracy`` is measured ÷ forecast incremental profit (1.0: the forecast was exact), left empty
        when there is no readout or the forecast profit is not above zero (a ratio to zero or a loss
        does not read as accuracy).
        """
        with self._session() as s:
            camps = s.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())).all()
            reads = s.execute(select(Readout.campaign_id, Readout.created_at, Readout.measured_profit,  # not the JSON
                                     Readout.measured_profit_low, Readout.measured_profit_high, Readout.roi,
                                     Readout.lift).order_by(Readout.created_at, Readout.id)).all()
        latest: dict[int, Any] = {}
        counts: dict[int, int] = {}
        for r in reads:
            latest[r.campaign_id] = r
            counts[r.campaign_id] = counts.get(r.campaign_id, 0) + 1
        rows = []
        for c in camps:
            r = latest.get(c.id)
            measured = r.measured_profit if r else None
            fp = c.forecast_profit
            rows.append({
                "name": c.name, "author": c.author, "created_at": _utc(c.created_at), "start_date": c.start_date,
                "end_date": c.end_date, "status": c.status, "segmentation": c.segmentation,
                "dataset_name": str((c.dataset or {}).get("name", "")), "currency": (c.dataset or {}).get("currency"),
                "n_targets": c.n_targets,
                "n_holdout": c.n_holdout, "holdout_share": c.holdout_share, "seed": c.seed,
                "forecast_profit": fp, "forecast_profit_low": c.forecast_profit_low,
                "forecast_profit_high": c.forecast_profit_high, "forecast_roi": c.forecast_roi,
                "forecast_cost": c.forecast_cost, "n_readouts": counts.get(c.id, 0),
                "last_readout_at": _utc(r.created_at) if r else None, "measured_profit": measured,
                "measured_profit_low": r.measured_profit_low if r else None,
                "measured_profit_high": r.measured_profit_high if r else None,
                "measured_roi": r.roi if r else None, "lift": r.lift if r else None,
                "accuracy": measured / fp if measured is not None and fp is not None and fp > 0 else None,
            })
        df = pd.DataFrame(rows, columns=CAMPAIGN_COLUMNS)
        for col in ("forecast_profit", "forecast_profit_low", "forecast_profit_high", "forecast_roi", "forecast_cost",
                    "measured_profit", "measured_profit_low", "measured_profit_high", "measured_roi", "lift",
                    "accuracy", "holdout_share"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
        return df

    def forecast_accuracy(self) -> pd.DataFrame:
        """Measured ÷ forecast profit per measured campaign, in time order: name, when (the campaign's end
        date, else its latest readout's date), forecast_profit, measured_profit, accuracy. Campaigns whose
        forecast profit is not above zero are left out (see :meth:`list_campaigns`)."""
        df = self.list_campaigns()
        df = df[df["accuracy"].notna()].copy()
        when = pd.to_datetime(df["end_date"], errors="coerce")
        last = pd.to_datetime(df["last_readout_at"], utc=True, errors="coerce").dt.tz_localize(None).dt.normalize()
        df["when"] = when.fillna(last)
        return df.sort_values(["when", "name"])[["name", "when", "forecast_profit", "measured_profit",
                                                   "accuracy"]].reset_index(drop=True)

    def campaign(self, name: str) -> CampaignDetail:
        """Everything stored about the campaign ``name`` (DataError when there is none)."""
        with self._session() as s:
            c = self._campaign(s, name)
            groups = s.execute(select(Target.segment, Target.holdout, func.count()).where(Target.campaign_id == c.id)
                               .group_by(Target.segment, Target.holdout)).all()
            reads = s.scalars(select(Readout).where(Readout.campaign_id == c.id)
                              .order_by(Readout.created_at, Readout.id)).all()
        g = pd.DataFrame([tuple(r) for r in groups], columns=["segment", "holdout", "n"])
        if len(g):
            g = (g.pivot_table(index="segment", columns="holdout", values="n", aggfunc="sum", fill_value=0)
                 .reindex(columns=[False, True], fill_value=0))
            g = pd.DataFrame({"segment": g.index.astype(str), "treatment": g[False].astype(int).to_numpy(),
                              "holdout": g[True].astype(int).to_numpy()})
            g["targeted"] = g["treatment"] + g["holdout"]
        else:
            g = pd.DataFrame(columns=["segment", "treatment", "holdout", "targeted"])
        offers = pd.DataFrame([o for o in c.plan.get("offers", []) if isinstance(o, Mapping)])
        readouts = pd.DataFrame([{"created_at": _utc(r.created_at), "author": r.author,
                                  "measured_profit": r.measured_profit, "measured_profit_low": r.measured_profit_low,
                                  "measured_profit_high": r.measured_profit_high, "roi": r.roi, "lift": r.lift}
                                 for r in reads], columns=READOUT_COLUMNS)
        return CampaignDetail(name=c.name, author=c.author, created_at=_utc(c.created_at), start_date=c.start_date,
                              end_date=c.end_date, status=c.status, dataset=c.dataset, segmentation=c.segmentation,
                              plan=c.plan, forecast=c.forecast, seed=c.seed, holdout_share=c.holdout_share,
                              n_targets=c.n_targets, n_holdout=c.n_holdout,
                              offers=offers, groups=g[["segment", "targeted", "treatment", "holdout"]],
                              readouts=readouts, results=[r.result for r in reads])

    def targets(self, name: str, currency: str = "£") -> pd.DataFrame:
        """The stored target list as the planner exported it, ready for a readout: user_id, segment, offer,
        offer_type, depth, threshold, offer_spec, group (treatment / holdout), holdout_share, seed, and each
        segment's forecast (baseline_conversion, expected_conversion, forecast_profit_per_user, contact_cost;
        see :func:`promo_core.campaigns.campaign_targets`), in the order it was saved. The offer columns come
        from the campaign's plan, the forecast columns from its stored forecast (empty where it has none)."""
        from ..promotions import offer_spec

        with self._session() as s:
            c = self._campaign(s, name)
            rows = [tuple(r) for r in s.execute(select(Target.user_id, Target.segment, Target.holdout)
                                                .where(Target.campaign_id == c.id))]
            plan, forecast, share, seed = c.plan, c.forecast, c.holdout_share, c.seed
        df = pd.DataFrame(rows, columns=["user_id", "segment", "holdout"])
        offers = plan_offers(plan)
        label = {k: o.label(currency) for k, o in offers.items()}
        df["offer"] = df["segment"].map(label)
        df["offer_type"] = df["segment"].map({k: o.offer_type for k, o in offers.items()})
        df["depth"] = df["segment"].map({k: o.depth for k, o in offers.items()}).astype(float)
        df["threshold"] = df["segment"].map({k: o.threshold for k, o in offers.items()}).astype(float)
        df["offer_spec"] = df["segment"].map({k: offer_spec(o) for k, o in offers.items()})
        df["group"] = np.where(df["holdout"].astype(bool), "holdout", "treatment")
        df["holdout_share"] = np.nan if share is None else float(share)
        df["seed"] = pd.array([seed] * len(df), dtype="Int64")
        fc = {str(r.get("segment")): r for r in (forecast or {}).get("segments", []) if isinstance(r, Mapping)}

        def per_segment(f) -> pd.Series:
            return df["segment"].map({k: f(r) for k, r in fc.items()}).astype(float)
        df["baseline_conversion"] = per_segment(lambda r: _number(r.get("baseline_conversion")))
        df["expected_conversion"] = per_segment(lambda r: _number(r.get("expected_conversion")))
        df["forecast_profit_per_user"] = per_segment(
            lambda r: (_number(r.get("incremental_profit")) / r["targeted"])
            if _number(r.get("incremental_profit")) is not None and (_number(r.get("targeted")) or 0) > 0 else None)
        df["contact_cost"] = df["segment"].map({k: o.contact_cost for k, o in offers.items()}).astype(float)
        return df[["user_id", "segment", "offer", "offer_type", "depth", "threshold", "offer_spec", "group",
                   "holdout_share", "seed", "baseline_conversion", "expected_conversion", "forecast_profit_per_user",
                   "contact_cost"]]

    def set_status(self, name: str, status: str) -> None:
        if status not in STATUSES:
            raise DataError(_("Unknown campaign status {status!r}").format(status=status),
                            hint=_("Use one of: {options}").format(options=", ".join(STATUSES)))
        with self._session() as s:
            self._campaign(s, name).status = status
            self._commit(s, _("campaign"), name)

    def delete_campaign(self, name: str) -> None:
        """Delete a campaign with its assignment and readouts (DataError when there is none)."""
        with self._session() as s:
            c = self._campaign(s, name)
            s.execute(delete(Target).where(Target.campaign_id == c.id))
            s.execute(delete(Readout).where(Readout.campaign_id == c.id))
            s.delete(c)
            self._commit(s, _("campaign"), name)

    # ------------------------------------------------------------ readouts

    def add_readout(self, name: str, result: Any, *, author: str | None = None,
                    measured_profit: float | None = None, profit_low: float | None = None,
                    profit_high: float | None = None, roi: float | None = None, lift: float | None = None) -> None:
        """Store a readout of the campaign ``name`` and mark the campaign measured.

        ``result`` is a mapping, or an object with ``to_dict()`` (the readout result), holding the
        per-segment and total measured results; it is stored whole as JSON. The summary columns are
        taken from the arguments, else from ``result["total"]``: profit from ``incremental_profit``
        (or ``measured_profit`` / ``profit``), its interval from ``profit_low``/``profit_high``, ``roi``,
        and the lift from ``lift`` (or ``relative_lift`` / ``absolute_lift``).
        """
        data = result.to_dict() if hasattr(result, "to_dict") else result
        if not isinstance(data, Mapping):
            raise DataError(_("A readout must be a table of results with a total"),
                            hint=_("Save the readout made on the Campaign readout page"))
        data = jsonable(data)
        total = data.get("total") if isinstance(data.get("total"), Mapping) else {}
        summary = {
            "measured_profit": _number(measured_profit) if measured_profit is not None else
            _first(total, ("incremental_profit", "measured_profit", "profit")),
            "measured_profit_low": _number(profit_low) if profit_low is not None else
            _first(total, ("profit_low", "incremental_profit_low", "profit_ci_low")),
            "measured_profit_high": _number(profit_high) if profit_high is not None else
            _first(total, ("profit_high", "incremental_profit_high", "profit_ci_high")),
            "roi": _number(roi) if roi is not None else _first(total, ("roi",)),
            "lift": _number(lift) if lift is not None else _first(total, ("lift", "relative_lift", "rel_lift", "absolute_lift")),
        }
        with self._session() as s:
            c = self._campaign(s, name)
            s.add(Readout(campaign_id=c.id, created_at=_now(), author=default_author(author), result=data, **summary))
            if c.status in ("planned", "running"):
                c.status = "measured"
            self._commit(s, _("readout"), name)

    # ------------------------------------------------------------ saved experiments and assumptions

    def save_experiment(self, name: str, summary: Mapping[str, Any] | Any, author: str | None = None) -> None:
        """Store an A/B result summary (a mapping, or an object with ``to_dict()``) under a unique name."""
        name = _check_name(name, _("experiment"))
        data = summary.to_dict() if hasattr(summary, "to_dict") else summary
        if not isinstance(data, Mapping):
            raise DataError(_("An experiment summary must be a table of named results"),
                            hint=_("Save the summary made on the A/B tests page"))
        with self._session() as s:
            s.add(Experiment(name=name, author=default_author(author), created_at=_now(), summary=jsonable(data)))
            self._commit(s, _("experiment"), name)

    def experiments(self) -> pd.DataFrame:
        """Saved experiments, newest first: name, author, created_at."""
        with self._session() as s:
            rows = s.execute(select(Experiment.name, Experiment.author, Experiment.created_at)
                             .order_by(Experiment.created_at.desc(), Experiment.id.desc())).all()
        return pd.DataFrame([(n, a, _utc(t)) for n, a, t in rows], columns=["name", "author", "created_at"])

    def experiment(self, name: str) -> dict:
        with self._session() as s:
            row = s.scalars(select(Experiment).where(Experiment.name == name)).first()
        if row is None:
            raise DataError(_("There is no experiment called {name!r} in this workspace").format(name=name),
                            hint=_("List the saved experiments to see their names"))
        return row.summary

    def save_assumptions(self, name: str, values: Mapping[str, Any] | Any, author: str | None = None) -> None:
        """Store a set of planning assumptions (a mapping or a dataclass) under a unique name."""
        from dataclasses import asdict, is_dataclass

        name = _check_name(name, _("assumption set"))
        data = asdict(values) if is_dataclass(values) else values
        if not isinstance(data, Mapping):
            raise DataError(_("Assumptions must be a table of named values"), hint=_("Save them from the planner"))
        with self._session() as s:
            s.add(AssumptionSet(name=name, author=default_author(author), created_at=_now(), values=jsonable(data)))
            self._commit(s, _("assumption set"), name)

    def assumption_sets(self) -> pd.DataFrame:
        """Saved assumption sets, newest first: name, author, created_at."""
        with self._session() as s:
            rows = s.execute(select(AssumptionSet.name, AssumptionSet.author, AssumptionSet.created_at)
                             .order_by(AssumptionSet.created_at.desc(), AssumptionSet.id.desc())).all()
        return pd.DataFrame([(n, a, _utc(t)) for n, a, t in rows], columns=["name", "author", "created_at"])

    def assumptions(self, name: str) -> dict:
        with self._session() as s:
            row = s.scalars(select(AssumptionSet).where(AssumptionSet.name == name)).first()
        if row is None:
            raise DataError(_("There are no saved assumptions called {name!r} in this workspace").format(name=name),
                            hint=_("List the saved assumptions to see their names"))
        return row.values


def dumps(obj: Any) -> str:
    """Strict JSON text of a workspace value (NaN as null)."""
    return json.dumps(jsonable(obj), ensure_ascii=False, indent=2)
