"""Real Chromium, issue 17: a marketer points the app at a folder of Parquet files on the server; it is read
and cleaned in DuckDB and every analysis page opens on it."""

import pandas as pd
import pytest

from .browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    assert_no_exception,
    nav,
    require_chromium,
    streamlit_server,
    wait_idle,
)
from .conftest import SAMPLE

pytestmark = pytest.mark.browser


def test_a_server_folder_runs_in_the_engine_through_every_page(tmp_path):
    require_chromium()
    from playwright.sync_api import sync_playwright
    events = pd.read_csv(SAMPLE / "events.csv.gz")
    shop = tmp_path / "shop" / "events"
    shop.mkdir(parents=True)
    half = len(events) // 2
    events.iloc[:half].to_parquet(shop / "part-0.parquet", index=False)
    events.iloc[half:].to_parquet(shop / "part-1.parquet", index=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[sources]\nallowed_dirs = ["{tmp_path / "shop"}"]\nengine_above_mb = 0\n')
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server("--secrets.files", str(secrets)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.set_default_timeout(180_000)
        page.goto(url)
        wait_idle(page)
        page.get_by_text("Load from the server").click()
        wait_idle(page)
        page.get_by_role("textbox", name="File, folder or pattern inside it").fill("events/*.parquet")
        page.get_by_role("textbox", name="File, folder or pattern inside it").press("Enter")
        page.get_by_text("DuckDB engine on the server").first.wait_for()
        wait_idle(page)
        page.get_by_role("button", name="Read", exact=True).click()
        page.get_by_role("button", name="Use this data").wait_for()
        wait_idle(page)
        assert_no_exception(page, "engine read")
        body = page.locator("body").inner_text()
        assert "Validated and cleaned in the DuckDB engine" in body and "first 2" in body
        page.get_by_role("button", name="Use this data").click()
        page.locator('[data-testid="stSidebar"]').get_by_text("2 files matching").first.wait_for()
        wait_idle(page)
        assert_no_exception(page, "engine accepted")
        page.get_by_text("Preview and download of the cleaned data").click()
        page.get_by_text("stay in the engine on the server").wait_for()
        page.screenshot(path=str(ARTIFACTS / "engine-data.png"), full_page=True)
        for title in ("Segments", "Value & lifecycle", "Basket rules", "Promotion planner"):
            nav(page, title)
            # the Value page computes propensity, the back-test and lifetime value in the engine: on a loaded machine
            # the click can land while it still runs, and the next page's title comes after that run ends
            page.locator("h1").filter(has_text=title).first.wait_for(timeout=420_000)
            wait_idle(page)
            assert_no_exception(page, f"engine {title}")
            assert page.locator("h1").first.inner_text().strip() == title
        page.screenshot(path=str(ARTIFACTS / "engine-planner.png"), full_page=True)
        browser.close()
