"""A Streamlit server in its own process group and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        msg = "Debian chromium is not installed (apt-get install -y chromium); run scripts/test.sh"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(str):
    """The server's URL (a str) that also knows the process id."""

    pid: int = 0


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def streamlit_server(*extra: str, workspace: str | None = None):
    """A fresh ``streamlit run app.py`` on a free port; ``extra`` are more command-line options.

    The server reads ``workspace`` (a SQLite file) or, by default, a throwaway one of its own: never
    ~/.promoscope, and never another server's."""
    port = free_port()
    log = open(ARTIFACTS / f"streamlit-{port}.log", "w")  # noqa: SIM115 - closed below
    scratch = tempfile.mkdtemp(prefix="promoscope-browser-")  # the server's own workspace, never ~/.promoscope
    env = {**os.environ, "PROMOSCOPE_WORKSPACE": workspace or str(Path(scratch) / "workspace.db")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false", *extra],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = Server(f"http://127.0.0.1:{port}")
    url.pid = proc.pid
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not become healthy; see " + log.name)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(scratch, ignore_errors=True)


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the script run finished and nothing on the page is stale."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function('document.querySelectorAll(\'[data-stale="true"]\').length === 0', timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def assert_no_exception(page, name: str) -> None:
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():
        page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"), full_page=True)
        raise AssertionError(f"exception box on {name}: {boxes.first.inner_text()[:500]}")


def nav(page, title: str) -> None:
    """Go to a page through the sidebar navigation (page.goto would start a new session)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_idle(page)


def pseudonymise(page, timeout: float = 300_000) -> None:
    """Switch on the sidebar's pseudonymisation and wait for its effect, the sidebar's caption: wait_idle alone
    can pass before the rerun the click asked for has started (CI once read the original ids that way)."""
    bar = page.locator('[data-testid="stSidebar"]')
    bar.get_by_text("Pseudonymise user ids").click()
    bar.get_by_text("User ids on every page and in every download are pseudonyms.").wait_for(timeout=timeout)
    wait_idle(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option of the selectbox with this label."""
    page.get_by_role("combobox", name=label, exact=True).first.click()  # react-aria combobox (Streamlit 1.6x)
    page.get_by_role("option", name=option, exact=True).first.click()
    wait_idle(page)


def slide(page, label: str, steps: int) -> None:
    """Move the slider with this label by arrow-key steps (negative: left)."""
    s = page.locator('[data-testid="stSlider"]').filter(has_text=label).first.get_by_role("slider").first
    s.focus()
    for _ in range(abs(steps)):
        s.press("ArrowRight" if steps > 0 else "ArrowLeft")
    wait_idle(page)


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def no_error_boxes(page, name: str) -> None:
    assert_no_exception(page, name)
