"""A corpus of bad and awkward files: name -> (bytes, expected CLI exit code, text the message must hold).

For exit code 2 the text is in the one-paragraph message (stderr, and the error on the Data page);
for exit code 0 it is in the quality report (the JSON on stdout, and the notes on the Data page).
Hostile files (zip, gzip and Parquet bombs) are built here on the fly, never committed as blobs.
"""

from __future__ import annotations

import datetime
import decimal
import gzip
import io
import zipfile
from functools import cache

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

MB = 1024**2
ROW = b"c1,2024-01-01 10:00,3.50\n"


@cache
def gzip_bomb(unpacked_mb: int) -> bytes:
    """A gzip file of ``unpacked_mb`` MB of one repeated CSV row: 64 MB members (about 65 KB
    each packed) concatenated, which gzip reads as one stream; built in about a second."""
    member = gzip.compress(b"customer,time,price\n" + ROW * (64 * MB // len(ROW)), compresslevel=9)
    return member * max(unpacked_mb // 64, 1)


@cache
def xlsx_bomb(sheet_mb: int) -> bytes:
    """An .xlsx whose sheet XML is ``sheet_mb`` MB of one repeated row (packs about 300 to 1)."""
    wb = openpyxl.Workbook()
    wb.active.append(["customer", "time", "price"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(buf)
    out = io.BytesIO()
    row = (b'<row><c t="inlineStr"><is><t>c1</t></is></c><c t="inlineStr"><is><t>2024-01-01</t></is></c>'
           b'<c><v>3</v></c></row>')
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info.filename, src.read(info.filename))
                continue
            with z.open(info.filename, "w", force_zip64=True) as f:
                f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://'
                        b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                chunk = row * 1000
                for _ in range(sheet_mb * MB // len(chunk)):
                    f.write(chunk)
                f.write(b"</sheetData></worksheet>")
    return out.getvalue()


@cache
def parquet_bomb(n_columns: int = 1000, n_rows: int = 140_000) -> bytes:
    """A Parquet file of ``n_columns`` x ``n_rows`` empty cells (140 million, over 1 GB once read):
    run-length encoding packs it into about half a megabyte."""
    col = pa.nulls(n_rows, pa.int8())
    return _parquet(pa.table({f"c{i}": col for i in range(n_columns)}))


def xlsx_entity_bomb() -> bytes:
    """An .xlsx whose sheet XML defines nested entities that expand to 10^9 'lol's (billion laughs)."""
    ents = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    sheet = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY l0 "lol">' + ents + ']><worksheet xmlns="http://'
             'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>&l9;'
             '</t></is></c></row></sheetData></worksheet>')
    src = zipfile.ZipFile(io.BytesIO(_xlsx([["customer", "time"]])))
    return _zip({i.filename: sheet.encode() if i.filename == "xl/worksheets/sheet1.xml" else src.read(i.filename)
                 for i in src.infolist()})


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in files.items():
            z.writestr(k, v)
    return buf.getvalue()


def corpus() -> dict[str, tuple[bytes, int, str]]:
    good = "customer,time,event,item,item name,price,qty,order\n" + "".join(
        f"c{i % 40},2024-03-{i % 28 + 1:02d} 10:00,purchase,S{i % 9},Item {i % 9},{i % 7 + 1}.50,1,o{i // 3}\n"
        for i in range(300))
    gz = gzip.compress(good.encode())
    cn = "用户ID,时间,行为,商品ID,商品名称,价格\n" + "".join(
        f"{i},2024-01-0{i % 9 + 1} 09:00,购买,{i % 5},绿茶{i % 5},{i % 5 + 1}\n" for i in range(50))
    return {
        "empty.csv": (b"", 2, "is empty"),
        "only-spaces.csv": (b"  \n \n", 2, "is empty"),
        "header-only.csv": (b"customer,time,price\n", 2, "no data rows"),
        "truncated.csv.gz": (gz[: len(gz) // 2], 2, "ends too early"),
        "not-gzip.csv.gz": (b"\x1f\x8b\x08\x00broken", 2, "gzip"),
        "binary-named-csv.csv": (bytes(range(256)) * 40, 2, "not a text table"),
        "utf16-no-bom.csv": (good.encode("utf-16-le"), 2, "binary data"),
        "gbk-chinese.csv": (cn.encode("gbk"), 0, ""),
        "gb18030-chinese.csv": (cn.encode("gb18030"), 0, ""),
        "latin1.csv": (good.replace("Item", "Café").encode("latin-1"), 0, ""),
        "semicolons.csv": (good.replace(",", ";").encode(), 0, ""),
        "tabs.tsv": (good.replace(",", "\t").encode(), 0, ""),
        "mixed-delimiters.csv": (b"customer,time;price\nc1,2024-01-01;3\nc2;2024-01-02,4\nc3,2024-01-03,5,6,7\n", 2, ""),
        "one-column.csv": (b"customer\nc1\nc2\nc3\n", 2, "single column"),
        "duplicated-headers.csv": (b"customer,time,price,price\nc1,2024-01-01,3,4\n", 2, "more than once"),
        "thousand-columns.csv": (("customer,time," + ",".join(f"x{i}" for i in range(1000)) + "\n" +
                                  "".join(f"c{r},2024-01-0{r + 1}," + ",".join("1" for _ in range(1000)) + "\n"
                                          for r in range(5))).encode(), 0, ""),
        "million-identical-rows.csv": (b"customer,time,price\n" + b"c1,2024-01-01 10:00,5\n" * 1_000_000, 0, ""),
        "formulas-and-html.csv": ((b"customer,time,item,item name,price\n"
                                   b"c1,2024-01-01,A,=HYPERLINK(\"http://x\"),3\n"
                                   b"c2,2024-01-02,B,<script>alert(1)</script>,4\n"
                                   b"c3,2024-01-03,C,+SUM(A1:A9),5\nc4,2024-01-04,D,@cmd,6\n"), 0, ""),
        "scientific-ids.csv": (b"customer,time,price\n1.23E+11,2024-01-01,3\n4.56E+11,2024-01-02,4\n", 2,
                               "scientific notation"),
        "mixed-dates.csv": (("customer,time,price\n" + "".join(f"c{i},2024-01-{i + 1:02d},3\n" for i in range(10))
                             + "".join(f"c{i},{i + 1:02d}/13/2024,3\n" for i in range(10))).encode(), 2,
                            "more than one format"),
        "text-in-price.csv": (("customer,time,price\n" + "".join(f"c{i},2024-01-01,about ten\n" for i in range(8))
                               ).encode(), 2, "text where a number"),
        "no-user-ids.csv": (b"customer,time,price\n,2024-01-01,3\n,2024-01-02,4\n", 2, "No rows are left"),
        "wrong-headers.csv": (b"a,b,c\n1,2,3\n4,5,6\n", 2, "No column was recognised"),
        "ragged-quotes.csv": (b'customer,time,item name\nc1,2024-01-01,"unclosed\nc2,2024-01-02,x\n', 2, ""),
        **odd_files(good), **hostile_files(),
    }


def odd_files(good: str) -> dict[str, tuple[bytes, int, str]]:
    """Odd but real files (issue 10): each crashed or was read wrongly without a word before."""
    n = 40
    users, days = [f"c{i}" for i in range(n)], [f"2024-03-{i % 28 + 1:02d} 10:00" for i in range(n)]
    cafe = "".join(line.replace("Item", "Café 绿茶") for line in good.splitlines(True)).encode()
    lines = cafe.split(b"\n")
    lines[5] = lines[5].decode().replace("Café 绿茶", "Crème brûlée").encode("cp1252")
    one_cp1252 = b"\n".join(lines)
    lines[9] = lines[9].replace("Café 绿茶".encode(), b"Caf\x81 \x9d")
    undefined = b"\xef\xbb\xbf" + b"\n".join(lines)
    price = "customer,time,event,price,qty\n"
    return {
        "mixed-utc-offsets.csv": (("customer,time,price\n" + "".join(
            f"c{i},2024-03-{i % 28 + 1:02d}T10:00:00{'+01:00' if i % 2 else '+02:00'},3\n" for i in range(n))).encode(),
            0, "carry UTC offsets (+02:00 (20 rows), +01:00 (20 rows))"),
        "offsets-and-naive-times.csv": (("customer,time,price\n" + "".join(
            f"c{i},2024-03-{i % 28 + 1:02d}T10:00{'-05:00' if i % 3 else ''},3\n" for i in range(n))).encode(),
            0, "times without an offset are kept as written"),
        "parquet-struct-and-list.parquet": (_parquet(pa.table({
            "customer": users, "time": days, "price": [2.5] * n, "tags": [["a", "b"]] * n,
            "address": [{"city": "Leeds", "zip": 1}] * n})), 0, "nested values"),
        "parquet-only-nested.parquet": (_parquet(pa.table({"events": [[{"user": "c1"}]] * n})), 2,
                                        "only nested columns"),
        "parquet-binary-text.parquet": (_parquet(pa.table({
            "customer": pa.array([u.encode() for u in users], pa.binary()), "time": days})), 0, "raw bytes"),
        "parquet-repeated-column.parquet": (_parquet(pa.Table.from_arrays(
            [pa.array(users), pa.array(days), pa.array(days)], names=["customer", "time", "time"])), 2,
            "more than once"),
        "parquet-time-zone.parquet": (_parquet(pa.table({"customer": users, "time": pa.array(
            [datetime.datetime(2024, 3, 1, 9)] * n, pa.timestamp("us", tz="Asia/Shanghai")),
            "price": pa.array([decimal.Decimal("3.50")] * n, pa.decimal128(8, 2))})), 0, "shown as UTC clock times"),
        "parquet-truncated.parquet": (_parquet(pa.table({"customer": users, "time": days}))[:-40], 2,
                                      "could not be read as Parquet"),
        "field-longer-than-csv-limit.csv": (("customer,time,price,item name\nc1,2024-01-01,3," + "x" * 200_000
                                             + "\nc2,2024-01-02,4,short\n").encode(), 0, ""),
        "basket-line-longer-than-csv-limit.txt": (("milk,bread," + "y" * 200_000 + "\nmilk,eggs\nbread,eggs,jam\n"
                                                   ).encode(), 0, "basket file"),
        "utf8-with-one-cp1252-line.csv": (one_cp1252, 0, "read as Windows-1252"),
        "utf8-bom-with-undefined-bytes.csv": (undefined, 0, "neither UTF-8 nor Windows-1252"),
        "price-1e308.csv": ((price + "".join(f"c{i},2024-01-02,purchase,1e308,2\n" for i in range(n))).encode(), 2,
                            "implausible numbers"),
        "price-infinity.csv": ((price + "".join(f"c{i},2024-01-02,purchase,{'Infinity' if i % 2 else '1e400'},1\n"
                                                for i in range(n))).encode(), 2, "implausible numbers"),
        "revenue-overflow-one-row.csv": ((price + "".join(
            f"c{i},2024-01-02,purchase,{'1e308' if i == 7 else '3.5'},{'9' * 30 if i == 8 else '2'}\n"
            for i in range(100))).encode(), 0, "implausible"),
        "quantity-400-digits.csv": ((price + "".join(f"c{i},2024-01-02,purchase,3,{'9' * 400}\n" for i in range(n))
                                     ).encode(), 2, "implausible numbers"),
        "excel-huge-numbers.xlsx": (_xlsx([["customer", "time", "price"]] +
                                          [[f"c{i}", "2024-01-02", 1e308] for i in range(n)]), 2, "implausible"),
        "zip-not-a-workbook.xlsx": (_zip({"data.csv": good.encode()}), 2, "not an Excel workbook"),
        "gzip-several-members.csv.gz": (gzip.compress(good[:5000].encode()) + gzip.compress(good[5000:].encode()),
                                        0, ""),
        "gzip-trailing-garbage.csv.gz": (gzip.compress(good.encode()) + b"not gzip at all", 0,
                                         "after the end of the gzip data were ignored"),
    }


def hostile_files() -> dict[str, tuple[bytes, int, str]]:
    """Bombs: refused from their directory, footer or a count, in seconds and little memory."""
    many = {"[Content_Types].xml": b"<Types/>", **{f"xl/e{i}.xml": b"" for i in range(10_001)}}
    return {
        "gzip-bomb-5gb.csv.gz": (gzip_bomb(5 * 1024), 2, "unpacks to more than"),
        "xlsx-bomb-40mb-sheet.xlsx": (xlsx_bomb(40), 2, "zip bomb"),
        "parquet-bomb-140m-cells.parquet": (parquet_bomb(), 2, "140,000 rows x 1,000 columns"),
        "zip-ten-thousand-entries.xlsx": (_zip(many), 2, "entries"),
        "xlsx-billion-laughs.xlsx": (xlsx_entity_bomb(), 2, "could not be opened as an Excel workbook"),
    }
