import math

import numpy as np
import pandas as pd
import pytest

from promo_core.features import build_profiles, feature_frame
from promo_core.quality import load_dataset
from promo_core.schema import DataError

EVENTS = """user,time,event,item,category,price,qty,order,discount,region
a,2024-01-01 10:00,view,X,Tea,,,,,North
a,2024-01-01 10:01,cart,X,Tea,,,,,North
a,2024-01-01 10:02,purchase,X,Tea,10,2,o1,0,North
a,2024-01-01 10:02,purchase,Y,Coffee,5,1,o1,1,North
a,2024-01-05 09:00,view,Y,Coffee,,,,,South
a,2024-01-05 09:05,purchase,Y,Coffee,5,1,o2,0,South
a,2024-01-09 12:00,purchase,X,Tea,10,1,o3,2,South
b,2024-01-03 11:00,view,X,Tea,,,,,
b,2024-01-04 11:00,view,Y,Coffee,,,,,
b,2024-01-04 11:10,cart,Y,Coffee,,,,,
c,2024-01-09 23:00,purchase,Z,Tea,4,5,o4,0,East
"""


@pytest.fixture(scope="module")
def profiles():
    ds = load_dataset(EVENTS.encode(), "p.csv")
    return build_profiles(ds.events).set_index("user_id")


def test_profile_by_hand(profiles):
    a = profiles.loc["a"]
    # as_of = the day after the last event = 2024-01-10 00:00
    assert math.isclose(a["recency_days"], 0.5)  # last order 2024-01-09 12:00
    assert a["frequency"] == 3 and math.isclose(a["monetary"], 20 + 5 + 5 + 10)
    assert math.isclose(a["avg_order_value"], 40 / 3)
    assert math.isclose(a["tenure_days"], 9 - 10 / 24)  # first event 2024-01-01 10:00
    # orders at 01-01 10:02, 01-05 09:05, 01-09 12:00: (last - first) / 2
    span = (pd.Timestamp("2024-01-09 12:00") - pd.Timestamp("2024-01-01 10:02")) / pd.Timedelta(days=1)
    assert math.isclose(a["purchase_interval_days"], span / 2)
    assert (a["views"], a["carts"], a["purchase_lines"]) == (2, 1, 4)
    assert math.isclose(a["view_to_cart"], 0.5) and a["cart_to_purchase"] == 1.0  # 4/1 capped at 1
    assert math.isclose(a["discount_share"], 2 / 4)
    assert a["favourite_category"] == "Tea"  # 4 Tea events vs 3 Coffee
    assert math.isclose(a["share_Tea"], 4 / 7) and math.isclose(a["share_Coffee"], 3 / 7)
    assert a["region"] == "South"  # most recent value


def test_non_buyer_and_single_order(profiles):
    b, c = profiles.loc["b"], profiles.loc["c"]
    assert b["frequency"] == 0 and b["monetary"] == 0 and np.isnan(b["recency_days"])
    assert np.isnan(b["avg_order_value"]) and np.isnan(b["discount_share"])
    assert math.isclose(b["view_to_cart"], 0.5) and np.isnan(profiles.loc["c", "view_to_cart"])
    assert c["frequency"] == 1 and np.isnan(c["purchase_interval_days"])
    assert math.isclose(c["monetary"], 20) and math.isclose(c["recency_days"], 1 / 24)


def test_feature_frame_fills_with_meaning(profiles):
    f = feature_frame(profiles.reset_index(), ["recency_days", "avg_order_value"])
    assert f["recency_days"].max() == pytest.approx(profiles["recency_days"].max() + 1)
    assert f["avg_order_value"].isna().sum() == 0
    logged = feature_frame(profiles.reset_index(), ["monetary"], use_log=True)
    assert logged["monetary"].tolist() == pytest.approx(np.log1p(profiles["monetary"]).tolist())


def test_transactions_only_and_no_orders_ids():
    text = "user,time,price\na,2024-01-01 10:00,3\na,2024-01-01 18:00,2\na,2024-01-03 10:00,1\n"
    p = build_profiles(load_dataset(text.encode(), "t.csv").events).set_index("user_id")
    assert p.loc["a", "frequency"] == 2 and p.loc["a", "monetary"] == 6 and p.loc["a", "views"] == 0
    assert np.isnan(p.loc["a", "view_to_cart"])


def test_basket_file_has_no_profiles():
    ds = load_dataset(b"milk,bread\nbeer,chips,salsa\nbread,butter\n", "g.csv")
    with pytest.raises(DataError, match="need times"):
        build_profiles(ds.events)


@pytest.mark.realdata
def test_online_retail_rfm_customers(online_retail):
    p = build_profiles(online_retail.events)
    assert len(p) == 4_338 and (p["frequency"] >= 1).all()
