"""Column inference, line totals, summed discounts and plausibility checks (issue 11).

Reference values: every generated layout carries the revenue and discount computed by the generator
from its own numbers (tests/layouts.py); the grocery revenue is also checked against pandas' own
sum of the ``sales_value`` column as written in the file.
"""

import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promo_core.cli import main
from promo_core.inference import datetime_share, header_words, infer_mapping, name_score, unit_or_line
from promo_core.io import read_table
from promo_core.kpis import summarise
from promo_core.quality import clean_events, discount_breakdown, load_dataset
from promo_core.schema import DataError, line_amount

from .conftest import ONLINE_RETAIL, SAMPLE, TAOBAO, need
from .layouts import layouts

LAYOUTS = layouts()


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_layout_maps_itself_with_the_right_revenue_and_discount(name):
    lay = LAYOUTS[name]
    ds = load_dataset(lay.data, f"{name}.csv")          # no mapping: inferred
    k = summarise(ds.events)
    assert k.revenue == pytest.approx(lay.revenue, abs=0.01)
    got = discount_breakdown(ds.events)["amount"].sum() if "discount" in ds.events else 0.0
    assert got == pytest.approx(lay.discount, abs=0.01)
    for column, source in lay.expect.items():
        assert ds.report.mapping.get(column) == source, (column, ds.report.mapping_used)
    assert {m["column"] for m in ds.report.needs_review()} == set(lay.review)
    assert ds.report.rows_kept == ds.report.rows_read        # nothing in these files is bad
    assert all(m["reason"] for m in ds.report.mapping_used)


def test_grocery_revenue_is_the_sum_of_sales_value_not_price_times_quantity():
    lay = LAYOUTS["grocery"]
    raw = pd.read_csv(io.BytesIO(lay.data))
    ds = load_dataset(lay.data, "grocery.csv")
    k = summarise(ds.events)
    assert k.revenue == pytest.approx(raw["sales_value"].sum(), abs=1e-6)
    assert k.average_order_value == pytest.approx(raw["sales_value"].sum() / raw["basket_id"].nunique())
    assert (raw["sales_value"] * raw["quantity"]).sum() > 100 * k.revenue      # the 1,000x trap
    # three discount columns written as negatives: summed, kept by source, in money
    br = discount_breakdown(ds.events).set_index("source")["amount"]
    for col in ("retail_disc", "coupon_disc", "coupon_match_disc"):
        assert br[col] == pytest.approx(-raw[col].sum(), abs=1e-6)
    assert ds.report.discounts == {c: round(-raw[c].sum(), 2) for c in ("retail_disc", "coupon_disc",
                                                                        "coupon_match_disc")}
    # derived unit price: sales_value / quantity
    assert np.allclose(ds.events["price"] * ds.events["quantity"], ds.events["line_total"])
    # fuel lines are flagged, as information (revenue uses the line totals)
    checks = {c.check: c for c in ds.report.checks}
    assert checks["quantities of thousands on a line"].rows == 12
    assert checks["quantities of thousands on a line"].severity == "info"
    # 'week' and 'store_id' are kept as attributes, not mistaken for a time or a customer
    assert set(ds.report.attributes) == {"store_id", "week"}


def test_grocery_mapped_by_hand_the_wrong_way_is_flagged_not_fixed():
    lay = LAYOUTS["grocery"]
    wrong = {"user_id": "household_id", "timestamp": "transaction_timestamp", "order_id": "basket_id",
             "item_id": "product_id", "quantity": "quantity", "price": "sales_value"}
    ds = load_dataset(lay.data, "grocery.csv", mapping=wrong)
    raw = pd.read_csv(io.BytesIO(lay.data))
    # the answer follows the mapping (nothing changed silently) ...
    assert summarise(ds.events).revenue == pytest.approx((raw["sales_value"] * raw["quantity"]).sum())
    checks = {c.check: c for c in ds.report.checks}
    # ... and the report says why it is implausible, with rows and a fix
    assert checks["price moves with the quantity"].severity == "warning"
    assert "line_total" in checks["price moves with the quantity"].suggestion
    big = checks["quantities of thousands on a line"]
    assert big.severity == "warning" and big.rows == 12 and big.revenue_share > 0.99
    fuel_lines = tuple(int(i) + 2 for i in np.flatnonzero(raw["quantity"] >= 1000)[:5])
    assert big.example_lines == fuel_lines
    assert checks["orders far above the average order"].severity == "warning"
    used = {m["column"]: m for m in ds.report.mapping_used}
    assert used["price"]["confidence"] == "chosen by hand" and "line_total" in used["price"]["reason"]


