import numpy as np
import pandas as pd
import pytest

from promo_core.abtest import compare_all, from_aggregated, from_users
from promo_core.roi import compute_roi, verdict
from promo_core.schema import DataError

USERS = pd.DataFrame({
    "variant": ["c", "c", "c", "c", "t", "t", "t", "t"],
    "converted": [1, 0, 1, 0, 1, 1, 1, 0],
    "revenue": [100.0, 0, 50, 0, 90, 45, 90, 0],      # net of discount
    "discount": [0.0, 0, 0, 0, 10, 5, 10, 0],
    "cost": [0.0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5],
})


def test_roi_by_hand():
    exp = from_users(USERS, "variant", "converted", "revenue", "cost", "discount")
    cmp = compare_all(exp, "c")[0]
    r = compute_roi(exp, cmp, margin=0.4)
    # contribution = (revenue + discount) x 0.4 - discount - cost
    c = [40, 0, 20, 0]
    t = [40 - 10 - 0.5, 20 - 5 - 0.5, 40 - 10 - 0.5, -0.5]
    per_user = np.mean(t) - np.mean(c)
    assert r.incremental_profit == pytest.approx(per_user * 4)
    assert r.promotion_cost == pytest.approx(25 + 2)
    assert r.roi == pytest.approx(per_user * 4 / 27)
    assert r.incremental_conversions == pytest.approx((3 / 4 - 2 / 4) * 4)
    assert r.incremental_revenue == pytest.approx((225 / 4 - 150 / 4) * 4)
    assert r.incremental_profit_ci.low < r.incremental_profit < r.incremental_profit_ci.high
    # break-even: buyers' contribution t: (30+15+30)/3 = 25, c: (40+20)/2 = 30; p_c = 0.5, contact 0.5
    assert r.break_even_lift == pytest.approx((0.5 * 30 + 0.5) / 25 / 0.5 - 1)


def test_aggregated_roi_uses_revenue_times_margin():
    agg = from_aggregated(pd.DataFrame({"variant": ["c", "t"], "users": [1000, 1000], "conversions": [100, 130],
                                        "revenue_sum": [5000.0, 6000.0], "revenue_sum_sq": [500000.0, 600000.0]}),
                          cost_per_user=0.2, control="c")
    cmp = compare_all(agg, "c")[0]
    r = compute_roi(agg, cmp, margin=0.5)
    assert r.promotion_cost == pytest.approx(200)
    assert r.incremental_profit == pytest.approx((6 - 5) * 0.5 * 1000 - 200)
    assert "aggregated" in r.basis and "discounts not known" in verdict(cmp, r)


def test_verdict_sentence():
    exp = from_aggregated(pd.DataFrame({"variant": ["control", "Coupon B"], "users": [10000, 10000],
                                        "conversions": [310, 360]}))
    cmp = compare_all(exp, "control")[0]
    text = verdict(cmp)
    assert text.startswith("Coupon B raised conversion from 3.1% to 3.6% (+16%, 95% CI ")
    assert "unlikely to be chance (p = 0.0" in text
    flat = compare_all(from_aggregated(pd.DataFrame({"variant": ["control", "B"], "users": [1000, 1000],
                                                     "conversions": [50, 52]})), "control")[0]
    assert "could well be chance" in verdict(flat)


def test_margin_validated():
    exp = from_users(USERS, "variant", "converted", "revenue")
    with pytest.raises(DataError, match="margin"):
        compute_roi(exp, compare_all(exp, "c")[0], margin=1.5)
