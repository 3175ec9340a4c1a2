"""Readers for CSV/TSV/TXT, Excel, Parquet and basket files, gzip allowed.

Everything is read from bytes in memory (uploads never touch the disk). The reader sniffs the
container (gzip, xlsx, Parquet), the text encoding (UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030,
Windows-1252), the delimiter and whether the first row is a header, and recognises the
headerless Taobao UserBehavior layout. Cells are returned as text; typing is quality.py's job.

Hostile files are refused before they cost memory or time: a gzip stream is first unpacked
once without keeping anything, counting bytes up to a cap; a workbook's zip directory is
checked (unpacked sizes and compression ratio) before openpyxl parses anything; a Parquet
file's footer (rows x columns, unpacked size) is checked before any column is read.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import pandas as pd

from .i18n import N_, _
from .schema import DataError, normalise, propose_mapping

Format = Literal["auto", "events", "baskets"]
FORMATS: tuple[str, ...] = ("auto", "events", "baskets")
DELIMITERS = (",", "\t", ";", "|")
MAX_COLUMNS = 2000
MB = 1024**2
#: Default caps on what a file may unpack to (bytes), used when ``read_table`` gets no
#: ``max_unpacked`` (the app): gzip and Parquet 1 GB; an .xlsx's XML 64 MB, because openpyxl
#: reads about 1 MB of sheet XML a second. The command line passes its --max-unpacked-mb instead.
MAX_UNPACKED = {"gzip": 1024 * MB, "parquet": 1024 * MB, "xlsx": 64 * MB}
#: A zip entry that unpacks to more than this many times its packed size (and to more than
#: ZIP_RATIO_MIN_BYTES) is a zip bomb, not a workbook: real sheets pack 5 to 30 times.
MAX_ZIP_RATIO = 100
ZIP_RATIO_MIN_BYTES = 16 * MB
MAX_ZIP_ENTRIES = 10_000
_DEFLATE_MAX_RATIO = 1100  # deflate cannot expand more than ~1032:1, so small inputs need no count
_CHUNK = 1 << 16

TAOBAO_COLUMNS = ("user_id", "item_id", "category_id", "behavior_type", "timestamp")
_LAYOUTS = {
    "UCI Online Retail": {"invoiceno", "stockcode", "description", "quantity", "invoicedate",
                          "unitprice", "customerid", "country"},
    "UCI Online Retail II": {"invoice", "stockcode", "description", "quantity", "invoicedate",
                             "price", "customerid", "country"},
    "RetailRocket events": {"timestamp", "visitorid", "event", "itemid", "transactionid"},
}


@dataclass(frozen=True)
class RawTable:
    """A file read into text cells, with what was sniffed about it.

    ``frame`` has one column per file column (names as in the file, or 'column 1'... when
    there is no header). For basket files it has two columns, ``basket_id`` and ``item``.
    ``first_line`` is the file line of the frame's first row, for row numbers in messages.
    """

    frame: pd.DataFrame
    name: str
    kind: Literal["events", "baskets"]
    container: str
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool = True
    sheet: str | None = None
    layout: str | None = None
    first_line: int = 2
    n_bytes: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> dict:
        delim = {"\t": N_("tab"), ",": N_("comma"), ";": N_("semicolon"), "|": N_("pipe"), " ": N_("space")}
        return {"file": self.name, "container": self.container, "kind": self.kind,
                "encoding": self.encoding, "delimiter": delim.get(self.delimiter, self.delimiter),
                "header": self.has_header, "sheet": self.sheet,
                "layout": self.layout or N_("not a known layout (columns mapped by name)"),
                "size_mb": round(self.n_bytes / 1e6, 2), "notes": list(self.notes)}


def read_table(source: bytes | str | Path, name: str | None = None, *, fmt: Format = "auto",
               sheet: str | None = None, max_bytes: int | None = None,
               max_unpacked: int | None = None) -> RawTable:
    """Read a file (path or bytes) into a :class:`RawTable`.

    Parameters
    ----------
    source : bytes, str or Path
        File content, or a path to read.
    name : str, optional
        File name shown in messages; defaults to the path's name.
    fmt : {'auto', 'events', 'baskets'}
        'baskets' reads one basket per line; 'auto' recognises basket files by their ragged
        lines of item names.
    sheet : str, optional
        Excel sheet to read; needed when a workbook has several sheets with data.
    max_bytes : int, optional
        Refuse larger files with a DataError (the app sets this; the CLI does not).
    max_unpacked : int, optional
        Refuse a file that unpacks to more bytes than this (gzip stream, the entries of an
        .xlsx zip, a Parquet file's columns) with a DataError, before unpacking it. Default:
        :data:`MAX_UNPACKED` (1 GB for gzip and Parquet, 64 MB for an .xlsx).
    """
    if fmt not in FORMATS:
        raise DataError(f"Unknown format {fmt!r}", hint=f"Use one of: {', '.join(FORMATS)}")
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.is_file():
            raise DataError(_("File not found: {path}").format(path=path), hint=_("Check the path and try again"))
        if max_bytes is not None and path.stat().st_size > max_bytes:
            _too_big(name, path.stat().st_size, max_bytes)
        data = path.read_bytes()
    else:
        data = bytes(source)
    name = name or "uploaded file"
    if max_bytes is not None and len(data) > max_bytes:
        _too_big(name, len(data), max_bytes)
    if _blank(data):
        raise DataError(_("{name} is empty").format(name=name),
                        hint=_("Upload a file with a header row and at least one data row"))
    n_bytes = len(data)
    container = "plain"
    notes: list[str] = []
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, name, _cap(max_unpacked, "gzip"), notes)
        container = "gzip"
        if _blank(data):
            raise DataError(f"{name} is an empty gzip archive", hint="Compress a file that has data in it")
    if data[:4] == b"PK\x03\x04":
        check_zip(data, name, _cap(max_unpacked, "xlsx"))
        raw = _read_excel(data, name, sheet, container + "+xlsx", n_bytes)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DataError(_("{name} is an old Excel 97-2003 workbook (.xls)").format(name=name),
                        hint=_("Open it in Excel and save it as .xlsx or CSV, then upload that"))
    elif data[:4] == b"PAR1":
        raw = _read_parquet(data, name, container + "+parquet", n_bytes, _cap(max_unpacked, "parquet"))
    else:
        text, encoding, text_notes = _decode_text(data, name)
        del data
        raw = _read_text(text, name, fmt, container, encoding, n_bytes)
        notes += text_notes
    return replace(raw, notes=tuple(notes) + raw.notes) if notes else raw


def _blank(data: bytes | bytearray) -> bool:
    return not data[:4096].strip() and not data.strip()


def _cap(max_unpacked: int | None, container: str) -> int:
    return MAX_UNPACKED[container] if max_unpacked is None else int(max_unpacked)


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= 10 * MB else f"{n / MB:,.1f} MB"


def _too_much(name: str, what: str, limit: int, advice: str = "") -> None:
    """The refusal of a file that unpacks to too much: what the limit is and how to get past it."""
    raise DataError(f"{name} {what}; PromoScope unpacks at most {_mb(limit)} here",
                    hint=(advice + " " if advice else "") +
                         "Save the data as CSV (gzip allowed) or Parquet, or load a filtered extract; or use "
                         "the command line and raise the limit, e.g. promo-core validate FILE "
                         f"--max-unpacked-mb {max(2 * limit // MB, 1)}")


def _too_big(name: str, size: int, limit: int) -> None:
    raise DataError(_("{name} is {size} MB; the app accepts files up to {limit} MB").format(
                    name=name, size=f"{size / 1e6:,.0f}", limit=f"{limit / 1e6:,.0f}"),
                    hint=_("Compress it with gzip (CSV shrinks about 6x), upload a filtered extract, "
                           "or run the command line on the full file: promo-core validate FILE"))


def _gunzip(data: bytes, name: str, cap: int, notes: list[str] | None = None) -> bytearray:
    """Unpack a gzip stream (all its members) if it unpacks to at most ``cap`` bytes.

    When the input could expand past the cap, it is first unpacked once keeping nothing, so a
    gzip bomb costs time proportional to the cap and almost no memory.
    """
    if len(data) * _DEFLATE_MAX_RATIO > cap:
        total = 0
        for chunk in _gunzip_chunks(data, name):
            total += len(chunk)
            if total > cap:
                _too_much(name, f"is a gzip file that unpacks to more than {_mb(cap)} "
                                f"(packed {_mb(len(data))})", cap)
    out = bytearray()
    trailing = [0]
    for chunk in _gunzip_chunks(data, name, trailing):
        out += chunk
        if len(out) > cap:  # only when the count above was skipped and the file lied
            _too_much(name, f"is a gzip file that unpacks to more than {_mb(cap)}", cap)
    if trailing[0] and notes is not None:
        notes.append(f"{trailing[0]:,} bytes after the end of the gzip data were ignored")
    return out  # not bytes(out): that would hold the unpacked file twice


def _gunzip_chunks(data: bytes, name: str, trailing: list[int] | None = None):
    """Yield the unpacked bytes of every member of a gzip stream, at most 16 MB at a time."""
    view = memoryview(data)
    pos, n_out = 0, 0
    try:
        while True:
            dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while not dec.eof and pos < len(view):
                piece = view[pos:pos + _CHUNK]
                pos += len(piece)
                buf = dec.decompress(piece, 1 << 24)
                while True:
                    if buf:
                        n_out += len(buf)
                        yield buf
                    if not dec.unconsumed_tail or dec.eof:
                        break
                    buf = dec.decompress(dec.unconsumed_tail, 1 << 24)
            if not dec.eof:
                raise DataError(f"{name} is a gzip file that ends too early (truncated or damaged)",
                                where=f"after {n_out:,} bytes of unpacked data",
                                hint="Copy or download the file again; check it opens with gunzip")
            pos -= len(dec.unused_data)
            if bytes(view[pos:pos + 2]) != b"\x1f\x8b":  # not another member (cat a.gz b.gz makes several)
                tail = bytes(view[pos:])
                if tail.strip(b"\x00") and trailing is not None:
                    trailing[0] = len(tail)
                return
    except zlib.error as exc:
        raise DataError(f"{name} looks like gzip but cannot be unpacked ({exc})",
                        hint="Copy or download the file again; check it opens with gunzip") from None


def decode_text(data: bytes, name: str = "file") -> tuple[str, str]:
    """Decode bytes as text, sniffing the encoding. Returns (text, encoding name)."""
    text, enc, _notes = _decode_text(data, name)
    return text, enc


def _decode_text(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Decode bytes as text; returns (text, encoding, notes on lines that did not fit).

    The encoding is what most of the file is: a UTF-8 file with a few lines in another
    encoding stays UTF-8, and those lines are named in a note (their bytes that are not UTF-8
    are read as Windows-1252, or replaced by U+FFFD where that fails too).
    """
    notes: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        text, enc = data[3:].decode("utf-8", errors="surrogateescape"), "utf-8-sig"
        text, notes = _repair_utf8(text)
        return _check_readable(text, name), enc, notes
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", notes
        except UnicodeDecodeError:
            pass
    head = data[:65536]
    if head.count(b"\x00") > len(head) // 100:
        raise DataError(_("{name} is not a text table (it contains binary data)").format(name=name),
                        hint=_("Upload CSV, TSV, TXT, Excel (.xlsx) or Parquet, optionally gzipped"))
    try:
        text, enc = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="surrogateescape")
        n_bad = sum(1 for _m in _BAD_LINE.finditer(text))
        n_non_ascii = sum(1 for _m in _NON_ASCII_LINE.finditer(text))
        if n_non_ascii - n_bad > n_bad:  # most lines with accents or CJK are UTF-8
            enc = "utf-8"
            text, notes = _repair_utf8(text)
        else:
            del text
            text, enc = _decode_non_utf8(data)
    return _check_readable(text, name), enc, notes


