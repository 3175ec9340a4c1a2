"""Sources on the server: files under folders the operator allowed, and database tables.

Files: a path, a folder or a glob of Parquet/CSV/TSV files (gzip allowed) is accepted only when every
file it names lies inside one of the folders the operator listed (``[sources] allowed_dirs`` in
``.streamlit/secrets.toml``). Checked twice: the pattern itself must lie inside an allowed folder
(no ``..`` part, no absolute path elsewhere, no glob that starts outside), and every file it matches
must still lie inside once symbolic links are resolved (a link pointing out is refused). With no
folder configured nothing is offered and every path is refused.

Databases: a table from a SQLAlchemy URL (SQLite, PostgreSQL, any dialect installed), listed with
SQLAlchemy's inspector; only a listed table can be read, by name (never SQL text from the user).

Both give a :class:`promo_core.io.RawTable`, so mapping, validation and the quality report are
exactly those of an upload (:func:`promo_core.quality.clean_events`). Progress (files, rows and
bytes read) is reported through an optional callback (:mod:`promo_core.progress`). These two
readers are the place the engine layer (promo_core.engines) can later take over.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .i18n import _, fmt_int
from .io import RawTable, _header_layout, read_table
from .progress import Progress, report
from .schema import DataError

#: file name endings read from the server (the upload's, without Excel: workbooks are not big data)
SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
MAX_FILES = 1_000
GLOB_CHARS = set("*?[")
CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class FileMatch:
    """A file a pattern matched: its path and size in bytes."""

    path: Path
    size: int


def _mb(n: int) -> str:
    return _("{mb} MB").format(mb=f"{n / 1e6:,.1f}")


def allowed_roots(dirs: Iterable[object] | None) -> list[Path]:
    """The configured folders that exist, symbolic links resolved (unusable entries are left out)."""
    roots: list[Path] = []
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    for d in dirs or ():
        text = str(d).strip()
        if not text or not os.path.isabs(text):
            continue  # only absolute folders: a relative entry would depend on where the app started
        real = Path(os.path.realpath(text))
        if real.is_dir() and real not in roots:
            roots.append(real)
    return roots


def _inside(path: str, root: Path) -> bool:
    try:
        return os.path.commonpath([path, str(root)]) == str(root)
    except ValueError:
        return False


def _refuse(what: str, pattern: str, roots: list[Path]) -> DataError:
    return DataError(what, where=_("the path {path!r}").format(path=pattern),
                     hint=_("Give a file, folder or pattern inside one of the allowed folders: {dirs}").format(
                         dirs=", ".join(str(r) for r in roots)))


def resolve_files(pattern: str, roots: list[Path], base: Path | None = None) -> list[FileMatch]:
    """The data files ``pattern`` names, refused with a DataError unless all lie inside ``roots``.

    ``pattern`` is a file, a folder (its data files, not its sub-folders) or a glob (``**`` for
    sub-folders); relative patterns start at ``base`` (an allowed folder; default the first one).
    """
    if not roots:
        raise DataError(_("No server folders are configured, so no server file can be read"),
                        hint=_("The operator lists the folders in .streamlit/secrets.toml under "
                               "[sources] allowed_dirs"))
    text = str(pattern or "").strip()
    if not text:
        raise DataError(_("No path was given"), hint=_("Type a file name, a folder or a pattern such as *.parquet"))
    if "\x00" in text or any(ch in text for ch in "\r\n"):
        raise _refuse(_("This path contains control characters"), text.replace("\x00", "\\0"), roots)
    parts = Path(text).parts
    if ".." in parts or text.startswith("~"):
        raise _refuse(_("Paths may not climb out of a folder with '..' or start at a home folder ('~')"), text, roots)
    if base is not None and Path(os.path.realpath(base)) not in roots:
        raise _refuse(_("This folder is not one of the allowed folders"), str(base), roots)
    start = Path(os.path.realpath(base)) if base is not None else roots[0]
    full = os.path.normpath(text if os.path.isabs(text) else os.path.join(start, text))
    # the part before the first wildcard must already lie inside an allowed folder
    fixed = []
    for part in Path(full).parts:
        if GLOB_CHARS & set(part):
            break
        fixed.append(part)
    prefix = os.path.join(*fixed) if fixed else os.sep
    if not any(_inside(os.path.realpath(prefix), r) for r in roots):
        if any(_inside(prefix, r) for r in roots):  # written inside, resolves outside: a link leads out
            raise _refuse(_("{name} leads outside the allowed folders (through a symbolic link)").format(
                name=os.path.basename(prefix)), text, roots)
        raise _refuse(_("This path is outside the folders the operator allowed"), text, roots)
    if GLOB_CHARS & set(full):
        found = sorted(glob.glob(full, recursive=True))
    elif os.path.isdir(full):
        found = sorted(os.path.join(full, name) for name in os.listdir(full))
    else:
        found = [full] if os.path.lexists(full) else []
    files: list[FileMatch] = []
    for f in found:
        real = os.path.realpath(f)
        if not any(_inside(real, r) for r in roots):
            raise _refuse(_("{name} leads outside the allowed folders (through a symbolic link)").format(
                name=os.path.basename(f)), text, roots)
        if os.path.isfile(real) and f.lower().endswith(SUFFIXES):
            files.append(FileMatch(Path(real), os.path.getsize(real)))
    if not files:
        raise DataError(_("No Parquet, CSV or TSV file matches this path"),
                        where=_("the path {path!r}").format(path=text),
                        hint=_("Check the name; a pattern such as *.parquet or 2026-*/*.csv matches several files"))
    if len(files) > MAX_FILES:
        raise DataError(_("This path matches {n} files; PromoScope reads at most {limit} at once").format(
            n=fmt_int(len(files)), limit=fmt_int(MAX_FILES)), where=_("the path {path!r}").format(path=text),
            hint=_("Narrow the pattern, or merge the files"))
    unique = list(dict.fromkeys(files))  # a file matched twice (through a link) is read once
    return unique


def read_files(files: list[FileMatch], fmt: str = "auto", *, name: str | None = None,
               progress: Progress | None = None) -> RawTable:
    """Read and stack the files (same columns in every file) into one :class:`RawTable`."""
    if not files:
        raise DataError(_("No files to read"), hint=_("Choose a file or a pattern that matches files"))
    total = sum(f.size for f in files) or 1
    done_bytes, rows, frames, first = 0, 0, [], None
    for i, f in enumerate(files):
        report(progress, _("Reading file {i} of {n} ({file}): {rows} rows, {done} of {total} read").format(
            i=i + 1, n=len(files), file=f.path.name, rows=fmt_int(rows), done=_mb(done_bytes), total=_mb(total)),
            done_bytes / total)
        raw = read_table(f.path, f.path.name, fmt=fmt)
        if first is None:
            first = raw
        elif raw.kind != first.kind or list(raw.frame.columns) != list(first.frame.columns):
            raise DataError(_("{name} does not have the columns of {first}").format(name=f.path.name,
                                                                                    first=first.name),
                            where=_("columns {cols}").format(cols=", ".join(map(str, raw.frame.columns[:12]))),
                            hint=_("Read files of one layout together (same column names in the same order)"))
        frame = raw.frame
        if raw.kind == "baskets" and len(files) > 1:  # basket numbers restart in every file
            frame = frame.assign(basket_id=f"{i + 1}:" + frame["basket_id"].astype(str))
        frames.append(frame)
        rows += len(frame)
        done_bytes += f.size
    report(progress, _("Read {n} files: {rows} rows, {size}").format(n=len(files), rows=fmt_int(rows),
                                                                     size=_mb(done_bytes)), 1.0)
    assert first is not None
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    label = name or (first.name if len(files) == 1 else
                     _("{n} files from {folder}").format(n=len(files), folder=files[0].path.parent.name))
    notes = first.notes + ((_("{n} files were read and stacked").format(n=len(files)),) if len(files) > 1 else ())
    return replace(first, frame=frame, name=label, n_bytes=done_bytes, notes=notes,
                   container=first.container + ("+files" if len(files) > 1 else ""))


# ---------------------------------------------------------------- databases

def connection_url(spec: Mapping[str, object] | str):
    """A SQLAlchemy URL from a ``[connections.<name>]`` block (``url``, or st.connection's
    dialect/driver/host/port/database/username/password keys) or a URL string."""
    from sqlalchemy.engine import URL, make_url
    try:
        if isinstance(spec, str):
            return make_url(spec)
        if spec.get("url"):
            return make_url(str(spec["url"]))
        dialect = str(spec.get("dialect") or "")
        if not dialect:
            raise DataError(_("This connection has neither a url nor a dialect"),
                            hint=_("Add url = \"postgresql://user@host/db\" (or sqlite:///path.db) to it"))
        driver = f"{dialect}+{spec['driver']}" if spec.get("driver") else dialect
        port = spec.get("port")
        return URL.create(driver, username=spec.get("username"), password=spec.get("password"),
                          host=spec.get("host"), port=int(port) if port else None, database=spec.get("database"),
                          query=dict(spec.get("query") or {}))
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed URL
        raise DataError(_("This connection's URL cannot be read ({error})").format(error=type(exc).__name__),
                        hint=_("Write it as dialect://user:password@host:port/database")) from None


def _engine(url):
    from sqlalchemy import create_engine
    try:
        return create_engine(url)
    except Exception as exc:  # noqa: BLE001 - missing driver, bad URL
        raise DataError(_("No database driver for {dialect} ({error})").format(
            dialect=url.get_backend_name(), error=type(exc).__name__),
            hint=_("Install the driver (PostgreSQL: pip install psycopg[binary])")) from None


def _db_error(exc: Exception, url) -> DataError:
    return DataError(_("The database could not be reached ({error})").format(error=type(exc).__name__),
                     where=url.render_as_string(hide_password=True),
                     hint=_("Check the connection settings and that the database is running"))


def list_tables(url) -> list[str]:
    """Tables and views of the database (default schema), sorted."""
    from sqlalchemy import inspect
    url = connection_url(url) if isinstance(url, (str, Mapping)) else url
    engine = _engine(url)
    try:
        insp = inspect(engine)
        return sorted(set(insp.get_table_names()) | set(insp.get_view_names()))
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - connection refused, authentication, ...
        raise _db_error(exc, url) from None
    finally:
        engine.dispose()


def count_rows(url, table: str) -> int:
    """How many rows the table has (one COUNT(*), before anything is read)."""
    from sqlalchemy import MetaData, Table, func, select
    url = connection_url(url) if isinstance(url, (str, Mapping)) else url
    engine = _engine(url)
    try:
        t = Table(table, MetaData(), autoload_with=engine)
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t)).scalar_one())
    except Exception as exc:  # noqa: BLE001 - connection, permissions, no such table
        raise _db_error(exc, url) from None
    finally:
        engine.dispose()


def ibis_url(url) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://…``) as the URL Ibis connects with (``postgresql://…``)."""
    url = connection_url(url) if isinstance(url, (str, Mapping)) else url
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=False)


