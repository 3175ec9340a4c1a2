"""The three journeys of DESIGN.md in a real browser (Debian chromium + Playwright)."""

import csv
import io
import time

import pytest

from ui.registry import PAGES

from .browser import (
    ARTIFACTS,
    assert_no_exception,
    choose,
    metric,
    nav,
    peak_rss_mb,
    slide,
    wait_idle,
)
from .conftest import ONLINE_RETAIL, need

pytestmark = pytest.mark.browser


def new_page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 2600}, accept_downloads=True)
    page.set_default_timeout(120_000)
    page.goto(url)
    wait_idle(page)
    return page


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)


@pytest.mark.realdata
def test_marketer_journey(server, browser):
    page = new_page(browser, server)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(need(ONLINE_RETAIL)))
    page.get_by_text("Quality report for online_retail").wait_for(timeout=180_000)
    wait_idle(page)
    assert_no_exception(page, "upload")
    assert metric(page, "Rows read") == "541,909" and metric(page, "Users") == "4,338"
    assert metric(page, "Rows kept") == "392,692"
    shot(page, "1-quality-report")
    page.get_by_role("button", name="Use this data").click()
    # the rerun that swaps the dataset may start after wait_idle has looked (a loaded CI machine): wait for it
    page.locator('[data-testid="stSidebar"]').get_by_text("online_retail.csv.gz").first.wait_for(timeout=180_000)
    wait_idle(page)

    nav(page, "Segments")
    assert_no_exception(page, "segments")
    page.locator('[data-testid="stSidebar"]').get_by_text("Choose the number of segments automatically").click()
    wait_idle(page)
    before = metric(page, "Segments")
    slide(page, "Number of segments", 2)
    assert_no_exception(page, "segments k")
    assert metric(page, "Segments") != before
    shot(page, "2-segments")

    nav(page, "Basket rules")
    rules_before = metric(page, "Rules shown")
    slide(page, "Minimum support", 1)
    assert_no_exception(page, "rules support")
    assert int(metric(page, "Rules shown").replace(",", "")) < int(rules_before.replace(",", ""))
    shot(page, "3-rules")

    nav(page, "Promotion planner")
    assert_no_exception(page, "planner")
    choose(page, "Offer", "Percent off")
    profit_before = metric(page, "Expected incremental profit")
    slide(page, "Depth", 10)
    assert metric(page, "Expected incremental profit") != profit_before
    page.get_by_role("button", name="Run optimiser").click()
    wait_idle(page)
    page.get_by_role("button", name="Apply this plan").click()
    wait_idle(page)
    assert_no_exception(page, "optimiser")
    shot(page, "4-planner")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Target list").first.click()
    rows = list(csv.DictReader(io.StringIO(dl.value.path().read_text(encoding="utf-8-sig"))))
    assert rows and set(rows[0]) == {"user_id", "segment", "offer", "offer_type", "depth", "threshold",
                                     "offer_spec", "expected_uplift"}
    assert all(r["offer_type"] != "none" for r in rows)
    mb = peak_rss_mb(server.pid)
    (ARTIFACTS / "memory.txt").write_text(f"peak RSS of the server after the marketer journey: {mb:.0f} MB\n")
    assert mb < 2048


def test_manager_journey(server, browser):
    page = new_page(browser, server + "/abtest")
    verdicts = page.locator('[data-testid="stAlertContentInfo"]')
    assert "conversion from" in verdicts.first.inner_text()
    choose(page, "Control", "10% off")
    assert_no_exception(page, "control switch")
    page.locator('[data-testid="stMain"]').get_by_text("control lowered conversion").first.wait_for(timeout=180_000)
    shot(page, "5-abtest")
    # the verdict shows before the run ends; a deferred download clicked on the stale button of a run still in
    # progress never arrives (CI failed on this under load): wait for the run to finish first
    wait_idle(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Report (HTML)").click()
    html = dl.value.path().read_text(encoding="utf-8")
    assert "<h1>A/B test report" in html and "conversion from" in html


#: pages whose results come from an earlier step (a target list sent from the planner, a saved campaign); on a
#: fresh session they say which step (test_pages_readout / test_pages_campaigns cover them with it done)
WAITS_FOR_AN_EARLIER_STEP = {"readout", "campaigns"}


def test_demo_journey_every_page_fresh(server, browser):
    timings = []
    for spec in PAGES:
        t = time.perf_counter()
        page = new_page(browser, server if spec is PAGES[0] else f"{server}/{spec.url_path}")
        timings.append((spec.title, time.perf_counter() - t))
        assert_no_exception(page, f"demo {spec.title}")
        main = page.locator('[data-testid="stMain"]')
        assert main.locator('[data-testid="stAlertContentError"]').count() == 0, spec.title
        if spec.url_path in WAITS_FOR_AN_EARLIER_STEP:  # a fresh session has no target list and no saved campaign
            guidance = main.locator('[data-testid="stAlertContentInfo"]')
            guidance.first.wait_for(timeout=30_000)
            assert "planner" in guidance.first.inner_text().lower(), spec.title
        else:
            content = main.locator('[data-testid="stPlotlyChart"], [data-testid="stMetric"], [data-testid="stDataFrame"]')
            content.nth(1).wait_for(state="attached", timeout=30_000)  # charts mount just after the run ends
            assert content.count() >= 2, f"{spec.title} shows no results"
        page.screenshot(path=str(ARTIFACTS / f"demo-{spec.url_path}.png"), full_page=True)
        page.close()
    (ARTIFACTS / "demo-timings.txt").write_text("".join(f"{t:.1f} s  {name}\n" for name, t in timings))


def test_two_sessions_never_see_each_others_data(server, browser):
    a = new_page(browser, server)
    b = new_page(browser, server)
    a.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "private.csv", "mimeType": "text/csv",
                "buffer": b"customer,time,price\nSECRET-1,2024-01-01 10:00,5\nSECRET-2,2024-01-02 11:00,7\n"}])
    a.get_by_role("button", name="Use this data").wait_for()
    wait_idle(a)
    a.get_by_role("button", name="Use this data").click()
    a.locator('[data-testid="stSidebar"]').get_by_text("private.csv").first.wait_for(timeout=180_000)  # the rerun may start late
    wait_idle(a)
    b.reload()
    wait_idle(b)
    assert "private.csv" not in b.locator('[data-testid="stSidebar"]').inner_text()
    assert "SECRET" not in b.content()


def test_uploads_never_reach_the_disk(server, browser):
    import os
    import tempfile
    from pathlib import Path
    marker = b"UPLOAD-MARKER-7f3a9c"
    t0 = time.time() - 1
    page = new_page(browser, server)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "m.csv", "mimeType": "text/csv",
                "buffer": b"customer,time,price\n" + marker + b",2024-01-01 10:00,5\n"}])
    page.get_by_role("button", name="Use this data").wait_for()
    page.get_by_role("button", name="Use this data").click()
    wait_idle(page)
    from .conftest import ROOT
    hits = []
    for top in (Path(tempfile.gettempdir()), ROOT, Path.home() / ".streamlit"):
        for dirpath, _, files in os.walk(top):
            for f in files:
                p = Path(dirpath) / f
                try:
                    if p.stat().st_mtime >= t0 and p.stat().st_size < 50_000_000 and marker in p.read_bytes():
                        hits.append(str(p))
                except OSError:
                    continue
    assert not hits, hits