_BAD_LINE = re.compile("[\udc80-\udcff][^\n]*")
_NON_ASCII_LINE = re.compile("[^\x00-\x7f][^\n]*")
_CP1252 = {b: bytes([b]).decode("cp1252", errors="replace") for b in range(0x80, 0x100)}


def _repair_utf8(text: str) -> tuple[str, list[str]]:
    """Replace the bytes that were not UTF-8 (held as surrogates) and say on which lines."""
    lines_1252, lines_replaced = [], []
    line, last = 1, 0
    for m in _BAD_LINE.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        bad = [ord(c) - 0xDC00 for c in m.group() if "\udc80" <= c <= "\udcff"]
        (lines_replaced if any(_CP1252[b] == "\ufffd" for b in bad) else lines_1252).append(line)
    if not lines_1252 and not lines_replaced:
        return text, []
    text = re.sub("[\udc80-\udcff]", lambda m: _CP1252[ord(m.group()) - 0xDC00], text)
    notes = []
    if lines_1252:
        notes.append(f"The file is UTF-8 except {_count(lines_1252, 'line')} ({_lines_phrase(lines_1252)}) "
                     "with characters in another encoding; they were read as Windows-1252 "
                     "(accented Latin letters): check those rows")
    if lines_replaced:
        notes.append(f"{_count(lines_replaced, 'line').capitalize()} ({_lines_phrase(lines_replaced)}) have bytes "
                     "that are neither UTF-8 nor Windows-1252; they were replaced by '\ufffd'")
    return text, notes


