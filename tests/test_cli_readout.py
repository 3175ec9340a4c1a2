"""promo-core plan --targets/--holdout/--seed and promo-core readout: the campaign loop from the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from .conftest import ROOT, SAMPLE
from .test_campaigns import simulate


def run(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "promo_core", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


def plan(tmp_path, name: str, seed: int, *extra):
    out, targets = tmp_path / f"{name}.json", tmp_path / f"{name}.csv"
    p = run("plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--experiment",
            str(SAMPLE / "experiment.csv"), "--optimise", "--budget", "5000", "--out", str(out), "--targets",
            str(targets), "--holdout", "0.3", "--seed", str(seed), *extra)
    assert p.returncode == 0, p.stderr
    return p, out, targets


def test_cli_round_trip_plan_targets_readout_next_plan(tmp_path):
    p, fc_path, t_path = plan(tmp_path, "first", 5)
    assert "held out" in p.stdout and "detectable lift" in p.stdout
    targets = pd.read_csv(t_path, dtype={"user_id": str})
    assert list(targets.columns[:4]) == ["user_id", "segment", "offer", "offer_type"] and "group" in targets
    shares = targets.groupby("segment")["group"].apply(lambda g: (g == "holdout").sum() / len(g))
    assert ((shares - 0.3).abs() <= 0.5 / targets.groupby("segment").size() + 1e-9).all()
    # the same seed writes the same file; another seed another one
    _, _, again = plan(tmp_path, "again", 5)
    _, _, other = plan(tmp_path, "other", 6)
    assert again.read_bytes() == t_path.read_bytes() and other.read_bytes() != t_path.read_bytes()
    big = targets["segment"].value_counts().index[0]
    outcomes = simulate(targets, dict.fromkeys(targets["segment"].unique(), 0.2), {big: 0.25}, seed=2)
    o_path = tmp_path / "outcomes.csv"
    outcomes.rename(columns={"user_id": "customer_id"}).to_csv(o_path, index=False)
    r_path = tmp_path / "readout.json"
    p = run("readout", "--targets", str(t_path), "--outcomes", str(o_path), "--out", str(r_path), "--forecast",
            str(fc_path), "--name", "June")
    assert p.returncode == 0, p.stderr
    r = json.loads(r_path.read_text())
    seg = {s["segment"]: s for s in r["segments"]}
    assert r["name"] == "June" and r["source"] == "outcomes file" and seg[big]["adj_ci_low"] <= 0.25
    assert seg[big]["adj_ci_low"] > 0 and seg[big]["adj_ci_high"] >= 0.25
    fc = json.loads(fc_path.read_text())
    assert seg[big]["forecast_lift"] is not None and any(x["segment"] == big for x in fc["segments"])
    # the next plan uses the readout: the big segment's forecast is now the measured one
    p2, fc2_path, _ = plan(tmp_path, "next", 5, "--readout", str(r_path))
    nxt = {x["segment"]: x for x in json.loads(fc2_path.read_text())["segments"]}
    first = {x["segment"]: x for x in fc["segments"]}
    assert nxt != first
    if nxt[big]["source"] == "measured" and nxt[big]["offer_type"] == first[big]["offer_type"]:
        assert abs(nxt[big]["expected_conversion"] - seg[big]["rate_treatment"]) < 1e-9


def test_cli_readout_on_campaign_events(tmp_path):
    _, _, t_path = plan(tmp_path, "t", 1)
    out = tmp_path / "r.json"
    p = run("readout", "--targets", str(t_path), "--outcomes", str(SAMPLE / "events.csv.gz"), "--start", "2026-08-17",
            "--end", "2026-08-30", "--out", str(out))
    assert p.returncode == 0, p.stderr
    r = json.loads(out.read_text())
    assert r["source"] == "campaign events" and r["period_start"] == "2026-08-17" and r["period_end"] == "2026-08-30"


def test_cli_bad_input_exits_2_with_one_paragraph(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    p = run("readout", "--targets", str(bad), "--outcomes", str(bad), "--out", str(tmp_path / "r.json"))
    assert p.returncode == 2 and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert "target list has no" in p.stderr
    p = run("plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--out", str(tmp_path / "f.json"),
            "--targets", str(tmp_path / "t.csv"), "--holdout", "0.7")
    assert p.returncode == 2 and "0% to 50%" in p.stderr and "Traceback" not in p.stderr
    p = run("plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--out", str(tmp_path / "f.json"),
            "--readout", str(bad))
    assert p.returncode == 2 and "Traceback" not in p.stderr
