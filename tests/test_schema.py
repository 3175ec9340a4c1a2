import pytest

from promo_core.schema import COLUMNS, DataError, canonical_event, check_mapping, normalise, propose_mapping


@pytest.mark.parametrize("headers, expected", [
    (["Customer ID", "InvoiceDate", "StockCode"], {"user_id": "Customer ID", "timestamp": "InvoiceDate",
                                                   "item_id": "StockCode"}),
    (["customer_id", "event-time", "Event Type"], {"user_id": "customer_id", "timestamp": "event-time",
                                                   "event": "Event Type"}),
    (["用户ID", "时间", "行为", "商品ID", "类目", "价格", "数量", "订单号"],
     {"user_id": "用户ID", "timestamp": "时间", "event": "行为", "item_id": "商品ID", "category": "类目",
      "price": "价格", "quantity": "数量", "order_id": "订单号"}),
    (["visitorid", "timestamp", "event", "itemid", "transactionid"],
     {"user_id": "visitorid", "timestamp": "timestamp", "event": "event", "item_id": "itemid",
      "order_id": "transactionid"}),
    (["a", "b"], {}),
])
def test_propose_mapping(headers, expected):
    assert propose_mapping(headers) == expected


def test_first_match_wins_and_each_source_used_once():
    assert propose_mapping(["user", "customer id"]) == {"user_id": "user"}


def test_normalise_ignores_case_space_punctuation():
    assert normalise(" Customer-ID ") == normalise("customer_id") == "customerid"


@pytest.mark.parametrize("raw, event", [("pv", "view"), ("BUY", "purchase"), ("addtocart", "cart"),
                                        ("transaction", "purchase"), ("收藏", "fav"), ("zzz", None)])
def test_canonical_event(raw, event):
    assert canonical_event(raw) == event


@pytest.mark.parametrize("mapping, columns, match", [
    ({"user_id": "u"}, ["u", "t"], "No column was recognised as timestamp"),
    ({"user_id": "u", "timestamp": "x"}, ["u", "t"], "does not have"),
    ({"user_id": "u", "timestamp": "u"}, ["u", "t"], "mapped twice"),
    ({"user_id": "u", "timestamp": "t", "shoe": "t"}, ["u", "t"], "Unknown target"),
])
def test_check_mapping_errors(mapping, columns, match):
    with pytest.raises(DataError, match=match):
        check_mapping(mapping, columns)


def test_dataerror_has_three_parts():
    e = DataError("Column 'price' has text", where="rows 2, 3", hint="Fix it", column="price")
    assert str(e) == "Column 'price' has text. Where: rows 2, 3. What to do: Fix it."
    assert isinstance(e, ValueError) and e.column == "price"


def test_every_column_has_synonyms_and_meaning():
    for c in COLUMNS:
        assert c.meaning and c.synonyms


def test_readme_synonyms_table_is_current():
    import subprocess
    import sys

    from .conftest import ROOT
    p = subprocess.run([sys.executable, "scripts/gen_docs.py", "--check"], cwd=ROOT)
    assert p.returncode == 0, "README.md is stale: run python scripts/gen_docs.py"
