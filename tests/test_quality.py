import numpy as np
import pandas as pd
import pytest

from promo_core.io import read_table
from promo_core.quality import clean_events, load_dataset, pseudonymise
from promo_core.schema import DataError

from .conftest import TAOBAO, need

TOY = """order,customer,date,sku,qty,price
1001,A,2024-01-01 09:00,X,2,3.50
1001,A,2024-01-01 09:00,X,2,3.50
1001,A,2024-01-01 09:00,Y,1,10.00
C1002,A,2024-01-02 10:00,X,-1,3.50
1003,,2024-01-03 11:00,Y,1,10.00
1004,B,not a date,Y,1,10.00
1005,B,2024-01-05 12:00,Z,1,0
1006,B,2024-01-06 12:00,Z,1,4.00
1007,C,2024-01-07 12:00,X,1,3.50
1008,C,2024-01-08 12:00,Y,0,10.00
1009,C,2024-01-09 12:00,Z,3,4.00
1010,D,2024-01-10 12:00,X,1,3.50
1011,D,2024-01-11 12:00,Y,1,10.00
1012,D,2024-01-12 12:00,Z,1,4.00
1013,E,2024-01-13 12:00,X,1,3.50
1014,E,2024-01-14 12:00,Y,1,10.00
1015,E,2024-01-15 12:00,Z,1,4.00
1016,F,2024-01-16 12:00,X,1,3.50
1017,F,2024-01-17 12:00,Y,1,10.00
1018,F,2024-01-18 12:00,Z,1,4.00
1019,G,2024-01-19 12:00,X,1,3.50
"""


def toy(**kw):
    return clean_events(read_table(TOY.encode(), "toy.csv"), max_bad_share=0.2, **kw)


def test_toy_steps_by_hand():
    ds = toy()
    steps = {s.step: s.rows_dropped for s in ds.report.steps}
    assert steps == {"exact duplicate of an earlier row": 1, "user id missing": 1,
                     "time missing or unreadable": 1,
                     "cancelled order or return (quantity 0 or less)": 2,
                     "purchase quantity missing or not a number": 0,
                     "purchase price missing, not a number, or 0 or less": 1}
    r = ds.report
    assert r.rows_read == 21 and r.rows_kept == 21 - 6
    assert r.facts["exact_duplicate_rows"] == 1 and r.facts["cancelled_order_rows"] == 1
    assert r.facts["rows_without_user_id"] == 1 and r.facts["distinct_orders"] == 19
    assert r.users == 7 and r.orders == 14 and r.items == 3
    dup = next(s for s in r.steps if s.step.startswith("exact"))
    assert dup.example_lines == (3,)  # file line 3 is the repeated row
    assert ds.events["timestamp"].dtype == "datetime64[ns]"
    assert set(ds.events["event"]) == {"purchase"}


def test_toy_keeps_user_attributes_and_types():
    text = "user,time,event,item,region\nu1,2024-01-01,view,A,North\nu2,2024-01-02,buy,B,South\n"
    ds = clean_events(read_table(text.encode(), "t.csv"))
    assert list(ds.events["region"]) == ["North", "South"] and ds.report.attributes == ("region",)
    assert list(ds.events["event"].astype(str)) == ["view", "purchase"]
    assert ds.events["quantity"].tolist() == [1.0, 1.0]


@pytest.mark.realdata
def test_online_retail_facts_exactly(online_retail):
    r = online_retail.report
    assert r.file["layout"] == "UCI Online Retail"
    assert r.rows_read == 541_909
    assert r.facts["rows_without_user_id"] == 135_080 and r.facts["rows_with_user_id"] == 406_829
    assert r.facts["distinct_orders"] == 25_900 and r.facts["distinct_items"] == 4_070
    assert r.facts["cancelled_order_rows"] == 9_288 and r.facts["exact_duplicate_rows"] == 5_268
    assert r.users == 4_338
    assert r.rows_read - sum(s.rows_dropped for s in r.steps) == r.rows_kept
    assert r.first_event.startswith("2010-12-01") and r.last_event.startswith("2011-12-09")
    ev = online_retail.events
    assert ev.loc[0, "user_id"] == "17850"  # '17850.0' in the file
    assert (ev["price"] > 0).all() and (ev["quantity"] > 0).all()


@pytest.mark.realdata
def test_taobao_loads_without_mapping():
    ds = load_dataset(need(TAOBAO))
    r = ds.report
    assert r.file["layout"] == "Taobao UserBehavior" and r.rows_read == 84_475 == r.rows_kept
    assert r.event_mix == {"view": 75_872, "cart": 4_497, "fav": 2_356, "purchase": 1_750}
    assert ds.events["timestamp"].min() == pd.Timestamp(1505117799, unit="s")


