import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from promo_core.features import build_profiles
from promo_core.quality import load_dataset
from promo_core.schema import DataError
from promo_core.segments import (
    METHODS,
    NO_PURCHASE,
    RETURNED_ALL,
    RFM_RULES,
    LifecycleRules,
    check_rfm_rules,
    cluster,
    lifecycle,
    name_segments,
    quintile_score,
    rf_grid,
    rfm,
    rules_from_json,
    rules_to_json,
    textbook_quintiles,
)

from .conftest import SAMPLE


@pytest.fixture(scope="module")
def sample_profiles(sample_dataset):
    return build_profiles(sample_dataset.events)


@pytest.fixture(scope="module")
def personas(sample_profiles):
    truth = pd.read_csv(SAMPLE / "truth" / "personas.csv").set_index("user_id")
    return truth.loc[sample_profiles["user_id"], "persona"].to_numpy()


def test_default_settings_recover_planted_personas(sample_profiles, personas):
    c = cluster(sample_profiles)
    assert c.k == 5
    assert adjusted_rand_score(personas, c.labels) >= 0.8
    assert c.stability > 0.95 and c.silhouette > 0.5
    assert list(c.scan["k"]) == list(range(2, 11))


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_same_output_shape(sample_profiles, personas, method):
    c = cluster(sample_profiles, method=method, k=5, stability_runs=1)
    assert len(c.labels) == len(sample_profiles) and c.method == method
    assert set(c.names) == set(np.unique(c.labels)) == set(c.centers.index)
    assert set(c.profile.columns) >= {"segment", "segment_name", "users", "share_of_users_pct",
                                      "share_of_revenue_pct"}
    assert c.profile["users"].sum() == len(sample_profiles)
    assert c.pca.shape == (len(sample_profiles), 4)
    assert adjusted_rand_score(personas, c.labels) >= (0.6 if method == "dbscan" else 0.8)


def test_same_seed_same_segments(sample_profiles):
    a = cluster(sample_profiles, seed=3, stability_runs=0)
    b = cluster(sample_profiles, seed=3, stability_runs=0)
    assert (a.labels == b.labels).all() and a.names == b.names


def test_segment_ids_ordered_by_size(sample_profiles):
    c = cluster(sample_profiles, k=4, stability_runs=0)
    sizes = np.bincount(c.labels)
    assert (np.diff(sizes) <= 0).all()


def test_names_say_what_sets_segments_apart():
    centers = pd.DataFrame({"monetary": [1.5, -0.1, 0.0], "frequency": [1.2, -1.0, 0.1],
                            "views": [0.0, 1.2, 0.05], "recency_days": [-0.2, 0.3, 0.1]})
    names = name_segments(centers)
    assert names == {0: "High spend, frequent", 1: "Browses a lot, rarely buys", 2: "Average customers"}
    dup = name_segments(pd.DataFrame({"monetary": [1.0, 1.1]}))
    assert dup == {0: "High spend", 1: "High spend (2)"}


@pytest.mark.parametrize("n_users, kwargs, match", [
    (5, {}, "too few"),
    (50, {"k": 1}, "from 2 to"),
    (50, {"k": 60}, "from 2 to"),
    (50, {"method": "magic"}, "Unknown clustering method"),
    (50, {"features": ["nope"]}, "not in the profiles"),
])
def test_bad_parameters(n_users, kwargs, match):
    rng = np.random.default_rng(0)
    prof = pd.DataFrame({"user_id": [f"u{i}" for i in range(n_users)], "frequency": rng.integers(1, 9, n_users),
                         "monetary": rng.gamma(2, 30, n_users)})
    with pytest.raises(DataError, match=match):
        cluster(prof, kwargs.pop("features", ["frequency", "monetary"]), **kwargs)


def test_identical_users_and_constant_features():
    prof = pd.DataFrame({"user_id": [f"u{i}" for i in range(20)], "frequency": [2] * 20, "monetary": [10.0] * 20})
    with pytest.raises(DataError, match="constant"):
        cluster(prof, ["frequency", "monetary"])
    prof["views"] = [1, 2] * 10
    c = cluster(prof, ["frequency", "monetary", "views"], stability_runs=0)
    assert c.k == 2 and any("same for every user" in n for n in c.notes)


def test_tiny_segment_is_flagged():
    rng = np.random.default_rng(1)
    big = rng.normal(0, 1, (200, 2))
    tiny = rng.normal(30, 0.1, (3, 2))
    X = np.vstack([big, tiny])
    prof = pd.DataFrame({"user_id": [f"u{i}" for i in range(len(X))], "a": X[:, 0], "b": X[:, 1]})
    c = cluster(prof, ["a", "b"], k=2, use_log=False, stability_runs=0)
    assert any("fewer than 10 users" in n for n in c.notes) and sorted(np.bincount(c.labels)) == [3, 200]


def test_dbscan_marks_noise():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(0, 0.3, (300, 2)), rng.normal(5, 0.3, (300, 2)), [[20, 20], [-20, 15]]])
    prof = pd.DataFrame({"user_id": [f"u{i}" for i in range(len(X))], "a": X[:, 0], "b": X[:, 1]})
    c = cluster(prof, ["a", "b"], method="dbscan", use_log=False, stability_runs=0)
    assert c.k == 2 and (c.labels[-2:] == -1).all() and c.names[-1] == "Unusual users (noise)"


# --- RFM

