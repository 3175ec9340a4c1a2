"""A/B tests page driven headless."""

from streamlit.testing.v1 import AppTest

from .conftest import SAMPLE, open_page


def app() -> AppTest:
    return open_page("views/abtest.py")


def verdicts(at):
    return [i.value for i in at.info if i.icon == ":material/gavel:"]


def test_sample_verdicts_and_switching_control():
    at = app()
    assert len(verdicts(at)) == 2 and all("conversion from" in v for v in verdicts(at))
    at.selectbox(key="ab_control").set_value("10% off").run()
    assert not at.exception
    assert any("control" in v and "lowered" in v for v in verdicts(at))


def test_upload_aggregated_then_bad_file_keeps_it():
    at = app()
    at.radio(key="ab_source").set_value("upload").run()
    at.file_uploader(key="ab_upload").set_value(("agg.csv", (SAMPLE / "experiment_summary.csv").read_bytes(),
                                                 "text/csv")).run()
    assert not at.exception and len(verdicts(at)) == 2
    at.file_uploader(key="ab_upload").set_value(("bad.csv", b"\x00\x01junk" * 50, "text/csv")).run()
    assert not at.exception and at.error and "previous experiment" in at.error[0].value.replace("\\", "")
    assert len(verdicts(at)) == 2  # the aggregated experiment is still analysed


def test_sample_ratio_mismatch_blocks_until_acknowledged():
    at = app()
    at.number_input(key="ab_share_control").set_value(3.0).run()
    assert not at.exception and at.error and "Sample ratio mismatch" in at.error[0].value
    assert not verdicts(at)
    at.checkbox(key="ab_srm_ack").check().run()
    assert len(verdicts(at)) == 2


def test_settings_and_tabs_run():
    at = app()
    at.selectbox(key="ab_adjust").set_value("fdr_bh").run()
    at.selectbox(key="ab_cap").set_value(99.0).run()
    at.selectbox(key="ab_level").set_value(0.99).run()
    at.slider(key="ab_margin").set_value(60).run()
    assert not at.exception and any("99% CI" in v for v in verdicts(at))
    assert any(m.label == "Variance removed" for m in at.metric)


def upload(at, frame, name="exp.csv"):
    at.radio(key="ab_source").set_value("upload").run()
    at.file_uploader(key="ab_upload").set_value((name, frame.to_csv(index=False).encode(), "text/csv")).run()
    assert not at.exception, [(e.message, e.stack_trace[-4:]) for e in at.exception]
    return at


def column_box(at, label):
    """A selectbox of the Columns expander, by its label (their keys follow the file's columns)."""
    return next(s for s in at.selectbox if s.label == label)


def plain(at):
    return [v.replace("\\", "") for v in verdicts(at)]


def texts(at):
    return " ".join([x.value for x in at.caption] + [x.value for x in at.warning] + [x.value for x in at.info]
                    + [x.value for x in at.error]).replace("\\", "")


def test_hillstrom_file_needs_no_mapping_and_raises_no_false_alarm():
    from .experiment_files import hillstrom
    at = upload(app(), hillstrom(n=6000), "hillstrom.csv")
    assert "Arms: segment (3 values); control: No E-Mail; outcome: conversion" in texts(at)
    assert not any("Sample ratio mismatch" in e.value for e in at.error)
    assert len(verdicts(at)) == 2 and all("No E-Mail" not in v.split(" raised")[0] for v in plain(at))
    assert at.selectbox(key="ab_control").value == "No E-Mail"


def test_cookie_cats_asks_for_the_control_and_keeps_retention():
    from .experiment_files import cookie_cats
    at = upload(app(), cookie_cats(n=4000), "cookie_cats.csv")
    assert not verdicts(at) and "choose the control arm" in texts(at)
    at.selectbox(key="ab_control").set_value("gate_30").run()
    column_box(at, "Outcome (yes/no)").set_value("retention_7").run()
    assert not at.exception and len(verdicts(at)) == 1
    assert "retention_7 from" in plain(at)[0] and "conversion" not in plain(at)[0]


def test_landing_page_integrity_shown_and_cleaned_on_request():
    from .experiment_files import landing_page
    at = upload(app(), landing_page(n=6000, repeats=100), "landing.csv")
    t = texts(at)
    assert "80 rows disagree with 'landing_page'" in t and "100 rows repeat a user id" in t
    assert "every row is analysed" in t
    before = plain(at)[0]
    at.toggle(key="ab_clean").set_value(True).run()
    assert not at.exception and "Assignment data cleaned" in texts(at) and plain(at)[0] != before


def test_sequential_switch_gives_always_valid_verdicts_and_effect_by_day():
    from .experiment_files import landing_page
    at = upload(app(), landing_page(n=6000, repeats=100), "landing.csv")
    charts_before = len(at.get("plotly_chart"))
    at.toggle(key="ab_sequential").set_value(True).run()
    assert not at.exception and "always-valid" in plain(at)[0] and "sequential p = " in plain(at)[0]
    assert "Always-valid: Waudby-Smith" in texts(at)
    assert len(at.get("plotly_chart")) == charts_before + 1  # the effect by day


def test_ninety_ten_split_passes_with_its_planned_shares_and_warns_before_planned_size():
    from .experiment_files import split_90_10
    at = upload(app(), split_90_10(n=5000), "split.csv")
    assert any("Sample ratio mismatch" in e.value for e in at.error)  # 'variant' is an arm column by name
    at.number_input(key="ab_share_control").set_value(9.0).run()
    assert not at.exception and not any("Sample ratio mismatch" in e.value for e in at.error)
    assert len(verdicts(at)) == 1 and "contact cost £0.15 per treated user (the default" in plain(at)[0]
    at.number_input(key="ab_planned_n").set_value(20000).run()
    assert any("short of the planned 20,000" in w.value for w in at.warning)


def test_choosing_a_column_with_many_values_as_arms_is_refused_politely():
    from .experiment_files import hillstrom
    at = upload(app(), hillstrom(n=3000), "hillstrom.csv")
    column_box(at, "Arms (variant)").set_value("history").run()
    assert not at.exception and any("different values" in e.value for e in at.error) and not verdicts(at)
    column_box(at, "Arms (variant)").set_value("recency").run()  # 12 values: allowed, SRM blocks (chosen)
    assert not at.exception