def _count(items: list, word: str) -> str:
    return f"{len(items):,} {word}{'' if len(items) == 1 else 's'}"


def _lines_phrase(lines: list[int], limit: int = 5) -> str:
    shown = ", ".join(str(n) for n in lines[:limit])
    more = f" and {len(lines) - limit:,} more" if len(lines) > limit else ""
    return f"file line{'' if len(lines) == 1 else 's'} {shown}{more}"


def _check_readable(text: str, name: str) -> str:
    sample = text[:65536]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t") or ch == "\ufffd")
    if sample and bad / len(sample) > 0.02:
        raise DataError(_("{name} is not a text table (it is mostly unreadable characters)").format(name=name),
                        hint=_("Upload CSV, TSV, TXT, Excel (.xlsx) or Parquet, optionally gzipped"))
    return text


def _decode_non_utf8(data: bytes) -> tuple[str, str]:
    try:
        text = data.decode("gb18030")
        non_ascii = [ch for ch in text[:65536] if ord(ch) > 127]
        cjk = sum(1 for ch in non_ascii if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
                  or "\uff00" <= ch <= "\uffef")
        if non_ascii and cjk / len(non_ascii) > 0.9:
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _lines(text: str, n: int = 200) -> list[str]:
    out = []
    for line in io.StringIO(text):
        if line.strip():
            out.append(line.rstrip("\r\n"))
            if len(out) >= n:
                break
    return out


