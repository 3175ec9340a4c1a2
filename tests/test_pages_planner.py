"""Promotion planner and Uplift targeting pages driven headless."""

import json

from streamlit.testing.v1 import AppTest

from .conftest import open_page


def app(page: str) -> AppTest:
    return open_page(page)


def profit(at) -> str:
    return next(m.value for m in at.metric if m.label == "Expected incremental profit")


def test_first_run_shows_a_measured_plan():
    at = app("pages/planner.py")
    assert profit(at) not in ("£0", "£-0")
    sources = set(at.dataframe[0].value["source"])
    assert "A/B test" in sources


def test_slider_moves_the_forecast_and_plan_persists():
    at = app("pages/planner.py")
    seg = at.selectbox(key="pl_seg").value
    ver = at.session_state["plan_version"]
    at.selectbox(key=f"pl_type_{seg}_{ver}").set_value("percent_off").run()
    before = profit(at)
    kind_key = next(s.key for s in at.slider if s.key.startswith(f"pl_depth_{seg}_percent_off"))
    at.slider(key=kind_key).set_value(30.0).run()
    assert not at.exception and profit(at) != before
    plan = {o["segment"]: o for o in at.session_state["plan"]}
    assert plan[seg]["offer_type"] == "percent_off" and plan[seg]["depth"] == 30.0
    at.switch_page("pages/abtest.py").run()
    at.switch_page("pages/planner.py").run()
    assert {o["segment"]: o for o in at.session_state["plan"]}[seg]["depth"] == 30.0


def test_optimiser_runs_applies_and_refuses_zero_budget():
    at = app("pages/planner.py")
    at.number_input(key="pl_budget").set_value(0.0).run()
    at.button(key="pl_opt").click().run()
    assert not at.exception and any("budget must be a positive" in e.value for e in at.error)
    at.number_input(key="pl_budget").set_value(3000.0).run()
    at.button(key="pl_opt").click().run()
    assert not at.exception and at.session_state["optimised"].cost <= 3000.0
    at.button(key="pl_apply").click().run()
    assert not at.exception
    assert [o["offer_type"] for o in at.session_state["plan"]] == [o.offer_type for o in at.session_state["optimised"].plan]


def test_bad_plan_files_keep_the_current_plan():
    at = app("pages/planner.py")
    plan = at.session_state["plan"]
    for content in (b"{not json", json.dumps({"promoscope_plan": 1, "dataset": {"name": "other", "users": 1},
                                               "offers": []}).encode()):
        at.file_uploader(key="pl_load").set_value(("plan.json", content, "application/json")).run()
        assert not at.exception and at.error and "current plan is kept" in at.error[0].value.replace("\\", "")
        assert at.session_state["plan"] == plan


def test_uplift_page_and_planner_target_choice():
    at = app("pages/uplift.py")
    assert float(next(m.value for m in at.metric if m.label.startswith("Uplift model"))) > 0
    at.toggle(key="up_use").set_value(True).run()
    assert not at.exception and len(at.session_state["uplift_scores"]) > 1000
    at.selectbox(key="up_learner").set_value("x").run()
    assert not at.exception
