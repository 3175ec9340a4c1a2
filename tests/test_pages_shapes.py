"""Every page with every data shape the Data page accepts: events with views (the bundled sample),
transaction lines (Online Retail), a basket file (generated, Groceries-like) and a Taobao-style log.

A page shows results, or says in a sentence what the data lacks; never an exception."""

from __future__ import annotations

import sys

import pytest
from streamlit.testing.v1 import AppTest

from promo_core.quality import load_dataset
from ui.registry import PAGES

from .conftest import ONLINE_RETAIL, ROOT, SAMPLE, TAOBAO, full_error_details, need

sys.path.insert(0, str(ROOT / "benchmarks"))
from synth import groceries_like, write_basket_file  # noqa: E402

SHAPES = ["sample", "basket_file", "online_retail", "taobao"]


@pytest.fixture(scope="session")
def basket_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("baskets") / "groceries.csv"
    write_basket_file(groceries_like(), path)
    return path


@pytest.fixture(scope="module", params=SHAPES)
def shaped(request, basket_file):
    name = request.param
    if name == "sample":
        return name, load_dataset(SAMPLE / "events.csv.gz")
    if name == "basket_file":
        return name, load_dataset(basket_file)
    if name in ("online_retail", "taobao"):
        request.applymarker(pytest.mark.realdata)
        return name, load_dataset(need(ONLINE_RETAIL if name == "online_retail" else TAOBAO))
    raise AssertionError(name)


def open_with(name, ds, path) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    full_error_details()
    at.session_state["dataset"] = ds
    at.session_state["dataset_key"] = f"shape-{name}"
    at.run()
    at.switch_page(path).run()
    return at


def said(at) -> str:
    return " ".join(str(x.value) for x in [*at.error, *at.info, *at.warning, *at.caption, *at.markdown])


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.title)
def test_every_page_with_every_data_shape(shaped, spec):
    name, ds = shaped
    at = open_with(name, ds, spec.path)
    assert not at.exception, [(e.message, e.stack_trace[-4:]) for e in at.exception]
    assert at.metric or at.error or at.info or at.warning, "the page must show results or say why not"


def test_basket_file_pages_say_what_is_missing(basket_file):
    ds = load_dataset(basket_file)
    at = open_with("basket_file", ds, "views/segments.py")
    assert not at.exception and "time" in said(at).lower()
    rules = open_with("basket_file", ds, "views/rules.py")
    assert not rules.exception
    assert int(next(m.value for m in rules.metric if m.label == "Baskets mined").replace(",", "")) == 9_835
    assert int(next(m.value for m in rules.metric if m.label == "Rules shown").replace(",", "")) > 0
    rec = open_with("basket_file", ds, "views/recommendations.py")
    assert not rec.exception
