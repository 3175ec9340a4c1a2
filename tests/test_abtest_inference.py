"""Experiment files with Chinese (and other everyday) headers: the columns, the control and the
assignment checks are recognised as the rest of the app recognises them, and what was not checked is
never reported as passed."""

import numpy as np
import pandas as pd
import pytest

from promo_core.abtest import guess_columns, load_experiment
from promo_core.experiment_io import check_integrity, guess_control, infer_columns, is_boolean
from promo_core.experiment_run import run_experiment
from promo_core.i18n import locale_context

from .experiment_files import chinese_ab


def frame_with(header: str, values, n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A small experiment (arms 'control'/'promo', outcome 'flag' last) with one more column."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({header: values(rng, n), "arm": np.where(np.arange(n) % 2, "control", "promo"),
                         "flag": rng.integers(0, 2, n)})


def test_the_chinese_file_is_read_without_any_choice():
    g = infer_columns(chinese_ab())
    assert (g.arm, g.control, g.outcome, g.revenue, g.user) == ("分组", "对照", "是否购买", "金额", "顾客")
    assert g.arm_by_name
    assert "control: 对照" in g.describe() and "not recognisable" not in g.describe()
    assert "revenue: 金额" in g.describe() and "user id: 顾客" in g.describe()


@pytest.mark.parametrize("header", ["顾客", "客户", "用户", "会员", "买家", "顾客ID", "用户ID", "客户编号", "会员号",
                                    "customer", "Customer ID", "member", "member_id", "buyer", "visitor",
                                    "visitor_id", "userid", "shopper_id", "id"])
def test_user_id_headers_are_recognised_as_the_app_recognises_them(header):
    frame = frame_with(header, lambda rng, n: [f"U{i:05d}" for i in range(n)])
    assert infer_columns(frame).user == header


@pytest.mark.parametrize(("header", "values"), [
    ("会员", lambda rng, n: rng.choice(["是", "否"], n)),          # a yes/no membership flag is not an id
    ("customer_segment", lambda rng, n: [f"S{i % 3}" for i in range(n)]),
    ("member_level", lambda rng, n: [f"L{i % 40}" for i in range(n)]),
    ("customer", lambda rng, n: [f"C{i % 20}" for i in range(n)]),  # 20 values for 400 rows: not one per user
])
def test_columns_that_only_mention_a_customer_are_not_the_user_id(header, values):
    assert infer_columns(frame_with(header, values)).user is None


@pytest.mark.parametrize("header", ["金额", "收入", "销售额", "营收", "实付", "实付金额", "消费金额", "GMV", "gmv",
                                    "revenue", "spend"])
def test_revenue_headers(header):
    frame = frame_with(header, lambda rng, n: rng.gamma(2.0, 20.0, n).round(2))
    assert infer_columns(frame).revenue == header
    assert guess_columns(frame.columns).get("revenue") == header or header in ("实付金额", "消费金额")


@pytest.mark.parametrize("header", ["是否购买", "转化", "是否转化", "下单", "是否下单", "converted"])
def test_conversion_headers_win_over_another_yes_no_column(header):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"新客": rng.integers(0, 2, 300), "arm": np.where(np.arange(300) % 2, "对照组", "实验组"),
                          header: rng.choice(["TRUE", "FALSE"], 300)})
    g = infer_columns(frame)
    assert g.outcome == header and g.outcomes[0] == header


@pytest.mark.parametrize(("arms", "control"), [
    (("实验", "对照"), "对照"), (("对照组", "实验组"), "对照组"), (("控制组", "发券组"), "控制组"),
    (("基线", "新版"), "基线"), (("原版", "新版"), "原版"), (("空白对照", "满减"), "空白对照"),
    (("实验", "发券"), None), (("无门槛券", "满减券"), None)])
def test_chinese_control_labels(arms, control):
    assert guess_control(arms) == control


def test_yes_no_in_chinese_is_an_outcome():
    s = pd.Series(["是", "否", "否", "是"])
    assert is_boolean(s)
    frame = pd.DataFrame({"分组": ["对照", "实验"] * 2, "是否购买": s})
    exp = load_experiment(frame, variant="分组", converted="是否购买", control="对照")
    assert exp.variants["对照"].conversions == 1 and exp.variants["实验"].conversions == 1


def test_without_a_user_column_the_user_checks_are_not_run_and_say_so():
    frame = chinese_ab(dirty=True)
    without = check_integrity(frame, "分组", None, ["是否购买"])
    assert not without.user_checked and without.repeated_user_rows == 0
    assert any("choose the user id column" in x for x in without.unchecked())
    with_user = check_integrity(frame, "分组", "顾客", ["是否购买"])
    assert with_user.user_checked and with_user.unchecked() == []
    assert (with_user.repeated_user_rows, with_user.users_in_several_arms, with_user.missing_arm) == (91, 42, 27)
    assert with_user.to_dict()["user_checked"] and not without.to_dict()["user_checked"]


def test_dirty_run_says_each_problem_once_and_keeps_cli_advice_out_of_page_notes():
    run = run_experiment(chinese_ab(dirty=True))
    assert run.columns["user"] == "顾客" and run.columns["revenue"] == "金额" and run.control == "对照"
    said = run.integrity.lines() + list(run.exp.notes) + list(run.notes)
    assert sum("no arm" in x for x in said) == 1, said
    assert not any("--clean" in x for x in run.notes)  # the page names its own switch
    assert run.integrity.conflicts == 91 + 42 and run.uncleaned
    assert any("--clean" in x for x in run.report()["run_notes"])  # the CLI's JSON keeps its flag
    cleaned = run_experiment(chinese_ab(dirty=True), clean=True)
    assert not cleaned.uncleaned and not any("--clean" in x for x in cleaned.report()["run_notes"])


def test_the_single_no_arm_sentence_is_translated():
    with locale_context("zh_CN"):
        integ = check_integrity(chinese_ab(dirty=True), "分组", "顾客")
        line = next(x for x in integ.lines() if "27" in x)
    assert "分组" in line and "arm" not in line
