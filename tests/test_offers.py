"""The Chinese promotion mechanics: each one's economics against a hand computation."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from promo_core.i18n import locale_context
from promo_core.offers import MECHANICS, MID, window_share
from promo_core.promotions import (
    Assumptions,
    Baseline,
    Offer,
    activity_by_hour,
    forecast,
    forecast_segment,
    optimise,
    parse_variant,
    plan_from_json,
    plan_to_json,
)
from promo_core.schema import DataError

A = Assumptions(margin=0.4)
VALUES = np.array([150.0, 190, 210, 390, 420, 850])
TIERS = ((200.0, 20.0), (400.0, 50.0), (800.0, 120.0))


def base(values=VALUES, items=None, hours=None, aov=None) -> Baseline:
    values = np.asarray(values, dtype=float)
    return Baseline("s", users=1000, conversion=0.10, orders_per_buyer=1.0,
                    aov=float(values.mean()) if aov is None else aov, order_values=values, order_items=items,
                    activity_hours=hours)


# ---------------------------------------------------------------- 满减 tiered spend-and-save

def test_tiered_discount_follows_the_order_value_distribution_not_the_mean():
    b = base()
    # 满200减20 alone: 210, 390, 420, 850 reach it -> 4 of 6 orders get 20 off
    one = Offer("s", "tiered_discount", tiers=((200, 20),))
    po = MECHANICS["tiered_discount"].per_order(one, b, replace(A, threshold_pull=0.0), MID)
    assert po.given == pytest.approx(4 * 20 / 6) and po.top_up == 0
    # three tiers, no top-ups: 150 -> 0, 190 -> 0, 210 -> 20, 390 -> 20, 420 -> 50, 850 -> 120
    three = Offer("s", "tiered_discount", tiers=TIERS)
    po = MECHANICS["tiered_discount"].per_order(three, b, replace(A, threshold_pull=0.0), MID)
    assert po.given == pytest.approx(210 / 6)
    # the mean order (368) would reach only the first tier: 20 per order, not 35
    assert b.aov == pytest.approx(368.333, abs=1e-3)
    # top-ups with pull 0.5: 150 and 190 are within 70% of 200 (gain 20, gaps 50 and 10), 390 of 400 (gain 30,
    # gap 10); 210 (< 280) and 420 (< 560) are not near their next tier
    po = MECHANICS["tiered_discount"].per_order(three, b, A, MID)
    assert po.given == pytest.approx((210 + 0.5 * (20 + 20 + 30)) / 6)
    assert po.top_up == pytest.approx(0.5 * (50 + 10 + 10) / 6)


def test_tiered_discount_forecast_by_hand():
    b = base()
    f = forecast_segment(Offer("s", "tiered_discount", tiers=TIERS, target_share=1.0), b, A)
    given_po, top = 245 / 6, 35 / 6
    lift = 2.5 * given_po / b.aov  # elasticity x value given as a share of the order x redemption 1
    base_orders, new = 100.0, 100 * lift
    assert f["expected_conversion"] == pytest.approx(0.1 * (1 + lift))
    gross = new * (b.aov + top) + base_orders * top
    given = (base_orders + new) * given_po
    assert f["value_given"] == pytest.approx(given) and f["cannibalised"] == pytest.approx(base_orders * given_po)
    assert f["incremental_profit"] == pytest.approx(gross * 0.4 - given)
    # low end: no lift, nobody tops up: only the tiers the 100 orders reach anyway, 210 / 6 each
    assert f["profit_low"] == pytest.approx(-100 * 210 / 6)
    assert f["profit_low"] < f["incremental_profit"] < f["profit_high"]


@pytest.mark.parametrize("tiers, match", [
    ((), "1 to 10 tiers"),
    (((400, 50), (200, 20)), "Tier 2"),
    (((200, 20), (400, 10)), "Tier 2"),
    (((200, 250),), "Tier 1"),
    (((200, 0),), "Tier 1"),
])
def test_bad_tiers(tiers, match):
    with pytest.raises(DataError, match=match):
        Offer("s", "tiered_discount", tiers=tiers).validate()


# ---------------------------------------------------------------- 满赠 gift with purchase

B10 = np.array([20.0, 40, 60, 80, 100, 120, 70, 75, 30, 85])


def test_gift_costs_its_cost_price_on_qualifying_orders():
    b = base(B10, aov=50.0)
    o = Offer("s", "gift_with_purchase", depth=4.0, threshold=80.0)
    po = MECHANICS["gift_with_purchase"].per_order(o, b, A, MID)
    # at or above 80: 80, 100, 120, 85 (4/10); within [56, 80): 60, 70, 75 (3/10), half top up
    assert po.given == pytest.approx(4 * (0.4 + 0.5 * 0.3))
    assert po.top_up == pytest.approx(0.5 * (20 + 10 + 5) / 10)
    assert po.perceived == pytest.approx(po.given / (1 - 0.4))  # seen at its shelf price
    f = forecast_segment(replace(o, target_share=1.0), b, A)
    assert f["profit_low"] == pytest.approx(-100 * 0.4 * 4)  # no lift, no top-up: 40 orders get the gift
    with pytest.raises(DataError, match="cost price"):
        Offer("s", "gift_with_purchase", depth=0.0, threshold=80.0).validate()
    with pytest.raises(DataError, match="threshold"):
        Offer("s", "gift_with_purchase", depth=4.0, threshold=0.0).validate()


# ---------------------------------------------------------------- 第二件半价 second item at a discount

def test_second_item_costs_only_orders_of_two_or_more_items():
    b = base([30.0, 40, 90, 100], items=np.array([1.0, 2, 3, 4]), aov=65.0)
    o = Offer("s", "second_item", depth=50.0, target_share=1.0)
    none = MECHANICS["second_item"].per_order(o, b, replace(A, second_item_take=0.0), MID)
    # 1 item: 0; 2 items of 20: 10; 3 items of 30: one discounted, 15; 4 items of 25: two, 25
    assert none.given == pytest.approx((0 + 10 + 15 + 25) / 4) and none.top_up == 0
    po = MECHANICS["second_item"].per_order(o, b, A, MID)  # 20% of the one-item order adds a second 30 item
    assert po.given == pytest.approx((50 + 0.2 * 0.5 * 30) / 4)
    assert po.top_up == pytest.approx(0.2 * 30 / 4)
    f = forecast_segment(o, b, A)
    assert f["profit_low"] == pytest.approx(-100 * 12.5)
    with pytest.raises(DataError, match="items in each order"):
        forecast_segment(o, base([30.0, 40]), A)


# ---------------------------------------------------------------- 限时秒杀 flash sale

HOURS = np.full(24, 0.5 / 22)
HOURS[[20, 21]] = 0.25


def test_flash_sale_window_share_of_activity():
    assert window_share(HOURS, 20, 2) == pytest.approx(0.5)
    assert window_share(HOURS, 23, 2) == pytest.approx(2 * 0.5 / 22)  # wraps past midnight
    assert window_share(HOURS, 20.5, 1) == pytest.approx(0.25)  # half of 20:00 and half of 21:00
    assert window_share(None, 8, 6) == pytest.approx(6 / 24)  # no times of day: even
    assert window_share(HOURS, 0, 24) == 1.0


def test_flash_sale_reach_and_stock_by_hand():
    b = base(B10, hours=HOURS, aov=50.0)
    o = Offer("s", "flash_sale", depth=20.0, target_share=1.0, window_start=20, window_hours=2)
    f = forecast_segment(o, b, A)
    # reach 0.5: 20% x 50 x 0.5 = 5 per order; lift 2.6 x 5/50 = 0.26 -> 26 extra orders on 100
    assert f["expected_conversion"] == pytest.approx(0.126)
    assert f["value_given"] == pytest.approx(126 * 5)
    # 63 orders at the flash price in the window; a stock of 30 units cuts them (and the extra orders) to 30
    capped = forecast_segment(replace(o, stock=30), b, A)
    assert capped["value_given"] == pytest.approx(30 * 0.2 * 50)
    assert capped["incremental_orders"] == pytest.approx(26 * 30 / 63)
    assert capped["incremental_profit"] == pytest.approx(26 * 30 / 63 * 50 * 0.4 - 300)
    assert "09" not in o.label("£") and "20:00–22:00" in o.label("£")


def test_flash_sale_all_day_without_stock_is_the_earlier_percent_off():
    b = base(B10, aov=50.0)
    a = replace(A, elasticity={**A.elasticity, "percent_off": A.elasticity["flash_sale"]})
    flash = forecast_segment(Offer("s", "flash_sale", 15.0, 0, 0.5, 0.1), b, a)
    pct = forecast_segment(Offer("s", "percent_off", 15.0, 0, 0.5, 0.1), b, a)
    for k in ("incremental_profit", "profit_low", "profit_high", "value_given", "expected_conversion"):
        assert flash[k] == pytest.approx(pct[k])


# ---------------------------------------------------------------- 会员积分 member points

def test_member_points_cost_only_the_redeemed_share_deferred():
    b = base(B10, aov=50.0)
    a = replace(A, point_value=0.01, points_redeemed=0.5, uncertainty=0.5)
    f = forecast_segment(Offer("s", "member_points", depth=2.0, target_share=1.0), b, a)
    # face value 2 x 50 x 0.01 = 1 per order; lift 1.0 x 1/50 -> 102 orders; cost 0.5 per order, paid later
    assert f["expected_conversion"] == pytest.approx(0.102)
    assert f["value_given"] == pytest.approx(102 * 0.5) and f["deferred_cost"] == pytest.approx(51)
    assert f["incremental_profit"] == pytest.approx(2 * 50 * 0.4 - 51)
    # low end: no lift, 75% redeemed; high end: 1.5x lift, 25% redeemed
    assert f["profit_low"] == pytest.approx(-100 * 0.75)
    assert f["profit_high"] == pytest.approx(3 * 50 * 0.4 - 103 * 0.25)
    none = forecast_segment(Offer("s", "member_points", depth=2.0), b, replace(a, points_redeemed=0.0,
                                                                                 uncertainty=0.0))
    assert none["value_given"] == 0  # nobody redeems: no cost


# ---------------------------------------------------------------- 预售定金膨胀 deposit pre-sale

def test_deposit_presale_by_hand():
    b = base(B10, aov=50.0)
    a = replace(A, presale_completion=0.8, presale_pull_forward=0.3)
    f = forecast_segment(Offer("s", "deposit_presale", deposit=10.0, deposit_value=25.0, target_share=1.0), b, a)
    # 15 extra value: lift 2.0 x 15/50 = 0.6 -> 60 extra deposits; 48 complete, 12 forfeit 10 each
    assert f["value_given"] == pytest.approx((100 + 48) * 15)
    assert f["forfeited_deposits"] == pytest.approx(12 * 10)
    # 30% of the 48 completed would have come anyway: 33.6 incremental orders at 50
    assert f["incremental_orders"] == pytest.approx(33.6)
    assert f["incremental_profit"] == pytest.approx(33.6 * 50 * 0.4 + 120 - 2220)
    assert f["profit_low"] == pytest.approx(-100 * 15)  # no lift: only the 100 orders that happen anyway
    with pytest.raises(DataError, match="counts for more"):
        Offer("s", "deposit_presale", deposit=30.0, deposit_value=20.0).validate()


# ---------------------------------------------------------------- optimiser, variants, labels, plan files

@pytest.mark.parametrize("kind", ["tiered_discount", "gift_with_purchase", "second_item", "flash_sale",
                                  "member_points", "deposit_presale"])
def test_optimiser_picks_a_mechanic_planted_as_the_best(kind):
    b = base(B10 * 3, items=np.array([1.0, 2, 3, 1, 2, 4, 1, 2, 1, 3]), hours=HOURS, aov=float((B10 * 3).mean()))
    a = replace(A, elasticity={k: (12.0 if k == kind else 0.0) for k in A.elasticity}, threshold_pull=0.0,
                second_item_take=0.0, bundle_attach=0.0)
    opt = optimise({"s": b}, a, budget=1e6)
    assert opt.plan[0].offer_type == kind, opt.reasons.to_dict("records")
    assert opt.expected_profit > 0


@pytest.mark.parametrize("name, parsed", [
    ("满200减20", ("tiered_discount", 20.0, 200.0)),
    ("满80赠5", ("gift_with_purchase", 5.0, 80.0)),
    ("gift worth 5 over 80", ("gift_with_purchase", 5.0, 80.0)),
    ("第二件半价", ("second_item", 50.0, 0.0)),
    ("第二件7折", ("second_item", 30.0, 0.0)),
    ("second item 40% off", ("second_item", 40.0, 0.0)),
    ("flash sale 20% off", ("flash_sale", 20.0, 0.0)),
    ("秒杀 30%", ("flash_sale", 30.0, 0.0)),
    ("2 points per £", ("member_points", 2.0, 0.0)),
    ("定金20抵50", ("deposit_presale", 50.0, 20.0)),
    ("deposit £20 counts as £50", ("deposit_presale", 50.0, 20.0)),
    ("满200减20 满400减50", None),
    ("10% off", ("percent_off", 10.0, 0.0)),
])
def test_variant_names_of_the_new_mechanics(name, parsed):
    assert parse_variant(name) == parsed


def test_measured_single_tier_calibrates_a_three_tier_offer():
    from promo_core.promotions import Evidence
    b = base()
    ev = {("s", "tiered_discount", 20.0, 200.0): Evidence("tiered_discount", 20, 200, 500, 0.10, 0.12, 0, 0, 0, 0, 0,
                                                          0)}
    one = forecast_segment(Offer("s", "tiered_discount", tiers=((200, 20),)), b, A, ev)
    assert one["source"] == "A/B test"
    three = forecast_segment(Offer("s", "tiered_discount", tiers=TIERS), b, A, ev)
    assert three["source"] == "A/B-calibrated elasticity"


def test_labels_and_names_in_chinese():
    with locale_context("zh_CN"):
        assert "满" in Offer("s", "tiered_discount", tiers=((200, 20),)).label("¥")
        assert Offer("s", "second_item", 50).label("¥") == "第二件半价"
    assert Offer("s", "tiered_discount", tiers=((200, 20), (400, 50))).label("£") == \
        "Spend £200, get £20 off / Spend £400, get £50 off"


DS = {"name": "shop", "users": 10}


def new_plan() -> list[Offer]:
    return [Offer("a", "tiered_discount", tiers=TIERS, target_share=0.5, contact_cost=0.1),
            Offer("b", "gift_with_purchase", 4.0, 80.0), Offer("c", "second_item", 50.0),
            Offer("d", "flash_sale", 25.0, window_start=20, window_hours=2, stock=500),
            Offer("e", "member_points", 2.0), Offer("f", "deposit_presale", deposit=20, deposit_value=50)]


def test_plan_file_round_trip_of_the_new_types():
    plan = new_plan()
    a = replace(A, points_redeemed=0.4, presale_completion=0.7)
    back, a2 = plan_from_json(plan_to_json(plan, a, DS, "rfm"), DS, list("abcdef"))
    assert back == plan and a2 == a
    # a plan saved before the new fields existed still loads
    old = json.loads(plan_to_json([Offer("a", "percent_off", 10)], A, DS, "rfm"))
    for o in old["offers"]:
        for k in ("tiers", "window_start", "window_hours", "stock", "deposit", "deposit_value"):
            o.pop(k)
    for k in ("second_item_take", "points_redeemed", "presale_completion", "presale_pull_forward"):
        old["assumptions"].pop(k)
    back, a3 = plan_from_json(json.dumps(old), DS, ["a"])
    assert back == [Offer("a", "percent_off", 10)] and a3 == A


def _with(i: int, **change) -> str:
    d = json.loads(plan_to_json(new_plan(), A, DS, "rfm"))
    d["offers"][i].update(change)
    return json.dumps(d)


@pytest.mark.parametrize("text, match", [
    (_with(0, tiers="200:20"), "pairs of numbers"),
    (_with(0, tiers=[[200, 20, 5]]), "pair of numbers"),
    (_with(0, tiers=[[200, "x"]]), "amount off must be a number"),
    (_with(0, tiers=[[400, 50], [200, 20]]), "Tier 2"),
    (_with(0, tiers=[[i * 10 + 10, 1] for i in range(11)]), "at most 10"),
    (_with(0, tiers=[]), "1 to 10 tiers"),
    (_with(3, window_hours=0), "length in hours must be from"),
    (_with(3, window_start=24), "start hour must be from"),
    (_with(3, stock=-1), "stock in units must be from"),
    (_with(3, window_start=20.5), "start hour must be a whole number"),
    (_with(5, deposit=60), "counts for more"),
    (_with(1, depth=0), "cost price"),
    (json.dumps(json.loads(plan_to_json(new_plan(), A, DS, "rfm")) | {"assumptions": {"points_redeemed": 2}}),
     "share of points redeemed must be from 0 to 1"),
])
def test_bad_plan_files_with_the_new_types(text, match):
    with pytest.raises(DataError, match=match):
        plan_from_json(text, DS, list("abcdef"))


def test_bad_plan_file_messages_in_chinese():
    with locale_context("zh_CN"), pytest.raises(DataError) as exc:
        plan_from_json(_with(3, window_hours=0), DS, list("abcdef"))
    assert "秒杀" in str(exc.value)


def test_activity_by_hour_from_timestamps():
    t = pd.to_datetime(["2026-01-01 20:10", "2026-01-02 20:50", "2026-01-02 09:00", "2026-01-03 21:00"])
    ev = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u1"], "timestamp": t})
    segs = pd.DataFrame({"user_id": ["u1", "u2"], "segment": ["A", "B"]})
    h = activity_by_hour(ev, segs)
    assert h["A"][20] == pytest.approx(2 / 3) and h["A"][21] == pytest.approx(1 / 3) and h["B"][9] == 1
    assert activity_by_hour(ev.assign(timestamp=t.normalize()), segs) is None  # dates only: no hours


def test_forecast_totals_carry_deferred_and_forfeits():
    b = base(B10, items=np.ones(10), hours=HOURS, aov=50.0)
    plan = [Offer("s", "member_points", 2.0), Offer("t", "deposit_presale", deposit=10, deposit_value=25)]
    fc = forecast(plan, {"s": b, "t": replace(b, segment="t")}, A)
    assert fc.iloc[0]["deferred_cost"] > 0 and fc.iloc[1]["forfeited_deposits"] > 0
    assert fc.iloc[-1]["deferred_cost"] == pytest.approx(fc.iloc[0]["deferred_cost"])
    assert fc.iloc[-1]["forfeited_deposits"] == pytest.approx(fc.iloc[1]["forfeited_deposits"])



def test_malformed_new_fields_give_a_data_error_never_another_exception():
    from hypothesis import given, settings
    from hypothesis import strategies as st
    values = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
                          | st.text(max_size=5), lambda c: st.lists(c, max_size=4), max_leaves=10)

    @settings(max_examples=150, deadline=None)
    @given(field=st.sampled_from(["tiers", "window_start", "window_hours", "stock", "deposit", "deposit_value",
                                  "depth", "threshold"]), value=values, i=st.integers(0, 5))
    def check(field, value, i):
        try:
            offers, _a = plan_from_json(_with(i, **{field: value}), DS, list("abcdef"))
        except DataError:
            return
        for o in offers:  # what loads is a valid, priced offer
            b = base(B10, items=np.ones(10), hours=HOURS, aov=50.0)
            f = forecast_segment(o, b, A)
            assert f["profit_low"] <= f["incremental_profit"] + 1e-9 <= f["profit_high"] + 2e-9
    check()
