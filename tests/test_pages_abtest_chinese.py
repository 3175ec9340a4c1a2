"""The A/B page with a Chinese export (顾客, 分组 对照/实验, 是否购买, 金额), clean and dirty: read without
choices, checks that were not made said to be not made, each problem said once, and the verdict on
uncleaned data marked as such."""

from .experiment_files import chinese_ab
from .test_pages_abtest import app, column_box, plain, texts, upload, verdicts

UNCLEANED = "Computed on the uncleaned data."


def test_chinese_headers_and_control_are_recognised():
    at = upload(app(), chinese_ab(), "ab_clean.csv")
    t = texts(at)
    assert "Arms: 分组 (2 values); control: 对照; outcome: 是否购买; revenue: 金额; user id: 顾客" in t
    assert "not recognisable" not in t and "Without a revenue column" not in t
    assert at.selectbox(key="ab_control").value == "对照"
    assert column_box(at, "User id (integrity checks)").value == "顾客"
    assert "Assignment checks passed on 4,000 rows" in t  # made with the user column: they did pass
    assert len(verdicts(at)) == 1 and "实验 raised 是否购买" in plain(at)[0] and "per £1 spent" in plain(at)[0]


def test_without_a_user_column_the_user_checks_are_not_reported_as_passed():
    at = upload(app(), chinese_ab(), "ab_clean.csv")
    column_box(at, "User id (integrity checks)").set_value("").run()
    assert not at.exception
    t = texts(at)
    assert "no repeated users" not in t and "Assignment checks passed" not in t
    assert "Repeated users and users in two arms were not checked" in t and "choose the user id column" in t
    assert len(verdicts(at)) == 1


def test_the_control_caption_follows_the_choice():
    frame = chinese_ab().assign(分组=lambda d: d["分组"].map({"对照": "甲", "实验": "乙"}))
    at = upload(app(), frame, "ab_a_b.csv")
    assert "control: not recognisable — choose it" in texts(at) and not verdicts(at)
    at.selectbox(key="ab_control").set_value("甲").run()
    assert not at.exception and "not recognisable" not in texts(at) and "control: 甲" in texts(at)
    assert len(verdicts(at)) == 1


def test_dirty_file_says_each_problem_once_names_the_page_switch_and_marks_the_verdict():
    at = upload(app(), chinese_ab(dirty=True), "ab_dirty.csv")
    t = texts(at)
    assert "91 rows repeat a user id" in t and "42 users appear in more than one arm" in t
    assert t.count("rows have no arm") == 1 and "27 rows have no arm in '分组' and are left out" in t
    assert "--clean" not in t and "Remove conflicts" in t
    assert len(verdicts(at)) == 1 and UNCLEANED in plain(at)[0]
    at.toggle(key="ab_clean").set_value(True).run()
    assert not at.exception and "Assignment data cleaned" in texts(at)
    assert UNCLEANED not in plain(at)[0] and texts(at).count("rows have no arm") == 1


def test_a_second_file_with_the_same_columns_keeps_the_choices():
    at = upload(app(), chinese_ab(), "ab_clean.csv")
    column_box(at, "Revenue").set_value("").run()
    at.toggle(key="ab_clean").set_value(True).run()
    assert "revenue: 金额" not in texts(at)
    upload(at, chinese_ab(dirty=True), "ab_dirty.csv")
    assert column_box(at, "Revenue").value == "" and "revenue: 金额" not in texts(at)
    assert at.toggle(key="ab_clean").value and at.selectbox(key="ab_control").value == "对照"
    assert "were not carried over" not in texts(at)
    assert "Without a revenue column" in texts(at)


def test_a_file_with_other_columns_says_the_choices_were_not_carried_over():
    at = upload(app(), chinese_ab(), "ab_clean.csv")
    column_box(at, "Revenue").set_value("").run()
    other = chinese_ab().rename(columns={"金额": "实付金额"})
    upload(at, other, "ab_paid.csv")
    assert "were not carried over" in texts(at) and column_box(at, "Revenue").value == "实付金额"
    column_box(at, "Revenue").set_value("").run()  # a choice on this file: the notice has done its job
    assert not at.exception and "were not carried over" not in texts(at)


def test_chinese_screen_translates_the_new_sentences():
    from streamlit.testing.v1 import AppTest

    from promo_core.i18n import locale_context

    from .conftest import ROOT, full_error_details
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    full_error_details()
    at.query_params["lang"] = "zh"
    with locale_context("zh_CN"):  # AppTest formats the radio's value on this side, with the page's format_func
        at.run()
        at.switch_page("views/abtest.py").run()
        at.radio(key="ab_source").set_value("upload").run()
        data = chinese_ab(dirty=True).to_csv(index=False).encode()
        at.file_uploader(key="ab_upload").set_value(("ab_dirty.csv", data, "text/csv")).run()
        assert not at.exception
        assert verdicts(at) and "uncleaned" not in plain(at)[0] and "未清洗" in plain(at)[0]
        column_box(at, "用户 ID（完整性检查）").set_value("").run()
        assert not at.exception and "were not checked" not in texts(at) and "未检查" in texts(at)