def sniff_delimiter(lines: list[str]) -> tuple[str | None, list[int]]:
    """Pick the delimiter that splits the sample into the most consistent number of fields.

    Returns the delimiter (None for a one-column file) and the field counts per line.
    """
    best, best_key, best_counts = None, (0.0, 0), [1] * len(lines)
    for delim in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        if mode < 2 and max(counts) < 2:
            continue
        key = (freq / len(counts), mode)
        if key > best_key:
            best, best_key, best_counts = delim, key, counts
    return best, best_counts


def _looks_numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"\s*[-+]?[\d.,]+([eE][-+]?\d+)?\s*", cell or ""))


def _is_basket_file(rows: list[list[str]]) -> bool:
    counts = [len(r) for r in rows]
    if len(rows) < 3 or len(set(counts)) < 2:
        return False
    if propose_mapping(rows[0]):
        return False
    cells = [c for r in rows[:50] for c in r if c.strip()]
    return bool(cells) and sum(not _looks_numeric(c) for c in cells) / len(cells) > 0.5


def _read_text(text: str, name: str, fmt: Format, container: str, encoding: str,
               n_bytes: int) -> RawTable:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = _lines(text)
    if not lines:
        raise DataError(_("{name} has no rows").format(name=name),
                        hint=_("Upload a file with a header row and data rows"))
    _allow_fields(max(map(len, lines)))
    delim, counts = sniff_delimiter(lines)
    rows = list(csv.reader(lines, delimiter=delim or "\x1f"))
    if fmt == "baskets" or (fmt == "auto" and _is_basket_file(rows)):
        return _read_baskets(text, name, delim or ",", container, encoding, n_bytes)
    if delim is None:
        raise DataError(_("{name} has a single column, so user, time and item cannot be told apart").format(name=name),
                        where=_("first line: {line}").format(line=repr(lines[0][:80])),
                        hint=_("Save the file with commas, tabs or semicolons between columns "
                               "(for a basket file with one item per line, choose the 'baskets' format)"))
    first = rows[0]
    layout = _headerless_layout(rows)
    has_header = layout is None and _has_header(first)
    if has_header:
        dup = [c for c, k in Counter(c.strip() for c in first).items() if k > 1 and c]
        if dup:
            pos = [i + 1 for i, c in enumerate(first) if c.strip() == dup[0]]
            raise DataError(_("The header names column {column} more than once").format(column=repr(dup[0])),
                            where=_("columns {positions} of line 1").format(positions=", ".join(map(str, pos))),
                            hint=_("Rename or delete the repeated column so each name is unique"))
    if len(first) > MAX_COLUMNS:
        raise DataError(f"{name} has {len(first):,} columns; PromoScope reads at most {MAX_COLUMNS:,}",
                        hint="Keep the user, time, event, item, price and order columns and upload again")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delim, header=0 if has_header else None, dtype=str,
                            skip_blank_lines=True, engine="c", na_values=["", "NA", "N/A", "NaN", "nan",
                                                                         "NULL", "null", "None"],
                            keep_default_na=False)
    except pd.errors.ParserError as exc:
        msg = str(exc)
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
        where = (f"line {m.group(2)} has {m.group(3)} fields where line 1 has {m.group(1)}" if m else msg)
        raise DataError(_("{name} has rows with a different number of columns than the header").format(name=name),
                        where=where,
                        hint=_("Check that text containing the delimiter is quoted, or that the right "
                               "delimiter was used; for one basket per line choose the 'baskets' format")) from None
    except (pd.errors.EmptyDataError, UnicodeError, ValueError) as exc:
        raise DataError(f"{name} could not be read as a table ({exc})",
                        hint="Check it opens as a table in a spreadsheet program") from None
    if not has_header:
        names = TAOBAO_COLUMNS if layout else [f"column {i + 1}" for i in range(frame.shape[1])]
        frame.columns = list(names)
    else:
        frame.columns = [str(c).strip() for c in frame.columns]
        layout = _header_layout(frame.columns)
    if frame.empty:
        raise DataError(_("{name} has a header but no data rows").format(name=name),
                        where=_("header: {columns}").format(columns=", ".join(frame.columns[:10])),
                        hint=_("Upload the file with its data rows"))
    return RawTable(frame=frame, name=name, kind="events", container=container, encoding=encoding,
                    delimiter=delim, has_header=has_header, layout=layout,
                    first_line=2 if has_header else 1, n_bytes=n_bytes)


