"""In a real browser the CLV section fills in by itself: the page shows a status while the model warms up
or fits, its fragment polls, and the results appear without a click (issue 16)."""

import time

import pytest

from .browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    assert_no_exception,
    require_chromium,
    streamlit_server,
)

pytestmark = pytest.mark.browser


def test_lifetime_value_appears_without_a_click():
    require_chromium()
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 3000})
        page.set_default_timeout(60_000)
        page.goto(f"{url}/value_groups")
        page.get_by_text("Customer lifetime value", exact=True).first.wait_for()
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and page.get_by_text("Total lifetime value").count() == 0:
            time.sleep(2)
        assert page.get_by_text("Total lifetime value").count() > 0, "the section never filled in"
        assert_no_exception(page, "Value & lifecycle")
        page.screenshot(path=str(ARTIFACTS / "clv-section.png"), full_page=True)
        browser.close()
