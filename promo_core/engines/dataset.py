"""A :class:`promo_core.quality.Dataset` whose events stay in the engine (the app's large sources).

The pages take a ``Dataset``. For a server folder of millions of events, this one keeps the cleaned events
in a DuckDB temporary table (spilled beyond ``memory_limit``) and answers the expensive questions there:
per-user profiles, KPIs, daily activity, the funnel, the non-product item table, the first rows. Only those
small results reach pandas. A page that needs the event rows themselves (basket rules, propensity, the
uplift model, a readout) reads them from the engine on first use, once per dataset: ``events`` is a property.

Everything is computed on one engine connection, guarded by a lock (a Streamlit session may start a new
script run before the last one has stopped).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pandas as pd

from ..i18n import N_, _, fmt_int
from ..quality import EVENT_DTYPE, Dataset, QualityReport, Step
from .clean import EngineData, materialise
from .dtypes import normalise

#: the note every report of an engine dataset carries (the plausibility checks need the rows in pandas)
ENGINE_NOTES = {
    "duckdb": N_("Validated and cleaned in the DuckDB engine: the same steps and counts as the in-memory loader; "
                 "plausibility checks and example file lines are not computed for engine sources."),
    "spark": N_("Validated and cleaned in the Spark engine: the same steps and counts as the in-memory loader; "
                "plausibility checks and example file lines are not computed for engine sources."),
}


def report_of(data: EngineData) -> QualityReport:
    """The engine's report numbers as the core's :class:`QualityReport` (what the pages show)."""
    r = data.report
    steps = tuple(Step(s["step"], int(s["rows_dropped"])) for s in r["steps"])
    name = getattr(data.engine, "name", "duckdb")
    notes = (ENGINE_NOTES.get(name, ENGINE_NOTES["duckdb"]), *[str(n) for n in data.notes])
    return QualityReport(file=dict(r.get("file", {})), mapping=dict(r.get("mapping", {})),
                         rows_read=int(r["rows_read"]), facts=dict(r.get("facts", {})), steps=steps,
                         rows_kept=int(r["rows_kept"]), users=int(r["users"]), items=r.get("items"),
                         orders=r.get("orders"), first_event=r.get("first_event"), last_event=r.get("last_event"),
                         event_mix=dict(r.get("event_mix", {})), attributes=tuple(r.get("attributes", ())),
                         notes=notes, time_zone=r.get("time_zone"))


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Engine rows in the core's dtypes: ids as text, ns times, the event as the core's category."""
    out = normalise(frame)
    out["event"] = out["event"].astype(str).astype(EVENT_DTYPE)
    for c in ("price", "quantity", "discount", "line_total"):
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    return out.reset_index(drop=True)


