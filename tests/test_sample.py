import json

import numpy as np
import pandas as pd
import pytest

from promo_core.sample import (
    PERSONAS,
    TRUE_CONVERSION,
    VARIANTS,
    generate,
    summarise_experiment,
    write_sample,
)
from promo_core.schema import DataError

from .conftest import SAMPLE


def test_committed_sample_is_reproducible(tmp_path):
    write_sample(tmp_path)
    for rel in ("events.csv.gz", "experiment.csv", "experiment_summary.csv", "truth/personas.csv",
                "truth/planted_rules.json", "truth/experiment_truth.json", "truth/params.json"):
        assert (tmp_path / rel).read_bytes() == (SAMPLE / rel).read_bytes(), rel


def test_sample_is_small_and_has_every_event_kind(sample_dataset):
    assert (SAMPLE / "events.csv.gz").stat().st_size < 4_000_000
    r = sample_dataset.report
    assert r.users == 3000 and r.rows_read == r.rows_kept
    assert {"view", "cart", "purchase"} <= set(r.event_mix)
    assert sample_dataset.has >= {"item_name", "category", "price", "order_id", "discount"}
    assert set(r.attributes) == {"age_band", "region"}


def test_personas_have_planted_shares():
    personas = pd.read_csv(SAMPLE / "truth" / "personas.csv")
    shares = personas["persona"].value_counts(normalize=True)
    for name, p in PERSONAS.items():
        assert abs(shares[name] - p.share) < 0.03


def test_planted_rules_hold_in_generated_orders():
    rules = json.loads((SAMPLE / "truth" / "planted_rules.json").read_text())
    assert len(rules) == 4
    for r in rules:
        assert abs(r["confidence"] - r["planted_confidence"]) < 0.08
        assert r["lift"] > 4 and r["support"] > 0.005


def test_experiment_matches_truth_per_persona():
    exp = pd.read_csv(SAMPLE / "experiment.csv").merge(pd.read_csv(SAMPLE / "truth" / "personas.csv"))
    truth = json.loads((SAMPLE / "truth" / "experiment_truth.json").read_text())
    assert truth["variants"] == list(VARIANTS)
    for (persona, variant), g in exp.groupby(["persona", "variant"]):
        p = TRUE_CONVERSION[persona][variant]
        se = np.sqrt(p * (1 - p) / len(g))
        assert abs(g["converted"].mean() - p) < 4 * se + 1e-9, (persona, variant)
        assert truth["personas"][persona]["variants"][variant]["conversion"] == p
    assert (exp.loc[exp["converted"] == 0, "revenue"] == 0).all()
    assert (exp.loc[exp["variant"] == "control", "discount"] == 0).all()
    coupon = exp[(exp["variant"] == "spend 80 get 12") & (exp["discount"] > 0)]
    assert ((coupon["discount"] % 12) == 0).all()


def test_summary_is_the_aggregate_of_user_rows():
    exp = pd.read_csv(SAMPLE / "experiment.csv")
    summary = pd.read_csv(SAMPLE / "experiment_summary.csv")
    again = summarise_experiment(exp)
    assert summary["users"].tolist() == again["users"].tolist() == exp["variant"].value_counts()[list(VARIANTS)].tolist()
    assert np.allclose(summary["revenue_sum"], again["revenue_sum"])


def test_seed_changes_data_and_users_scale():
    a, b = generate(n_users=300, seed=1), generate(n_users=300, seed=2)
    assert not a["events"].equals(b["events"])
    assert a["personas"]["user_id"].nunique() == 300


@pytest.mark.parametrize("kw", [{"n_users": 10}, {"n_users": 10**7}, {"seed": -1}, {"n_users": 2.5}])
def test_bad_parameters(kw):
    with pytest.raises(DataError):
        generate(**kw)
