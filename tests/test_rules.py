import json
import math

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules, fpgrowth
from scipy.stats import chi2_contingency, fisher_exact
from statsmodels.stats.multitest import multipletests

from promo_core.quality import load_dataset
from promo_core.rules import (
    ALGORITHMS,
    baskets_from_lists,
    cross_sell,
    estimate_work,
    filter_rules,
    item_labels,
    make_baskets,
    make_rules,
    mine_itemsets,
    one_hot,
    redundant,
    rules_contract,
    suggest_bundles,
)
from promo_core.schema import DataError

from .conftest import SAMPLE

TOY = [["bread", "milk"], ["bread", "butter"], ["bread", "milk", "butter"], ["milk"], ["bread", "milk"],
       ["jam"]]


def rule(rules, a, c):
    hit = rules[(rules["antecedents"] == frozenset(a)) & (rules["consequents"] == frozenset(c))]
    assert len(hit) == 1, (a, c)
    return hit.iloc[0]


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_toy_case_by_hand(algorithm):
    b = baskets_from_lists(TOY)
    f = mine_itemsets(b, min_support=0.3, max_len=2, algorithm=algorithm)
    sup = dict(zip(f["itemsets"], f["support"], strict=True))
    assert sup[frozenset({"bread"})] == pytest.approx(4 / 6) and sup[frozenset({"milk"})] == pytest.approx(4 / 6)
    assert sup[frozenset({"bread", "milk"})] == pytest.approx(3 / 6)
    assert frozenset({"jam"}) not in sup  # 1/6 < 0.3
    r = rule(make_rules(f, b.n, 0.0, 0.0).rules, {"bread"}, {"milk"})
    assert r["confidence"] == pytest.approx(3 / 4) and r["lift"] == pytest.approx((3 / 4) / (4 / 6))
    assert r["leverage"] == pytest.approx(3 / 6 - (4 / 6) ** 2)
    assert r["conviction"] == pytest.approx((1 - 4 / 6) / (1 - 3 / 4))
    assert r["n_baskets"] == 3


def test_equal_to_mlxtend_on_the_same_one_hot(sample_dataset):
    b = make_baskets(sample_dataset.events)
    ours = make_rules(mine_itemsets(b, 0.005, 3), b.n, 0.1, 0.0, single_consequent=False, test="none").rules
    ref_sets = fpgrowth(one_hot(b), min_support=0.005, use_colnames=True, max_len=3)
    ref = association_rules(ref_sets, num_itemsets=b.n, metric="confidence", min_threshold=0.1)
    assert len(ours) == len(ref)
    ref = ref.set_index(["antecedents", "consequents"])
    mine = ours.set_index(["antecedents", "consequents"])
    assert set(mine.index) == set(ref.index)
    for col in ("support", "confidence", "lift", "leverage", "conviction", "zhangs_metric", "jaccard"):
        assert np.allclose(mine[col].to_numpy(), ref[col].reindex(mine.index).to_numpy(), equal_nan=True), col


def test_planted_associations_found_with_their_lift(sample_dataset):
    truth = json.loads((SAMPLE / "truth" / "planted_rules.json").read_text())
    b = make_baskets(sample_dataset.events)
    rules = make_rules(mine_itemsets(b, 0.005, 3), b.n, 0.3, 2.0).rules
    for t in truth:
        r = rule(rules, t["antecedents"], t["consequents"])
        assert r["lift"] == pytest.approx(t["lift"]) and r["confidence"] == pytest.approx(t["confidence"])
        assert r["p_adjusted"] < 1e-6
    top = rules.sort_values("lift", ascending=False).head(4)
    assert all(c in {frozenset(t["consequents"]) for t in truth} | {frozenset({a}) for t in truth
               for a in t["antecedents"]} for c in top["consequents"])


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_miners_agree(sample_dataset, algorithm):
    b = make_baskets(sample_dataset.events)
    ref = dict(zip(*mine_itemsets(b, 0.01, 3, "fpgrowth")[["itemsets", "support"]].T.values, strict=True))
    got = dict(zip(*mine_itemsets(b, 0.01, 3, algorithm)[["itemsets", "support"]].T.values, strict=True))
    assert ref.keys() == got.keys() and all(np.isclose(ref[k], got[k]) for k in ref)


