"""Promotion planner and Uplift targeting pages driven headless."""

import json

from streamlit.testing.v1 import AppTest

from .conftest import open_page


def app(page: str) -> AppTest:
    return open_page(page)


def profit(at) -> str:
    return next(m.value for m in at.metric if m.label == "Expected incremental profit")


def test_first_run_shows_a_measured_plan():
    at = app("views/planner.py")
    assert profit(at) not in ("£0", "£-0")
    sources = set(at.dataframe[0].value["source"])
    assert "A/B test" in sources


def test_slider_moves_the_forecast_and_plan_persists():
    at = app("views/planner.py")
    seg = at.selectbox(key="pl_seg").value
    ver = at.session_state["plan_version"]
    at.selectbox(key=f"pl_type_{seg}_{ver}").set_value("percent_off").run()
    before = profit(at)
    kind_key = next(s.key for s in at.slider if s.key.startswith(f"pl_depth_{seg}_percent_off"))
    # a newly chosen offer starts at a depth that gives something (it started at 0%: contact costs only), in whole
    # percents
    depth = at.slider(key=kind_key)
    assert depth.value == 10.0 and depth.step == 1.0
    at.selectbox(key=f"pl_type_{seg}_{ver}").set_value("threshold_coupon").run()
    coupon = {o["segment"]: o for o in at.session_state["plan"]}[seg]   # a tenth of the order, over 1.2 orders
    assert coupon["depth"] >= 1 and coupon["threshold"] > 5 * coupon["depth"]
    at.selectbox(key=f"pl_type_{seg}_{ver}").set_value("percent_off").run()
    before = profit(at)
    kind_key = next(s.key for s in at.slider if s.key.startswith(f"pl_depth_{seg}_percent_off"))
    at.slider(key=kind_key).set_value(30.0).run()
    assert not at.exception and profit(at) != before
    plan = {o["segment"]: o for o in at.session_state["plan"]}
    assert plan[seg]["offer_type"] == "percent_off" and plan[seg]["depth"] == 30.0
    at.switch_page("views/abtest.py").run()
    at.switch_page("views/planner.py").run()
    assert {o["segment"]: o for o in at.session_state["plan"]}[seg]["depth"] == 30.0


def test_optimiser_runs_applies_and_refuses_zero_budget():
    at = app("views/planner.py")
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
    at = app("views/planner.py")
    plan = at.session_state["plan"]
    for content in (b"{not json", json.dumps({"promoscope_plan": 1, "dataset": {"name": "other", "users": 1},
                                               "offers": []}).encode()):
        at.file_uploader(key="pl_load").set_value(("plan.json", content, "application/json")).run()
        assert not at.exception and at.error and "current plan is kept" in at.error[0].value.replace("\\", "")
        assert at.session_state["plan"] == plan


def test_uplift_page_and_planner_target_choice():
    at = app("views/uplift.py")
    assert float(next(m.value for m in at.metric if m.label.startswith("Uplift model"))) > 0
    at.toggle(key="up_use").set_value(True).run()
    assert not at.exception and len(at.session_state["uplift_scores"]) > 1000
    at.selectbox(key="up_learner").set_value("x").run()
    assert not at.exception


MECHANIC_KINDS = ["tiered_discount", "gift_with_purchase", "second_item", "flash_sale", "member_points",
                  "deposit_presale"]


