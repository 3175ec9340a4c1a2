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
    at = app("views/rules.py")
    assert len(calls) == 1 and int(metric(at, "Rules shown")) > 0
    before = int(metric(at, "Rules shown"))
    at.slider(key="r_conf").set_value(60).run()
    at.slider(key="r_lift").set_value(10.0).run()
    assert not at.exception and len(calls) == 1
    assert int(metric(at, "Rules shown")) < before
    at.select_slider(key="r_support").set_value(2.0).run()
    assert len(calls) == 2


def test_too_high_support_is_a_flagged_result_not_an_error():
    at = app("views/rules.py")
    at.select_slider(key="r_support").set_value(10.0).run()
    assert not at.exception and at.warning and "lower" in at.warning[0].value


def test_rules_per_segment_and_offer_candidates():
    at = app("views/rules.py")
    assert not [s for s in at.selectbox if s.key == "r_segment"], "segments are computed only when asked for"
    at.toggle(key="r_per_segment").set_value(True).run()
    segs = at.selectbox(key="r_segment").options
    at.selectbox(key="r_segment").set_value(segs[0]).run()
    assert not at.exception
    assert at.session_state["rules_args"][0][-1] == segs[0]
    at.segmented_control(key="r_view").set_value("Bundles & cross-sell").run()
    assert not at.exception and any("Bundle suggestions" in h.value for h in at.subheader)
    for view in ("Support vs confidence", "Matrix", "Network"):
        at.segmented_control(key="r_view").set_value(view).run()
        assert not at.exception


def test_category_level_and_user_day():
    at = app("views/rules.py")
    at.radio(key="r_level").set_value("category").run()
    at.radio(key="r_by").set_value("user-day").run()
    assert not at.exception and int(metric(at, "Baskets mined").replace(",", "")) > 0


def test_recommendations_page_shows_hold_out():
    at = app("views/recommendations.py")
    hit = float(metric(at, "Hit rate @ 10").rstrip("%"))
    base = float(metric(at, "Popular-items baseline").rstrip("%"))
    assert hit > base
    at.slider(key="rec_n").set_value(5).run()
    assert not at.exception


def test_defaults_are_the_reference_and_caps_are_stated(sample_dataset):
    at = app("views/rules.py")
    assert at.select_slider(key="r_maxlen").value == "no limit"
    assert at.selectbox(key="r_algo").value == "pyfim"
    assert at.session_state["rules_args"][0][2] is None  # no basket left out
    text = " ".join(c.value for c in at.caption)
    assert "no length limit" in text and "baskets counted" in text
    options = at.select_slider(key="r_maxlen").options
    assert options[0] == "no limit" and int(options[-1]) == rules_module.make_baskets(sample_dataset.events).largest
    at.toggle(key="r_exclude").set_value(True).run()
    at.number_input(key="r_maxsize").set_value(3).run()
    text = " ".join(c.value for c in at.caption)
    assert "left out at your request" in text.replace("\\", "")
    at.select_slider(key="r_maxlen").set_value(options[1]).run()
    assert "your limit" in " ".join(c.value for c in at.caption)


def test_every_engine_gives_the_same_rules():
    at = app("views/rules.py")
    counts = {}
    for algo in ("pyfim", "fpgrowth", "apriori"):
        at.selectbox(key="r_algo").set_value(algo).run()
        assert not at.exception
        counts[algo] = (metric(at, "Frequent itemsets"), metric(at, "Rules shown"))
    assert len(set(counts.values())) == 1, counts


def test_pyfim_missing_falls_back_with_a_notice(monkeypatch):
    st.cache_data.clear()
    monkeypatch.setattr(rules_module, "_fim", None)
    at = app("views/rules.py")
    assert any("pyfim" in i.value and "mlxtend" in i.value for i in at.info)
    assert int(metric(at, "Rules shown")) > 0
