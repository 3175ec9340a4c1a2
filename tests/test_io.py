import gzip
import io

import pandas as pd
import pytest

from promo_core.io import decode_text, read_table, sniff_delimiter
from promo_core.schema import DataError

CSV = "user,time,event,item,price\nu1,2024-01-02 10:00,view,A,\nu1,2024-01-02 10:05,purchase,A,9.5\n"


def test_plain_csv():
    raw = read_table(CSV.encode(), "a.csv")
    assert raw.delimiter == "," and raw.has_header and list(raw.frame.columns) == ["user", "time", "event",
                                                                                   "item", "price"]
    assert len(raw.frame) == 2 and raw.first_line == 2


@pytest.mark.parametrize("delim", ["\t", ";", "|"])
def test_delimiters(delim):
    raw = read_table(CSV.replace(",", delim).encode(), "a.txt")
    assert raw.delimiter == delim and raw.frame.shape == (2, 5)


def test_quoted_delimiter_inside_field():
    text = 'user,time,item_name\nu1,2024-01-01,"Mug, blue"\nu2,2024-01-02,"Cup, red"\n'
    raw = read_table(text.encode(), "q.csv")
    assert raw.frame["item_name"].tolist() == ["Mug, blue", "Cup, red"]


@pytest.mark.parametrize("encoding, expect", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                              ("gbk", "gb18030"), ("gb18030", "gb18030"),
                                              ("utf-16", "utf-16"), ("cp1252", "cp1252")])
def test_encodings(encoding, expect):
    text = "用户ID,时间,商品名称\n1,2024-01-01,绿茶\n2,2024-01-02,红茶\n"
    if encoding == "cp1252":
        text = "user,time,item name\n1,2024-01-01,Café crème £3\n2,2024-01-02,Crêpe\n"
    raw = read_table(text.encode(encoding), "x.csv")
    assert raw.encoding == expect
    assert raw.frame.iloc[0, 2] in ("绿茶", "Café crème £3")


def test_gzip_and_truncated_gzip():
    blob = gzip.compress(CSV.encode())
    assert read_table(blob, "a.csv.gz").container == "gzip"
    with pytest.raises(DataError, match="ends too early"):
        read_table(blob[: len(blob) // 2], "a.csv.gz")


def test_excel_one_sheet_and_several_sheets():
    df = pd.DataFrame({"customer id": ["1", "2"], "date": ["2024-01-01", "2024-01-02"]})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as xl:
        df.to_excel(xl, sheet_name="orders", index=False)
    assert read_table(buf.getvalue(), "a.xlsx").frame.shape == (2, 2)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as xl:
        df.to_excel(xl, sheet_name="jan", index=False)
        df.to_excel(xl, sheet_name="feb", index=False)
    with pytest.raises(DataError, match="2 sheets with data") as e:
        read_table(buf.getvalue(), "b.xlsx")
    assert "'jan'" in e.value.where
    assert read_table(buf.getvalue(), "b.xlsx", sheet="feb").sheet == "feb"


def test_parquet():
    buf = io.BytesIO()
    pd.DataFrame({"user_id": ["a"], "timestamp": pd.to_datetime(["2024-01-01"])}).to_parquet(buf)
    raw = read_table(buf.getvalue(), "p.parquet")
    assert raw.container.endswith("parquet") and len(raw.frame) == 1


def test_taobao_headerless_layout():
    text = "1,2268318,2520377,pv,1511544070\n1,2333346,2520771,buy,1511561733\n2,1,2,cart,1511572885\n"
    raw = read_table(text.encode(), "t.csv")
    assert raw.layout == "Taobao UserBehavior" and not raw.has_header
    assert list(raw.frame.columns)[:2] == ["user_id", "item_id"] and raw.first_line == 1


def test_basket_file_detected():
    text = "milk,bread,eggs\nbeer\nbread,butter\nmilk,bread,butter,jam\n"
    raw = read_table(text.encode(), "groceries.csv")
    assert raw.kind == "baskets"
    assert raw.frame.groupby("basket_id").size().tolist() == [3, 1, 2, 4]


@pytest.mark.parametrize("content, match", [
    (b"", "is empty"),
    (b"   \n\n", "is empty"),
    (b"user,time\n", "header but no data"),
    (b"justonecolumn\nvalue\nvalue2\n", "single column"),
    (bytes(range(256)) * 50, "not a text table"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003"),
    (b"PK\x03\x04garbage", "Excel workbook"),
    (b"PAR1garbage", "Parquet"),
    (b"\x1f\x8bnotreallygzip", "cannot be unpacked|ends too early"),
    (b"user,time,user\n1,2,3\n", "more than once"),
    (b"user,time\n1,2024-01-01\n2,2024-01-02,extra,fields\n", "different number of columns"),
])
def test_bad_files(content, match):
    with pytest.raises(DataError, match=match):
        read_table(content, "bad.csv")


def test_size_limit_message():
    with pytest.raises(DataError, match="accepts files up to 1 MB") as e:
        read_table(b"a,b\n" + b"1,2\n" * 400_000, "big.csv", max_bytes=1_000_000)
    assert "promo-core validate" in e.value.hint


def test_sniff_delimiter_prefers_consistent_split():
    lines = ["a;b;c", "1;2,5;3", "4;5,5;6"]
    assert sniff_delimiter(lines)[0] == ";"


def test_decode_text_rejects_binary():
    with pytest.raises(DataError):
        decode_text(b"\x00\x01\x02" * 1000)