def test_ambiguous_time_is_shown_with_its_alternative():
    ds = load_dataset(LAYOUTS["cn_two_coupons"].data, "cn.csv")
    (m,) = ds.report.needs_review()
    assert m["column"] == "timestamp" and m["confidence"] == "medium"
    assert {m["source"], *m["alternatives"]} == {"下单时间", "支付时间"}


def test_values_decide_unit_price_when_the_name_does_not():
    ds = load_dataset(LAYOUTS["value_is_unit_price"].data, "v.csv")
    (m,) = ds.report.needs_review()
    assert m["column"] == "price" and m["source"] == "value" and "unit price" in m["reason"]


@pytest.mark.parametrize("header, words, cjk", [
    ("TransactionDateTime", ["transaction", "date", "time"], ""),
    ("coupon_match_disc", ["coupon", "match", "disc"], ""),
    ("Customer ID", ["customer", "id"], ""),
    ("实付金额", [], "实付金额"),
    ("QtySold", ["qty", "sold"], ""),
])
def test_header_words(header, words, cjk):
    assert header_words(header) == (words, cjk)


@pytest.mark.parametrize("header, column, positive", [
    ("household_id", "user_id", True), ("HouseholdKey", "user_id", True), ("会员卡号", "user_id", True),
    ("store_id", "user_id", False), ("customer_name", "user_id", False), ("week", "timestamp", True - 1),
    ("discount_rate", "discount", False), ("店铺券", "discount", True), ("coupon_disc", "line_total", False),
    ("NetSalesAmt", "line_total", True), ("total_price", "price", False), ("unit_price", "price", True),
    ("order_datetime", "order_id", False), ("trans_dt", "timestamp", True), ("支付时间", "timestamp", True),
])
def test_name_score(header, column, positive):
    assert (name_score(header, column)[0] > 0) == bool(positive)


@pytest.mark.parametrize("values, share", [
    ([str(w) for w in range(1, 53)], 0.0),                           # week numbers are not dates
    (["2024-01-02 10:00:00", "2024-02-03 11:30:00"] * 10, 1.0),
    (["1505117799", "1505117800"] * 10, 1.0),                          # Unix seconds
    (["02/03/2024", "15/03/2024"] * 10, 1.0),
    (["apple", "pear"] * 10, 0.0),
])
def test_datetime_share(values, share):
    assert datetime_share(pd.Series(values))[0] == pytest.approx(share)


def test_unit_or_line_recovers_a_planted_relation():
    rng = np.random.default_rng(0)
    item = pd.Series(rng.integers(0, 30, 2000).astype(str))
    unit = item.astype(int) * 1.5 + 1
    qty = pd.Series(rng.integers(1, 8, 2000)).astype(float)
    assert unit_or_line(unit, qty, item)[0] == "unit"
    assert unit_or_line(unit * qty, qty, item)[0] == "line"
    assert unit_or_line(unit * qty, qty, None)[0] == "line"
    assert unit_or_line(unit, pd.Series(1.0, index=unit.index), item)[0] is None   # quantities never vary


