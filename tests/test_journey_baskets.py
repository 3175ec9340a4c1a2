"""The basket-file journey in a real browser: upload a basket file → Basket rules → bundles →
Recommendations (Debian chromium + Playwright), with no exception and results on every step."""

import sys

import pytest

from .browser import (
    ARTIFACTS,
    assert_no_exception,
    metric,
    nav,
    slide,
    wait_idle,
)
from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from synth import groceries_like, write_basket_file  # noqa: E402

pytestmark = pytest.mark.browser


def test_basket_file_journey(server, browser, tmp_path):
    path = tmp_path / "groceries.csv"
    write_basket_file(groceries_like(), path)
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    page.set_default_timeout(120_000)
    page.goto(server)
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.get_by_role("button", name="Use this data").wait_for(timeout=120_000)
    wait_idle(page)
    assert_no_exception(page, "basket upload")
    page.get_by_role("button", name="Use this data").click()
    page.locator('[data-testid="stSidebar"]').get_by_text("groceries.csv").first.wait_for(timeout=180_000)  # the rerun may start late
    wait_idle(page)

    nav(page, "Basket rules")
    assert_no_exception(page, "basket rules")
    assert metric(page, "Baskets mined") == "9,835"
    before = int(metric(page, "Rules shown").replace(",", ""))
    assert before > 0
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "no length limit" in main and "all 9,835 baskets counted" in main
    slide(page, "Minimum support", -2)  # 1% → 0.3%: more rules, mined again
    assert_no_exception(page, "basket rules support")
    assert int(metric(page, "Rules shown").replace(",", "")) > before
    page.locator('[data-testid="stMain"]').get_by_text("Bundles & cross-sell", exact=True).first.click()
    wait_idle(page)
    assert_no_exception(page, "bundles")
    assert page.get_by_text("Bundle suggestions").count() and page.get_by_text("Cross-sell offers").count()
    page.screenshot(path=str(ARTIFACTS / "journey-baskets-1-bundles.png"), full_page=True)

    nav(page, "Recommendations")
    assert_no_exception(page, "recommendations")
    assert metric(page, "Hit rate @ 10").endswith("%")
    page.get_by_role("tab", name="Per segment").click()
    wait_idle(page)
    assert "segments need times" in page.locator('[data-testid="stMain"]').inner_text()
    assert_no_exception(page, "recommendations per segment")
    page.screenshot(path=str(ARTIFACTS / "journey-baskets-2-recommendations.png"), full_page=True)