def test_significance_matches_scipy_and_statsmodels(sample_dataset):
    b = make_baskets(sample_dataset.events)
    f = mine_itemsets(b, 0.01, 2)
    fisher = make_rules(f, b.n, 0.05, 0.0, test="fisher").rules.head(15)
    chi = make_rules(f, b.n, 0.05, 0.0, test="chi2").rules.head(15)
    for r in fisher.itertuples(index=False):
        both, x, y = round(r.support * b.n), round(r.antecedent_support * b.n), round(r.consequent_support * b.n)
        table = [[both, x - both], [y - both, b.n - x - y + both]]
        assert r.p_value == pytest.approx(fisher_exact(table, alternative="greater")[1], rel=1e-6, abs=1e-300)
    for r in chi.itertuples(index=False):
        both, x, y = round(r.support * b.n), round(r.antecedent_support * b.n), round(r.consequent_support * b.n)
        table = [[both, x - both], [y - both, b.n - x - y + both]]
        assert r.p_value == pytest.approx(chi2_contingency(table, correction=False)[1], rel=1e-6, abs=1e-300)
    full = make_rules(f, b.n, 0.05, 0.0, test="fisher").rules
    assert np.allclose(full["p_adjusted"], multipletests(full["p_value"], method="fdr_bh")[1])


def test_redundant_rules_by_hand():
    rules = pd.DataFrame({"antecedents": [frozenset("a"), frozenset("ab"), frozenset("ac")],
                          "consequents": [frozenset("z")] * 3, "confidence": [0.6, 0.5, 0.7]})
    assert redundant(rules).tolist() == [False, True, False]


def test_filters():
    b = baskets_from_lists(TOY)
    rules = make_rules(mine_itemsets(b, 0.3, 2), b.n, 0.0, 0.0).rules
    only = filter_rules(rules, antecedent_has="butter")
    assert len(only) and all("butter" in a for a in only["antecedents"])
    assert all("milk" in c for c in filter_rules(rules, consequent_has="milk")["consequents"])


def test_baskets_order_vs_user_day_and_category_level():
    text = ("order,user,time,item,category,price\n1,a,2024-01-01 10:00,X,cat1,1\n1,a,2024-01-01 10:00,Y,cat2,1\n"
            "2,a,2024-01-01 15:00,Z,cat1,1\n3,b,2024-01-02 10:00,X,cat1,1\n3,b,2024-01-02 10:00,X,cat1,1\n")
    ev = load_dataset(text.encode(), "b.csv").events
    assert sorted(map(sorted, make_baskets(ev).baskets)) == [["X"], ["X", "Y"], ["Z"]]
    assert sorted(map(sorted, make_baskets(ev, by="user-day").baskets)) == [["X"], ["X", "Y", "Z"]]
    assert sorted(map(sorted, make_baskets(ev, level="category").baskets)) == [["cat1"], ["cat1"], ["cat1", "cat2"]]
    small = make_baskets(ev, by="user-day", max_basket_size=2)
    assert small.n == 1 and small.n_oversized == 1


def test_labels_are_names_unique_and_plain_str():
    ev = pd.DataFrame({"item_id": ["1", "2", "3", "3"], "item_name": ["Mug", "Mug", "Cup", "Cup (old)"]})
    labels = item_labels(ev)
    assert labels == {"1": "Mug [1]", "2": "Mug [2]", "3": "Cup"} or labels["3"] in ("Cup", "Cup (old)")
    assert all(type(v) is str for v in labels.values())


def test_numeric_and_numpy_string_labels():
    baskets = [[np.str_("1"), np.str_("2")], [1, 2], ["1", "3"], ["2", "3"], [1, 2, 3]]
    b = baskets_from_lists(baskets)
    rules = make_rules(mine_itemsets(b, 0.2, 2), b.n, 0.1, min_lift=0.0).rules
    assert len(rules) and all(type(i) is str for s in rules["antecedents"] for i in s)
    out = rules_contract(rules)
    assert json.loads(out.iloc[0]["antecedents"])[0] in {"1", "2", "3"}


@pytest.mark.parametrize("baskets, kwargs, match", [
    ([["a"], ["b"], ["c"]], {}, None),
    (TOY, {"min_support": 0.99}, None),
    (TOY, {"min_support": 0}, "between 0 and 1"),
    (TOY, {"max_len": 1}, "at least 2"),
    (TOY, {"algorithm": "eclat"}, "Unknown algorithm"),
])
def test_uninformative_and_bad_thresholds(baskets, kwargs, match):
    b = baskets_from_lists(baskets)
    if match:
        with pytest.raises(DataError, match=match):
            mine_itemsets(b, **{"min_support": 0.3, **kwargs})
        return
    f = mine_itemsets(b, **{"min_support": 0.3, **kwargs})
    result = make_rules(f, b.n)
    assert not result.ok and result.rules.empty and list(result.rules.columns)[:2] == ["antecedents", "consequents"]
    assert "lower" in result.notes[0]


