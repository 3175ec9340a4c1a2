"""Sources on the server for the Data page: files under folders the operator allowed, database tables.

Configured by the operator in ``.streamlit/secrets.toml``::

    [sources]
    allowed_dirs = ["/data/shop"]          # files (paths, folders, globs) may be read only under these
    engine_above_mb = 100                  # larger files together run in the DuckDB engine (default 100 MB)
    engine_above_rows = 1000000            # so do database tables with more rows
    engine_memory_limit = "4GB"            # DuckDB's memory per session before it spills (default RAM / 4)
    engine_rows_in_memory = 20000000       # pages needing every row read at most this many into memory

    [connections.shop_db]                  # st.connection conventions: a url, or dialect/host/... keys
    url = "postgresql://reader:secret@db.internal/shop"

Nothing is shown when neither is configured, and nothing while the app is locked (the sign-in gate
registers no other page then; this section checks the gate again). What is read goes through the same
mapping editor, quality report and "Use this data" button as an upload; the data stays in this
session's memory only, as an upload does. Files over ``engine_above_mb`` are validated and cleaned in
DuckDB (:mod:`promo_core.engines.dataset`): the cleaned rows stay in the engine and the pages get per-user
results computed there.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import streamlit as st

from promo_core.engines.dataset import EngineSource, open_files, open_table
from promo_core.engines.sources import AUTO_PANDAS_MB, _fmt
from promo_core.i18n import _, fmt_int
from promo_core.io import FORMATS, RawTable
from promo_core.quality import clean_events
from promo_core.schema import DataError
from promo_core.sources import (
    allowed_roots,
    connection_url,
    count_rows,
    ibis_url,
    list_tables,
    read_db_table,
    read_files,
    resolve_files,
)
from ui import gate, progress
from ui.mapping import accept_candidate, inferred, mapping_editor, zone_picker
from ui.widgets import md, show_error

#: database tables with more rows than this are streamed into the DuckDB engine ([sources] engine_above_rows)
AUTO_PANDAS_ROWS = 1_000_000
#: the most rows of an engine source read into the app's memory by the pages that need the rows themselves
ROWS_IN_MEMORY = 20_000_000
PENDING = "src_spec"      # the source the user asked to read: (kind, description, key)
LOADED = "src_raw"        # (key, RawTable) of the source read
CANDIDATE = "src_cand"    # (key with mapping, Dataset) after the quality checks


def _secret(name: str):
    try:
        return st.secrets.get(name)
    except Exception:  # noqa: BLE001 - no secrets file: nothing configured
        return None


def configured_dirs() -> list:
    """``[sources] allowed_dirs`` from the secrets (a list of absolute folders), or nothing."""
    block = _secret("sources") or {}
    try:
        dirs = block.get("allowed_dirs") or []
    except AttributeError:
        return []
    return [dirs] if isinstance(dirs, str) else list(dirs)


def _setting(name: str, default, cast):
    """``[sources] <name>`` from the secrets, cast; the default when it is missing or unreadable."""
    block = _secret("sources") or {}
    try:
        return cast(block.get(name, default))
    except (AttributeError, TypeError, ValueError):
        return default


def engine_above_mb() -> float:
    """``[sources] engine_above_mb``: files larger than this together run in the DuckDB engine (default
    :data:`promo_core.engines.sources.AUTO_PANDAS_MB`, the CLI's threshold for ``--engine auto``)."""
    return _setting("engine_above_mb", float(AUTO_PANDAS_MB), float)


def engine_above_rows() -> int:
    """``[sources] engine_above_rows``: database tables with more rows run in the DuckDB engine (default 1,000,000,
    about the 100 MB of the file threshold)."""
    return _setting("engine_above_rows", AUTO_PANDAS_ROWS, int)


def engine_rows_in_memory() -> int:
    """``[sources] engine_rows_in_memory``: the most event rows of an engine source a page may read into the app's
    memory (propensity, recommendations, uplift, CLV, readout, pseudonymisation); above it those pages say so
    instead of taking the server's memory. Default :data:`ROWS_IN_MEMORY`."""
    return _setting("engine_rows_in_memory", ROWS_IN_MEMORY, int)


def engine_memory_limit() -> str:
    """``[sources] engine_memory_limit``: DuckDB's memory for one session's large source, beyond which it spills to
    disk (default a quarter of the machine's RAM, so one session cannot take it all; with more than a few large
    sessions at once, set it lower)."""
    block = _secret("sources") or {}
    try:
        value = block.get("engine_memory_limit")
    except AttributeError:
        value = None
    if value:
        return str(value)
    from promo_core.engines.backends import machine_memory_bytes
    return f"{max(256, machine_memory_bytes() // 4 // 2**20)}MB"


def session_engine():
    """A DuckDB of this session's own: its memory limit, and a spill folder no other session writes to (removed
    when the engine is gone)."""
    import shutil
    import tempfile
    import weakref

    from promo_core.engines import connect
    folder = tempfile.mkdtemp(prefix="promoscope-duckdb-session-")
    engine = connect("duckdb", memory_limit=engine_memory_limit(), temp_directory=folder)
    weakref.finalize(engine, shutil.rmtree, folder, True)
    return engine


def configured_connections() -> dict[str, dict]:
    """``[connections.<name>]`` blocks that name a SQL database (a url or a dialect)."""
    block = _secret("connections") or {}
    out = {}
    try:
        for name, spec in block.items():
            if hasattr(spec, "get") and (spec.get("url") or spec.get("dialect")):
                out[str(name)] = dict(spec)
    except AttributeError:
        return {}
    return out


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=10).hexdigest()


