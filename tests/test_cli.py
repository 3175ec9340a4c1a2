import json
import subprocess
import sys

import pytest

from promo_core.cli import build_parser, main

from .conftest import ONLINE_RETAIL, ROOT, need


def run(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "promo_core", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


@pytest.mark.realdata
def test_validate_online_retail_prints_the_facts():
    p = run("validate", str(need(ONLINE_RETAIL)))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["rows_read"] == 541_909 and out["users"] == 4_338
    assert out["facts"]["rows_without_user_id"] == 135_080
    assert out["facts"]["cancelled_order_rows"] == 9_288 and out["facts"]["exact_duplicate_rows"] == 5_268
    assert out["facts"]["distinct_orders"] == 25_900 and out["facts"]["distinct_items"] == 4_070
    assert out["kpis"]["buyers"] == 4_338


@pytest.mark.parametrize("content, name", [(b"", "empty.csv"), (b"\x00\x01" * 500, "junk.bin"),
                                           (b"a\n1\n2\n", "onecol.csv"), (b"\x1f\x8b\x08\x00", "t.csv.gz")])
def test_bad_file_exit_2_without_traceback(tmp_path, content, name):
    f = tmp_path / name
    f.write_bytes(content)
    p = run("validate", str(f))
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and p.stderr.startswith("promo-core: ")
    assert "What to do" in p.stderr and p.stdout == ""


def test_missing_file_and_manual_map(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.csv")]) == 2
    assert "File not found" in capsys.readouterr().err
    f = tmp_path / "cn.csv"
    f.write_text("编号,日期时间\n1,2024-01-01\n", encoding="utf-8")
    assert main(["validate", str(f)]) == 2
    assert main(["validate", str(f), "--map", "user_id=编号", "--map", "timestamp=日期时间"]) == 0
    assert json.loads(capsys.readouterr().out)["users"] == 1


def test_sample_command_writes_files(tmp_path):
    p = run("sample", "--out", str(tmp_path), "--users", "300", "--seed", "3")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "events.csv.gz").exists() and (tmp_path / "truth" / "personas.csv").exists()
    p = run("sample", "--out", str(tmp_path), "--users", "5")
    assert p.returncode == 2 and "200 to 200,000" in p.stderr


def test_help_for_every_command():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"validate", "sample"} <= set(commands)
    for name in commands:
        p = run(name, "--help")
        assert p.returncode == 0 and "usage: promo-core " + name in p.stdout


def test_internal_error_is_one_line(monkeypatch, capsys):
    import promo_core.cli as cli
    monkeypatch.setitem(cli.COMMANDS, "sample", lambda args: 1 / 0)
    assert main(["sample", "--out", "x"]) == 1
    err = capsys.readouterr().err
    assert "internal error (ZeroDivisionError" in err and "Traceback" not in err


def test_segment_writes_the_contract_columns(tmp_path):
    out = tmp_path / "users.csv"
    p = run("segment", "sample_data/events.csv.gz", "--out", str(out), "--k", "5")
    assert p.returncode == 0, p.stderr
    import pandas as pd
    users = pd.read_csv(out)
    assert len(users) == 3000 and users["segment"].nunique() == 5
    assert {"user_id", "recency_days", "frequency", "monetary", "segment", "segment_name", "rfm_score",
            "rfm_segment", "lifecycle"} <= set(users.columns)
    assert "5 segments" in p.stdout and out.read_bytes()[:3] != b"\xef\xbb\xbf"
    bad = run("segment", "sample_data/events.csv.gz", "--out", str(out), "--k", "many")
    assert bad.returncode == 2 and "--k must be" in bad.stderr


def test_rules_writes_the_contract(tmp_path):
    out = tmp_path / "rules.csv"
    p = run("rules", "sample_data/events.csv.gz", "--out", str(out), "--min-support", "0.01", "--min-confidence", "0.3")
    assert p.returncode == 0, p.stderr
    import pandas as pd
    rules = pd.read_csv(out)
    assert list(rules.columns) == ["antecedents", "consequents", "support", "confidence", "lift", "leverage",
                                   "conviction"]
    assert int(p.stdout.strip()) == len(rules) > 0
    assert json.loads(rules.iloc[0]["consequents"]) and (rules["confidence"] >= 0.3).all()
    guard = run("rules", "sample_data/events.csv.gz", "--out", str(out), "--min-support", "2", "--min-confidence", "0.3")
    assert guard.returncode == 2 and "between 0 and 1" in guard.stderr and "Traceback" not in guard.stderr


def test_abtest_writes_the_report(tmp_path):
    out = tmp_path / "report.json"
    p = run("abtest", "sample_data/experiment.csv", "--variant-col", "variant", "--control", "control",
            "--converted-col", "converted", "--revenue-col", "revenue", "--discount-col", "discount",
            "--cost-col", "cost", "--margin", "0.4", "--out", str(out))
    assert p.returncode == 0, p.stderr
    rep = json.loads(out.read_text())
    assert [v["name"] for v in rep["variants"]] and all({"n", "conversions", "rate", "revenue_mean"} <= set(v)
                                                        for v in rep["variants"])
    c = rep["comparisons"][0]
    assert {"abs_diff", "abs_diff_ci", "rel_lift", "rel_lift_ci", "p_value", "roi"} <= set(c)
    assert c["roi"]["incremental_profit"] is not None and len(p.stdout.strip().splitlines()) == 2
    agg = run("abtest", "sample_data/experiment_summary.csv", "--variant-col", "variant", "--control", " CONTROL ",
              "--out", str(out))
    assert agg.returncode == 0, agg.stderr
    bad = run("abtest", "sample_data/experiment.csv", "--variant-col", "variant", "--control", "nobody",
              "--converted-col", "converted", "--out", str(out))
    assert bad.returncode == 2 and "no variant called 'nobody'" in bad.stderr and "Traceback" not in bad.stderr
