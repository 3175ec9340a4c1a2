"""Real-browser smoke test: every registered page, the real uploader, no exception box."""

import pytest

from ui.registry import PAGES

from .browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    assert_no_exception,
    require_chromium,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

GOOD = ("customer,time,event,item,price,qty,order\n"
        "a,2024-01-01 10:00,view,X,,,\na,2024-01-01 10:02,purchase,X,10,2,o1\n"
        "b,2024-01-02 11:00,purchase,Y,5,1,o2\n")


@pytest.fixture(scope="module")
def browser_page():
    require_chromium()
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.set_default_timeout(60_000)
        page.goto(url)
        wait_idle(page)
        yield url, page, browser
        browser.close()


def sidebar_text(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.title)
def test_page_opens_without_exception(browser_page, spec):
    url, page, _ = browser_page
    page.goto(url if spec is PAGES[0] else f"{url}/{spec.url_path}")
    wait_idle(page)
    assert_no_exception(page, spec.title)
    assert page.locator("h1").first.inner_text().strip() == spec.title
    page.screenshot(path=str(ARTIFACTS / f"page-{spec.url_path}.png"), full_page=True)


def test_upload_bad_then_good_file_through_the_real_uploader(browser_page, tmp_path):
    url, _, browser = browser_page
    page = browser.new_context(viewport={"width": 1400, "height": 2600}).new_page()  # a session of its own
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_idle(page)
    assert "226,791" in sidebar_text(page)
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02binary junk" * 100)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    page.locator('[data-testid="stAlert"]').first.wait_for()
    wait_idle(page)
    assert_no_exception(page, "bad upload")
    assert "dataset in use is unchanged" in page.locator('[data-testid="stAlert"]').first.inner_text()
    assert "226,791" in sidebar_text(page)
    good = tmp_path / "shop.csv"
    good.write_text(GOOD)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(good))
    page.get_by_role("button", name="Use this data").wait_for()
    wait_idle(page)
    assert_no_exception(page, "good upload")
    page.get_by_role("button", name="Use this data").click()
    page.locator('[data-testid="stSidebar"]').get_by_text("shop.csv").first.wait_for(timeout=180_000)  # late rerun
    wait_idle(page)
    assert_no_exception(page, "accepted upload")
    side = sidebar_text(page)
    assert "shop.csv" in side and "226,791" not in side
    page.screenshot(path=str(ARTIFACTS / "upload-accepted.png"), full_page=True)
    page.get_by_role("button", name="Use sample data").click()
    page.locator('[data-testid="stSidebar"]').get_by_text("226,791").first.wait_for(timeout=180_000)  # late rerun
    wait_idle(page)
