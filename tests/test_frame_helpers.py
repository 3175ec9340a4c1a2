"""The display helpers of the frame: tiles, days, column labels, messages kept in English until shown."""

from __future__ import annotations

import copy
import pickle

import pandas as pd
import pytest

from promo_core.i18n import locale_context
from promo_core.schema import DataError, Msg, tr
from promo_core.segments import name_segments
from ui.tables import display_frame, events_spec, fmt_days, profile_spec
from ui.widgets import removed_delta, tile


@pytest.mark.parametrize(("x", "symbol", "shown", "exact"), [
    (442_790.47, "£", "£442.79K", "Exactly £442,790"),   # money from 100,000: short, exact in the help
    (99_999.0, "£", "£99,999", None),
    (541_909, None, "541,909", None),                     # counts whole up to 10 million
    (12_345_678, None, "12.35M", "Exactly 12,345,678"),
    (None, "£", "–", None),
])
def test_tiles_are_short_with_the_exact_figure_in_the_help(x, symbol, shown, exact):
    with locale_context("en"):
        assert tile(x, symbol) == (shown, exact)


def test_tiles_in_chinese_use_wan():
    with locale_context("zh_CN"):
        assert tile(442_790.47, "¥") == ("¥44.28万", "精确值 ¥442,790")


def test_rows_removed_reads_right_and_vanishes_at_zero():
    with locale_context("en"):
        assert removed_delta(149_217) == {"delta": "149,217 removed", "delta_color": "off", "delta_arrow": "off"}
        assert removed_delta(0) == {}


@pytest.mark.parametrize(("days", "en", "zh"), [(325.5826, "326 days", "326 天"), (0.3, "less than a day", "不到一天"),
                                                (1.2, "1 day", "1 天"), (None, "–", "–"), (float("nan"), "–", "–")])
def test_days(days, en, zh):
    with locale_context("en"):
        assert fmt_days(days) == en
    with locale_context("zh_CN"):
        assert fmt_days(days) == zh


def test_profile_columns_get_labels_and_units():
    df = pd.DataFrame({"recency_days": [325.5826], "share_of_users_pct": [27.2], "purchase_interval_days": [4.6],
                       "mean_monetary": [85.3196], "share_Tea": [0.458], "age_band": ["35-44"]})
    with locale_context("en"):
        spec = profile_spec(df.columns)
        shown = display_frame(df, spec, "£")
    assert list(shown.columns) == ["Days since last purchase", "Share of users", "Days between purchases",
                                   "Average: Net sales", "Share of spend: Tea", "age band"]
    assert shown.iloc[0].tolist() == ["326 days", "27.2%", "5 days", "£85", "45.8%", "35-44"]
    with locale_context("zh_CN"):
        assert profile_spec(["purchase_interval_days"])["purchase_interval_days"][0] == "购买间隔天数"


def test_event_columns_are_labelled_and_event_types_in_words():
    df = pd.DataFrame({"user_id": ["a"], "event": ["cart"], "price": [2.5], "discount: coupon": [0.5]})
    with locale_context("zh_CN"):
        shown = display_frame(df, events_spec(df.columns), "¥")
    assert list(shown.columns) == ["顾客", "事件", "单价", "来自 coupon 的折扣"]
    assert shown.iloc[0].tolist() == ["a", "加购", "¥2.50", "¥0.50"]


def test_msg_is_english_text_that_translates_where_shown_and_survives_the_cache():
    m = Msg("'{feature}' is the same for every user and was left out", feature="views")
    assert m == "'views' is the same for every user and was left out"
    back = pickle.loads(pickle.dumps(m))
    assert isinstance(back, Msg) and back == m and copy.deepcopy(m).values == {"feature": "views"}
    with locale_context("zh_CN"):
        assert tr(back) == "“views”对所有用户都相同，已被排除"
        assert tr("Champions") == "重要价值客户"
        assert tr("a value from the file") == "a value from the file"


def test_generated_segment_names_read_in_both_languages():
    centers = pd.DataFrame({"frequency": [1.5, -1.0], "monetary": [1.2, -0.9], "recency_days": [0.0, 1.4]})
    names = name_segments(centers)
    assert names == {0: "Frequent, high spend", 1: "Not bought for a while, rarely buys"}
    names = pickle.loads(pickle.dumps(names))
    with locale_context("zh_CN"):
        assert tr(names[0]) == "高频购买、高消费" and tr(names[1]) == "有段时间没买、很少购买"


def test_data_error_paragraph_in_chinese():
    with locale_context("zh_CN"):
        exc = DataError("Only 3 users: too few to form segments", where="the file", hint="Try 90")
        assert str(exc) == "Only 3 users: too few to form segments。 位置：the file。 处理建议：可以试试 90。"