def read_db_table(url, table: str, *, progress: Progress | None = None,
                  chunk_rows: int = CHUNK_ROWS) -> RawTable:
    """One table read in chunks (rows read reported) into a :class:`RawTable`."""
    from sqlalchemy import MetaData, Table, func, select
    url = connection_url(url) if isinstance(url, (str, Mapping)) else url
    tables = list_tables(url)
    if table not in tables:
        raise DataError(_("There is no table {name!r} in this database").format(name=table),
                        hint=_("Choose one of: {tables}").format(tables=", ".join(tables[:20]) or "–"))
    engine = _engine(url)
    try:
        t = Table(table, MetaData(), autoload_with=engine)
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(t)).scalar_one()
            report(progress, _("Reading {table}: 0 of {total} rows").format(table=table, total=fmt_int(total)), 0.0)
            frames, rows = [], 0
            for chunk in pd.read_sql(select(t), conn, chunksize=chunk_rows):
                frames.append(chunk)
                rows += len(chunk)
                report(progress, _("Reading {table}: {rows} of {total} rows").format(
                    table=table, rows=fmt_int(rows), total=fmt_int(total)), rows / total if total else 1.0)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - connection, permissions, types
        raise _db_error(exc, url) from None
    finally:
        engine.dispose()
    if not frames or rows == 0:
        raise DataError(_("The table {name!r} has no rows").format(name=table), hint=_("Choose a table with data"))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(frame=frame, name=table, kind="events", container="database:" + url.get_backend_name(),
                    layout=_header_layout(frame.columns), first_line=1,
                    n_bytes=int(frame.memory_usage(deep=False).sum()))
