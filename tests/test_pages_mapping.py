"""The Data page's mapping editor and preview on the generated export layouts (issue 11)."""

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT, full_error_details
from .layouts import layouts

LAYOUTS = layouts()


def upload(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    full_error_details()
    at.run()
    at.file_uploader(key="upload").set_value((f"{name}.csv", LAYOUTS[name].data, "text/csv")).run()
    assert not at.exception, [(e.message, e.stack_trace[-4:]) for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def selected(at: AppTest, column: str):
    return next(w.value for w in [*at.selectbox, *at.multiselect] if w.key.startswith(f"map_{column}_"))


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_layout_previews_its_revenue(name):
    lay = LAYOUTS[name]
    at = upload(name)
    assert not at.error, [e.value for e in at.error]
    assert metric(at, "Implied revenue") == f"£{lay.revenue:,.2f}"
    preview = next(df.value for df in at.dataframe if "user_id" in df.value.columns)
    assert len(preview) == 5 and "timestamp" in preview.columns
    # uncertain choices, and only those, hold the accept button until confirmed
    assert at.button(key="accept").disabled == bool(lay.review)


def test_grocery_maps_itself_and_is_accepted_without_hand_help():
    lay = LAYOUTS["grocery"]
    at = upload("grocery")
    assert selected(at, "user_id") == "household_id" and selected(at, "line_total") == "sales_value"
    assert selected(at, "price") is None or selected(at, "price") == "(none)"
    assert selected(at, "discount") == ["retail_disc", "coupon_disc", "coupon_match_disc"]
    preview = next(df.value for df in at.dataframe if "user_id" in df.value.columns)
    assert {"line_total", "discount", "quantity", "line amount"} <= set(preview.columns)
    orders = len({line.split(",")[2] for line in lay.text.splitlines()[1:]})
    assert metric(at, "Implied average order") == f"£{lay.revenue / orders:,.2f}"
    assert any("Discounts by source" in c.value for c in at.caption)
    at.button(key="accept").click().run()
    assert not at.exception
    assert at.session_state["dataset"].name == "grocery.csv"
    assert metric(at, "Revenue") == f"£{lay.revenue:,.0f}"


def test_uncertain_choice_must_be_confirmed_or_changed():
    at = upload("cn_two_coupons")
    assert at.warning and "timestamp" in at.warning[0].value and "支付时间" in at.warning[0].value
    assert at.button(key="accept").disabled
    box = next(c for c in at.checkbox if c.key.startswith("confirm_"))
    box.check().run()
    assert not at.button(key="accept").disabled
    at.button(key="accept").click().run()
    assert at.session_state["dataset"].name == "cn_two_coupons.csv"
    # choosing the other time column by hand also settles it
    at = upload("cn_two_coupons")
    key = next(s.key for s in at.selectbox if s.key.startswith("map_timestamp_"))
    at.selectbox(key=key).set_value("支付时间").run()
    assert not at.button(key="accept").disabled


def test_a_wrong_hand_mapping_shows_an_implausible_revenue_and_warns():
    lay = LAYOUTS["grocery"]
    at = upload("grocery")
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("map_line_total_"))).set_value("(none)")
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("map_price_"))).set_value("sales_value")
    at.run()
    assert not at.exception
    implied = float(metric(at, "Implied revenue").lstrip("£").replace(",", ""))
    assert implied > 100 * lay.revenue
    texts = " ".join(w.value for w in at.warning)
    assert "Price moves with the quantity" in texts and "line\\_total" in texts
    assert "Quantities of thousands on a line" in texts
