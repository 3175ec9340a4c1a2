"""promo-core plan: the planner from the command line (forecast.json contract)."""

import json
import subprocess
import sys

import pytest

from promo_core.cli import main

from .conftest import ONLINE_RETAIL, ROOT, SAMPLE, need

FIELDS = {"segment", "users", "baseline_conversion", "offer", "source", "incremental_profit", "profit_low",
          "profit_high"}


def run(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "promo_core", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


def test_plan_optimise_with_experiment_on_the_sample(tmp_path):
    out = tmp_path / "forecast.json"
    p = run("plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--experiment",
            str(SAMPLE / "experiment.csv"), "--optimise", "--budget", "5000", "--out", str(out))
    assert p.returncode == 0, p.stderr
    d = json.loads(out.read_text())
    assert d["plan_source"] == "optimiser" and d["segmentation"] == "rfm"
    assert all(FIELDS <= set(r) for r in d["segments"])
    assert {r["source"] for r in d["segments"]} <= {"measured", "calibrated", "assumed", "none"}
    assert "measured" in {r["source"] for r in d["segments"]} or "calibrated" in {r["source"] for r in d["segments"]}
    t = d["total"]
    assert {"incremental_profit", "profit_low", "profit_high"} <= set(t)
    assert t["incremental_profit"] == pytest.approx(sum(r["incremental_profit"] for r in d["segments"]))
    assert t["profit_low"] <= t["incremental_profit"] <= t["profit_high"]
    assert sum(r["users"] for r in d["segments"]) == 3000
    assert d["optimiser"]["cost"] <= 5000 + 1e-6
    for r in d["segments"]:
        assert 0 < r["baseline_conversion"] < 1  # no zero baseline, never the defining window's 1.0
        if r["source"] == "assumed":  # low end = assumed lifts zero: only costs remain
            assert r["profit_low"] <= 0
    assert any(a["assumption"] == "Bundle attach rate" and a["low"] == 0 for a in d["assumptions"])


def test_plan_file_round_trip_and_no_offers(tmp_path, capsys):
    from promo_core.promotions import Assumptions, Offer, plan_to_json
    from promo_core.quality import load_dataset
    ds = load_dataset(SAMPLE / "events.csv.gz")
    out = tmp_path / "f.json"
    assert main(["plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "lifecycle", "--out", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["plan_source"] == "no offers" and all(r["incremental_profit"] == 0 for r in d["segments"])
    names = [r["segment"] for r in d["segments"]]
    dataset_id = {"name": ds.name, "users": ds.report.users, "from": ds.report.first_event, "to": ds.report.last_event}
    plan = [Offer(s, "percent_off", 10, 0, 1.0, 0.1) for s in names]
    pf = tmp_path / "plan.json"
    pf.write_text(plan_to_json(plan, Assumptions(), dataset_id, "lifecycle"))
    assert main(["plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "lifecycle", "--plan", str(pf),
                 "--out", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["plan_source"] == "plan file" and {r["offer"] for r in d["segments"]} == {"10% off"}
    assert {r["source"] for r in d["segments"]} == {"assumed"}
    assert d["total"]["profit_low"] < 0  # the 10% on orders that happen anyway, if the lift is zero
    # a plan for another segmentation: exit 2, one paragraph, no traceback
    capsys.readouterr()
    assert main(["plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--plan", str(pf),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("promo-core: ") and "Traceback" not in err


@pytest.mark.parametrize("args, match", [
    (["--optimise"], "needs a budget"),
    (["--optimise", "--budget", "-5"], "positive"),
    (["--plan", "x.json", "--optimise", "--budget", "10"], "both"),
    (["--windows", "0"], "windows"),
    (["--plan", "/nonexistent/plan.json"], "could not be read"),
])
def test_plan_bad_arguments_exit_2(tmp_path, capsys, args, match):
    code = main(["plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", *args,
                 "--out", str(tmp_path / "f.json")])
    assert code == 2 and match in capsys.readouterr().err


@pytest.mark.realdata
def test_plan_on_online_retail(tmp_path):
    out = tmp_path / "f.json"
    p = run("plan", str(need(ONLINE_RETAIL)), "--segmentation", "rfm", "--optimise", "--budget", "2000",
            "--out", str(out))
    assert p.returncode == 0, p.stderr
    d = json.loads(out.read_text())
    seg = {r["segment"]: r for r in d["segments"]}
    assert sum(r["users"] for r in d["segments"]) == 4_338
    assert seg["Champions"]["baseline_conversion"] < 0.6 and seg["Lost"]["baseline_conversion"] > 0.01
    assert d["optimiser"]["cost"] <= 2000 + 1e-6


def test_plan_file_with_the_chinese_mechanics(tmp_path, capsys):
    from promo_core.promotions import Assumptions, Offer, plan_to_json
    from promo_core.quality import load_dataset
    ds = load_dataset(SAMPLE / "events.csv.gz")
    out = tmp_path / "f.json"
    assert main(["plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--out", str(out)]) == 0
    names = [r["segment"] for r in json.loads(out.read_text())["segments"]]
    dataset_id = {"name": ds.name, "users": ds.report.users, "from": ds.report.first_event, "to": ds.report.last_event}
    kinds = [Offer("", "tiered_discount", tiers=((30, 3), (60, 8), (120, 20))), Offer("", "gift_with_purchase", 2, 40),
             Offer("", "second_item", 50), Offer("", "flash_sale", 25, window_start=20, window_hours=2, stock=50),
             Offer("", "member_points", 2), Offer("", "deposit_presale", deposit=5, deposit_value=12)]
    plan = [Offer(s, k.offer_type, k.depth, k.threshold, 1.0, 0.1, k.tiers, k.window_start, k.window_hours, k.stock,
                  k.deposit, k.deposit_value) for s, k in zip(names, (kinds * 3)[:len(names)], strict=True)]
    pf = tmp_path / "plan.json"
    pf.write_text(plan_to_json(plan, Assumptions(), dataset_id, "rfm"))
    capsys.readouterr()
    assert main(["plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--plan", str(pf),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    d = json.loads(out.read_text())
    by = {r["segment"]: r for r in d["segments"]}
    assert {r["offer_type"] for r in d["segments"]} == {k.offer_type for k in kinds[:len(names)]}
    assert by[names[0]]["tiers"] == [[30, 3], [60, 8], [120, 20]] and by[names[3]]["stock"] == 50
    for r in d["segments"]:
        assert r["source"] == "assumed" and r["profit_low"] <= r["incremental_profit"] <= r["profit_high"]
    assert d["total"]["deferred_cost"] > 0 and d["total"]["forfeited_deposits"] > 0
    assert "member points" in printed and "forfeited pre-sale deposits" in printed
    pts = by[names[4]]  # member points: the whole cost is deferred (paid when the points are redeemed)
    assert pts["deferred_cost"] == pytest.approx(pts["value_given"]) and pts["value_given"] > 0
    # a hostile plan file with a new type: exit 2, one paragraph, no traceback
    bad = json.loads(pf.read_text())
    bad["offers"][0]["tiers"] = [[60, 8], [30, 3]]
    pf.write_text(json.dumps(bad))
    assert main(["plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--plan", str(pf),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Tier 2" in err and "Traceback" not in err
