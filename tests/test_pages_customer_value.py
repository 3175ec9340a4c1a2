"""Issue 12 on screen: non-product lines on the Data page, RFM agreement, lifecycle back-test,
propensity yardsticks, recommendation time split and the planner's baselines and ranges."""

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ONLINE_RETAIL, ROOT, full_error_details, need, open_page


def real_page(ds, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    full_error_details()
    at.session_state["dataset"] = ds
    at.session_state["dataset_key"] = "real-online_retail-12"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [(e.message, e.stack_trace[-4:]) for e in at.exception]
    return at


def texts(at) -> str:
    return " ".join([c.value for c in at.caption] + [m.value for m in at.markdown])


def test_value_page_on_the_sample():
    at = open_page("views/value_groups.py")
    body = texts(at)
    assert "typical gap between orders" in body
    assert any("called Churned" in c.value and "bought again" in c.value for c in at.caption)
    labels = {m.label for m in at.metric}
    assert {"AUC: recency only", "AUC: frequency only", "AUC: this model"} <= labels
    agreement = next(d.value for d in at.dataframe if "agreement_pct" in d.value.columns)
    assert list(agreement["dimension"]) == ["Recency", "Frequency", "Monetary"]


def test_planner_shows_baseline_basis_and_ranges():
    at = open_page("views/planner.py")
    fc = at.dataframe[0].value
    assert "baseline_source" in fc.columns and (fc["baseline_conversion"].iloc[:-1] > 0).all()
    ranges = next(d.value for d in at.dataframe if "no_effect" in d.value.columns)
    assert (ranges.loc[ranges["assumption"] != "Gross margin", "low"] == 0).all()
    at.toggle(key="pl_sply").set_value(True).run()
    assert not at.exception


def test_recommendations_time_split_reading():
    at = open_page("views/recommendations.py")
    assert any("next order" in c.value and "same split" in c.value for c in at.caption)
    assert not any("hiding each customer" in c.value for c in at.caption)


@pytest.mark.realdata
def test_data_page_lists_nonproduct_lines_and_edits_them(online_retail):
    need(ONLINE_RETAIL)
    at = real_page(online_retail, "views/data.py")
    table = next(d.value for d in at.dataframe if "leave_out" in d.value.columns)
    assert {"POST", "M", "C2", "DOT", "BANK CHARGES", "D", "CRUK"} <= set(table.loc[table["leave_out"], "item_id"])
    split = next(d.value for d in at.dataframe if "share_of_gross_pct" in d.value.columns)
    assert "Net product sales" in set(split["line"])
    # add an item id by hand: "Apply" makes a new dataset (new key) whose list has it; events untouched
    old_key, old_events = at.session_state["dataset_key"], at.session_state["dataset"].events
    at.text_input(key="np_extra").set_value("85123A").run()
    at.button(key="np_apply").click().run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert "85123A" in ds.nonproduct and "POST" in ds.nonproduct and at.session_state["dataset_key"] != old_key
    assert ds.events is old_events and ds.returns is not None


@pytest.mark.realdata
def test_value_and_planner_pages_on_online_retail(online_retail):
    at = real_page(online_retail, "views/value_groups.py")
    assert any("median of" in c.value and "repeat customers" in c.value for c in at.caption)
    at.switch_page("views/planner.py").run()
    assert not at.exception
    fc = at.dataframe[0].value
    assert (fc["baseline_conversion"].iloc[:-1] > 0).all() and (fc["baseline_conversion"].iloc[:-1] < 1).all()