def _allow_fields(n_chars: int) -> None:
    """Let Python's csv module read fields of up to ``n_chars`` (its default stops at 131,072).

    The limit guards against unbounded memory, which the caps on file size already do here;
    pandas' own parser has no such limit, so the sniffing must not have one either.
    """
    if csv.field_size_limit() < n_chars + 1:
        csv.field_size_limit(min(n_chars + 1, sys.maxsize))


def _has_header(first: list[str]) -> bool:
    if propose_mapping(first):
        return True
    if any(_looks_numeric(c) for c in first if c.strip()):
        return False
    return True


def _headerless_layout(rows: list[list[str]]) -> str | None:
    sample = [r for r in rows[:200] if len(r) == 5]
    if len(sample) < max(1, len(rows[:200]) * 0.95):
        return None
    ok = all(r[3].strip() in ("pv", "buy", "cart", "fav") and r[0].strip().isdigit() and r[4].strip().isdigit()
             for r in sample)
    return "Taobao UserBehavior" if ok else None


def _header_layout(columns) -> str | None:
    keys = {normalise(c) for c in columns}
    for layout, needed in _LAYOUTS.items():
        if needed <= keys:
            return layout
    return None


def _read_baskets(text: str, name: str, delim: str, container: str, encoding: str,
                  n_bytes: int) -> RawTable:
    basket_ids, items = [], []
    n = 0
    _allow_fields(len(text))
    for row in csv.reader(io.StringIO(text), delimiter=delim):
        cells = [c.strip() for c in row if c.strip()]
        if not cells:
            continue
        n += 1
        for item in dict.fromkeys(cells):
            basket_ids.append(f"basket {n}")
            items.append(item)
    if not items:
        raise DataError(_("{name} has no items").format(name=name),
                        hint=_("One basket per line, items separated by commas"))
    frame = pd.DataFrame({"basket_id": basket_ids, "item": items}, dtype="str")
    return RawTable(frame=frame, name=name, kind="baskets", container=container, encoding=encoding,
                    delimiter=delim, has_header=False, layout=N_("basket file (one basket per line)"),
                    first_line=1, n_bytes=n_bytes)


