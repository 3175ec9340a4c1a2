"""Customer lifetime value on screen (issue 16): the Value page's section on the sample and an Online Retail
slice, the status shown while the model warms up, the planner's value at stake and CLV baseline."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ONLINE_RETAIL, ROOT, full_error_details, need, open_page

PAGE = "views/value_groups.py"


def settle(at: AppTest, rounds: int = 4) -> AppTest:
    """Wait for the background CLV jobs the last run started, then run again (a browser's fragment polls)."""
    from ui import clv as clv_ui
    for _ in range(rounds):
        clv_ui.jobs().wait(1200)
        at.run()
        assert not at.exception, [(e.message, e.stack_trace[-4:]) for e in at.exception]
        if not any("warming up" in s.label or "Fitting" in s.label or "Checking" in s.label for s in at.status):
            break
    return at


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in getattr(d.value, "columns", []))


def texts(at: AppTest) -> str:
    return " ".join([c.value for c in at.caption] + [m.value for m in at.markdown] + [w.value for w in at.warning]
                    + [i.value for i in at.info])


def check_section(at: AppTest) -> None:
    assert any(h.value == "Customer lifetime value" for h in at.subheader)
    labels = {m.label for m in at.metric}
    assert {"Total lifetime value", "Mean per buyer", "Buyers valued", "Chance still active (median)"} <= labels
    body = texts(at)
    assert "Reading: the" in body and "top 10% of them hold" in body
    assert "Fitted on" in body and "r = " in body
    expanders = {e.label for e in at.expander}
    assert {"How good is this forecast?", "How is this computed?"} <= expanders


def test_value_page_shows_lifetime_value_on_the_sample():
    at = settle(open_page(PAGE, timeout=1200))
    check_section(at)
    # the segment table through ui.tables: numbers kept (sortable), shown formatted
    seg = frame_with(at, "total_clv")
    assert seg["total_clv"].sum() > 0 and seg["share_of_total_clv"].sum() == pytest.approx(1.0)
    # the hold-out check runs on the sample (three months: two to learn from, one to check against)
    labels = {m.label for m in at.metric}
    assert {"Purchase days: predicted", "Purchase days: actual", "Revenue: predicted"} <= labels
    assert "ranking by past spend alone gives" in texts(at)
    dec = frame_with(at, "share_of_actual_revenue")
    assert list(dec["decile"]) == list(range(1, 11))
    # settings: no discounting gives a higher total; lifecycle grouping re-labels the table
    before = next(m.value for m in at.metric if m.label == "Total lifetime value")
    at.slider(key="clv_rate").set_value(0.0).run()
    after = next(m.value for m in at.metric if m.label == "Total lifetime value")
    assert before != after
    at.selectbox(key="clv_by").set_value("lifecycle").run()
    assert not at.exception
    assert "Active" in set(frame_with(at, "total_clv")["segment"]) or len(frame_with(at, "total_clv"))


def test_a_short_history_says_the_forecast_cannot_be_checked(sample_dataset):
    """Six weeks of the sample: enough to fit, too short for a hold-out check, and the page says so."""
    from dataclasses import replace
    ev = sample_dataset.events
    short = replace(sample_dataset, events=ev[ev["timestamp"] < ev["timestamp"].min() + pd.Timedelta(days=45)])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1200)
    full_error_details()
    at.session_state["dataset"] = short
    at.session_state["dataset_key"] = "sample-first-45-days"
    at.run()
    at.switch_page(PAGE).run()
    settle(at)
    assert "cannot be checked" in texts(at)


def test_planner_shows_value_at_stake_and_the_clv_baseline():
    at = settle(open_page("views/planner.py", timeout=1200))
    stake = frame_with(at, "value_at_stake")
    assert (stake["value_at_stake"] - stake["customers"] * stake["mean_clv"]).abs().max() < 1e-6 * stake[
        "value_at_stake"].abs().max()
    fc = at.dataframe[0].value
    assert "CLV model (BG/NBD)" not in set(fc.get("baseline_source", pd.Series(dtype=str)))  # off by default
    at.toggle(key="pl_clv_base").set_value(True).run()
    settle(at)
    fc = at.dataframe[0].value
    assert set(fc["baseline_source"].iloc[:-1]) == {"CLV model (BG/NBD)"}
    assert ((fc["baseline_conversion"].iloc[:-1] > 0) & (fc["baseline_conversion"].iloc[:-1] < 1)).all()


@pytest.mark.realdata
def test_value_page_on_an_online_retail_slice(online_retail):
    """Customers of the UK shop from two countries, a year of data: the section and an honest check."""
    from dataclasses import replace
    need(ONLINE_RETAIL)
    ev = online_retail.events
    users = ev.loc[ev["Country"].isin(["Germany", "France"]), "user_id"].unique() if "Country" in ev else \
        ev["user_id"].drop_duplicates().sample(400, random_state=1)
    part = replace(online_retail, events=ev[ev["user_id"].isin(users)],
                   returns=online_retail.returns[online_retail.returns["user_id"].isin(users)])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1200)
    full_error_details()
    at.session_state["dataset"] = part
    at.session_state["dataset_key"] = "real-online_retail-de-fr"
    at.run()
    at.switch_page(PAGE).run()
    settle(at)
    check_section(at)
    assert "Purchase days: predicted" in {m.label for m in at.metric}


@pytest.mark.realdata
def test_the_taobao_log_has_no_prices_and_the_page_says_so_instead_of_a_zero_value():
    from promo_core.quality import load_dataset

    from .conftest import TAOBAO
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1200)
    full_error_details()
    at.session_state["dataset"] = load_dataset(need(TAOBAO))
    at.session_state["dataset_key"] = "taobao-sample"
    at.run()
    at.switch_page(PAGE).run()
    settle(at)
    errors = " ".join(e.value for e in at.error)
    assert "purchases have no prices" in errors, errors
    assert "Total lifetime value" not in {m.label for m in at.metric}
    assert "returned as much as they bought" not in texts(at)
