"""Full-page screenshots of every page in English and Chinese, for docs/screenshots/<lang>/<page>.png.

Starts the app (``streamlit run app.py`` in its own process group, as tests/browser.py does) and drives
Debian's chromium with Playwright. Each page is opened by its URL with ``?lang=en`` / ``?lang=zh``, at
1280 px wide; the Data and Segments pages also at 1920 px (``<page>-1920.png``). The app reads a throwaway
demo workspace (``scripts/demo_workspace.py``: three campaigns on the sample, two measured from simulated
outcomes), so the Campaigns page shows a history.

    python scripts/screenshots.py            # every registered page, both languages
    python scripts/screenshots.py data segments --lang zh

Needs ``apt-get install -y chromium fonts-wqy-microhei`` (a Chinese font: without one chromium draws the
Chinese screens as empty boxes) and ``pip install playwright`` (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.demo_workspace import build as build_demo  # noqa: E402
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle  # noqa: E402
from ui.registry import PAGES  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDE = {"data", "segments"}  # also shot at 1920 px
LANGS = {"en": "en", "zh": "zh_CN"}


def measure_a_saved_campaign(page) -> None:
    """The Campaign readout page with something to show: the demo workspace's October campaign, measured on
    the loaded sample (widgets found by their keys, so this works in every language)."""
    page.locator(".st-key-ro_campaign input").click()
    page.get_by_role("option", name=MEASURED_DEMO_CAMPAIGN).click()
    wait_idle(page, timeout=180_000)
    page.locator(".st-key-ro_source [data-testid='stRadioOption']").nth(2).click()  # the data already loaded
    wait_idle(page, timeout=180_000)


SETUP = {"readout": measure_a_saved_campaign}  # pages shown with something chosen, not their empty state
MEASURED_DEMO_CAMPAIGN = "October win-back (demo, simulated outcomes)"


def shoot(browser, url: str, page_path: str, lang: str, width: int, out: Path, setup=None) -> list[str]:
    """One screenshot; returns the problems seen (exception boxes)."""
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN" if lang == "zh" else "en-GB")
    page = ctx.new_page()
    try:
        page.goto(f"{url}/{page_path}?lang={lang}", wait_until="domcontentloaded")
        wait_idle(page, timeout=180_000)
        if setup:
            setup(page)
        page.wait_for_timeout(1500)  # plotly draws after the run finishes
        wait_idle(page, timeout=180_000)
        # Streamlit scrolls inside its main container, so "full page" is the viewport: make the viewport as
        # tall as the content (and the sidebar), let the charts resize, then shoot.
        height = page.evaluate("""() => Math.max(...['[data-testid="stMain"]', '[data-testid="stSidebarContent"]',
            '[data-testid="stMainBlockContainer"]'].map(s => document.querySelector(s)).filter(Boolean)
            .map(e => e.scrollHeight))""")
        page.set_viewport_size({"width": width, "height": min(int(height) + 120, 30_000)})
        page.wait_for_timeout(1500)
        wait_idle(page, timeout=180_000)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        boxes = page.locator('[data-testid="stException"]')
        return [f"{out.name}: {boxes.first.inner_text()[:300]}"] if boxes.count() else []
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pages", nargs="*", help="url paths (default: every registered page)")
    ap.add_argument("--lang", choices=sorted(LANGS), action="append", help="default: both")
    args = ap.parse_args(argv)
    pages = [p for p in PAGES if not args.pages or p.url_path in args.pages]
    if "zh" in (args.lang or LANGS) and not subprocess.run(["fc-list", ":lang=zh"], capture_output=True,
                                                           text=True).stdout.strip():
        print("no Chinese font: apt-get install -y fonts-wqy-microhei", file=sys.stderr)
        return 2
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    tmp = tempfile.TemporaryDirectory()
    workspace = str(Path(tmp.name) / "demo.db")
    build_demo(workspace)
    with tmp, streamlit_server(workspace=workspace) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # warm the server up (the first run imports everything)
            shoot(browser, url, "", "en", 1280, ARTIFACTS / "screenshots-warm-up.png")
            for lang in args.lang or sorted(LANGS):
                for spec in pages:
                    widths = (1280, 1920) if spec.url_path in WIDE else (1280,)
                    for w in widths:
                        name = spec.url_path + ("" if w == 1280 else f"-{w}") + ".png"
                        path = "" if spec is PAGES[0] else spec.url_path  # the first page is the root
                        problems += shoot(browser, url, path, lang, w, OUT / lang / name, SETUP.get(spec.url_path))
                        print(f"{lang}/{name}", flush=True)
        finally:
            browser.close()
    for p in problems:
        print("EXCEPTION", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
