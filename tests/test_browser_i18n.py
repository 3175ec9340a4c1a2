"""The language in a real browser: ?lang=, the sidebar picker, and the language kept across pages."""

from __future__ import annotations

import pytest

from .browser import assert_no_exception, choose, nav, wait_idle

pytestmark = pytest.mark.browser


def test_picker_switches_to_chinese_and_the_language_follows_the_pages(server, browser):
    ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(server + "/", wait_until="domcontentloaded")
    wait_idle(page, timeout=180_000)
    assert page.locator("h1").first.inner_text() == "Data"
    assert "lang=en" in page.url
    choose(page, "Language", "简体中文")
    assert page.locator("h1").first.inner_text() == "数据"
    assert "lang=zh" in page.url
    nav(page, "客户分群")
    assert page.locator("h1").first.inner_text() == "客户分群"
    assert page.get_by_text("当前数据集").count() >= 1  # the sidebar is drawn in Chinese too
    assert_no_exception(page, "i18n-segments")
    ctx.close()


def test_a_shared_link_opens_in_its_language(server, browser):
    ctx = browser.new_context(locale="en-US")
    page = ctx.new_page()
    page.goto(server + "/?lang=zh", wait_until="domcontentloaded")
    wait_idle(page, timeout=180_000)
    assert page.locator("h1").first.inner_text() == "数据"
    ctx.close()
