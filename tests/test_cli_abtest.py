"""`promo-core abtest` on the file shapes managers bring: inferred columns, integrity, --clean,
--sequential, --split, --cap, --segment-col, --alternative, guardrails; report.json's schema."""

import json
import subprocess
import sys

import pytest

from promo_core.sequential import ArmMoments, sequential_test

from .conftest import ROOT
from .experiment_files import cookie_cats, hillstrom, landing_page, split_90_10


def run(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "promo_core", "abtest", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("ab")
    out = {}
    for name, frame in {"hill": hillstrom(), "cats": cookie_cats(), "landing": landing_page(flipped=40),
                        "split": split_90_10()}.items():
        out[name] = d / f"{name}.csv"
        frame.to_csv(out[name], index=False)
    out["dir"] = d
    return out


def test_hillstrom_needs_no_mapping(files):
    out = files["dir"] / "h.json"
    p = run(files["hill"], "--out", out)
    assert p.returncode == 0, p.stderr
    assert "Arms: segment (3 values); control: No E-Mail; outcome: conversion; revenue: spend" in p.stdout
    assert "mismatch" not in p.stdout
    rep = json.loads(out.read_text())
    assert rep["columns"]["arm"] == "segment" and rep["control"] == "No E-Mail" and len(rep["comparisons"]) == 2
    keys = [sorted(c) for c in rep["comparisons"]]
    assert keys[0] == keys[1]  # one schema for every comparison
    assert {"revenue_per_buyer_diff", "revenue_per_buyer_diff_ci", "revenue_per_buyer_p_value", "abs_diff_ci_adjusted",
            "rel_lift_ci_adjusted", "sequential", "roi"} <= set(rep["comparisons"][0])
    assert all(v["revenue_per_buyer"] is not None for v in rep["variants"])
    assert "gross margin 40% (the default — set your own)" in p.stdout


def test_cookie_cats_asks_for_the_control_then_keeps_the_metric_name(files):
    out = files["dir"] / "c.json"
    p = run(files["cats"], "--out", out)
    assert p.returncode == 2 and "gate_30" in p.stderr and "--control" in p.stderr and "Traceback" not in p.stderr
    p = run(files["cats"], "--control", "gate_30", "--converted-col", "retention_7", "--out", out)
    assert p.returncode == 0, p.stderr
    assert "lowered retention_7 from" in p.stdout and "conversion" not in p.stdout
    assert json.loads(out.read_text())["metric"] == "retention_7"


def test_landing_page_integrity_and_clean(files):
    out, out2 = files["dir"] / "l.json", files["dir"] / "l2.json"
    dirty = run(files["landing"], "--out", out)
    clean = run(files["landing"], "--clean", "--out", out2)
    assert dirty.returncode == 0 and clean.returncode == 0, dirty.stderr + clean.stderr
    assert "248 rows disagree with 'landing_page'" in dirty.stdout and "260 rows repeat a user id" in dirty.stdout
    assert "not cleaned (use --clean)" in dirty.stdout and "cleaned: 299 rows removed" in clean.stdout
    a, b = json.loads(out.read_text()), json.loads(out2.read_text())
    assert a["integrity"]["cleaned"] is False and b["integrity"]["cleaned"] is True
    assert a["integrity"]["mirror_conflicts"] == b["integrity"]["mirror_conflicts"] == 248
    assert b["integrity"]["rows_after"] == sum(v["n"] for v in b["variants"]) == 20260 + 0 - 299
    assert a["comparisons"][0]["p_value"] != b["comparisons"][0]["p_value"]


def test_sequential_results_equal_the_core_and_come_by_day(files):
    out = files["dir"] / "s.json"
    p = run(files["landing"], "--clean", "--sequential", "--tuning", "8000", "--out", out)
    assert p.returncode == 0, p.stderr
    assert "always-valid" in p.stdout and "Sequential: always-valid intervals (tuning 8000" in p.stdout
    rep = json.loads(out.read_text())
    seq = rep["comparisons"][0]["sequential"]
    v = {x["name"]: x for x in rep["variants"]}
    ref = sequential_test(ArmMoments.proportion(v["treatment"]["n"], v["treatment"]["conversions"]),
                          ArmMoments.proportion(v["control"]["n"], v["control"]["conversions"]), "relative",
                          0.05, 8000)
    assert seq["relative"]["ci_low"] == pytest.approx(ref.ci_low) and seq["relative"]["p_value"] == pytest.approx(
        ref.p_value)
    assert len(seq["by_day"]) == 21 and seq["by_day"][-1]["users"] == sum(x["n"] for x in rep["variants"])
    assert rep["sequential"]["tuning"] == 8000


def test_split_cap_guardrails_alternative_segment(files):
    out = files["dir"] / "x.json"
    p = run(files["split"], "--out", out)
    assert p.returncode == 0 and "sample ratio mismatch against an assumed equal split" in p.stdout
    p = run(files["split"], "--split", "control=0.9,promo=0.1", "--cap", "99", "--guardrail-col", "unsubscribed",
            "--lower-is-better", "unsubscribed", "--ratio", "revenue/orders", "--alternative", "greater",
            "--segment-col", "orders", "--cost-per-user", "0.1", "--margin", "0.3", "--out", out)
    assert p.returncode == 0, p.stderr
    assert "mismatch" not in p.stdout and "Revenue capped at" in p.stdout and "unsubscribed" in p.stdout
    assert "gross margin 30% and contact cost £0.10 per treated user" in p.stdout and "default" not in p.stdout
    rep = json.loads(out.read_text())
    assert rep["sample_ratio"]["planned_split"] == {"control": 0.9, "promo": 0.1}
    assert rep["comparisons"][0]["alternative"] == "greater" and rep["comparisons"][0]["abs_diff_ci"][1] is None
    assert {m["metric"] for m in rep["metrics"]} == {"converted", "net revenue per user", "unsubscribed",
                                                       "revenue per orders"}
    assert "orders" in rep["segments"]


@pytest.mark.parametrize("args, match", [
    (["--split", "control=0.9,promo"], "NAME=SHARE"), (["--split", "control=0.9,zzz=0.1"], "zzz"),
    (["--ratio", "revenue"], "NUMERATOR/DENOMINATOR"), (["--tuning", "0"], "tuning"),
    (["--variant-col", "nope"], "no column 'nope'"), (["--cap", "20"], "capping percentile")])
def test_bad_arguments_exit_2_without_traceback(files, args, match):
    p = run(files["split"], *args, "--out", files["dir"] / "bad.json")
    assert p.returncode == 2 and match in p.stderr and "Traceback" not in p.stderr
