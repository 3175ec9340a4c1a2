import json

import numpy as np
import pandas as pd
import pytest

from promo_core.abtest import load_experiment
from promo_core.features import build_profiles
from promo_core.promotions import (
    Assumptions,
    Baseline,
    Offer,
    baselines,
    evidence,
    forecast,
    forecast_segment,
    optimise,
    parse_variant,
    plan_from_json,
    plan_to_json,
    same_offer_plan,
    target_list,
)
from promo_core.schema import DataError
from promo_core.segments import cluster

from .conftest import SAMPLE

B = Baseline("s", users=1000, conversion=0.10, orders_per_buyer=1.0, aov=50.0,
             order_values=np.array([20.0, 40, 60, 80, 100, 120, 70, 75, 30, 85]))
A = Assumptions(margin=0.4)


def test_percent_off_forecast_by_hand():
    f = forecast_segment(Offer("s", "percent_off", 10, 0, 0.5, 0.2), B, A)
    # 500 targeted; lift = 2.0 elasticity x 10% given x redemption 1 = +20% -> 12% conversion
    assert f["targeted"] == 500 and f["expected_conversion"] == pytest.approx(0.12)
    base_orders, new_orders = 500 * 0.10, 500 * 0.02
    assert f["incremental_orders"] == pytest.approx(new_orders)
    gross = new_orders * 50
    given = (base_orders + new_orders) * 5.0
    assert f["value_given"] == pytest.approx(given) and f["cannibalised"] == pytest.approx(base_orders * 5.0)
    assert f["contact_cost"] == pytest.approx(100)
    assert f["incremental_profit"] == pytest.approx(gross * 0.4 - given - 100)
    assert f["incremental_revenue"] == pytest.approx(gross - given)
    assert f["roi"] == pytest.approx(f["incremental_profit"] / (given + 100))
    assert f["profit_low"] < f["incremental_profit"] < f["profit_high"] or f["profit_low"] > f["profit_high"] is False


def test_threshold_coupon_reach_by_hand():
    reach, top_up = B.reach(80.0, 0.5)
    # orders >= 80: 80, 100, 120, 85 -> 4/10; within [56, 80): 60, 70, 75 -> 3/10, half pulled up
    assert reach == pytest.approx(0.4 + 0.5 * 0.3)
    assert top_up == pytest.approx(0.5 * ((80 - 60) + (80 - 70) + (80 - 75)) / 10)
    f = forecast_segment(Offer("s", "threshold_coupon", 12, 80, 1.0, 0.0), B, A)
    assert f["discount_share"] == pytest.approx(12 * reach / (50 + top_up))


def test_no_offer_is_zero_and_total_row():
    plan = [Offer("s"), Offer("s2", "fixed_coupon", 5, 0, 1.0, 0.1)]
    base = {"s": B, "s2": Baseline("s2", 200, 0.2, 1.5, 40.0, np.array([40.0]))}
    fc = forecast(plan, base, A)
    assert fc.iloc[0]["incremental_profit"] == 0 and fc.iloc[0]["targeted"] == 0
    total = fc.iloc[-1]
    assert total["segment"] == "Total" and total["incremental_profit"] == pytest.approx(fc.iloc[1]["incremental_profit"])


@pytest.mark.parametrize("offer, match", [
    (Offer("s", "percent_off", 150), "cannot exceed 100%"),
    (Offer("s", "mystery"), "Unknown offer type"),
    (Offer("s", "percent_off", 10, 0, 1.5), "targeted share"),
    (Offer("s", "threshold_coupon", 10, 0), "needs a threshold"),
])
def test_bad_offers(offer, match):
    with pytest.raises(DataError, match=match):
        forecast_segment(offer, B, A)


def test_parse_variant_names():
    assert parse_variant("10% off") == ("percent_off", 10.0, 0.0)
    assert parse_variant("Spend £80 get £12 off") == ("threshold_coupon", 12.0, 80.0)
    assert parse_variant("control") is None


def test_optimiser_respects_budget_caps_and_one_offer_each():
    base = {"a": B, "b": Baseline("b", 500, 0.3, 1.2, 80.0, np.array([60.0, 90, 120]))}
    opt = optimise(base, A, budget=800.0)
    assert opt.cost <= 800.0 + 1e-6 and len(opt.plan) == 2 and {o.segment for o in opt.plan} == {"a", "b"}
    capped = optimise(base, A, budget=10_000.0, caps={"b": 0.0})
    assert next(o for o in capped.plan if o.segment == "b").offer_type == "none"
    with pytest.raises(DataError, match="positive"):
        optimise(base, A, budget=0)
    with pytest.raises(DataError, match="positive"):
        optimise(base, A, budget=-5)


@pytest.fixture(scope="module")
def planted(sample_dataset):
    p = build_profiles(sample_dataset.events)
    c = cluster(p)
    segs = pd.DataFrame({"user_id": p["user_id"], "segment": c.named_labels()})
    frame = pd.read_csv(SAMPLE / "experiment.csv")
    exp = load_experiment(frame, control="control")
    users = exp.users.assign(user_id=frame["user_id"].astype(str))
    base = baselines(sample_dataset.events, segs, 14, users[users["variant"] == "control"][["user_id", "converted"]])
    return segs, base, evidence(users, segs, "control", A.margin)