def test_unix_milliseconds_retailrocket():
    text = ("timestamp,visitorid,event,itemid,transactionid\n1433221332117,257597,view,355908,\n"
            "1433224214164,992329,addtocart,248676,\n1433221999827,111016,transaction,318965,4000\n")
    ds = load_dataset(text.encode(), "events.csv")
    assert ds.report.file["layout"] == "RetailRocket events"
    assert ds.events["timestamp"].min() == pd.Timestamp("2015-06-02 05:02:12.117")
    assert sorted(ds.events["event"].astype(str)) == ["cart", "purchase", "view"]


@pytest.mark.parametrize("text, match", [
    ("user,date\n" + "".join(f"u{i},2024-01-{i + 1:02d}\n" for i in range(10))
     + "".join(f"u{i},{i + 1:02d}/02/2024 10:00\n" for i in range(10)), "more than one format"),
    ("user,date,price\n" + "".join(f"u{i},2024-01-01,twelve\n" for i in range(5)), "text where a number"),
    ("user,date\n,2024-01-01\n,2024-01-02\n", "No rows are left"),
    ("编号,日期时间\n1,2024-01-01\n", "No column was recognised as user_id"),
    ("user,date,event\nu1,2024-01-01,teleport\nu2,2024-01-01,teleport\n", "event types"),
    ("user,date\n1.23E+11,2024-01-01\n4.5E+11,2024-01-02\n", "scientific notation"),
])
def test_bad_values(text, match):
    with pytest.raises(DataError, match=match):
        load_dataset(text.encode(), "bad.csv")


def test_mixed_date_error_names_rows():
    text = "user,date\n" + "".join(f"u{i},2024-01-{i + 1:02d}\n" for i in range(10)) + "u9,05/01/2024\n" * 5
    with pytest.raises(DataError) as e:
        load_dataset(text.encode(), "bad.csv")
    assert "rows 12, 13, 14, 15, 16" in e.value.where and e.value.column == "date"


def test_manual_mapping_for_unknown_headers():
    text = "顾客编号,日期时间\n1,2024-01-01\n2,2024-01-03\n"
    ds = load_dataset(text.encode(), "cn.csv", mapping={"user_id": "顾客编号", "timestamp": "日期时间"})
    assert ds.report.users == 2


def test_prices_with_currency_and_decimal_comma():
    text = "user;date;price;qty\nu1;2024-01-01;£1.234,50;1\nu2;2024-01-02;3,20;2\n"
    ds = load_dataset(text.encode(), "eu.csv")
    assert ds.events["price"].tolist() == [1234.5, 3.2]


@pytest.mark.parametrize("prices, expected", [
    (["18.34", "160.03", "7.5"], [18.34, 160.03, 7.5]),          # ';' with decimal points: read as written
    (["18,34", "1.160,03", "7"], [18.34, 1160.03, 7.0]),         # the European export
    (["1.234", "2.500", "12"], [1234.0, 2500.0, 12.0]),          # no decimal shown: '.' groups thousands
    (["¥18.34", "¥ 160.03", "7.50元"], [18.34, 160.03, 7.5]),
])
def test_a_semicolon_file_reads_decimal_points_and_decimal_commas_as_its_values_show(prices, expected):
    """A semicolon file used to be read with decimal commas whatever it held: '18.34' became 1,834."""
    text = "user;date;price\n" + "".join(f"u{i};2024-01-0{i + 1};{p}\n" for i, p in enumerate(prices))
    ds = load_dataset(text.encode(), "semicolons.csv")
    assert ds.events["price"].tolist() == expected


def test_basket_file_becomes_purchases():
    ds = load_dataset(b"milk,bread\nbeer,chips,salsa\nbread,butter\n", "g.csv")
    assert ds.kind == "baskets" and ds.report.orders == 3 and ds.events["timestamp"].isna().all()


def test_pseudonymise_is_salted_and_consistent():
    ds = toy()
    a, b = pseudonymise(ds, "salt-one"), pseudonymise(ds, "salt-two")
    assert a.pseudonymised and a.events["user_id"].nunique() == ds.events["user_id"].nunique()
    assert not set(a.events["user_id"]) & set(ds.events["user_id"])
    assert (a.events["user_id"] != b.events["user_id"]).all()
    first = ds.events["user_id"] == ds.events["user_id"].iloc[0]
    assert a.events.loc[first, "user_id"].nunique() == 1


def test_rows_kept_when_bad_share_small():
    rows = "".join(f"u{i},2024-01-01\n" for i in range(99)) + "u99,garbage\n"
    ds = load_dataset(("user,date\n" + rows).encode(), "ok.csv")
    assert ds.report.rows_kept == 99 and np.isclose(ds.report.steps[2].rows_dropped, 1)
