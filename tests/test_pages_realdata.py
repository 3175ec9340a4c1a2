"""Every page on the two real files: results or a clear message, never an exception."""

import pytest
from streamlit.testing.v1 import AppTest

from promo_core.quality import load_dataset
from ui.registry import PAGES

from .conftest import ONLINE_RETAIL, ROOT, TAOBAO, full_error_details, need


@pytest.fixture(scope="module", params=["online_retail", "taobao", "online_retail_in_duckdb"])
def real(request):
    path = need(TAOBAO if request.param == "taobao" else ONLINE_RETAIL)
    if request.param.endswith("duckdb"):  # a large server source's dataset: its rows stay in the engine
        from promo_core.engines.dataset import open_files
        return request.param, open_files([str(path)], path.name).clean(None, path.name)
    return request.param, load_dataset(path)


@pytest.mark.realdata
@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.title)
def test_page_on_real_data(real, spec):
    name, ds = real
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    full_error_details()
    at.session_state["dataset"] = ds
    at.session_state["dataset_key"] = f"real-{name}"
    at.run()
    at.switch_page(spec.path).run()
    assert not at.exception, [(e.message, e.stack_trace[-4:]) for e in at.exception]
    assert at.metric or at.error or at.info or at.warning, "the page must show results or say why not"


@pytest.mark.realdata
def test_taobao_recommendations_are_shown_untested_when_too_few_customers_come_back():
    """Nine days of Taobao: only 2 customers bought something new after the split, too few to check the picks.
    The page used to show nothing but that; the similar items and per-customer picks are still there, marked."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    full_error_details()
    at.session_state["dataset"] = load_dataset(need(TAOBAO))
    at.session_state["dataset_key"] = "real-taobao-recs"
    at.run()
    at.switch_page("views/recommendations.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("could not be checked" in w.value and "came back after" in w.value for w in at.warning)
    assert not any(m.label.startswith("Hit rate") for m in at.metric)
    assert at.selectbox(key="rec_item").options and len(at.dataframe) >= 2


@pytest.mark.realdata
def test_a_few_stray_events_stretching_the_date_range_are_pointed_out():
    """Taobao: 84,468 events in ten days, and seven earlier ones back to 11 Sept 2017 stretch the range to 84 days."""
    from promo_core.kpis import daily_activity, stray_days
    ds = load_dataset(need(TAOBAO))
    s = stray_days(daily_activity(ds.events))
    assert s["outside"] == 7 and s["first"] == s["first"].normalize() == pd_ts("2017-09-11")
    assert (s["core_first"], s["core_last"]) == (pd_ts("2017-11-24"), pd_ts("2017-12-03"))
    retail = load_dataset(need(ONLINE_RETAIL))
    assert stray_days(daily_activity(retail.events)) is None   # a year of trading: nothing to say
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    full_error_details()
    at.session_state["dataset"], at.session_state["dataset_key"] = ds, "real-taobao-stray"
    at.run()
    at.switch_page("views/data.py").run()
    warned = " ".join(w.value for w in at.warning)
    assert "7 events lie outside those days" in warned, warned


def pd_ts(text):
    import pandas as pd
    return pd.Timestamp(text)