def _files_picker(roots) -> tuple[str, str, Callable] | None:
    folder = st.selectbox(_("Folder on the server"), roots, format_func=str, key="src_folder")
    pattern = st.text_input(_("File, folder or pattern inside it"), key="src_pattern",
                            placeholder="events/2026-*.parquet",
                            help=_("A file name, a sub-folder (its Parquet/CSV files) or a pattern: * matches any "
                                   "name, ** any sub-folders. Only files inside the allowed folders can be read."))
    fmt = st.radio(_("File layout"), FORMATS, horizontal=True, key="src_format",
                   format_func={"auto": _("Detect"), "events": _("Rows of events or transactions"),
                                "baskets": _("One basket per line")}.get)
    if not pattern.strip():
        return None
    try:
        files = resolve_files(pattern, roots, base=folder)
    except DataError as exc:
        show_error(exc, _("These files cannot be read."))
        return None
    size = sum(f.size for f in files)
    st.caption(md(_("{n} files, {mb} MB: {names}").format(
        n=fmt_int(len(files)), mb=f"{size / 1e6:,.1f}",
        names=", ".join(f.path.name for f in files[:8]) + (" …" if len(files) > 8 else ""))))
    key = "server:" + _digest(tuple((str(f.path), f.size, f.path.stat().st_mtime_ns) for f in files), fmt)
    label = files[0].path.name if len(files) == 1 else _("{n} files matching {pattern}").format(
        n=len(files), pattern=pattern.strip())
    if fmt != "baskets" and size >= engine_above_mb() * 2**20 and all(_fmt(str(f.path)) for f in files):
        st.caption(_("Over {mb} MB: read, validated and cleaned in the DuckDB engine on the server; the pages get "
                     "per-customer results, and read the event rows only where a page needs them.").format(
            mb=fmt_int(engine_above_mb())))

        def open_in_engine(report) -> EngineSource:
            return open_files([str(f.path) for f in files], label, engine=session_engine(), progress=report)
        return "engine:" + key, label, open_in_engine

    def load(report) -> RawTable:
        return read_files(files, fmt, name=label, progress=report)
    return key, label, load


def _db_picker(connections: dict[str, dict]) -> tuple[str, str, Callable] | None:
    name = st.selectbox(_("Database connection"), sorted(connections), key="src_conn")
    try:
        url = connection_url(connections[name])
        tables = list_tables(url)
    except DataError as exc:
        show_error(exc, _("This database cannot be listed."))
        return None
    if not tables:
        st.info(_("This database has no tables."))
        return None
    table = st.selectbox(_("Database table"), tables, key=f"src_table_{name}")
    key = "db:" + _digest(name, table)
    label = f"{table} ({name})"

    def load(report) -> RawTable | EngineSource:
        rows = count_rows(url, table)
        if rows > engine_above_rows():  # streamed into DuckDB in batches, cleaned there: never whole in pandas
            report(_("{n} rows: over {limit}, so the table is read into the DuckDB engine").format(
                n=fmt_int(rows), limit=fmt_int(engine_above_rows())), 0.01)
            return open_table(ibis_url(url), table, label, engine=session_engine(), progress=report)
        return read_db_table(url, table, progress=report)
    return key, label, load