class EngineDataset(Dataset):
    """A dataset whose events live in an engine (see the module docstring)."""

    in_engine = True

    def __init__(self, data: EngineData, name: str, *, nonproduct: tuple[str, ...] | None = None,
                 max_rows_in_memory: int | None = None, _shared: dict | None = None,
                 pseudonymised: bool = False) -> None:
        # Dataset is a frozen dataclass: set the fields the way its own __init__ does. The events are a view of the
        # table the cleaning materialised (a second copy cost 1.6 s on 10M events and made no query faster)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "kind", "events")
        object.__setattr__(self, "report", report_of(data))
        object.__setattr__(self, "pseudonymised", pseudonymised)
        object.__setattr__(self, "nonproduct", tuple(data.nonproduct if nonproduct is None else nonproduct))
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "max_rows_in_memory", max_rows_in_memory)
        # shared between this dataset and its copies with another non-product list: the rows read once
        object.__setattr__(self, "_shared", _shared if _shared is not None else {"lock": threading.RLock()})

    # ---- what a Dataset offers, answered by the engine
    def _once(self, key: str, fn):
        """``fn()`` computed once per dataset (and its copies), under the connection's lock."""
        shared = self._shared
        with shared["lock"], engine_failures(self.name):
            if key not in shared:
                shared[key] = fn()
            return shared[key]

    def run(self, fn, *args, **kwargs):
        """``fn(self.data.events, *args, **kwargs)`` on the engine under the connection's lock (one DuckDB
        connection is not safe for two threads: a page and the CLV worker may both use it)."""
        with self._shared["lock"], engine_failures(self.name):
            return fn(self.data.events, *args, **kwargs)

    def close(self) -> None:
        """Drop the engine tables this dataset made (a candidate replaced by another mapping); idempotent."""
        with self._shared["lock"]:
            for name in self._shared.pop("tables", ()):
                try:
                    self.data.engine.con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
                except Exception:  # noqa: BLE001 - the connection may be gone already
                    pass

    @property
    def events(self) -> pd.DataFrame:  # type: ignore[override]
        """The cleaned event rows in pandas, read from the engine on first use; a DataError when there are more
        than ``max_rows_in_memory`` (a page that needs them says so instead of taking the server's memory)."""
        self._check_rows()
        return self._once("events", lambda: canonical(self.data.events.to_pandas()))

    def _check_rows(self) -> None:
        cap, n = self.max_rows_in_memory, self.report.rows_kept
        if cap is not None and n > cap:
            from ..schema import DataError
            raise DataError(_("This page needs every event row in memory, and this source has {n} rows, more than "
                              "the {cap} the server reads into memory").format(n=fmt_int(n), cap=fmt_int(cap)),
                            where=self.name,
                            hint=_("The Data, Segments, Basket rules and Promotion planner pages and RFM and lifecycle "
                                   "work on it in the engine. For this page, load a smaller slice (a narrower file pattern, such as one "
                                   "month), or ask the administrator to raise [sources] engine_rows_in_memory"))

    @property
    def returns(self) -> pd.DataFrame | None:  # type: ignore[override]
        if self.data.returns is None:
            return None
        self._check_rows()
        return self._once("returns", lambda: canonical(self.data.returns.to_pandas()))

    @property
    def has(self) -> set[str]:  # type: ignore[override]
        def present() -> set[str]:
            from ..schema import COLUMN_NAMES
            ev = self.data.events
            cols = [c for c in COLUMN_NAMES if c in ev.columns]
            counts = ev.aggregate(**{c: ev[c].count() for c in cols}).to_pandas().iloc[0]
            return {c for c in cols if int(counts[c]) > 0}
        return self._once("has", present)

    @property
    def rows_in_memory(self) -> bool:
        """Whether the event rows have been read into pandas (a page needed them)."""
        return "events" in self._shared

    def head(self, n: int) -> pd.DataFrame:
        return self._once(f"head{n}", lambda: canonical(self.data.events.limit(n).to_pandas()))

    def profiles(self) -> pd.DataFrame:
        from .relational import profiles
        d = self.data
        return self._once(f"profiles{self.nonproduct}", lambda: profiles(
            d.events, returns=d.returns, nonproduct=self.nonproduct, attributes=d.attributes))

    def overview(self):
        """KPIs, daily activity and funnel (as :func:`ui.state.overview` gives for a pandas dataset)."""
        from .relational import daily_activity, funnel, kpis
        ev = self.data.events
        return self._once("overview", lambda: (kpis(ev), daily_activity(ev), funnel(ev)))

    def item_table(self) -> pd.DataFrame:
        """Per-item purchase and return statistics (:func:`promo_core.nonproduct.item_table`)."""
        from .nonproduct import item_table
        return self._once("items", lambda: item_table(self.data.events, self.data.returns))

    def totals(self) -> tuple[float, float]:
        """Sales over every purchase line and the amount over every returned line."""
        from .nonproduct import totals
        return self._once("totals", lambda: totals(self.data.events, self.data.returns))

    def history(self):
        """The planner's :class:`promo_core.promotions.History`, computed in the engine: orders, first-seen
        times and the span come back; the hour-of-day activity of a segmentation is counted in the engine."""
        from ..promotions import History
        from .relational import first_seen, hour_shares, order_table, time_span
        ev = self.data.events

        def build():
            start, end = time_span(ev)
            return History(orders=order_table(ev, self.nonproduct), first_seen=first_seen(ev), start=start, end=end,
                           hours=lambda segments: self.run(hour_shares, segments))
        return self._once(f"history{self.nonproduct}", build)

    def purchase_days(self):
        """The lifetime-value models' :class:`promo_core.clv.PurchaseDays`, computed in the engine."""
        from .relational import purchase_days
        d = self.data
        return self._once(f"purchase_days{self.nonproduct}",
                          lambda: purchase_days(d.events, d.returns, self.nonproduct))

    def purchase_pairs(self) -> pd.DataFrame:
        """The recommender's :func:`promo_core.recommend.purchase_pairs`, from the engine (one row per product
        purchase line; at most ``max_rows_in_memory`` of them)."""
        from .relational import purchase_pairs
        return self._once(f"pairs{self.nonproduct}", lambda: purchase_pairs(
            self.data.events, self.nonproduct, self.max_rows_in_memory))

    def campaign_outcomes(self, start, end):
        """:func:`promo_core.campaigns.readout.outcomes_from_events` for [start, end), computed in the engine."""
        from .relational import campaign_outcomes
        return self.run(campaign_outcomes, start, end, self.nonproduct)

    def event_history(self):
        """:class:`promo_core.features.EventHistory`'s questions answered in the engine (profiles and lifecycle
        stages as of a date, buyers from a date on): the propensity model and the lifecycle back-test read
        per-user tables only."""
        return _EngineHistory(self)

    def segmenter(self, kind: str, rfm_rules=None, lifecycle_rules=None):
        """:func:`promo_core.promotions.segmenter` with the profiles and lifecycle inputs at each earlier date
        computed in the engine (None for clusters)."""
        from ..segments import RFM_RULES, LifecycleRules, rfm
        from .relational import lifecycle, profiles
        d = self.data
        if kind == "rfm":
            rules = RFM_RULES if rfm_rules is None else rfm_rules

            def at(t):
                p = self.run(profiles, t, returns=d.returns, nonproduct=self.nonproduct)
                s = rfm(p, rules)
                return s[["user_id"]].assign(segment=s["rfm_segment"])
            return at
        if kind == "lifecycle":
            rules = lifecycle_rules or LifecycleRules()

            def at(t):
                return self.run(lifecycle, rules, as_of=t).rename(columns={"lifecycle": "segment"})
            return at
        return None

    # ---- copies
    def with_nonproduct(self, codes: tuple[str, ...]) -> EngineDataset:
        return EngineDataset(self.data, self.name, nonproduct=tuple(codes), max_rows_in_memory=self.max_rows_in_memory,
                             _shared=self._shared, pseudonymised=self.pseudonymised)

    def pseudonymised_copy(self, salt: str) -> EngineDataset:
        """A copy whose user ids are salted hashes (:func:`promo_core.quality.pseudonyms`), made in the engine: the
        distinct ids come to memory, their pseudonyms go back as a table, and the events and returns are rewritten
        there. The tables with the original ids stay with the session's engine (other copies of this dataset may
        still read them) and go when it goes, as an upload's bytes stay in the session."""
        import ibis

        from ..quality import pseudonyms
        d = self.data

        def ids(t):
            return t.select("user_id").distinct().to_pandas()["user_id"].astype(str)
        with self._shared["lock"], engine_failures(self.name):
            table = pseudonyms(ids(d.events), salt)
            extra = {}
            if d.returns is not None:
                extra = pseudonyms([u for u in ids(d.returns) if u not in table], salt, returns_only=True)
            names = {**table, **extra}
            lookup = ibis.memtable(pd.DataFrame({"_uid": list(names), "_pseudonym": list(names.values())}))

            def swap(t):
                j = t.mutate(_uid=t.user_id.cast("string")).left_join(lookup, "_uid")
                return j.mutate(user_id=j._pseudonym).select(*t.columns)
            before = _temp_tables(d.engine)
            events = materialise(d.engine, swap(d.events))
            returns = materialise(d.engine, swap(d.returns)) if d.returns is not None else None
            made = sorted(_temp_tables(d.engine) - before)
        hashed = EngineDataset(replace(d, events=events, returns=returns), self.name, nonproduct=self.nonproduct,
                               max_rows_in_memory=self.max_rows_in_memory, _shared={"lock": self._shared["lock"],
                                                                                    "tables": made},
                               pseudonymised=True)
        return hashed

    def in_memory(self) -> Dataset:
        """A plain in-memory Dataset of the same rows (what pseudonymisation works on)."""
        return Dataset(name=self.name, kind=self.kind, events=self.events, report=self.report,
                       pseudonymised=False, returns=self.returns, nonproduct=self.nonproduct)

    def __repr__(self) -> str:
        return f"EngineDataset({self.name!r}, rows={self.report.rows_kept}, engine={self.data.engine.name})"

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


