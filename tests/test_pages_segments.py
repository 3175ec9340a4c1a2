"""Segments and Value & lifecycle pages driven headless."""

from streamlit.testing.v1 import AppTest

from promo_core.quality import load_dataset

from .conftest import ROOT, full_error_details, open_page


def app(page: str) -> AppTest:
    return open_page(page)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_k_slider_changes_segments():
    at = app("views/segments.py")
    assert metric(at, "Segments") == "5"
    at.toggle(key="seg_auto").set_value(False).run()
    at.slider(key="seg_k").set_value(3).run()
    assert not at.exception and metric(at, "Segments") == "3"
    assert at.session_state["cluster_args"]["k"] == 3


def test_segmentation_choice_feeds_other_pages():
    at = app("views/segments.py")
    at.radio(key="segmentation_choice").set_value("rfm").run()
    assert not at.exception
    at.switch_page("views/value_groups.py").run()
    assert not at.exception and at.session_state["segmentation_choice"] == "rfm"


def test_value_page_propensity_model_switch():
    at = app("views/value_groups.py")
    assert any(m.label == "ROC AUC" for m in at.metric)
    at.selectbox(key="prop_model").set_value("tree").run()
    assert not at.exception and float(metric(at, "ROC AUC")) > 0.8


def test_basket_dataset_gets_a_message_not_a_crash():
    for page in ("views/segments.py", "views/value_groups.py"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        full_error_details()
        at.session_state["dataset"] = load_dataset(b"milk,bread\nbeer,chips,salsa\nbread,butter\n", "g.csv")
        at.session_state["dataset_key"] = "baskets"
        at.run()
        at.switch_page(page).run()
        assert not at.exception
        assert at.error and "need times" in at.error[0].value