def excel_sheets(data: bytes, max_unpacked: int | None = None) -> list[str]:
    """Sheet names of an .xlsx workbook (for the sheet picker); none for a refused or damaged one."""
    try:
        check_zip(data, "workbook", _cap(max_unpacked, "xlsx"))
        return list(pd.ExcelFile(io.BytesIO(data), engine="openpyxl").sheet_names)
    except Exception:  # noqa: BLE001 - a damaged workbook has no sheets to offer
        return []


def check_zip(data: bytes, name: str, cap: int) -> None:
    """Refuse a zip (.xlsx) whose directory says it unpacks to more than ``cap`` bytes, or
    that has an entry packed more tightly than :data:`MAX_ZIP_RATIO` (a zip bomb).

    Only the central directory is read. Python's zipfile stops every entry at the size the
    directory declares (and then fails its CRC check), so a directory that lies cannot
    unpack more than was checked here.
    """
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DataError(f"{name} could not be opened as an Excel workbook (its zip directory is damaged: {exc})",
                        hint="Open it in Excel, save it again as .xlsx or CSV, and upload that") from None
    names = [i.filename for i in infos]
    if "[Content_Types].xml" not in names:
        raise DataError(f"{name} is a zip archive, not an Excel workbook",
                        where="it holds " + ", ".join(map(repr, names[:5])) + (" and more" if len(names) > 5 else ""),
                        hint="Unzip it and load the CSV, Excel or Parquet file inside (gzip is the compression "
                             "PromoScope reads)")
    if len(infos) > MAX_ZIP_ENTRIES:
        raise DataError(f"{name} is a zip with {len(infos):,} entries; a workbook has a few dozen",
                        hint="Save the sheet as CSV or Parquet and load that")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ZIP_RATIO_MIN_BYTES and ratio > MAX_ZIP_RATIO:
            raise DataError(f"{name} holds {info.filename!r}, which unpacks {ratio:,.0f} times larger than it "
                            f"is packed ({_mb(info.compress_size)} to {_mb(info.file_size)}): a zip bomb, not a "
                            "normal workbook",
                            where=f"PromoScope refuses zip entries over {_mb(ZIP_RATIO_MIN_BYTES)} that pack more "
                                  f"than {MAX_ZIP_RATIO} to 1 (real sheets pack 5 to 30 to 1)",
                            hint="If the workbook is genuine, save its sheet as CSV (gzip allowed) or Parquet "
                                 "in Excel and load that")
    total = sum(i.file_size for i in infos)
    if total > cap:
        _too_much(name, f"is a workbook that unpacks to {_mb(total)} of XML (packed {_mb(len(data))})", cap,
                  "Excel files are slow to read (about 1 MB of XML a second).")


def _read_excel(data: bytes, name: str, sheet: str | None, container: str, n_bytes: int) -> RawTable:
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
        names = list(book.sheet_names)
        if sheet is not None and sheet not in names:
            raise DataError(_("The workbook has no sheet called {sheet}").format(sheet=repr(sheet)),
                            where=_("its sheets are {sheets}").format(sheets=", ".join(map(repr, names))),
                            hint=_("Pick one of those"))
        frames = {}
        for s in ([sheet] if sheet else names):
            f = book.parse(s, header=None, dtype=str)
            if not f.dropna(how="all").empty:
                frames[s] = f.dropna(how="all").dropna(axis=1, how="all")
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for damaged files
        raise DataError(f"{name} could not be opened as an Excel workbook ({type(exc).__name__})",
                        hint="Open it in Excel, save it again as .xlsx or CSV, and upload that") from None
    if not frames:
        raise DataError(f"{name} has no data in {'sheet ' + repr(sheet) if sheet else 'any sheet'}",
                        hint="Upload a workbook whose sheet has a header row and data rows")
    if len(frames) > 1:
        raise DataError(_("The workbook has {n} sheets with data, so it is unclear which to read").format(n=len(frames)),
                        where=_("sheets: {sheets}").format(sheets=", ".join(map(repr, frames))),
                        hint=_("Choose the sheet (Data page: sheet picker; command line: --sheet NAME)"))
    sheet_name, f = next(iter(frames.items()))
    f = f.reset_index(drop=True)
    first = ["" if pd.isna(v) else str(v) for v in f.iloc[0]]
    has_header = _has_header(first)
    if has_header:
        f = f.iloc[1:].reset_index(drop=True)
        f.columns = [c.strip() or f"column {i + 1}" for i, c in enumerate(first)]
        dup = [c for c, k in Counter(f.columns).items() if k > 1]
        if dup:
            raise DataError(f"The header names column {dup[0]!r} more than once",
                            where=f"sheet {sheet_name!r}, row 1", hint="Rename the repeated column")
    else:
        f.columns = [f"column {i + 1}" for i in range(f.shape[1])]
    if f.empty:
        raise DataError(f"Sheet {sheet_name!r} has a header but no data rows", hint="Add the data rows")
    return RawTable(frame=f.astype("str").where(f.notna()), name=name, kind="events",
                    container=container, has_header=has_header, sheet=sheet_name,
                    layout=_header_layout(f.columns), first_line=2 if has_header else 1,
                    n_bytes=n_bytes)


