from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = (ROOT / ".." / "shared" / "data").resolve()
ONLINE_RETAIL = SHARED / "online_retail.csv.gz"
TAOBAO = SHARED / "taobao_userbehavior_sample.csv"
SAMPLE = ROOT / "sample_data"


@pytest.fixture(autouse=True)
def _project_root(monkeypatch):
    """Streamlit reads .streamlit/config.toml from the working directory."""
    monkeypatch.chdir(ROOT)


def full_error_details() -> None:
    """Tests show the real exception text (the shipped config redacts it for users)."""
    from streamlit import config
    config.set_option("client.showErrorDetails", "full")


def need(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must run with ../shared/data beside the clone")
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture(scope="session")
def online_retail():
    from promo_core.quality import load_dataset
    return load_dataset(need(ONLINE_RETAIL))


@pytest.fixture(scope="session")
def sample_dataset():
    from promo_core.quality import load_dataset
    return load_dataset(SAMPLE / "events.csv.gz")


def open_page(page: str, timeout: int = 180):
    """The app opened headless through app.py and switched to ``page``, with no exception."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    full_error_details()
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [(e.message, e.stack_trace[-4:]) for e in at.exception]
    return at


@pytest.fixture(scope="module")
def server():
    """A Streamlit server on a free port for a browser test module."""
    from .browser import ARTIFACTS, require_chromium, streamlit_server
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per browser test module."""
    from playwright.sync_api import sync_playwright

    from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
