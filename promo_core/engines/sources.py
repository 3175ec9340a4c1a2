"""Where the data comes from: a file, a glob, a folder of Parquet/CSV files, or a database table.

:func:`resolve_paths` turns the CLI's INPUT into a list of files of one format; :func:`read_raw` opens
them (or ``--source URL --table NAME``) as an Ibis table on an engine, without reading them into memory.
CSV files are read as text cells, like the pandas reader, so the cleaning decides every type the same way.
"""

from __future__ import annotations

import csv
import glob
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..i18n import _
from ..schema import DataError
from .backends import Engine

#: with --engine auto (and in the app), files smaller than this together are read by the pandas core (today's
#: path, with the plausibility checks and example file lines); larger files, folders, globs and database tables
#: go to DuckDB
AUTO_PANDAS_MB = 100
PARQUET = (".parquet", ".pq")
CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")


@dataclass(frozen=True)
class Source:
    """What was opened: the files (or database table) and their format."""

    name: str
    kind: str               # parquet | csv | table
    paths: tuple[str, ...] = ()
    url: str | None = None
    table: str | None = None
    delimiter: str | None = None     # CSV only: sniffed from the first file (';' files may use decimal commas)

    def describe(self) -> dict:
        if self.kind == "table":
            return {"name": self.name, "container": "database table", "table": self.table,
                    "url": redact(self.url or "")}
        return {"name": self.name, "container": self.kind, "files": len(self.paths)}