def test_quintile_score_by_hand_and_ties():
    assert quintile_score(pd.Series(range(1, 11))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_score(pd.Series(range(1, 11)), higher_is_better=False).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    tied = quintile_score(pd.Series([1, 1, 1, 1, 1, 1, 2, 3, 4, 5]))
    # the six ties share one score; five distinct values use the whole scale
    assert tied.tolist() == [1, 1, 1, 1, 1, 1, 2, 3, 4, 5]
    # ties straddling 20% and 40%: cumulative shares 0.3, 0.5, 0.6, 0.8, 1.0 -> cuts at the groups
    # nearest 20/40/60/80%: after 1 (0.3), 2 (0.5), 3 (0.6), 4 (0.8)
    s = quintile_score(pd.Series([1, 1, 1, 2, 2, 3, 4, 4, 5, 5]))
    assert s.tolist() == [1, 1, 1, 2, 2, 3, 4, 4, 5, 5]
    # three distinct values: cumulative shares 0.2, 0.6, 1.0 -> scores ceil(5 x share) = 1, 3, 5
    assert quintile_score(pd.Series([7, 8, 8, 9, 9])).tolist() == [1, 3, 3, 5, 5]
    # without ties it is exactly the textbook quintile score
    v = pd.Series(np.random.default_rng(0).normal(size=500))
    assert (quintile_score(v) == textbook_quintiles(v)).all()


def test_rfm_net_of_returns_and_returned_everything():
    p = pd.DataFrame({"user_id": list("abcdefghij"), "recency_days": np.arange(1.0, 11.0),
                      "frequency": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "monetary": [0.0, *range(10, 100, 10)],
                      "return_rate": [1.0, *[0.0] * 9]})
    s = rfm(p).set_index("user_id")
    assert s.loc["a", "m_score"] == 1 and s.loc["a", "rfm_segment"] == RETURNED_ALL
    assert s.loc["j", "m_score"] == 5 and s.loc["b", "rfm_segment"] != RETURNED_ALL


def test_default_rules_cover_every_cell_once():
    assert check_rfm_rules(RFM_RULES) == []
    assert set(RFM_RULES["segment"]) == {"Champions", "Loyal", "Potential Loyalist", "New", "Promising",
                                         "Need Attention", "About to Sleep", "At Risk", "Can't Lose Them",
                                         "Hibernating", "Lost"}
    broken = RFM_RULES[RFM_RULES["segment"] != "Lost"]
    assert check_rfm_rules(broken) == ["No segment for R1F1"]
    overlap = pd.concat([RFM_RULES, pd.DataFrame([("Extra", 5, 5, 5, 5)], columns=RFM_RULES.columns)])
    assert "More than one segment for R5F5 (Champions and Extra)" in check_rfm_rules(overlap)[0]
    assert rules_from_json(rules_to_json(RFM_RULES)).equals(RFM_RULES)


def test_rfm_scores_by_hand():
    prof = pd.DataFrame({"user_id": list("abcdef"), "recency_days": [1, 2, 3, 4, 5, np.nan],
                         "frequency": [5, 4, 3, 2, 1, 0], "monetary": [50, 40, 30, 20, 10, 0]})
    s = rfm(prof).set_index("user_id")
    assert s.loc["a", "rfm_score"] == "555" and s.loc["a", "rfm_segment"] == "Champions"
    assert s.loc["e", "rfm_score"] == "111" and s.loc["e", "rfm_segment"] == "Lost"
    assert s.loc["c", "rfm_score"] == "333" and s.loc["c", "rfm_segment"] == "Need Attention"
    assert s.loc["f", "rfm_segment"] == NO_PURCHASE and pd.isna(s.loc["f", "r_score"])
    with pytest.raises(DataError, match="does not cover"):
        rfm(prof, RFM_RULES.iloc[:-1])
    grid = rf_grid(rfm(prof), prof)
    assert len(grid) == 25 and grid["users"].sum() == 5


@pytest.mark.realdata
def test_rfm_on_online_retail(online_retail):
    p = build_profiles(online_retail.events)
    s = rfm(p)
    assert len(s) == 4_338 and s["rfm_segment"].notna().all() and (s["rfm_segment"] != NO_PURCHASE).all()
    assert set(s["rfm_segment"]) <= set(RFM_RULES["segment"])


# --- lifecycle

def test_lifecycle_rules_by_hand():
    rows = []
    t_end = pd.Timestamp("2024-06-30 12:00")
    def add(u, days_ago, event):
        rows.append({"user_id": u, "timestamp": t_end - pd.Timedelta(days=days_ago), "event": event})
    add("new", 5, "view")
    add("never", 100, "view")
    add("churned", 120, "purchase")
    add("churned", 100, "view")
    add("silent", 60, "purchase")
    add("active", 100, "view")
    for d in range(1, 13):
        add("active", d, "view")
    for d in (2, 4, 6):
        add("active", d, "purchase")
    add("occasional", 100, "view")
    add("occasional", 10, "purchase")
    ev = pd.DataFrame(rows)
    ev["event"] = pd.Categorical(ev["event"])
    stages = lifecycle(ev).set_index("user_id")["lifecycle"].to_dict()
    assert stages == {"new": "New", "never": "Never bought", "churned": "Churned", "silent": "Silent",
                      "active": "Active", "occasional": "Occasional"}
    with pytest.raises(DataError, match="whole number"):
        lifecycle(ev, LifecycleRules(new_days=-1))


def test_no_purchases_at_all():
    text = "user,time,event\na,2024-01-01,view\nb,2024-01-02,view\n" + "".join(
        f"u{i},2024-01-{i % 28 + 1:02d},view\n" for i in range(30))
    p = build_profiles(load_dataset(text.encode(), "v.csv").events)
    assert (rfm(p)["rfm_segment"] == NO_PURCHASE).all()
    with pytest.raises(DataError, match="constant"):
        cluster(p, ["frequency", "monetary"])
