import math

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from promo_core.kpis import daily_activity, funnel, summarise
from promo_core.quality import load_dataset

EVENTS = """user,time,event,item,price,qty,order
a,2024-01-01 10:00,view,X,,,
a,2024-01-01 10:01,cart,X,,,
a,2024-01-01 10:02,purchase,X,10,2,o1
a,2024-01-03 10:02,purchase,Y,5,1,o2
b,2024-01-01 11:00,view,X,,,
b,2024-01-02 11:00,view,Y,,,
c,2024-01-03 12:00,view,Y,,,
c,2024-01-03 12:01,cart,Y,,,
c,2024-01-03 12:02,purchase,Y,5,4,o3
d,2024-01-03 12:02,purchase,Z,7,1,o4
"""


def ds():
    return load_dataset(EVENTS.encode(), "k.csv")


def test_kpis_by_hand():
    k = summarise(ds().events)
    assert k.revenue == 10 * 2 + 5 + 5 * 4 + 7 == 52
    assert k.orders == 4 and k.buyers == 3 and k.users == 4
    assert math.isclose(k.average_order_value, 13.0)
    # viewers a, b, c; of them a and c bought (d bought without viewing: not in the denominator)
    assert (k.conversion.successes, k.conversion.trials) == (2, 3)
    low, high = proportion_confint(2, 3, method="wilson")
    assert math.isclose(k.conversion.low, low) and math.isclose(k.conversion.high, high)
    assert (k.repeat_purchase.successes, k.repeat_purchase.trials) == (1, 3)


def test_daily_activity_fills_gaps_and_sums_revenue():
    d = daily_activity(ds().events)
    assert d["date"].tolist() == list(pd.date_range("2024-01-01", "2024-01-03"))
    assert d["revenue"].tolist() == [20.0, 0.0, 32.0]
    assert d["view"].tolist() == [2, 1, 1] and d["purchase"].tolist() == [1, 0, 3]


def test_funnel_users_per_stage():
    f = funnel(ds().events)
    assert f["users"].tolist() == [3, 2, 3]
    assert f["share_of_first"].tolist()[1] == 200 / 3


def test_orders_without_order_id_are_user_days():
    text = "user,time,price\na,2024-01-01 10:00,1\na,2024-01-01 18:00,1\na,2024-01-02 10:00,1\nb,2024-01-01 10:00,1\n"
    k = summarise(load_dataset(text.encode(), "n.csv").events)
    assert k.orders == 3 and k.conversion is None and k.repeat_purchase.successes == 1


def test_funnel_empty_without_views():
    text = "user,time,price\na,2024-01-01 10:00,1\n"
    assert funnel(load_dataset(text.encode(), "n.csv").events).empty


def test_stray_days_by_hand():
    """Ten busy days and three lone events weeks earlier: the core, the count outside and its share."""
    import pandas as pd

    from promo_core.kpis import stray_days
    dates = pd.date_range("2024-01-01", "2024-03-10", freq="D")
    view = pd.Series(0, index=dates)
    view[pd.Timestamp("2024-01-01")] = 1
    view[pd.Timestamp("2024-01-20")] = 2
    view[pd.date_range("2024-03-01", "2024-03-10")] = 1000
    daily = pd.DataFrame({"date": dates, "revenue": 0.0, "view": view.to_numpy()})
    s = stray_days(daily)
    assert (s["core_first"], s["core_last"]) == (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-10"))
    assert s["outside"] == 3 and s["share_inside"] == 10_000 / 10_003 and s["first"] == pd.Timestamp("2024-01-01")
    # spread evenly, or stray events that are not few: nothing to say
    assert stray_days(daily.assign(view=5)) is None
    assert stray_days(daily.assign(view=view.where(view > 0, 30).to_numpy())) is None
