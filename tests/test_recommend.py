import numpy as np
import pandas as pd
import pytest

from promo_core.recommend import fit, hold_out, recommend_segments, recommend_users, similar_items
from promo_core.schema import DataError


def pairs(rows):
    return pd.DataFrame(rows, columns=["user_id", "item"])


def test_cosine_similarity_by_hand():
    m = fit(pairs([("u1", "A"), ("u1", "B"), ("u2", "A"), ("u2", "B"), ("u3", "A"), ("u3", "C")]))
    sim = pd.DataFrame(m.similarity, index=m.items, columns=m.items)
    # A bought by u1,u2,u3; B by u1,u2; C by u3
    assert sim.loc["A", "B"] == pytest.approx(2 / np.sqrt(3 * 2))
    assert sim.loc["A", "C"] == pytest.approx(1 / np.sqrt(3))
    assert sim.loc["B", "C"] == 0 and sim.loc["A", "A"] == 0
    assert similar_items(m, "A", 2)["item"].tolist() == ["B", "C"]


def test_recommendations_exclude_owned_and_rank_by_score():
    m = fit(pairs([("u1", "A"), ("u1", "B"), ("u2", "A"), ("u2", "B"), ("u3", "A"), ("u3", "C"), ("u4", "B")]))
    recs = recommend_users(m, ["u4"], 2)
    assert recs["item"].tolist() == ["A", "C"] and recs["rank"].tolist() == [1, 2]
    assert recs.iloc[0]["score"] == pytest.approx(m.similarity[m.items.get_loc("B"), m.items.get_loc("A")], abs=1e-5)
    assert "B" not in set(recommend_users(m, ["u1"], 5)["item"])


def test_segment_recommendations():
    m = fit(pairs([("u1", "A"), ("u1", "B"), ("u2", "A"), ("u3", "C")]))
    seg = pd.DataFrame({"user_id": ["u1", "u2", "u3"], "segment": ["s", "s", "t"]})
    out = recommend_segments(m, seg, 2)
    top_s = out[out["segment"] == "s"].iloc[0]
    assert top_s["item"] == "A" and top_s["share_of_segment_already_bought"] == 100.0


def test_hold_out_beats_popularity_on_planted_data(sample_dataset):
    h = hold_out(sample_dataset.events, 10)
    assert h.method == "time split" and h.users > 500 and h.hit_rate_ci[0] > h.popularity_ci[1]


def test_time_split_by_hand():
    # 12 customers bought A then, after the cut-off, B (new to them) with A again (not new);
    # before the cut-off 'x1' and 'x2' bought A and B together, so A -> B is learned. C is the best seller.
    rows = []
    t0, t1 = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01")
    for i in range(12):
        rows += [(f"u{i}", "A", t0, f"o{i}"), (f"u{i}", "B", t1, f"p{i}"), (f"u{i}", "A", t1, f"p{i}")]
    rows += [("x1", "A", t0, "q1"), ("x1", "B", t0, "q1"), ("x2", "A", t0, "q2"), ("x2", "B", t0, "q2")]
    rows += [(f"c{i}", "C", t0, f"r{i}") for i in range(20)]
    ev = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "order_id"]).assign(event="purchase")
    h = hold_out(ev, 1, cutoff=pd.Timestamp("2024-02-01"))
    assert h.users == 12 and h.hit_rate == 1.0  # B is the one recommendation for everyone
    assert h.popularity_hit_rate == 0.0  # the best seller C is never in the next basket


@pytest.mark.realdata
def test_online_retail_time_split_is_modest(online_retail):
    h = hold_out(online_retail.events, 10, online_retail.nonproduct)
    assert h.method == "time split" and h.users > 1000
    # measured 28.8% vs 21.1%: about 1.4x popularity, not the 3x of the leaky leave-last-out check
    assert 1.2 < h.ratio < 1.7 and h.hit_rate_ci[0] > h.popularity_ci[1]


def test_hold_out_needs_enough_customers():
    ev = pd.DataFrame({"user_id": ["a", "a"], "item_id": ["x", "y"], "event": ["purchase"] * 2,
                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    with pytest.raises(DataError, match="at least 10"):
        hold_out(ev)
