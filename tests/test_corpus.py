"""Every bad file gets a clear message through the CLI and the upload path; nothing crashes,
nothing already loaded is lost, and exports neutralise formulas."""

import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from promo_core.export import to_csv_bytes
from promo_core.quality import load_dataset

from .conftest import ROOT, full_error_details
from .corpus import corpus

CORPUS = corpus()


@pytest.mark.parametrize("name", list(CORPUS))
def test_cli(tmp_path, name):
    content, code, text = CORPUS[name]
    f = tmp_path / name
    f.write_bytes(content)
    p = subprocess.run([sys.executable, "-m", "promo_core", "validate", str(f)], capture_output=True, text=True,
                       cwd=ROOT, stdin=subprocess.DEVNULL, timeout=300)
    assert "Traceback" not in p.stderr
    if code == 2 and p.returncode == 0 and name in ("ragged-quotes.csv", "mixed-delimiters.csv"):
        return  # readable after all: the quality report then says what was dropped
    assert p.returncode == code, (p.returncode, p.stderr)
    if code == 2:
        assert p.stderr.startswith("promo-core: ") and "What to do" in p.stderr and text in p.stderr


@pytest.mark.parametrize("name", [n for n in CORPUS if n != "million-identical-rows.csv"])
def test_upload_path_keeps_the_dataset(name):
    content, code, _ = CORPUS[name]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    full_error_details()
    at.run()
    at.file_uploader(key="upload").set_value((name, content, "application/octet-stream")).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["dataset_key"] == "sample"
    if code == 2:
        assert at.error, "a bad file must show a message"


def test_million_identical_rows_collapse_to_one():
    ds = load_dataset(CORPUS["million-identical-rows.csv"][0], "m.csv")
    assert ds.report.rows_read == 1_000_000 and ds.report.rows_kept == 1
    assert ds.report.steps[0].rows_dropped == 999_999


def test_formulas_and_html_stay_inert():
    ds = load_dataset(CORPUS["formulas-and-html.csv"][0], "f.csv")
    out = to_csv_bytes(ds.events).decode("utf-8-sig")
    assert "'=HYPERLINK" in out and "'+SUM" in out and "'@cmd" in out and "\n=" not in out
    assert "<script>alert(1)</script>" in set(ds.events["item_name"])  # kept as text, never rendered as HTML


def test_chinese_files_read_correctly():
    ds = load_dataset(CORPUS["gbk-chinese.csv"][0], "cn.csv")
    assert ds.report.file["encoding"] == "gb18030" and ds.events["item_name"].str.startswith("绿茶").all()
    assert set(ds.events["event"].astype(str)) == {"purchase"}
