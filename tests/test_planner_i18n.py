"""The planner's text in both languages: campaign brief, readings, mechanics, plan-file errors."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from promo_core.i18n import locale_context
from promo_core.offers import MECHANICS
from promo_core.promotions import Assumptions, Baseline, Offer, assumption_ranges, forecast, plan_from_json
from promo_core.report import campaign_brief_html
from promo_core.schema import DataError

B = Baseline("<b>VIP</b>", 1000, 0.1, 1.0, 50.0, np.array([20.0, 40, 60, 80, 100]), order_items=np.array(
    [1.0, 2, 3, 1, 2]))


def _fc(offers):
    return forecast(offers, {o.segment: B for o in offers}, Assumptions())


def test_campaign_brief_in_english_reads_money_the_right_way():
    offers = [Offer("<b>VIP</b>", "percent_off", 10, 0, 1.0, 0.5)]
    html = campaign_brief_html("Campaign brief", _fc(offers), asdict(Assumptions()), "£", offers=offers)
    assert "£-" not in html and "-£" in html and " to " in html
    assert "<b>VIP</b>" not in html and "&lt;b&gt;VIP&lt;/b&gt;" in html  # names escaped
    assert "Threshold top-up pull" in html and "Reading:" in html


def test_campaign_brief_in_chinese_with_the_mechanics():
    offers = [Offer("<b>VIP</b>", "member_points", 2.0, target_share=1.0, contact_cost=0.1)]
    with locale_context("zh_CN"):
        html = campaign_brief_html("活动简报", _fc(offers), asdict(Assumptions()), "¥", offers=offers)
    assert "预期增量利润" in html and "会员积分" in html and "积分兑换率" in html and "解读" in html
    assert "Expected incremental profit" not in html and "¥-" not in html


def test_every_mechanic_reads_in_chinese():
    with locale_context("zh_CN"):
        from promo_core.i18n import _
        for m in MECHANICS.values():
            for text in (m.name, m.sentence, m.method):
                assert _(text) != text
        labels = assumption_ranges(Assumptions())
        from promo_core.promotions import assumption_label
        assert all(assumption_label(k) != e or k == "margin" for k, e in zip(labels["key"], labels["assumption"],
                                                                               strict=True))
        assert Offer("s", "deposit_presale", deposit=20, deposit_value=50).label("¥") == "定金 ¥20 抵 ¥50"
        assert Offer("s", "flash_sale", 30, window_start=20, window_hours=2, stock=100).label("¥") == \
            "限时秒杀 30% 折扣 20:00–22:00, 100 件"


def test_plan_file_errors_in_both_languages():
    with pytest.raises(DataError, match="not a PromoScope plan"):
        plan_from_json('{"x": 1}', {}, [])
    with locale_context("zh_CN"), pytest.raises(DataError, match="不是 PromoScope 方案文件"):
        plan_from_json('{"x": 1}', {}, [])