def _read_parquet(data: bytes, name: str, container: str, n_bytes: int, cap: int) -> RawTable:
    """Read the flat columns of a Parquet file after checking its footer against ``cap``.

    Nested columns (struct, list, map) have no place in an event table; they are left out
    with a note. The size check uses the larger of the footer's unpacked size and
    rows x columns x 8 bytes, because run-length and dictionary encoding let a tiny file
    declare billions of rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        meta, schema = pf.metadata, pf.schema_arrow
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for damaged files
        raise DataError(f"{name} could not be read as Parquet ({type(exc).__name__})",
                        hint="Write the file again, or export it as CSV") from None
    if len(schema) > MAX_COLUMNS:
        raise DataError(f"{name} has {len(schema):,} columns; PromoScope reads at most {MAX_COLUMNS:,}",
                        hint="Keep the user, time, event, item, price and order columns and write it again")
    nested = [f for f in schema if pa.types.is_nested(f.type)]
    flat = [f.name for f in schema if not pa.types.is_nested(f.type)]
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    cells = meta.num_rows * max(len(flat), 1)
    if max(unpacked, cells * 8) > cap:
        _too_much(name, f"is a Parquet file of {meta.num_rows:,} rows x {len(flat):,} columns that unpacks to "
                        f"about {_mb(max(unpacked, cells * 8))} (packed {_mb(len(data))})", cap)
    if not flat:
        raise DataError(f"{name} has only nested columns (lists or structs), which cannot be read as a table",
                        where="columns " + ", ".join(f"{f.name!r} ({_arrow_kind(f.type)})" for f in nested[:10]),
                        hint="Flatten them into plain columns (one value per cell) and write the file again")
    try:
        frame = pf.read(columns=flat).to_pandas()
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for damaged files
        raise DataError(f"{name} could not be read as Parquet ({type(exc).__name__}: {str(exc)[:120]})",
                        hint="Write the file again, or export it as CSV") from None
    if frame.empty:
        raise DataError(f"{name} has no rows", hint="Upload a Parquet file with data")
    frame.columns = [str(c) for c in frame.columns]
    dup = [c for c, k in Counter(frame.columns).items() if k > 1]
    if dup:
        raise DataError(f"{name} names column {dup[0]!r} more than once",
                        hint="Rename or drop the repeated column and write the file again")
    notes: tuple[str, ...] = ()
    if nested:
        notes = (f"{_count(nested, 'column')} with nested values (lists or structs) "
                 f"{'was' if len(nested) == 1 else 'were'} left out: "
                 + ", ".join(f"{f.name!r} ({_arrow_kind(f.type)})" for f in nested[:10])
                 + (f" and {len(nested) - 10:,} more" if len(nested) > 10 else ""),)
    binary = [f.name for f in schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)
              or pa.types.is_fixed_size_binary(f.type)]
    for c in binary:
        frame[c] = frame[c].map(lambda b: b.decode("utf-8", errors="replace") if isinstance(b, bytes) else b)
    if binary:
        notes += (f"{_count(binary, 'column')} stored as raw bytes ({', '.join(map(repr, binary[:10]))}) "
                  f"{'was' if len(binary) == 1 else 'were'} read as UTF-8 text, with any other bytes replaced "
                  "by '\ufffd'",)
    return RawTable(frame=frame.reset_index(drop=True), name=name, kind="events", container=container,
                    layout=_header_layout(frame.columns), n_bytes=n_bytes, notes=notes)


def _arrow_kind(t) -> str:
    import pyarrow as pa
    if pa.types.is_struct(t):
        return "struct"
    if pa.types.is_map(t):
        return "map"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return "list"
    return str(t)