def test_missing_user_names_the_candidates():
    text = "ref,when,amount\n" + "".join(f"r{i % 7},2024-01-{i % 28 + 1:02d} 10:00,{i + 1}.5\n" for i in range(30))
    with pytest.raises(DataError, match="No column was recognised as user_id") as e:
        load_dataset(text.encode(), "x.csv")
    assert "'ref'" in e.value.hint


def test_time_found_by_values_alone_is_low_confidence():
    text = "customer,col_b\n" + "".join(f"c{i % 5},2024-01-{i % 28 + 1:02d} 10:00\n" for i in range(30))
    ds = load_dataset(text.encode(), "x.csv")
    (m,) = ds.report.needs_review()
    assert m["column"] == "timestamp" and m["source"] == "col_b" and m["confidence"] == "low"


def test_negative_amounts_that_are_not_returns_are_removed_and_flagged():
    text = ("customer,time,item,qty,line_total\n" + "".join(f"c{i % 5},2024-01-{i % 28 + 1:02d},I{i % 4},1,10\n"
                                                             for i in range(30))
            + "c1,2024-02-01,I1,1,-10\nc2,2024-02-02,I2,-1,-10\n")
    ds = load_dataset(text.encode(), "x.csv")
    assert summarise(ds.events).revenue == 300
    steps = {s.step: s for s in ds.report.steps}
    assert steps["line amount negative with a positive quantity (not a return)"].example_lines == (32,)
    assert steps["cancelled order or return (quantity 0 or less)"].rows_dropped == 1
    (c,) = [c for c in ds.report.checks if c.check == "negative amounts that are not returns"]
    assert c.rows == 1 and c.example_lines == (32,) and "negative quantity" in c.suggestion


def test_line_totals_that_disagree_with_price_are_counted():
    rows = [f"c{i % 5},2024-01-{i % 28 + 1:02d},I{i % 4},2,5.00,{10.0 if i % 10 else 14.0:.2f}" for i in range(40)]
    ds = load_dataset(("customer,time,item,qty,unit_price,line_total\n" + "\n".join(rows) + "\n").encode(), "x.csv")
    (c,) = [c for c in ds.report.checks if c.check == "line totals that disagree with price × quantity"]
    assert c.rows == 4 and c.example_lines == (2, 12, 22, 32) and c.severity == "warning"
    assert summarise(ds.events).revenue == pytest.approx(36 * 10 + 4 * 14)     # revenue uses the totals


def test_per_unit_discount_with_a_line_total_is_recognised():
    # unit price 5, quantity 2, 1 off per unit: total 8 (per-unit reading), not 9 (per-line reading)
    rows = [f"c{i % 5},2024-01-{i % 28 + 1:02d},I{i % 4},2,5.00,{1.0 if i % 2 else 0.0:.2f},"
            f"{8.0 if i % 2 else 10.0:.2f}" for i in range(40)]
    ds = load_dataset(("customer,time,item,qty,unit_price,discount,line_total\n" + "\n".join(rows) + "\n").encode(),
                      "x.csv")
    assert discount_breakdown(ds.events)["amount"].sum() == pytest.approx(20 * 2 * 1.0)
    assert any("per unit" in n for n in ds.report.notes)
    assert not [c for c in ds.report.checks if c.check.startswith("line totals")]


def test_line_amount_falls_back_to_price_times_quantity():
    ev = pd.DataFrame({"price": [2.0, 3.0], "quantity": [2.0, 1.0], "line_total": [5.0, np.nan]})
    assert line_amount(ev).tolist() == [5.0, 3.0]
    assert line_amount(ev.drop(columns="line_total")).tolist() == [4.0, 3.0]


