"""Every registered page in Chinese: no exception, no English sentence from the catalog on screen, no
machine column name as a table heading; and the language is chosen as README "Languages" says.

Each page is opened through app.py with ``?lang=zh`` (the page scripts live in views/, so AppTest's
``switch_page`` runs app.py and the page together, as a browser does).
"""

from __future__ import annotations

import gzip
import json
import re
import sys

import pytest
from streamlit.testing.v1 import AppTest

from promo_core.i18n.catalog import merged_catalog
from promo_core.quality import load_dataset
from ui.language import choose_locale
from ui.registry import PAGES

from .conftest import ONLINE_RETAIL, ROOT, SAMPLE, full_error_details, need

sys.path.insert(0, str(ROOT / "benchmarks"))
from synth import groceries_like, write_basket_file  # noqa: E402

#: url paths of pages whose text is translated on another branch of issue 15 (analysis pages, A/B, planner):
#: expected to fail (b) or (c) until merged. The lead empties this set after merging those branches.
NOT_YET: set[str] = set()  # pages expected to fail until their branch merges: none since the merge
#: a heading that is a machine name: snake_case (lower-case words joined by _)
MACHINE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\{")
ONLINE_RETAIL_LINES = 20_000


def english_sentences() -> set[str]:
    """Catalog msgids of two or more words without placeholders (those cannot appear verbatim)."""
    out = set()
    for msg in merged_catalog("zh_CN"):
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        for mid in ids:
            # two or more real words, and a translation that differs (a name such as "pyfim FP-Growth" is
            # the same in both languages; "% off" also occurs inside data values such as a variant "10% off")
            if (mid and len(re.findall(r"[A-Za-z]{2,}", mid)) >= 2 and not PLACEHOLDER.search(mid)
                    and msg.string and msg.string != mid):
                out.add(mid)
    return out


ENGLISH = english_sentences()


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    folder = tmp_path_factory.mktemp("i18n")
    baskets = folder / "groceries.csv"
    write_basket_file(groceries_like(), baskets)
    out = {"sample": load_dataset(SAMPLE / "events.csv.gz"), "basket_file": load_dataset(baskets)}
    if ONLINE_RETAIL.exists():
        with gzip.open(need(ONLINE_RETAIL), "rt", encoding="latin-1") as fh:
            head = "".join(line for _i, line in zip(range(ONLINE_RETAIL_LINES + 1), fh, strict=False))
        out["online_retail"] = load_dataset(head.encode("latin-1"), "online_retail_slice.csv")
    return out


def shown_texts(at: AppTest) -> list[str]:
    """Every piece of text a reader sees (markdown escapes removed)."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "warning", "info", "error", "success"):
        texts += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        texts += [m.label, str(m.value)]
    for kind in ("button", "expander", "tabs", "selectbox", "multiselect", "slider", "toggle", "radio",
                 "checkbox", "number_input", "text_input", "select_slider"):
        texts += [str(getattr(e, "label", "")) for e in getattr(at, kind)]
    texts += [str(getattr(e, "label", "")) for e in at.get("download_button")]
    return [t.replace("\\", "") for t in texts if t]


def headings(at: AppTest) -> list[str]:
    """The column headings of every table on screen: the configured label, else the column's name."""
    out = []
    for df in at.dataframe:
        config = json.loads(df.proto.columns) if df.proto.columns else {}
        for col in map(str, df.value.columns):
            label = (config.get(col) or config.get(f"col:{col}") or {}).get("label")
            out.append(label or col)
    return out


def untranslated(at: AppTest) -> list[str]:
    texts = shown_texts(at)
    return sorted({m for m in ENGLISH for t in texts if m in t})


def open_zh(ds, name: str, path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    full_error_details()
    at.session_state["dataset"] = ds
    at.session_state["dataset_key"] = f"i18n-{name}"
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page(path).run()
    return at


CASES = [pytest.param(shape, spec, id=f"{spec.url_path}-{shape}",
                      marks=[pytest.mark.xfail(reason="translated on another branch of issue 15", strict=False)]
                      if spec.url_path in NOT_YET else [])
         for spec in PAGES for shape in ("sample", "basket_file", "online_retail")]


@pytest.mark.parametrize(("shape", "spec"), CASES)
def test_every_page_reads_in_chinese(datasets, shape, spec):
    if shape not in datasets:
        pytest.skip("../shared/data/online_retail.csv.gz not present")
    at = open_zh(datasets[shape], shape, spec.path)
    assert not at.exception, [(e.message, e.stack_trace[-4:]) for e in at.exception]
    left = untranslated(at)
    assert not left, f"English on the Chinese {spec.url_path} page: {left[:10]}"
    raw = [h for h in headings(at) if MACHINE.match(h)]
    assert not raw, f"machine column names on {spec.url_path}: {raw}"


def test_the_checks_catch_english_and_machine_names(datasets):
    """The two checks above fail on an English screen (so they can fail at all)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    full_error_details()
    at.run()
    assert "Quality report of the dataset in use" in untranslated(at)
    at.switch_page("views/segments.py").run()
    assert untranslated(at)


# ---- the language choice (these go through app.py: the first run of a session)

def first_run(query: str | None = None, browser: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    full_error_details()
    if query is not None:
        at.query_params["lang"] = query
    if browser is not None:
        at.context["locale"] = browser
    return at.run()


def test_url_lang_zh_selects_chinese_and_keeps_it_in_the_url():
    at = first_run("zh", browser="en-US")
    assert not at.exception
    assert at.title[0].value == "数据"
    assert at.session_state["locale"] == "zh_CN" and at.query_params["lang"] == "zh"
    assert at.session_state["currency"] == "¥"


def test_english_stays_the_default_for_an_english_browser():
    at = first_run(browser="en-US")
    assert at.title[0].value == "Data" and at.query_params["lang"] == "en"
    assert at.session_state["currency"] == "£"


def test_a_chinese_browser_gets_chinese_unless_the_url_says_english():
    assert first_run(browser="zh-CN").title[0].value == "数据"
    assert first_run("en", browser="zh-CN").title[0].value == "Data"


def test_the_sidebar_picker_switches_the_session_and_the_url():
    """The picker's callback (the rerun that follows draws the page alone in AppTest: the browser test
    tests/test_browser_i18n.py checks the page in Chinese)."""
    at = first_run(browser="en-US")
    at.selectbox(key="currency").set_value("$")
    at.selectbox(key="language_picker").set_value("zh_CN")
    at.run()
    assert not at.exception
    assert at.session_state["locale"] == "zh_CN" and at.query_params["lang"] == "zh"
    assert at.session_state["currency_chosen"]  # so the currency no longer follows the language


@pytest.mark.parametrize(("query", "browser", "want"), [
    ("zh", None, "zh_CN"), ("en", "zh-CN", "en"), (None, "zh-Hans-CN", "zh_CN"), (None, "en-US", "en"),
    (None, None, "en"), (["en", "zh"], None, "zh_CN"), ("fr", "zh-CN", "en"), ("", "zh-TW", "zh_CN")])
def test_choose_locale(query, browser, want):
    assert choose_locale(query, browser) == want