def _realised(plan, segs, contact=0.15):
    truth = json.loads((SAMPLE / "truth" / "experiment_truth.json").read_text())
    persona = pd.read_csv(SAMPLE / "truth" / "personas.csv").set_index("user_id")["persona"]
    names = {("percent_off", 10.0): "10% off", ("threshold_coupon", 12.0): "spend 80 get 12"}

    def delta(p, variant):
        v = truth["personas"][p]["variants"]
        f = lambda x: (x["net_revenue_per_user"] + x["discount_per_user"]) * A.margin - x["discount_per_user"]  # noqa: E731
        return f(v[variant]) - f(v["control"]) - contact
    total = 0.0
    for o in plan:
        if o.offer_type != "none":
            members = segs.loc[segs["segment"] == o.segment, "user_id"]
            total += o.target_share * sum(delta(persona[u], names[(o.offer_type, o.depth)]) for u in members)
    return total


def test_optimised_plan_beats_alternatives_expected_and_realised(planted):
    segs, base, ev = planted
    opt = optimise(base, A, budget=5000.0, ev=ev, only_tested=True)
    realised_opt = _realised(opt.plan, segs)
    assert opt.expected_profit > 0 and realised_opt > 0
    for template in (Offer("", "percent_off", 10, 0, 1.0, 0.15), Offer("", "threshold_coupon", 12, 80, 1.0, 0.15)):
        everyone = same_offer_plan(template, list(base))
        expected = forecast(everyone, base, A, ev).iloc[-1]["incremental_profit"]
        assert opt.expected_profit > expected
        assert realised_opt > _realised(everyone, segs)
    chosen = {o.segment: o.offer_type for o in opt.plan}
    assert chosen["Frequent, high spend"] == "none"  # loyal big spenders: discounts only cannibalise


def test_plan_file_round_trip_and_validation(planted):
    segs, base, ev = planted
    plan = [Offer(s, "percent_off", 10, 0, 1.0, 0.15) for s in base]
    ds_id = {"name": "sample", "users": 3000}
    text = plan_to_json(plan, A, ds_id, "clusters")
    back, a = plan_from_json(text, ds_id, list(base))
    assert back == plan and a == A
    with pytest.raises(DataError, match="another dataset"):
        plan_from_json(text, {"name": "other", "users": 5}, list(base))
    with pytest.raises(DataError, match="not a PromoScope plan"):
        plan_from_json('{"x": 1}', ds_id, list(base))
    with pytest.raises(DataError, match="not valid JSON"):
        plan_from_json("{", ds_id, list(base))
    bad = json.loads(text)
    bad["offers"][0]["offer_type"] = "teleport"
    with pytest.raises(DataError, match="Unknown offer type"):
        plan_from_json(json.dumps(bad), ds_id, list(base))
    bad["offers"][0].update(offer_type="percent_off", depth=150)
    with pytest.raises(DataError, match="100%"):
        plan_from_json(json.dumps(bad), ds_id, list(base))
    with pytest.raises(DataError, match="segments"):
        plan_from_json(text, ds_id, ["only this"])


def test_target_list(planted):
    segs, base, ev = planted
    name = next(iter(base))
    plan = [Offer(name, "percent_off", 10, 0, 0.5, 0.15)]
    fc = forecast(plan, base, A, ev)
    tl = target_list(plan, segs, fc)
    assert len(tl) == round(base[name].users * 0.5) and set(tl["segment"]) == {name}
    assert list(tl.columns) == ["user_id", "segment", "offer", "offer_type", "depth", "threshold", "offer_spec",
                                "expected_uplift"]
    assert set(tl["offer_spec"]) == {'{"offer_type":"percent_off","depth":10.0}'}
    uplift = pd.Series(np.arange(len(segs), dtype=float), index=segs["user_id"])
    top = target_list(plan, segs, fc, uplift)
    members = segs.loc[segs["segment"] == name, "user_id"]
    assert set(top["user_id"]) == set(uplift[members].nlargest(len(top)).index)


def test_plan_comparison_rows(planted):
    from promo_core.promotions import plan_comparison
    segs, base, ev = planted
    plan = [Offer(s, "percent_off", 10, 0, 1.0, 0.15) for s in base]
    total = forecast(plan, base, A, ev).iloc[-1]
    cmp = plan_comparison(total, plan[0], base, A, ev)
    assert list(cmp["plan"]) == ["This plan", "10% off to everyone", "No promotion"]
    assert cmp.iloc[0]["profit"] == total["incremental_profit"]
    assert cmp.iloc[1]["profit"] == pytest.approx(total["incremental_profit"])  # the same offer to all, at full share
    assert (cmp.iloc[2][["profit", "low", "high"]] == 0).all()
