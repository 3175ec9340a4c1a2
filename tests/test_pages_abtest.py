"""A/B tests page driven headless."""

from streamlit.testing.v1 import AppTest

from .conftest import SAMPLE, open_page


def app() -> AppTest:
    return open_page("pages/abtest.py")


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