class _EngineHistory:
    """Per-user answers from an engine dataset (see :meth:`EngineDataset.event_history`)."""

    def __init__(self, ds: EngineDataset) -> None:
        self.ds = ds

    def as_of(self) -> pd.Timestamp:
        from .relational import default_as_of
        return self.ds.run(default_as_of)

    def first(self) -> pd.Timestamp:
        from .relational import time_span
        return self.ds.run(time_span)[0]

    def profiles(self, as_of: pd.Timestamp) -> pd.DataFrame:
        from .relational import profiles
        # as EventHistory.profiles: without returns or non-product lists, in user order
        p = self.ds.run(profiles, as_of)
        return p.sort_values("user_id", kind="stable").reset_index(drop=True)

    def buyers_since(self, t: pd.Timestamp):
        import ibis

        def buyers(ev):
            b = ev.filter((ev.event == "purchase") & (ev.timestamp >= ibis.timestamp(t.to_pydatetime())))
            return b.select("user_id").distinct().to_pandas()["user_id"].astype(str).to_numpy()
        return self.ds.run(buyers)

    def lifecycle(self, rules, as_of: pd.Timestamp) -> pd.DataFrame:
        from .relational import lifecycle
        return self.ds.run(lifecycle, rules, as_of=as_of)


#: rows read into pandas for the mapping editor and the preview of an engine source
SAMPLE_ROWS = 20_000


