"""The analysis pages in a real browser at 1280 and 1920 px: no widget label or button cut off with '…',
no exception box. Screenshots go to test-artifacts/."""

import pytest

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

PAGES = [("abtest", "A/B tests"), ("rules", "Basket rules"), ("recommendations", "Recommendations"),
         ("uplift", "Uplift targeting")]
#: text elements that Streamlit shortens with an ellipsis when they do not fit
CUT = """() => [...document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebar"] *')]
  .filter(e => getComputedStyle(e).textOverflow === 'ellipsis' && e.innerText && e.innerText.trim()
          && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.innerText)"""


@pytest.fixture(scope="module")
def server_and_browser():
    require_chromium()
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield url, browser
        browser.close()


@pytest.mark.parametrize("width", [1280, 1920])
@pytest.mark.parametrize(("path", "title"), PAGES, ids=[p for p, _t in PAGES])
def test_no_label_is_cut_off(server_and_browser, path, title, width):
    url, browser = server_and_browser
    page = browser.new_page(viewport={"width": width, "height": 1400})
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{url}/{path}")
        wait_idle(page, 180_000)
        assert_no_exception(page, title)
        assert page.locator("h1").first.inner_text().strip() == title
        page.screenshot(path=str(ARTIFACTS / f"analysis-{path}-{width}.png"), full_page=True)
        cut = page.evaluate(CUT)
        assert not cut, f"cut-off labels on {title} at {width} px: {cut}"
    finally:
        page.close()