def redact(url: str) -> str:
    """The URL without its password (for reports and messages)."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _fmt(path: str) -> str | None:
    low = path.lower()
    if low.endswith(PARQUET):
        return "parquet"
    if low.endswith(CSV):
        return "csv"
    return None


def files_source(paths: list[str], name: str) -> Source:
    """Files already found (the app's server picker) as a :class:`Source`: Parquet or CSV, one format."""
    kinds = {_fmt(str(p)) for p in paths}
    if None in kinds or len(kinds) != 1:
        raise DataError(_("The engine reads Parquet or CSV files of one format"), where=name,
                        hint=_("Pick Parquet or CSV files only"))
    return Source(name=name, kind=kinds.pop(), paths=tuple(str(p) for p in paths))


def resolve_paths(spec: str | os.PathLike) -> Source:
    """Files named by a path, a glob (``data/2024-*.parquet``) or a folder (every Parquet or CSV file
    in it and its sub-folders). All files must be of one format."""
    text = str(spec)
    p = Path(text)
    if p.is_dir():
        files = sorted(str(f) for f in p.rglob("*") if f.is_file() and _fmt(f.name))
        where = _("folder {path}").format(path=text)
    elif any(ch in text for ch in "*?["):
        files = sorted(f for f in glob.glob(text, recursive=True) if Path(f).is_file() and _fmt(f))
        where = _("pattern {path}").format(path=text)
    elif p.is_file():
        files = [text]
        where = text
    else:
        raise DataError(_("No file, folder or pattern matches {path}").format(path=text),
                        hint=_("Check the path; a folder or a pattern such as data/*.parquet also works"))
    if not files:
        raise DataError(_("No Parquet or CSV files were found"), where=where,
                        hint=_("Point to .parquet or .csv files (gzip allowed), or a folder of them"))
    kinds = {_fmt(f) for f in files}
    if None in kinds:
        raise DataError(_("The engines read Parquet and CSV files only"), where=files[0],
                        hint=_("Convert the file to Parquet or CSV, or use --engine pandas for Excel"))
    if len(kinds) > 1:
        raise DataError(_("The files mix Parquet and CSV"), where=where,
                        hint=_("Point to files of one format"))
    return Source(name=Path(text.rstrip("/")).name or text, kind=kinds.pop(), paths=tuple(files))


def read_raw(engine: Engine, spec: str | None = None, *, url: str | None = None, table: str | None = None):
    """The raw table (an Ibis expression) and its :class:`Source`."""
    if url is not None or table is not None:
        return read_table_source(engine, url, table)
    src = spec if isinstance(spec, Source) else resolve_paths(spec)
    con = engine.con
    if src.kind == "parquet" and engine.name == "spark":
        # Ibis's PySpark read_parquet takes one path and turns a list into the text "['…', …]", which Spark
        # reads as a broken file pattern: hand Spark every file itself
        import uuid
        name = f"_promoscope_raw_{uuid.uuid4().hex}"
        try:
            con._session.read.parquet(*[str(p) for p in src.paths]).createOrReplaceTempView(name)
        except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException: say what it means
            if "TIMESTAMP(NANOS" not in str(exc):
                raise
            raise DataError(_("Spark cannot read the nanosecond time stamps in these Parquet files"),
                            where=src.name, hint=_("Write them with microsecond times (pandas: to_parquet(…, "
                                                   "coerce_timestamps='us')), or use --engine duckdb")) from None
        t = con.table(name)
    elif src.kind == "parquet":
        t = con.read_parquet(list(src.paths))
    else:
        t, layout = _read_csv(engine, src)
        from dataclasses import replace
        src = replace(src, delimiter=layout.delimiter)
    return t, src


@dataclass(frozen=True)
class CsvLayout:
    """How the CSV files are laid out, sniffed from the first file's first lines as the pandas reader does."""

    delimiter: str
    has_header: bool
    names: tuple[str, ...] | None   # the column names given to a file without a header
    encoding: str


SNIFF_BYTES = 1 << 18


def csv_layout(path: str) -> CsvLayout:
    """The delimiter, whether line 1 is a header, and the names of a headerless file's columns (the Taobao
    UserBehavior layout is recognised; other files get 'column 1', 'column 2'…), from the first 256 KB."""
    import gzip

    from .. import io as pio
    try:
        if path.lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        else:
            with open(path, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise DataError(_("{name} could not be read ({error})").format(name=Path(path).name, error=exc),
                        where=path, hint=_("Check the file is a CSV file (gzip allowed) and is readable")) from None
    if len(head) == SNIFF_BYTES and b"\n" in head:
        head = head[:head.rindex(b"\n")]       # the last line may be cut in the middle of a character
    text, encoding = pio.decode_text(bytes(head), Path(path).name)
    lines = pio._lines(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not lines:
        raise DataError(_("{name} has no rows").format(name=Path(path).name), where=path,
                        hint=_("Upload a file with a header row and data rows"))
    delim, _counts = pio.sniff_delimiter(lines)
    rows = list(csv.reader(lines, delimiter=delim or "\x1f"))
    if pio._is_basket_file(rows):
        raise DataError(_("{name} looks like a basket file (one basket per line), which the engines do not "
                          "read").format(name=Path(path).name), where=path,
                        hint=_("Write it as two columns, basket_id and item (one line per item), or load it "
                               "without the engine"))
    if delim is None:
        raise DataError(_("{name} has a single column, so user, time and item cannot be told apart").format(
                            name=Path(path).name), where=path,
                        hint=_("Save the file with commas, tabs or semicolons between columns"))
    layout = pio._headerless_layout(rows)
    has_header = layout is None and pio._has_header(rows[0])
    names = None
    if not has_header:
        width = max(len(r) for r in rows)
        names = pio.TAOBAO_COLUMNS if layout else tuple(f"column {i + 1}" for i in range(width))
    return CsvLayout(delimiter=delim, has_header=has_header, names=names, encoding=encoding)


#: the encodings DuckDB's CSV reader knows without an extension (others are converted to UTF-8 first)
_DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16", "latin-1": "latin-1"}
#: the encodings Spark 4's CSV reader accepts (others are converted to UTF-8 first when Spark runs locally)
_SPARK_ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "latin-1": "ISO-8859-1"}


def _spill_dir(engine: Engine) -> str | None:
    """The engine's spill folder (a session's own in the app), where copies of private rows belong."""
    return (getattr(engine, "settings", None) or {}).get("temp_directory")


def scratch_folder(prefix: str, base: str | None) -> Path:
    """A new folder for copies of the data inside ``base`` (created if missing), removed at exit in any case:
    private rows are not left on disk."""
    import atexit
    import shutil
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _to_utf8(paths: tuple[str, ...], encoding: str, folder: str | None) -> list[str]:
    """Copies of the files in UTF-8 (streamed, 4 MB at a time), in the engine's spill folder and removed at exit:
    DuckDB reads GB18030 (Chinese) and Windows-1252 files only through an extension that must be downloaded."""
    import codecs
    import gzip
    out_dir = scratch_folder("promoscope-utf8-", folder)
    out = []
    for i, path in enumerate(paths):
        target = out_dir / f"part-{i:05d}.csv"
        opener = gzip.open if path.lower().endswith(".gz") else open
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        with opener(path, "rb") as src, open(target, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(1 << 22):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
        out.append(str(target))
    return out


def _read_csv(engine: Engine, src: Source):
    """CSV files as a table of text cells, read with the layout sniffed from the first file (the other files
    must share it: one export split into parts)."""
    layout = csv_layout(src.paths[0])
    con = engine.con
    if engine.name == "duckdb":
        # text is parsed once into a temporary table (columnar, spilled beyond memory_limit); the cleaning
        # reads it several times
        import uuid
        opts = {"all_varchar": True, "header": layout.has_header, "delim": layout.delimiter,
                "quote": '"', "escape": '"'}
        if layout.names:
            opts["names"] = list(layout.names)
        paths = list(src.paths)
        enc = _DUCKDB_ENCODINGS.get(layout.encoding)
        if enc is None:
            paths = _to_utf8(src.paths, layout.encoding, _spill_dir(engine))
        elif enc != "utf-8":
            opts["encoding"] = enc
        try:
            raw = con.read_csv(paths, **opts)
        except Exception as exc:  # noqa: BLE001 - DuckDB's sniffer or parser: say where and what to do
            raise DataError(_("The CSV files could not be read ({error})").format(
                                error=str(exc).splitlines()[0][:300]), where=src.name,
                            hint=_("Check that every file has the same columns and delimiter as the first, and that "
                                   "text containing the delimiter is quoted")) from None
        return con.create_table(f"_promoscope_raw_{uuid.uuid4().hex}", raw, temp=True), layout
    opts = {"header": layout.has_header, "inferSchema": False, "sep": layout.delimiter,
            "encoding": _SPARK_ENCODINGS.get(layout.encoding, "UTF-8")}
    paths = list(src.paths)
    if layout.encoding not in _SPARK_ENCODINGS:
        master = str((getattr(engine, "settings", None) or {}).get("master", "local"))
        if not master.startswith("local"):
            # a copy on the driver's disk is not seen by the workers
            raise DataError(_("The CSV files are in {encoding}, which Spark does not read").format(
                                encoding=layout.encoding), where=src.name,
                            hint=_("Save them as UTF-8 (or Parquet) where the workers can read them, or use "
                                   "--engine duckdb")) from None
        paths = _to_utf8(src.paths, layout.encoding, None)
    t = con.read_csv(paths, **opts)
    if layout.names and not layout.has_header:
        t = t.rename({new: old for old, new in zip(t.columns, layout.names, strict=False)})
    return t, layout


def open_table(url: str | None, table: str | None):
    """A table in a database Ibis can reach (``postgresql://…``, ``sqlite:///file.db``, ``duckdb:///…``,
    any backend Ibis supports and whose driver is installed), as an Ibis table on that database."""
    import ibis
    if not url or not table:
        raise DataError(_("A database source needs both --source URL and --table NAME"),
                        hint=_("For example --source postgresql://user@host/shop --table events"))
    try:
        con = ibis.connect(url)
        t = con.table(table)
    except Exception as exc:  # driver missing, refused, no such table
        raise DataError(_("The table {table} could not be opened ({error})").format(
                            table=table, error=str(exc).splitlines()[0][:300]),
                        where=redact(url),
                        hint=_("Check the connection URL, the table name and that the database driver is "
                               "installed")) from None
    return t, Source(name=table, kind="table", url=url, table=table)


BATCH_ROWS = 200_000


def read_table_source(engine: Engine, url: str | None, table: str | None):
    """A database table moved into the engine: streamed in Arrow batches of :data:`BATCH_ROWS` rows to a
    temporary Parquet file that the engine reads (memory stays bounded by one batch).

    The cleaning expressions need functions that not every database has (TRY_CAST, regular expressions),
    so the table is read once, as it is, and every step then runs in the engine.
    """
    import pyarrow.parquet as pq
    t, src = open_table(url, table)
    # the copy of the table lives in the engine's own spill folder (the app removes a session's folder with its
    # engine) and is removed at exit in any case: private rows are not left on disk
    folder = scratch_folder("promoscope-source-", _spill_dir(engine))
    path = folder / "table.parquet"
    writer = None
    try:
        for batch in t.to_pyarrow_batches(chunk_size=BATCH_ROWS):
            if writer is None:
                writer = pq.ParquetWriter(str(path), batch.schema)
            writer.write_batch(batch)
    except Exception as exc:
        raise DataError(_("The table {table} could not be read ({error})").format(
                            table=table, error=str(exc).splitlines()[0][:300]),
                        where=redact(url or ""), hint=_("Check the table and your access to it")) from None
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise DataError(_("The table {table} is empty").format(table=table), where=redact(url or ""),
                        hint=_("Choose a table with events"))
    return engine.con.read_parquet(str(path)), src