def test_guard_rail_before_a_memory_blow_up():
    rng = np.random.default_rng(0)
    b = baskets_from_lists([[f"i{j}" for j in rng.choice(4000, 30, replace=False)] for _ in range(400)])
    est = estimate_work(b, 0.001)
    assert est.frequent_items > 3000 and est.problem()
    with pytest.raises(DataError, match="too large"):
        mine_itemsets(b, 0.001)


def test_bundles_and_cross_sell(sample_dataset):
    from promo_core.rules import item_prices
    b = make_baskets(sample_dataset.events)
    f = mine_itemsets(b, 0.005, 3)
    rules = make_rules(f, b.n, 0.3, 2.0).rules
    bundles = suggest_bundles(f, rules, item_prices(sample_dataset.events, b.labels), b.n)
    assert "Espresso beans 1kg + Milk frother" in set(bundles["bundle"])
    row = bundles.set_index("bundle").loc["Espresso beans 1kg + Milk frother"]
    assert 5 <= row["suggested_discount_pct"] <= 15
    assert row["bundle_price"] == pytest.approx(row["combined_price"] * (1 - row["suggested_discount_pct"] / 100), abs=0.01)
    offers = cross_sell(rules, b)
    r = offers[(offers["if_bought"] == "Espresso beans 1kg") & (offers["offer"] == "Milk frother")].iloc[0]
    assert 0 < r["targetable_users"] <= r["buyers_of_x"]


def test_per_segment_rules_use_only_those_users(sample_dataset):
    users = set(sample_dataset.events["user_id"].unique()[:300])
    b = make_baskets(sample_dataset.events, users=users)
    assert set(b.basket_users) <= users and 0 < b.n < make_baskets(sample_dataset.events).n


@pytest.mark.realdata
def test_online_retail_basket_counts(online_retail):
    b = make_baskets(online_retail.events, max_basket_size=10_000)
    assert b.n == 18_532  # invoices left after cleaning
    assert math.isclose(sum(map(len, b.baskets)) / b.n, 21.0, rel_tol=0.05)


def test_rules_by_brute_force_on_random_baskets():
    """The vectorised single-consequent rules (integer item ids, prefix lookups) against a plain
    count over the baskets: every (itemset, item) pair, supports counted directly."""
    from itertools import combinations
    rng = np.random.default_rng(7)
    lists = [sorted({f"i{v}" for v in rng.integers(0, 12, rng.integers(1, 7))}) for _ in range(300)]
    b = baskets_from_lists(lists)
    f = mine_itemsets(b, 0.02)
    got = make_rules(f, b.n, 0.3, 0.0, test="none").rules
    sets = [frozenset(x) for x in lists]

    def support(s):
        return sum(s <= x for x in sets) / len(sets)
    want = {}
    items = sorted({i for x in lists for i in x})
    for k in range(2, 7):
        for combo in combinations(items, k):
            whole = frozenset(combo)
            s_ac = support(whole)
            if s_ac < 0.02:
                continue
            for y in combo:
                conf = s_ac / support(whole - {y})
                if conf >= 0.3:
                    want[(whole - {y}, frozenset({y}))] = (s_ac, conf, conf / support(frozenset({y})))
    assert len(got) == len(want) > 50
    for r in got.itertuples(index=False):
        s_ac, conf, lift = want[(r.antecedents, r.consequents)]
        assert (r.support, r.confidence, r.lift) == pytest.approx((s_ac, conf, lift), rel=1e-12)
    lifts = got["lift"].to_numpy()
    assert (np.diff(lifts) <= 1e-12).all()  # highest lift first


def test_rules_need_every_subset_of_each_itemset():
    f = pd.DataFrame({"support": [0.5, 0.4, 0.3, 0.2],
                      "itemsets": [frozenset({"a"}), frozenset({"b"}), frozenset({"c"}), frozenset({"a", "b", "c"})],
                      "length": [1, 1, 1, 3]})
    with pytest.raises(DataError, match="subsets"):
        make_rules(f, 10, 0.1, 0.0)
