"""promo-core plan --save-campaign and promo-core campaigns list|show, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from promo_core.cli import main
from promo_core.workspace import open_workspace
from tests import workspace_backends

from .conftest import SAMPLE

workspace_url = workspace_backends.workspace_url  # fixture: every test runs on both backends
EVENTS = str(SAMPLE / "events.csv.gz")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_saves_a_campaign_that_list_and_show_print(workspace_url, tmp_path, capsys):
    fc = tmp_path / "forecast.json"
    code, out, err = run(capsys, "plan", EVENTS, "--segmentation", "rfm", "--optimise", "--budget", "3000",
                         "--out", str(fc), "--save-campaign", "Sample December", "--workspace", workspace_url)
    assert code == 0, err
    assert "Saved campaign 'Sample December'" in out
    record = json.loads(fc.read_text())
    code, out, err = run(capsys, "campaigns", "list", "--workspace", workspace_url, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["Sample December"]
    assert rows[0]["forecast_profit"] == pytest.approx(record["total"]["incremental_profit"])
    assert rows[0]["measured_profit"] is None and rows[0]["status"] == "planned"
    # a readout (as the readout step stores it), then the human list shows forecast vs measured
    ws = open_workspace(workspace_url)
    measured = round(0.5 * record["total"]["incremental_profit"], 2)
    ws.add_readout("Sample December", {"total": {"incremental_profit": measured, "roi": 0.8, "lift": 0.03}})
    ws.close()
    code, out, err = run(capsys, "campaigns", "list", "--workspace", workspace_url)
    assert code == 0 and "Sample December" in out and "measured" in out and "50%" in out
    assert f"£{measured:,.0f}" in out
    code, out, err = run(capsys, "campaigns", "show", "Sample December", "--workspace", workspace_url)
    assert code == 0, err
    assert f"£{record['total']['incremental_profit']:,.0f} incremental profit" in out
    for r in record["segments"]:
        assert r["segment"] in out
    code, out, err = run(capsys, "campaigns", "show", "Sample December", "--workspace", workspace_url, "--json")
    shown = json.loads(out)
    assert shown["forecast"]["total"] == pytest.approx(record["total"])
    assert shown["readouts"][0]["measured_profit"] == pytest.approx(measured)


def test_plan_stores_the_holdout_assignment_of_the_target_list_it_wrote(workspace_url, tmp_path, capsys):
    """With the target list of `plan --targets` (16-loop) the assignment is read back and stored."""
    import argparse

    from promo_core.cli import _save_campaign
    from promo_core.promotions import Assumptions, Offer
    targets = tmp_path / "targets.csv"
    pd.DataFrame({"user_id": ["00123", "u2", "u3"], "segment": ["A", "A", "B"], "offer": ["10% off", "10% off", "x"],
                  "group": ["treatment", "holdout", "treatment"]}).to_csv(targets, index=False)
    args = argparse.Namespace(save_campaign="With targets", workspace=workspace_url, targets=str(targets),
                              seed=5, holdout=0.1)
    record = {"dataset": {"name": "d"}, "segmentation": "rfm", "segments": [],
              "total": {"incremental_profit": 10.0}}
    _save_campaign(args, record, [Offer("A", "percent_off", 10.0), Offer("B")], Assumptions())
    assert "3 customers in its target list, 1 held out" in capsys.readouterr().out
    d = open_workspace(workspace_url).campaign("With targets")
    assert (d.n_targets, d.n_holdout, d.seed, d.holdout_share) == (3, 1, 5, 0.1)
    assert open_workspace(workspace_url).targets("With targets")["user_id"].tolist() == ["00123", "u2", "u3"]


def test_empty_workspace_and_errors_exit_2_with_one_paragraph(workspace_url, tmp_path, capsys):
    code, out, err = run(capsys, "campaigns", "list", "--workspace", workspace_url)
    assert code == 0 and "No campaigns" in out
    code, out, err = run(capsys, "campaigns", "show", "nope", "--workspace", workspace_url)
    assert code == 2 and "no campaign called 'nope'" in err and "Traceback" not in err
    code, out, err = run(capsys, "plan", EVENTS, "--segmentation", "rfm", "--out", str(tmp_path / "f.json"),
                         "--workspace", workspace_url)
    assert code == 2 and "--save-campaign" in err
    ws = open_workspace(workspace_url)
    ws.save_campaign("Taken", plan={"offers": [{"segment": "x"}]}, forecast={"total": {}}, dataset={},
                     segmentation="rfm")
    ws.close()
    code, out, err = run(capsys, "plan", EVENTS, "--segmentation", "rfm", "--out", str(tmp_path / "g.json"),
                         "--save-campaign", "Taken", "--workspace", workspace_url)
    assert code == 2 and "already exists" in err
    assert not (tmp_path / "g.json").exists()  # refused before the work, not after



def test_plan_saves_the_campaign_dates_and_refuses_bad_ones_before_the_work(workspace_url, tmp_path, capsys):
    fc = tmp_path / "f.json"
    base = ("plan", EVENTS, "--segmentation", "rfm", "--out", str(fc))
    code, out, err = run(capsys, *base, "--save-campaign", "Dated", "--workspace", workspace_url,
                         "--campaign-start", "2026-09-07", "--campaign-end", "2026-09-20")
    assert code == 0, err
    ws = open_workspace(workspace_url)
    d = ws.campaign("Dated")
    ws.close()
    assert (str(d.start_date), str(d.end_date)) == ("2026-09-07", "2026-09-20")
    fc.unlink()
    for extra, match in ((("--campaign-start", "2026-09-20", "--campaign-end", "2026-09-07"), "ends before it starts"),
                         (("--campaign-end", "20 Sept"), "not a date")):
        code, out, err = run(capsys, *base, "--save-campaign", "Other", "--workspace", workspace_url, *extra)
        assert code == 2 and match in err and "Traceback" not in err, err
    code, out, err = run(capsys, *base, "--campaign-start", "2026-09-07")
    assert code == 2 and "--save-campaign" in err
    assert not fc.exists()  # refused before the work

@pytest.mark.parametrize(("url", "match"), [("mysql://u@h/db", "SQLite file or a PostgreSQL"),
                                            ("postgresql+psycopg://u:secret@127.0.0.1:1/db", "could not be reached")])
def test_a_bad_workspace_url_is_exit_2_without_the_password(url, match, capsys):
    code, out, err = run(capsys, "campaigns", "list", "--workspace", url)
    assert code == 2 and match in err and "secret" not in err and err.count("\n") == 1


def test_reading_a_workspace_that_does_not_exist_creates_no_file(tmp_path, capsys):
    db = tmp_path / "none" / "workspace.db"
    code, out, err = run(capsys, "campaigns", "list", "--workspace", str(db))
    assert code == 0 and "No campaigns" in out and not db.exists()
    code, out, err = run(capsys, "campaigns", "list", "--workspace", str(db), "--json")
    assert code == 0 and out.strip() == "[]"
    code, out, err = run(capsys, "campaigns", "show", "x", "--workspace", str(db))
    assert code == 2 and "no campaign called 'x'" in err and not db.exists()


def test_the_workspace_comes_from_the_environment_then_secrets_toml(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PROMOSCOPE_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'[workspace]\nurl = "sqlite:///{tmp_path}/team.db"\n')
    (tmp_path / "team.db").touch()
    (tmp_path / "env.db").touch()
    code, out, err = run(capsys, "campaigns", "list")
    assert code == 0 and f"sqlite:///{tmp_path}/team.db" in out
    monkeypatch.setenv("PROMOSCOPE_WORKSPACE", str(tmp_path / "env.db"))
    code, out, err = run(capsys, "campaigns", "list")
    assert code == 0 and "env.db" in out
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[workspace\nurl=")
    monkeypatch.delenv("PROMOSCOPE_WORKSPACE")
    code, out, err = run(capsys, "campaigns", "list")
    assert code == 2 and "secrets.toml could not be read" in err
