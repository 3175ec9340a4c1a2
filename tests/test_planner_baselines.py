"""Planner baselines from history that did not define the segment, ranged assumptions, optimiser table."""

import numpy as np
import pandas as pd
import pytest

from promo_core.features import customer_profiles
from promo_core.promotions import (
    Assumptions,
    Baseline,
    Offer,
    assumption_ranges,
    baseline_windows,
    baselines,
    forecast,
    forecast_segment,
    optimise,
    segmenter,
)
from promo_core.segments import rfm

B = Baseline("s", users=1000, conversion=0.10, orders_per_buyer=1.0, aov=50.0,
             order_values=np.array([20.0, 40, 60, 80, 100, 120, 70, 75, 30, 85]))


def toy_events():
    """Two customers over 60 days, 10-day campaign: 'a' buys on days 5, 25, 45 and 58; 'b' on day 12
    only. The last 10 days (50-60) are window 0 and never used."""
    end = pd.Timestamp("2024-03-01")
    rows = [("a", d) for d in (5, 25, 45, 58)] + [("b", 12)]
    ev = pd.DataFrame({"user_id": [u for u, _ in rows],
                       "timestamp": [end - pd.Timedelta(days=60 - d) for _, d in rows]})
    ev["event"] = pd.Categorical(["purchase"] * len(ev), categories=["view", "search", "click", "cart", "fav",
                                                                      "purchase"])
    ev["price"], ev["quantity"], ev["order_id"] = 10.0, 1.0, [f"o{i}" for i in range(len(ev))]
    return ev


def test_baseline_windows_by_hand():
    ev = toy_events()
    segs = pd.DataFrame({"user_id": ["a", "b"], "segment": ["x", "x"]})
    w = baseline_windows(ev, segs, horizon_days=10, windows=4)
    # end = day 58 (last event); window i starts at 58 - 10(i+1): 38, 28, 18, 8
    assert w["window_start"].tolist() == [ev["timestamp"].max() - pd.Timedelta(days=10 * (i + 1)) for i in (1, 2, 3, 4)]
    # [38,48): a (45) -> 1 of 2; [28,38): none; [18,28): a (25); [8,18): only a was a customer at
    # day 8 (b's first purchase on day 12 is not counted: b was not yet a customer to follow)
    assert w["buyers"].tolist() == [1, 0, 1, 0] and w["customers"].tolist() == [2, 2, 2, 1]
    b = baselines(ev, segs, 10, windows=4)["x"]
    assert b.conversion == pytest.approx((2 + 0.5) / (7 + 1)) and b.basis == "4 earlier windows"
    assert b.customers_observed == 7


def test_no_zero_baseline_and_population_fallback():
    ev = toy_events()
    # 'b' last bought on day 12: a 'lapsed' segment with no buyer in windows 1-2 still gets > 0
    segs = pd.DataFrame({"user_id": ["a", "b"], "segment": ["active", "lapsed"]})
    base = baselines(ev, segs, 10, windows=2)
    assert base["lapsed"].conversion == pytest.approx(0.5 / 3) and base["lapsed"].conversion > 0
    # a customer first seen in the last window has no history: the rate of all customers
    ev2 = pd.concat([ev, ev.iloc[[3]].assign(user_id="new", order_id="n1")], ignore_index=True)
    segs2 = pd.DataFrame({"user_id": ["a", "b", "new"], "segment": ["x", "x", "newbies"]})
    nb = baselines(ev2, segs2, 10, windows=2)["newbies"]
    assert nb.basis.startswith("all customers") and nb.conversion > 0


@pytest.mark.realdata
def test_online_retail_rfm_baselines_are_not_the_defining_window(online_retail):
    ds = online_retail
    s = rfm(customer_profiles(ds))
    segs = s[["user_id"]].assign(segment=s["rfm_segment"])
    base = baselines(ds.events, segs, 14, segment_at=segmenter("rfm", ds.events, returns=ds.returns,
                                                                   nonproduct=ds.nonproduct), nonproduct=ds.nonproduct)
    # the old baseline (bought in the last 14 days) gave Champions/New 1.0 and At Risk/Hibernating/Lost 0.0
    assert 0.2 < base["Champions"].conversion < 0.6 and base["New"].conversion < 0.5
    for name in ("At Risk", "Hibernating", "Lost"):
        assert 0.01 < base[name].conversion < 0.3, name
    # a win-back offer can now add orders
    f = forecast_segment(Offer("Lost", "percent_off", 10, 0, 1.0, 0.0), base["Lost"], Assumptions())
    assert f["incremental_orders"] > 0
    w = baseline_windows(ds.events, segs, 14, same_period_last_year=True,
                         segment_at=segmenter("rfm", ds.events, returns=ds.returns, nonproduct=ds.nonproduct))
    assert (w["kind"] == "same period last year").any()  # the data spans a year (2010-12-01 to 2011-12-09)


def test_assumed_effects_have_a_no_effect_low_end():
    a = Assumptions(elasticity={k: 0.0 for k in Assumptions().elasticity})
    f = forecast_segment(Offer("s", "bundle", 10, 0, 1.0, 0.0), B, a)
    # elasticity 0: the mid still counts the assumed 15% attach as new sales, the low end does not
    base_orders = 1000 * 0.10
    given = base_orders * 0.15 * 0.10 * 30.0
    assert f["profit_low"] == pytest.approx(-given)
    assert f["profit_low"] < f["incremental_profit"] < f["profit_high"]
    # percent off with assumed elasticity: low end = lift zero = discounts on orders that happen anyway
    g = forecast_segment(Offer("s", "percent_off", 10, 0, 1.0, 0.5), B, Assumptions())
    assert g["profit_low"] == pytest.approx(-(base_orders * 5.0) - 500)
    ranges = assumption_ranges(Assumptions())
    varied = ranges[ranges["assumption"] != "Gross margin"]
    assert (varied["low"] <= varied["no_effect"]).all() and (varied["no_effect"] <= varied["high"]).all()
    assert {"Bundle attach rate", "Threshold top-up pull"} <= set(ranges["assumption"])
    assert ranges["assumption"].str.startswith("Elasticity").sum() == 12  # 7 offer types + 5 Chinese mechanics
    assert ranges["assumption"].str.startswith("Redemption").sum() == 12
    fc = forecast([Offer("s", "percent_off", 10, 0, 1.0, 0.5)], {"s": B}, Assumptions())
    assert fc.iloc[-1]["profit_low"] == pytest.approx(g["profit_low"])


def test_runner_up_never_beats_the_choice():
    base = {"a": B, "b": Baseline("b", 500, 0.3, 1.2, 80.0, np.array([60.0, 90, 120]))}
    for budget in (50.0, 300.0, 800.0, 5000.0):
        opt = optimise(base, Assumptions(), budget=budget)
        r = opt.reasons
        assert ((r["runner_up_profit"] <= r["expected_profit"] + 1e-9) | r["runner_up_profit"].isna()).all()
        over = r["better_but_over_budget_profit"]
        assert ((over > r["expected_profit"]) | over.isna()).all()
    tight = optimise(base, Assumptions(), budget=50.0).reasons
    assert (tight["better_but_over_budget"] != "").any()  # a tight budget rules out the best offers
