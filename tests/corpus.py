"""A corpus of bad and awkward files: name -> (bytes, expected CLI exit code, text the message must hold)."""

from __future__ import annotations

import gzip


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
    }
