import numpy as np
import pandas as pd
import pytest

from promo_core.features import build_profiles
from promo_core.propensity import fit_propensity
from promo_core.schema import DataError
from promo_core.uplift import auuc, label, qini, uplift_targeting

from .conftest import SAMPLE


def test_qini_by_hand():
    score = np.array([4, 3, 2, 1])
    w = np.array([1, 0, 1, 0])
    y = np.array([1, 0, 0, 1])
    q = qini(score, w, y, points=5)
    # after 1: yt=1, nc=0 -> 1; after 2: 1 - 0*1/1 = 1; after 3: 1 - 0 = 1; after 4: 1 - 1*2/2 = 0
    assert q["qini"].tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert q["random"].tolist() == [0.0] * 5
    assert auuc(q) == pytest.approx(np.trapezoid([0, 1, 1, 1, 0], [0, .25, .5, .75, 1]))


def test_labels():
    up = np.array([0.1, -0.1, 0.0, 0.0])
    p0 = np.array([0.1, 0.1, 0.9, 0.05])
    assert label(up, p0).tolist() == ["Persuadable", "Sleeping dog", "Sure thing", "Lost cause"]


@pytest.mark.parametrize("learner", ["t", "x"])
def test_uplift_beats_random_on_hold_out(sample_dataset, learner):
    profiles = build_profiles(sample_dataset.events)
    users = pd.read_csv(SAMPLE / "experiment.csv")
    wins = [uplift_targeting(profiles, users, "10% off", "control", learner, seed=s).auuc_model for s in range(3)]
    assert all(w > 0 for w in wins)


def test_persuadables_are_the_planted_bargain_hunters(sample_dataset):
    profiles = build_profiles(sample_dataset.events)
    users = pd.read_csv(SAMPLE / "experiment.csv")
    prop = fit_propensity(sample_dataset.events).scores
    r = uplift_targeting(profiles, users, "10% off", "control", "t", propensity=prop)
    persona = pd.read_csv(SAMPLE / "truth" / "personas.csv").set_index("user_id")["persona"]
    by = r.scores.assign(persona=r.scores["user_id"].map(persona)).groupby("persona")["uplift"].mean()
    assert by.idxmax() == "Bargain hunter"  # planted +12 points, the largest
    assert r.auuc_propensity is not None and len(r.curves) == 101


def test_too_few_users():
    profiles = pd.DataFrame({"user_id": ["a", "b"], "frequency": [1, 2]})
    users = pd.DataFrame({"user_id": ["a", "b"], "variant": ["t", "c"], "converted": [1, 0]})
    with pytest.raises(DataError, match="at least 50"):
        uplift_targeting(profiles, users, "t", "c")