@dataclass
class EngineSource:
    """Files opened in an engine and not yet cleaned: the raw table, what it is, and its first rows (for
    the mapping editor, which infers the mapping on them as the engine's cleaning does on its sample)."""

    engine: object
    raw: object
    source: object
    sample: object   # promo_core.io.RawTable of the first SAMPLE_ROWS rows

    def clean(self, mapping: dict | None, name: str, progress=None,
              max_rows_in_memory: int | None = None, time_zone: str | None = None) -> EngineDataset:
        """Validate and clean every row in the engine; the dataset the pages use (``time_zone``: the shop's,
        :mod:`promo_core.clock`)."""
        from ..nonproduct import classify_items
        from .clean import clean
        _say(progress, _("Validating and cleaning every row in the engine"), 0.1)
        before = _temp_tables(self.engine)
        with engine_errors(self.source):
            data = clean(self.engine, self.raw, mapping or None, source=self.source, time_zone=time_zone)
            _say(progress, _("Keeping the cleaned rows in the engine"), 0.6)
            ds = EngineDataset(data, name, max_rows_in_memory=max_rows_in_memory)
        ds._shared["tables"] = sorted(_temp_tables(self.engine) - before)
        _say(progress, _("Looking for non-product lines (postage, fees…)"), 0.8)
        found = classify_items(ds.item_table())   # the item table is kept for the Data page's list
        data.nonproduct = tuple(sorted(found.loc[found["suggested"], "item_id"].astype(str)))
        object.__setattr__(ds, "nonproduct", tuple(data.nonproduct))
        _say(progress, _("Quality checked: {n} rows kept").format(n=fmt_int(ds.report.rows_kept)), 1.0)
        return ds


@contextmanager
def engine_failures(where):
    """An engine failure while a page computes (DuckDB out of memory or out of disk for spilling) as a DataError."""
    from ..schema import DataError
    try:
        yield
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - DuckDB/Ibis errors have many classes
        if type(exc).__module__.split(".")[0] not in ("duckdb", "ibis", "_duckdb", "pyarrow"):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise DataError(_("The engine could not compute this ({error})").format(error=first), where=str(where),
                        hint=_("The server may be short of memory or of disk for spilling: try again, or ask the "
                               "administrator to raise [sources] engine_memory_limit or free disk space")) from None


@contextmanager
def engine_errors(where):
    """An engine's own exception (a damaged Parquet file, a CSV whose rows disagree, out of disk for spilling)
    as a DataError that says what failed, where, and what to do."""
    from ..schema import DataError
    try:
        yield
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - DuckDB/Arrow/Ibis errors have many classes
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise DataError(_("The engine could not read these files ({error})").format(error=first),
                        where=str(getattr(where, "name", where)),
                        hint=_("Check that every file is a complete Parquet or CSV file with the same columns; "
                               "a damaged file can be left out with a narrower pattern")) from None


def _temp_tables(engine) -> set[str]:
    """The temporary tables on a DuckDB engine (what a cleaning made, to drop it when it is replaced)."""
    if getattr(engine, "name", "") != "duckdb":
        return set()
    rows = engine.con.raw_sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    return {r[0] for r in rows}


def _say(progress, message: str, fraction: float | None) -> None:
    if progress is not None:
        progress(message, fraction)


def open_table(url: str, table: str, name: str, *, engine=None, progress=None) -> EngineSource:
    """A database table (an Ibis URL) streamed into an engine (DuckDB unless given) in Arrow batches, never
    whole in memory: :func:`promo_core.engines.sources.read_table_source`."""
    from ..io import RawTable
    from .backends import connect
    from .sources import read_table_source
    engine = engine or connect("duckdb")
    _say(progress, _("Streaming the table {table} into the DuckDB engine").format(table=table), 0.05)
    with engine_errors(name):
        raw, src = read_table_source(engine, url, table)
        _say(progress, _("Reading the first rows for the column mapping"), 0.8)
        first = raw.limit(SAMPLE_ROWS).to_pandas()
    _say(progress, _("Table read"), 1.0)
    return EngineSource(engine, raw, src, RawTable(first, name, "events", "database table"))


def open_files(paths: list[str], name: str, *, engine=None, progress=None) -> EngineSource:
    """Open Parquet/CSV files in an engine (DuckDB unless given) without reading them into memory."""
    from ..io import RawTable
    from .backends import connect
    from .sources import files_source, read_raw
    engine = engine or connect("duckdb")
    _say(progress, _("Opening the files in the DuckDB engine"), 0.05)
    with engine_errors(name):
        raw, src = read_raw(engine, files_source(paths, name))
        _say(progress, _("Reading the first rows for the column mapping"), 0.5)
        first = raw.limit(SAMPLE_ROWS).to_pandas()
    _say(progress, _("Files opened"), 1.0)
    return EngineSource(engine, raw, src, RawTable(first, name, "events", src.kind))
