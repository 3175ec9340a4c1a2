"""The analysis pages' core texts in English and Chinese: verdicts, DataErrors, the HTML report, chart
labels, readable p-values and money. The numbers stay the same in both languages; only the words change."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from promo_core import charts
from promo_core.abtest import (
    compare_all,
    from_aggregated,
    from_users,
    p_text,
    sample_ratio,
)
from promo_core.i18n import locale_context
from promo_core.report import report_html, revenue_frame, sample_size_reading
from promo_core.roi import compute_roi, money_assumptions, roi_frame, verdict
from promo_core.rules import make_baskets, make_rules, mine_itemsets
from promo_core.schema import DataError

AGG = pd.DataFrame({"variant": ["control", "Coupon B"], "users": [10000, 10000], "conversions": [310, 360]})
USERS = pd.DataFrame({
    "variant": ["c", "c", "c", "c", "t", "t", "t", "t"] * 30,
    "converted": [1, 0, 1, 0, 1, 1, 1, 0] * 30,
    "revenue": [100.0, 0, 50, 0, 90, 45, 90, 0] * 30,
    "discount": [0.0, 0, 0, 0, 10, 5, 10, 0] * 30,
    "cost": [0.0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5] * 30,
})


def comparison():
    exp = from_aggregated(AGG)
    return exp, compare_all(exp, "control")[0]


@pytest.mark.parametrize(("locale", "start", "chance"), [
    ("en", "Coupon B raised conversion from 3.1% to 3.6% (+16%, 95% CI ", "the gain is unlikely to be chance"),
    ("zh_CN", "Coupon B 将转化率从 3.1% 提升至 3.6%（+16%，95% 置信区间 ", "提升不太可能是偶然"),
])
def test_verdict_in_both_languages_has_the_same_numbers(locale, start, chance):
    _exp, cmp = comparison()
    with locale_context(locale):
        text = verdict(cmp)
    assert text.startswith(start) and chance in text
    # the numbers are the reference ones (C1-like: p from the pooled z-test), the same in both languages
    from statsmodels.stats.proportion import proportions_ztest
    reference = proportions_ztest([360, 310], [10000, 10000])[1]
    assert cmp.p_value == pytest.approx(reference) and f"p = {p_text(cmp.p_value)}" in text  # 0.049 in both


def test_verdict_money_sentence_translates_its_assumptions_and_never_writes_symbol_minus():
    exp = from_users(USERS, "variant", "converted", "revenue", "cost", "discount")
    cmp = compare_all(exp, "c")[0]
    roi = compute_roi(exp, cmp, 0.4, margin_is_default=True, contact_cost=0.5, contact_is_default=True)
    with locale_context("en"):
        en = verdict(cmp, roi)
        assert money_assumptions(roi) == ("gross margin 40% (the default — set your own) and contact cost £0.50 per "
                                          "treated user (the default — set your own)")
    with locale_context("zh_CN"):
        zh = verdict(cmp, roi, "¥")
        assert money_assumptions(roi, "¥") == ("毛利率 40%（默认值——请设置您自己的）和每位实验组用户触达成本 "
                                                    "¥0.50（默认值——请设置您自己的）")
    assert "After discounts and contact costs" in en and "扣除折扣和触达成本后" in zh
    assert "£-" not in en and "¥-" not in zh
    lo, hi = roi.roi_ci.low, roi.roi_ci.high
    assert f"{abs(lo):.2f}" in en and f"{abs(hi):.2f}" in en and f"{abs(lo):.2f}" in zh  # same figures


def test_dataerror_texts_follow_the_language():
    bad = USERS.assign(converted=["maybe"] * len(USERS))
    with locale_context("en"), pytest.raises(DataError, match="must say whether each user converted"):
        from_users(bad, "variant", "converted")
    with locale_context("zh_CN"), pytest.raises(DataError) as err:
        from_users(bad, "variant", "converted")
    assert "必须标明每个用户是否转化" in err.value.what and "'converted'" in err.value.what
    with locale_context("zh_CN"), pytest.raises(DataError) as err:
        from_users(USERS, "variant", "no_such_column")
    assert err.value.what == "实验文件中没有列 'no_such_column'" and "请从列表中选择列" == err.value.hint


def test_rule_notes_and_guard_errors_in_chinese():
    events = pd.DataFrame({"user_id": ["a", "b", "c"], "timestamp": pd.to_datetime(["2024-01-01"] * 3),
                           "event": ["purchase"] * 3, "item_id": ["x", "y", "z"], "order_id": ["1", "2", "3"]})
    b = make_baskets(events)
    with locale_context("zh_CN"):
        rules = make_rules(mine_itemsets(b, 0.3), b.n)
        assert rules.notes == ("在这个最小支持度下，没有任何两件商品被足够频繁地一起购买；降低支持度即可看到规则",)
        with pytest.raises(DataError) as err:
            mine_itemsets(b, 0.0)
    assert err.value.what.startswith("最小支持度必须是 0 到 1 之间的比例")


@pytest.mark.parametrize(("p", "text"), [(0.0, "< 0.0001"), (3e-9, "< 0.0001"), (0.0213, "0.021"), (1.0, "1"),
                                          (float("nan"), "–"), (None, "–")])
def test_p_values_in_tables_are_never_zero(p, text):
    assert p_text(p) == text


def test_html_report_is_in_the_screen_language_with_the_same_figures():
    exp, cmp = comparison()
    roi = compute_roi(exp, cmp, 0.4)
    srm = sample_ratio(exp)
    with locale_context("en"):
        en = report_html("Report", exp, "control", [cmp], [roi], srm, [], "£", 0.05)
    with locale_context("zh_CN"):
        zh = report_html("报告", exp, "control", [cmp], [roi], srm, [], "¥", 0.05)
    assert "<html lang='en'>" in en and "<h2>Verdict</h2>" in en and "Control conversion" in en
    assert "<html lang='zh-CN'>" in zh and "<h2>结论</h2>" in zh and "对照组转化率" in zh and "如何阅读本报告" in zh
    for words in ("Verdict", "Variants", "Comparisons with the control", "How to read this report"):
        assert f">{words}<" not in zh
    # the same formatted numbers: 3.10% → 3.60%, +0.50 pp, 10,000 users
    for figure in ("3.10%", "3.60%", "+0.50 pp", "10,000"):
        assert figure in en and figure in zh
    assert "rate_control" not in en and "abs_ci_low" not in en  # no machine names on the page


def test_report_escapes_file_text_in_both_languages():
    agg = AGG.assign(variant=["control", "<script>x</script>"])
    exp = from_aggregated(agg)
    cmp = compare_all(exp, "control")[0]
    with locale_context("zh_CN"):
        html = report_html("<b>t</b>", exp, "control", [cmp], [compute_roi(exp, cmp, 0.4)], sample_ratio(exp), [])
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html and "<b>t</b>" not in html


def test_sample_size_reading_in_chinese_keeps_the_reference_numbers():
    with locale_context("zh_CN"):
        text = sample_size_reading(14_745, 2, 30, 1000, 5000, 0.25)
    assert text.startswith("**每组 14,745 位用户**（共 29,490 位）") and "**30 天**" in text and "+25%" in text


def test_frames_behind_tables_keep_numbers_and_machine_names():
    exp = from_users(USERS, "variant", "converted", "revenue", "cost", "discount")
    cmp = compare_all(exp, "c")[0]
    rev = revenue_frame([cmp])
    assert rev.loc[0, "revenue_diff"] == pytest.approx(cmp.revenue_diff)
    assert rev.loc[0, "revenue_low"] == pytest.approx(cmp.revenue_ci.low)
    money = roi_frame([compute_roi(exp, cmp, 0.4)])
    assert list(money.columns)[:3] == ["treatment", "incremental_conversions", "conversions_low"]
    assert money.loc[0, "incremental_profit"] == pytest.approx(compute_roi(exp, cmp, 0.4).incremental_profit)


def _texts(fig) -> str:
    return json.dumps(fig.to_plotly_json()["layout"], ensure_ascii=False) + json.dumps(
        [{k: v for k, v in t.items() if k in ("name", "hovertemplate", "x")} for t in fig.to_plotly_json()["data"]],
        ensure_ascii=False, default=str)


def test_chart_text_is_translated_when_the_chart_is_built():
    curves = pd.DataFrame({"share_targeted": [0.0, 0.5, 1.0], "model": [0, 5, 6], "random": [0, 3, 6]})
    profit = pd.DataFrame({"share_targeted": [0.0, 0.5, 1.0], "incremental_profit": [0.0, 120.0, -40.0]})
    table = pd.DataFrame({"treatment": ["B"], "rel_lift": [0.1], "low": [0.02], "high": [0.2]})
    with locale_context("zh_CN"):
        zh = [_texts(charts.fig_qini(curves)), _texts(charts.fig_profit_curve(profit, "¥")),
              _texts(charts.fig_lift_forest(table))]
    with locale_context("en"):
        en = [_texts(charts.fig_qini(curves)), _texts(charts.fig_profit_curve(profit, "£")),
              _texts(charts.fig_lift_forest(table))]
    assert "Qini 曲线" in zh[0] and "增益模型" in zh[0] and "Uplift model" not in zh[0]
    assert "增量利润（¥）" in zh[1] and "前 50%" in zh[1]
    assert "相对对照组的提升" in zh[2]
    assert "Qini curve" in en[0] and "Incremental profit (£)" in en[1] and "best: top 50%" in en[1]
    assert "Relative lift over the control" in en[2]
