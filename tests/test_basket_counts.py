"""A basket file (one basket per line, no header) is counted in baskets and items, never as "rows in the file"
that are really the items after splitting the lines: quality report, CLI JSON, Data page tiles, sidebar badge."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from promo_core.cli import main
from promo_core.quality import load_dataset

from .conftest import ROOT, full_error_details
from .planted_baskets import write_planted


@pytest.fixture(scope="module")
def basket_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("counts") / "baskets.csv"
    baskets = write_planted(path)
    return path, len(baskets), sum(len(set(b)) for b in baskets)


def test_the_report_counts_baskets_and_items(basket_file):
    path, lines, items = basket_file
    assert lines == 2_000 and items > 6_000  # about 3.3 items a line
    r = load_dataset(path).report
    assert r.baskets_read == r.baskets_kept == lines
    assert r.rows_read == r.rows_kept == items  # a row is one item of one basket
    assert r.facts["baskets"] == lines and r.facts["rows"] == items
    assert r.to_dict()["baskets_read"] == lines
    assert {"baskets": lines, "rows": items, "kind": "baskets"}.items() <= load_dataset(path).badge().items()


def test_an_events_file_has_no_basket_counts(sample_dataset):
    r = sample_dataset.report
    assert r.baskets_read is None and r.baskets_kept is None and "baskets" not in r.facts
    assert sample_dataset.badge()["baskets"] is None


def test_empty_lines_and_repeated_items_are_not_baskets_or_items(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("milk,bread,milk\n\nbeer,chips\n,\nbread\n", encoding="utf-8")
    r = load_dataset(path, fmt="baskets").report
    assert r.baskets_read == 3 and r.rows_read == 5


def test_cli_validate_json_keeps_its_keys_and_adds_basket_counts(basket_file, capsys):
    path, lines, items = basket_file
    assert main(["validate", str(path), "--format", "baskets"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows_read"] == out["rows_kept"] == items and out["users"] == lines  # existing keys unchanged
    assert out["baskets_read"] == out["baskets_kept"] == lines and out["facts"]["baskets"] == lines


def _metrics(at) -> dict[str, str]:
    shown: dict[str, str] = {}
    for m in at.metric:  # the upload's report comes first
        shown.setdefault(m.label, m.value)
    return shown


def test_data_page_upload_shows_baskets_and_items(basket_file):
    path, lines, items = basket_file
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    full_error_details()
    at.run()
    at.file_uploader(key="upload").set_value(("baskets.csv", path.read_bytes(), "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = _metrics(at)
    assert shown["Baskets read"] == f"{lines:,}" and shown["Baskets kept"] == f"{lines:,}"
    assert shown["Items read"] == f"{items:,}" and shown["Items kept"] == f"{items:,}"
    labels = [m.label for m in at.metric]
    assert labels.index("Baskets read") < labels.index("Rows read")  # the sample in use, below, still has rows
    facts = next(df.value for df in at.dataframe if "count" in df.value.columns)
    got = dict(zip(facts.iloc[:, 0], facts["count"], strict=True))
    assert got["Baskets in the file (lines)"] == lines and got["Items in the baskets (one row each)"] == items
    assert "Rows in the file" not in got


def test_sidebar_badge_and_tour_count_baskets_and_items(basket_file):
    path, lines, items = basket_file
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    full_error_details()
    at.session_state["dataset"] = load_dataset(path)
    at.session_state["dataset_key"] = "basket-counts"
    at.run()  # the first run renders the sidebar (AppTest drops it on later reruns of an st.navigation app)
    assert not at.exception, [e.message for e in at.exception]
    side = " ".join(m.value for m in at.sidebar.markdown)
    assert f"**{lines:,}** baskets · **{items:,}** items" in side and "rows" not in side
    text = " ".join(m.value for m in at.markdown)
    assert f"{lines:,} baskets holding {items:,} items" in text  # the guided tour on the Data page
    shown = _metrics(at)  # the quality report of the dataset in use
    assert shown["Baskets read"] == f"{lines:,}" and shown["Items read"] == f"{items:,}"