def test_cli_validate_prints_the_mapping_and_map_overrides(tmp_path, capsys):
    f = tmp_path / "grocery.csv"
    f.write_bytes(LAYOUTS["grocery"].data)
    assert main(["validate", str(f)]) == 0
    out = json.loads(capsys.readouterr().out)
    used = {m["column"]: m for m in out["mapping_used"]}
    assert used["line_total"]["source"] == "sales_value" and "sales_value" in used["line_total"]["reason"]
    assert [m["source"] for m in out["mapping_used"] if m["column"] == "discount"] == [
        "retail_disc", "coupon_disc", "coupon_match_disc"]
    assert out["kpis"]["revenue"] == pytest.approx(LAYOUTS["grocery"].revenue, abs=0.01)
    assert out["mapping_needs_review"] == []
    # --map overrides: the user's (wrong) choice is used, and the checks say so
    assert main(["validate", str(f), "--map", "price=sales_value", "--map", "line_total=",
                 "--map", "discount=coupon_disc", "--map", "discount=retail_disc"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mapping"]["price"] == "sales_value" and "line_total" not in out["mapping"]
    assert out["mapping"]["discount"] == ["coupon_disc", "retail_disc"]
    assert "coupon_match_disc" in out["attributes"]
    assert "price moves with the quantity" in {c["check"] for c in out["checks"]}


def test_cli_notes_uncertain_choices_on_stderr(tmp_path, capsys):
    f = tmp_path / "cn.csv"
    f.write_bytes(LAYOUTS["cn_two_coupons"].data)
    assert main(["segment", str(f), "--out", str(tmp_path / "u.csv"), "--k", "2"]) == 0
    err = capsys.readouterr().err
    assert "was taken as timestamp" in err and "--map timestamp=" in err


def test_known_layouts_map_as_before():
    ds = load_dataset(SAMPLE / "events.csv.gz")
    assert ds.report.mapping == {c: c for c in ("user_id", "timestamp", "event", "item_id", "item_name",
                                                "category", "price", "quantity", "order_id", "discount")}
    assert ds.report.needs_review() == [] and "line_total" not in ds.events
    b = load_dataset(b"milk,bread\nbeer,chips,salsa\nbread,butter\n", "g.csv")
    assert b.report.mapping == {"user_id": "basket_id", "order_id": "basket_id", "item_id": "item"}


@pytest.mark.realdata
def test_online_retail_and_taobao_map_as_before():
    raw = read_table(need(ONLINE_RETAIL))
    inf = infer_mapping(raw.frame)
    assert inf.mapping() == {"user_id": "CustomerID", "timestamp": "InvoiceDate", "item_id": "StockCode",
                             "item_name": "Description", "price": "UnitPrice", "quantity": "Quantity",
                             "order_id": "InvoiceNo"}
    assert inf.review() == ()
    tb = infer_mapping(read_table(need(TAOBAO)).frame)
    assert tb.mapping() == {"user_id": "user_id", "timestamp": "timestamp", "event": "behavior_type",
                            "item_id": "item_id", "category": "category_id"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6, unique=True),
       st.lists(st.lists(st.text(max_size=10), min_size=6, max_size=6), min_size=1, max_size=15))
def test_inference_never_crashes_and_uses_each_column_once(headers, cells):
    frame = pd.DataFrame([row[:len(headers)] for row in cells], columns=headers).replace("", None)
    inf = infer_mapping(frame)
    used = [c.source for c in inf.choices]
    assert len(used) == len(set(used)) and set(used) <= set(headers)
    assert {c.confidence for c in inf.choices} <= {"high", "medium", "low"}
    try:
        clean_events(read_table(frame.to_csv(index=False).encode(), "h.csv"))
    except DataError:
        pass


def test_rfm_value_uses_line_totals_and_new_columns_are_not_attributes():
    from promo_core.features import build_profiles
    lay = LAYOUTS["grocery"]
    raw = pd.read_csv(io.BytesIO(lay.data), dtype={"household_id": str})
    ds = load_dataset(lay.data, "grocery.csv")
    prof = build_profiles(ds.events).set_index("user_id")
    want = raw.groupby("household_id")["sales_value"].sum()
    assert np.allclose(prof.loc[want.index, "monetary"], want)
    assert not {"line_total", "discount: retail_disc"} & set(prof.columns)
