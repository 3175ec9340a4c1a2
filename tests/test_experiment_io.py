"""Column inference and integrity checks on experiment files of the shapes managers bring."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportions_ztest

from promo_core.abtest import compare_all, load_experiment, sample_ratio
from promo_core.experiment_io import (
    check_integrity,
    clean_assignments,
    guess_control,
    infer_columns,
    is_boolean,
)
from promo_core.schema import DataError

from .experiment_files import cookie_cats, hillstrom, landing_page, split_90_10


def test_hillstrom_arms_are_segment_not_recency():
    g = infer_columns(hillstrom())
    assert g.arm == "segment" and g.control == "No E-Mail" and g.arm_by_name
    assert g.outcome == "conversion" and set(g.outcomes) == {"conversion", "visit"} and g.revenue == "spend"
    assert "Arms: segment (3 values)" in g.describe()
    exp = load_experiment(hillstrom(), variant=g.arm, converted=g.outcome, revenue=g.revenue, control=g.control)
    assert not sample_ratio(exp).mismatch  # the false alarm came from 'recency' as the arms


def test_cookie_cats_true_false_outcomes_and_no_control_name():
    frame = cookie_cats()
    g = infer_columns(frame)
    assert g.arm == "version" and g.control is None and g.user == "userid"
    assert g.outcomes == ("retention_1", "retention_7")
    exp = load_experiment(frame, variant="version", converted="retention_7")
    assert exp.metric == "retention_7"
    by_hand = (frame["retention_7"] == "TRUE").groupby(frame["version"]).sum()
    assert exp.variants["gate_30"].conversions == by_hand["gate_30"]
    cmp = compare_all(exp, "gate_30")[0]
    assert cmp.metric == "retention_7"


def test_landing_page_mismatches_and_repeats_are_counted_and_cleaned():
    frame = landing_page(n=20000, repeats=260, flipped=40)
    g = infer_columns(frame)
    assert (g.arm, g.control, g.outcome, g.user, g.time) == ("group", "control", "converted", "user_id", "timestamp")
    integ = check_integrity(frame, g.arm, g.user, [g.outcome])
    expected_map = {"control": "old_page", "treatment": "new_page"}
    page_ok = frame["landing_page"] == frame["group"].map(expected_map)
    assert integ.mirror_column == "landing_page" and integ.mirror_mapping == expected_map
    assert integ.mirror_conflicts == int((~page_ok).sum()) == 260 - 52 + 40
    assert integ.repeated_user_rows == int(frame["user_id"].duplicated().sum()) == 260
    assert integ.users_in_several_arms == 52 == int(frame.groupby("user_id")["group"].nunique().gt(1).sum())
    clean, after = clean_assignments(frame, g.arm, g.user, g.time, integ)
    assert after.cleaned and after.removed_rows == len(frame) - len(clean)
    assert clean["user_id"].is_unique and (clean["landing_page"] == clean["group"].map(expected_map)).all()
    # by hand: drop the mismatches, then keep each user's earliest row
    ref = frame[page_ok].assign(t=pd.to_datetime(frame["timestamp"])).sort_values("t", kind="stable")
    ref = ref.drop_duplicates("user_id")
    assert sorted(clean["user_id"]) == sorted(ref["user_id"])
    # the cleaned analysis differs from the dirty one and equals statsmodels on the clean rows
    dirty = compare_all(load_experiment(frame, variant="group", converted="converted"), "control")[0]
    tidy = compare_all(load_experiment(clean, variant="group", converted="converted"), "control")[0]
    k = clean.groupby("group")["converted"].agg(["sum", "count"])
    ref_p = proportions_ztest(k.loc[["treatment", "control"], "sum"], k.loc[["treatment", "control"], "count"])[1]
    assert tidy.p_value == pytest.approx(ref_p) and tidy.p_value != pytest.approx(dirty.p_value)


def test_ninety_ten_split_is_not_a_mismatch_when_planned():
    exp = load_experiment(split_90_10(), control="control")
    assert sample_ratio(exp).mismatch
    assert not sample_ratio(exp, {"control": 0.9, "promo": 0.1}).mismatch


def test_missing_values_are_counted_not_hidden():
    frame = pd.DataFrame({"variant": ["A", "A", None, "B", "B", "B"], "converted": [1, None, 0, 1, 0, 1],
                          "revenue": [10.0, 0.0, 0.0, np.nan, 0.0, -4.0]})
    integ = check_integrity(frame, "variant", metrics=["converted", "revenue"])
    assert integ.missing_arm == 1 and integ.missing_values == {"converted": 1, "revenue": 1}
    exp = load_experiment(frame, variant="variant", converted="converted", revenue="revenue")
    assert exp.variants["A"].n == 1 and exp.variants["B"].n == 3
    assert exp.variants["B"].revenue_sum == pytest.approx(-4.0)  # a refund stays negative (net revenue)
    assert any("no arm" in n for n in exp.notes) and any("no value in 'converted'" in n for n in exp.notes)
    assert any("no value in 'revenue'; counted as 0" in n for n in exp.notes)


@pytest.mark.parametrize("arms, control", [(["Mens E-Mail", "No E-Mail"], "No E-Mail"), (["B", "A"], "A"),
                                           (["treatment", "Control "], "Control "), (["gate_30", "gate_40"], None),
                                           (["new_page", "old_page"], "old_page"), (["holdout", "10% off"], "holdout")])
def test_guess_control(arms, control):
    assert guess_control(arms) == control


def test_is_boolean():
    assert is_boolean(pd.Series(["TRUE", "FALSE", None])) and is_boolean(pd.Series([0, 1, 1]))
    assert is_boolean(pd.Series(["yes", "no"])) and not is_boolean(pd.Series([0, 1, 2]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", None, "", "c"]), st.sampled_from([0, 1, None, "x", "TRUE"]),
                          st.one_of(st.none(), st.integers(0, 5))), min_size=0, max_size=30))
def test_malformed_frames_give_dataerror_or_a_result(rows):
    frame = pd.DataFrame(rows, columns=["variant", "converted", "user"])
    g = infer_columns(frame)
    if g.arm:
        check_integrity(frame, g.arm, "user", ["converted"])
        clean_assignments(frame, g.arm, "user")
    try:
        exp = load_experiment(frame, variant="variant", converted="converted")
        compare_all(exp, next(iter(exp.variants)))
    except DataError:
        pass


def test_run_and_html_report_carry_integrity_and_sequential():
    from promo_core.experiment_run import run_experiment
    from promo_core.report import report_html
    frame = landing_page(n=3000, repeats=60)
    frame.loc[0, "group"] = "<b>control</b>"  # file text is escaped in the HTML report
    run = run_experiment(frame, sequential=True)
    html = report_html("t", run.exp, run.control, run.comparisons, run.rois, run.srm, [],
                       integrity_lines=run.integrity.lines(), sequential=run.sequential, uncleaned=run.uncleaned)
    assert "Assignment checks" in html and "rows repeat a user id" in html and "always-valid" in html
    assert "<b>control</b>" not in html
    assert run.uncleaned and "Computed on the uncleaned data." in html   # the verdict says what it counted
    rep = run.report()
    assert rep["integrity"]["repeated_user_rows"] == 60 and rep["comparisons"][0]["sequential"]["by_day"]
    assert rep["computed_on_uncleaned_data"] is True
    clean = run_experiment(frame, sequential=True, clean=True)
    assert not clean.uncleaned and clean.report()["computed_on_uncleaned_data"] is False
    assert "uncleaned" not in report_html("t", clean.exp, clean.control, clean.comparisons, clean.rois, clean.srm,
                                          [], uncleaned=clean.uncleaned)


def test_aggregated_file_control_inferred():
    from promo_core.experiment_run import run_experiment
    agg = pd.DataFrame({"variant": ["Control", "B"], "users": [1000, 1000], "conversions": [100, 120]})
    run = run_experiment(agg)
    assert run.control == "Control" and run.integrity is None and run.columns["layout"] == "aggregated"
    with pytest.raises(DataError, match="named like a control"):
        run_experiment(agg.assign(variant=["X", "Y"]))