def section() -> None:
    """The Data page's "Load from the server" expander (only what the operator configured)."""
    if gate.locked():
        return
    roots = allowed_roots(configured_dirs())
    connections = configured_connections()
    if not roots and not connections:
        return
    with st.expander(_("Load from the server"), icon=":material/dns:"):
        st.caption(_("Read large files or a database table where they already are, without uploading them. "
                     "Only the folders and connections your administrator configured are offered."))
        kinds = (["files"] if roots else []) + (["database"] if connections else [])
        kind = st.radio(_("Source"), kinds, horizontal=True, key="src_kind",
                        format_func={"files": _("Files in a server folder"), "database": _("Database table")}.get)
        picked = _files_picker(roots) if kind == "files" else _db_picker(connections)
        if picked is None:
            return
        key, label, load = picked
        if st.button(_("Read"), key="src_read", icon=":material/download:"):
            st.session_state[PENDING] = key + ":" + str(time.time_ns()) if key.startswith("db:") else key
            st.session_state.pop(LOADED, None)
            st.session_state.pop(CANDIDATE, None)
        pending = st.session_state.get(PENDING)
        if not pending or not pending.startswith(key):
            return
        _review(pending, label, load)


def _drop_unused(held) -> None:
    """A candidate cleaned in the engine and replaced (another mapping) drops its copies of the rows there, unless
    it is the dataset in use."""
    old = held[1] if held else None
    if old is not None and old.in_engine and old is not st.session_state.get("dataset"):
        old.close()


def _review(key: str, label: str, load: Callable) -> None:
    """Read (once), map, check quality and offer to use the data: the upload's path."""
    loaded = st.session_state.get(LOADED)
    if loaded is None or loaded[0] != key:
        try:
            with progress.steps(_("Reading {source}").format(source=label)) as report:
                raw = load(report)
        except DataError as exc:
            show_error(exc, _("This source was not loaded; the dataset in use is unchanged."))
            st.session_state.pop(PENDING, None)
            return
        st.session_state[LOADED] = (key, raw)
    raw = st.session_state[LOADED][1]
    opened = raw if isinstance(raw, EngineSource) else None
    raw = opened.sample if opened else raw
    mapping: dict = {}
    unconfirmed: list = []
    zone = None
    if raw.kind == "events":
        mapping, unconfirmed = mapping_editor(raw, inferred(key, raw), key)
        zone = zone_picker("server")
    if opened:
        st.caption(_("The column mapping is inferred on the first {n} rows; the cleaning then runs on every row "
                     "in the engine.").format(n=fmt_int(len(raw.frame))))
    st.caption(_("Preview of the data as read (first 20 rows)"))
    st.dataframe(raw.frame.head(20), width="stretch")
    cand_key = f"{key}:{sorted(mapping.items())}" + (f":{zone}" if zone else "")
    held = st.session_state.get(CANDIDATE)
    if held is None or held[0] != cand_key:
        try:
            with progress.steps(_("Checking quality"), done=_("Quality checked")) as report:
                if opened:
                    cand = opened.clean(mapping or None, label, progress=report,
                                        max_rows_in_memory=engine_rows_in_memory(), time_zone=zone)
                else:
                    report(_("Mapping columns, validating and cleaning {n} rows").format(n=fmt_int(len(raw.frame))),
                           None)
                    cand = clean_events(raw, mapping or None, time_zone=zone)
                    report(_("Quality checked: {n} rows kept").format(n=fmt_int(cand.report.rows_kept)), 1.0)
        except DataError as exc:
            show_error(exc, _("This data cannot be used yet; the dataset in use is unchanged."))
            return
        _drop_unused(held)
        st.session_state[CANDIDATE] = (cand_key, cand)
    cand = st.session_state[CANDIDATE][1]
    if accept_candidate(cand, cand_key, label, key, unconfirmed, st.session_state.get("currency", "£"),
                        in_use=_("This source is the dataset in use."), button_key="src_accept"):
        for k in (PENDING, LOADED, CANDIDATE):  # the dataset in use holds the data now; drop the copies
            st.session_state.pop(k, None)
        st.rerun()
