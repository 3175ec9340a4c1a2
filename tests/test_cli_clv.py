"""promo-core clv (issue 16): the CSV, the printed summary and hold-out check, and bad input as exit 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from promo_core.cli import main

from .conftest import SAMPLE

EVENTS = str(SAMPLE / "events.csv.gz")


def test_clv_writes_one_row_per_buyer_and_checks_the_forecast(tmp_path, capsys):
    out, check = tmp_path / "clv.csv", tmp_path / "holdout.json"
    assert main(["clv", EVENTS, "--out", str(out), "--holdout-from", "auto", "--holdout-out", str(check),
                 "--discount-rate", "0"]) == 0
    text = capsys.readouterr().out
    df = pd.read_csv(out)
    assert list(df.columns) == ["user_id", "frequency", "recency", "T", "monetary_value", "p_alive",
                                "expected_purchases", "expected_spend", "clv", "segment"]
    assert df["user_id"].is_unique and len(df) > 2000
    assert ((df["p_alive"] >= 0) & (df["p_alive"] <= 1)).all() and (df["clv"] >= 0).all()
    # no discounting: value = expected purchases x expected spend, at full precision
    assert (df["clv"] - df["expected_purchases"] * df["expected_spend"]).abs().max() < 1e-6
    assert f"{len(df):,} buyers valued over 12 months" in text and "Hold-out check" in text
    h = json.loads(check.read_text())
    assert h["ok"] and h["cutoff"].startswith("2026-08-01") and len(h["deciles"]) == 10
    assert h["predicted_purchases"] > 0 and h["actual_purchases"] > 0


@pytest.mark.parametrize(("extra", "match"), [
    (["--horizon", "0"], "whole number of months"),
    (["--discount-rate", "0.9"], "discount rate"),
    (["--holdout-out", "x.json"], "--holdout-out needs --holdout-from"),
    (["--holdout-from", "next tuesday"], "is not a date"),
])
def test_bad_arguments_exit_2_with_one_paragraph(tmp_path, capsys, extra, match):
    assert main(["clv", EVENTS, "--out", str(tmp_path / "x.csv"), *extra]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err and err.count("\n") == 1


def test_a_basket_file_is_a_data_error(tmp_path, capsys):
    baskets = tmp_path / "baskets.csv"
    baskets.write_text("milk,bread\nbread,butter\nmilk,butter,bread\n", encoding="utf-8")
    assert main(["clv", str(baskets), "--format", "baskets", "--out", str(tmp_path / "x.csv")]) == 2
    assert "purchase times" in capsys.readouterr().err
