"""Every registered page opened headless through app.py; uploads through the real widget."""

import pytest
from streamlit.testing.v1 import AppTest

from ui.registry import PAGES

from .conftest import ROOT, full_error_details

GOOD = (b"customer,time,event,item,price,qty,order\n"
        b"a,2024-01-01 10:00,view,X,,,\na,2024-01-01 10:02,purchase,X,10,2,o1\n"
        b"b,2024-01-02 11:00,purchase,Y,5,1,o2\n")


def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    full_error_details()
    return at.run()


def no_errors(at: AppTest) -> None:
    assert not at.exception, [(e.message, e.stack_trace[-4:]) for e in at.exception]


def sidebar_rows(at: AppTest) -> str:
    """Rows of the dataset in use, as the sidebar shows them.

    AppTest drops sidebar elements from its tree on reruns of an st.navigation app (the browser
    test checks the real sidebar), so this reads the session's dataset instead.
    """
    return f"{at.session_state['dataset'].report.rows_kept:,}"


def plain(text: str) -> str:
    return text.replace("\\", "")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.title)
def test_every_page_opens_on_the_sample(page):
    at = app()
    no_errors(at)
    at.switch_page(page.path).run()
    no_errors(at)
    assert not at.error, [e.value for e in at.error]
    assert at.title and at.title[0].value == page.title


def test_sample_loaded_on_first_run():
    at = app()
    assert "sample" in at.sidebar.text[0].value
    assert sidebar_rows(at) == "226,791"
    assert any(m.label == "Revenue" and m.value.startswith("£") for m in at.metric)


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage" * 100, b"only_one_column\n1\n2\n",
                                     b"user,date,user\n1,2,3\n",
                                     b"user,date\n" + b"".join(b"u,2024-01-01\n" for _ in range(3)) +
                                     b"u,01/31/2024\n" * 5])
def test_bad_upload_keeps_the_dataset(content):
    at = app()
    before = sidebar_rows(at)
    at.file_uploader(key="upload").set_value(("bad.csv", content, "text/csv")).run()
    no_errors(at)
    assert at.error, "a bad file must show an error"
    assert "dataset in use is unchanged" in plain(at.error[0].value)
    assert sidebar_rows(at) == before


def test_good_upload_needs_acceptance_then_replaces():
    at = app()
    at.file_uploader(key="upload").set_value(("shop.csv", GOOD, "text/csv")).run()
    no_errors(at)
    assert sidebar_rows(at) == "226,791"
    assert at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("map_user_id"))).value == "customer"
    at.button(key="accept").click().run()
    no_errors(at)
    assert sidebar_rows(at) == "3"
    assert at.session_state["dataset"].name == "shop.csv"


def test_manual_mapping_fixes_unknown_headers():
    at = app()
    at.file_uploader(key="upload").set_value(("cn.csv", "编号,日期时间\n1,2024-01-01\n2,2024-01-02\n"
                                              .encode(), "text/csv")).run()
    assert at.error and "No column was recognised as user_id" in plain(at.error[0].value)
    key = next(s.key for s in at.selectbox if s.key.startswith("map_user_id"))
    at.selectbox(key=key).set_value("编号").run()
    key = next(s.key for s in at.selectbox if s.key.startswith("map_timestamp"))
    at.selectbox(key=key).set_value("日期时间").run()
    no_errors(at)
    assert not at.error
    at.button(key="accept").click().run()
    assert sidebar_rows(at) == "2"


def test_pseudonymise_hashes_ids():
    at = app()
    at.sidebar.toggle(key="pseudonymise").set_value(True).run()
    no_errors(at)
    ds = at.session_state["dataset"]
    assert ds.pseudonymised and ds.events["user_id"].str.match(r"^u[0-9a-f]{16}$").all()
    assert any("are pseudonyms" in c.value for c in at.sidebar.caption)   # the state is said where it is set


@pytest.mark.realdata
def test_online_retail_upload_shows_the_published_facts():
    from .conftest import ONLINE_RETAIL, need
    at = app()
    at.file_uploader(key="upload").set_value(("online_retail.csv.gz", need(ONLINE_RETAIL).read_bytes(),
                                              "application/gzip")).run()
    no_errors(at)
    assert not at.error
    shown: dict[str, str] = {}
    for m in at.metric:  # the upload's report comes first; the dataset in use is summarised below it
        shown.setdefault(m.label, m.value)
    assert shown["Rows read"] == "541,909" and shown["Users"] == "4,338"
    facts = next(df.value for df in at.dataframe if "count" in df.value.columns)
    got = dict(zip(facts.iloc[:, 0], facts["count"], strict=True))
    assert got["Rows without a user id"] == 135_080 and got["Rows of cancelled orders"] == 9_288
    assert got["Exact duplicate rows"] == 5_268 and got["Distinct orders"] == 25_900
    at.button(key="accept").click().run()
    no_errors(at)
    assert sidebar_rows(at) == "392,692"


def test_excel_with_two_sheets_offers_a_sheet_picker():
    import io

    import pandas as pd
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as xl:
        pd.DataFrame({"customer": ["a", "b"], "date": ["2024-01-01", "2024-01-02"]}).to_excel(
            xl, sheet_name="jan", index=False)
        pd.DataFrame({"customer": ["c"], "date": ["2024-02-01"]}).to_excel(xl, sheet_name="feb", index=False)
    at = app()
    at.file_uploader(key="upload").set_value(("two.xlsx", buf.getvalue(), "application/octet-stream")).run()
    no_errors(at)
    picker = next(s for s in at.selectbox if s.key.startswith("sheet_"))
    assert picker.options == ["jan", "feb"]
    picker.set_value("feb").run()
    at.button(key="accept").click().run()
    assert sidebar_rows(at) == "1"
