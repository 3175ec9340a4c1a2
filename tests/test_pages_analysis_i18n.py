"""The analysis pages (Basket rules, Recommendations, Uplift, A/B tests) read as a marketer reads: every table
column has a human label (no machine names on screen), and the pages follow the chosen language."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT, open_page

PAGES = ["views/abtest.py", "views/rules.py", "views/recommendations.py", "views/uplift.py"]
MACHINE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # rate_control, abs_ci_low, share_of_users_pct…


def labels(at) -> list[tuple[str, str]]:
    """(column, label shown) for every column of every table on the page."""
    out = []
    for df in at.dataframe:
        config = json.loads(df.proto.columns or "{}")
        for col in df.value.columns:
            label = (config.get(str(col)) or config.get(f"col:{col}") or {}).get("label")
            out.append((str(col), label or str(col)))
    return out


@pytest.mark.parametrize("page", PAGES)
def test_every_table_column_has_a_human_label(page):
    at = open_page(page)
    shown = labels(at)
    assert shown or page == "views/uplift.py", "the page shows at least one table"  # uplift: charts only
    raw = [(c, lab) for c, lab in shown if MACHINE.match(lab)]
    assert not raw, f"machine column names on screen: {raw}"


def test_ab_page_tables_read_rates_p_values_and_money():
    at = open_page("views/abtest.py")
    shown = dict(labels(at))
    assert shown["rate_control"] == "Control conversion" and shown["p_adjusted_text"] == "p-value (adjusted)"
    assert shown["abs_ci_low"] == "95% interval: from" and shown["chance_to_beat"] == "Chance to beat control"
    table = next(df.value for df in at.dataframe if "p_text" in df.value.columns)
    assert all(p != "0" and p for p in table["p_text"])  # never printed as 0
    # short labels (no more cut-off "Holm (controls a…"), the explanation in the help
    adjust = at.selectbox(key="ab_adjust")
    assert adjust.options == ["Holm", "Benjamini-Hochberg", "None"] and "false discoveries" in adjust.help
    assert {b.label for b in at.get("download_button")} >= {"Report (HTML)", "Report (JSON)"}


@pytest.mark.parametrize(("page", "title"), [("views/abtest.py", "A/B 测试"), ("views/rules.py", "购物篮规则"),
                                             ("views/recommendations.py", "商品推荐"),
                                             ("views/uplift.py", "增益（Uplift）定向")])
def test_pages_in_chinese_through_the_url(page, title):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert at.title[0].value == title
    shown = labels(at)
    assert not [lab for _c, lab in shown if MACHINE.match(lab)]
    if page == "views/abtest.py":
        verdicts = [i.value.replace("\\", "") for i in at.info if i.icon == ":material/gavel:"]
        assert verdicts and all("将转化率从" in v for v in verdicts)
        assert "对照组转化率" in dict(shown).values()