def test_each_chinese_mechanic_can_be_chosen_and_forecast():
    from promo_core.offers import MECHANICS
    at = app("views/planner.py")
    seg = at.selectbox(key="pl_seg").value
    ver = at.session_state["plan_version"]
    for kind in MECHANIC_KINDS:
        at.selectbox(key=f"pl_type_{seg}_{ver}").set_value(kind).run()
        assert not at.exception, (kind, [e.message for e in at.exception])
        assert not at.error, (kind, [e.value for e in at.error])
        plan = {o["segment"]: o for o in at.session_state["plan"]}
        assert plan[seg]["offer_type"] == kind
        assert any(MECHANICS[kind].sentence in c.value for c in at.caption), kind  # the economics, stated
        assert any(e.label == "How is this computed?" for e in at.expander)
        text = " ".join(str(m.value) for m in at.metric) + " ".join(c.value for c in at.caption)
        assert "£-" not in text and "None" not in text
    # the mechanics' own settings move the forecast: tiers typed as text, a flash sale's stock
    at.selectbox(key=f"pl_type_{seg}_{ver}").set_value("tiered_discount").run()
    at.text_input(key=f"pl_tiers_{seg}_{ver}").set_value("20:2, 40:5, 80:12").run()
    assert not at.exception and {o["segment"]: o for o in at.session_state["plan"]}[seg]["tiers"] == (
        (20.0, 2.0), (40.0, 5.0), (80.0, 12.0))
    at.text_input(key=f"pl_tiers_{seg}_{ver}").set_value("40:5, 20:2").run()  # falling thresholds: refused
    assert not at.exception and any("Tier 2" in e.value for e in at.error)
    assert {o["segment"]: o for o in at.session_state["plan"]}[seg]["tiers"][0] == (20.0, 2.0)
    at.selectbox(key=f"pl_type_{seg}_{ver}").set_value("flash_sale").run()
    def given():
        return next(m.value for m in at.metric if m.label.startswith("Value given"))
    before = given()
    at.number_input(key=f"pl_stock_{seg}_{ver}").set_value(1).run()  # one unit at the flash price: the cap binds
    assert not at.exception and given() != before
    at.slider(key=f"pl_whours_{seg}_{ver}").set_value(2).run()
    plan = {o["segment"]: o for o in at.session_state["plan"]}[seg]
    assert plan["window_hours"] == 2 and plan["stock"] == 1


def test_forecast_table_reads_as_a_person_writes_it():
    import pandas as pd

    from promo_core.promotions import Assumptions, Offer, forecast
    from tests.test_offers import B10, base
    from ui.planning import forecast_view
    from ui.tables import display_frame
    b = base(B10, aov=50.0)
    fc = forecast([Offer("s", "percent_off", 10, 0, 1.0, 0.5), Offer("t")], {"s": b, "t": b}, Assumptions())
    view = display_frame(forecast_view(fc, "£"), {"segment": ("Segment", "text"), "offer": ("Offer", "text"),
                                                  "source": ("Effect from", "text"), "range": ("Range", "text"),
                                                  "expected_conversion": ("Buy with offer", "pct")})
    assert not view.isin(["None", "nan"]).any().any()
    assert view.iloc[-1]["Segment"] == "Total" and view.iloc[-1]["Buy with offer"] == "–"
    assert view.iloc[0]["Range"] == "-£1,000 to -£550"  # 100 orders x £5 + £500 contact; never "£-"
    assert isinstance(fc, pd.DataFrame)


def test_new_offer_type_plan_file_loads_in_the_page():
    from promo_core.promotions import Assumptions, Offer, plan_to_json
    at = app("views/planner.py")
    names = [o["segment"] for o in at.session_state["plan"]]
    d = at.session_state["dataset"]
    dataset_id = {"name": d.name, "users": d.report.users, "from": d.report.first_event, "to": d.report.last_event}
    plan = [Offer(names[0], "tiered_discount", tiers=((20, 2), (40, 5))),
            Offer(names[1], "deposit_presale", deposit=3, deposit_value=8)] + [
        Offer(s, "member_points", 2.0) for s in names[2:]]
    text = plan_to_json(plan, Assumptions(), dataset_id, "clusters")
    at.file_uploader(key="pl_load").set_value(("plan.json", text.encode(), "application/json")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    types = {o["segment"]: o["offer_type"] for o in at.session_state["plan"]}
    assert types[names[0]] == "tiered_discount" and types[names[1]] == "deposit_presale"
    assert "£-" not in " ".join(c.value for c in at.caption)


def test_planner_in_chinese():
    from streamlit.testing.v1 import AppTest

    from .conftest import ROOT
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("views/planner.py").run()
    assert not at.exception
    assert at.title[0].value == "促销规划"
    assert any(m.label == "预期增量利润" for m in at.metric)
