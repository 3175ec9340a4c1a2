"""Basket rules and Recommendations pages driven headless."""

import streamlit as st
from streamlit.testing.v1 import AppTest

import promo_core.rules as rules_module

from .conftest import open_page


def app(page: str) -> AppTest:
    return open_page(page)


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_confidence_and_lift_sliders_do_not_remine(monkeypatch):
    st.cache_data.clear()
    calls = []
    real = rules_module.mine_itemsets
    monkeypatch.setattr(rules_module, "mine_itemsets", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = app("pages/rules.py")
    assert len(calls) == 1 and int(metric(at, "Rules shown")) > 0
    before = int(metric(at, "Rules shown"))
    at.slider(key="r_conf").set_value(60).run()
    at.slider(key="r_lift").set_value(10.0).run()
    assert not at.exception and len(calls) == 1
    assert int(metric(at, "Rules shown")) < before
    at.select_slider(key="r_support").set_value(2.0).run()
    assert len(calls) == 2


def test_too_high_support_is_a_flagged_result_not_an_error():
    at = app("pages/rules.py")
    at.select_slider(key="r_support").set_value(10.0).run()
    assert not at.exception and at.warning and "lower" in at.warning[0].value


def test_rules_per_segment_and_offer_candidates():
    at = app("pages/rules.py")
    segs = [o for o in at.selectbox(key="r_segment").options if o != "All customers"]
    at.selectbox(key="r_segment").set_value(segs[0]).run()
    assert not at.exception
    assert at.session_state["rules_args"][0][-1] == segs[0]
    at.segmented_control(key="r_view").set_value("Bundles & cross-sell").run()
    assert not at.exception and any("Bundle suggestions" in h.value for h in at.subheader)
    for view in ("Support vs confidence", "Matrix", "Network"):
        at.segmented_control(key="r_view").set_value(view).run()
        assert not at.exception


def test_category_level_and_user_day():
    at = app("pages/rules.py")
    at.radio(key="r_level").set_value("category").run()
    at.radio(key="r_by").set_value("user-day").run()
    assert not at.exception and int(metric(at, "Baskets mined").replace(",", "")) > 0


def test_recommendations_page_shows_hold_out():
    at = app("pages/recommendations.py")
    hit = float(metric(at, "Hit rate @ 10").rstrip("%"))
    base = float(metric(at, "Popular-items baseline").rstrip("%"))
    assert hit > base
    at.slider(key="rec_n").set_value(5).run()
    assert not at.exception
