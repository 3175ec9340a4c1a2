import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from promo_core.propensity import MODELS, fit_propensity, top_decile
from promo_core.schema import DataError


def planted_events(n=1500, seed=0):
    """Half the users are 'regulars' (many views, purchases every week) who keep buying after the
    cut-off; the rest browse a little and buy after it with a small chance."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    rows = []
    for i in range(n):
        regular = i % 2 == 0
        for d in range(0, 60, 7 if regular else 20):
            rows.append((f"u{i}", start + pd.Timedelta(days=d + rng.uniform(0, 3)), "view"))
            if regular or rng.random() < 0.3:
                rows.append((f"u{i}", start + pd.Timedelta(days=d + rng.uniform(3, 4)), "purchase"))
        if rng.random() < (0.8 if regular else 0.1):
            rows.append((f"u{i}", start + pd.Timedelta(days=75 + rng.uniform(0, 10)), "purchase"))
    ev = pd.DataFrame(rows, columns=["user_id", "timestamp", "event"])
    ev["event"] = pd.Categorical(ev["event"], categories=["view", "search", "click", "cart", "fav", "purchase"])
    ev["price"], ev["quantity"] = np.where(ev["event"] == "purchase", 10.0, np.nan), 1.0
    return ev, {f"u{i}": i % 2 == 0 for i in range(n)}


@pytest.mark.parametrize("model", list(MODELS))
def test_planted_signal_is_learned(model):
    ev, _ = planted_events()
    r = fit_propensity(ev, model, horizon_days=30)
    assert r.ok and r.auc > 0.8 and r.auc_ci[0] < r.auc < r.auc_ci[1]
    assert r.lift_top_decile > 1.5 and len(r.scores) == ev["user_id"].nunique()
    assert r.scores["propensity"].between(0, 1).all()


def test_scores_rank_regulars_first():
    ev, regular = planted_events()
    r = fit_propensity(ev, "logistic")
    y = r.scores["user_id"].map(regular).to_numpy().astype(int)
    assert roc_auc_score(y, r.scores["propensity"]) > 0.85


def test_top_decile_by_hand():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1] * 2)
    p = np.linspace(1, 0, 20)
    assert top_decile(y, p) == (0.5, 0.25)  # top 2 of 20: one buyer of two; 1 of 4 buyers found


def test_too_short_history_and_no_buyers():
    ev, _ = planted_events(200)
    with pytest.raises(DataError, match="too short"):
        fit_propensity(ev, horizon_days=60)
    none = ev[ev["event"] != "purchase"]
    r = fit_propensity(none, horizon_days=20)
    assert not r.ok and r.auc is None and "too few" in r.notes[0]
    with pytest.raises(DataError):
        fit_propensity(ev, "oracle")


def test_yardstick_aucs_beside_the_model():
    ev, _ = planted_events(600)
    p = fit_propensity(ev, "logistic", horizon_days=20)
    assert set(p.baselines) == {"recency only", "frequency only"}
    # regulars buy weekly and keep buying: frequency alone already ranks them well
    assert p.baselines["frequency only"] > 0.7 and all(0 <= v <= 1 for v in p.baselines.values())


@pytest.mark.realdata
def test_online_retail_model_adds_little_over_frequency(online_retail):
    p = fit_propensity(online_retail.events, "logistic", horizon_days=30)
    assert p.auc == pytest.approx(0.750, abs=0.005)
    assert p.baselines["frequency only"] == pytest.approx(0.729, abs=0.005)
    assert p.baselines["recency only"] == pytest.approx(0.675, abs=0.005)
