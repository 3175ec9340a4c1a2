"""Reference results by default: pyfim (the default engine) and PromoScope's defaults give exactly
mlxtend's itemsets and rules on the same baskets, with no length cap and every basket counted."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules, fpgrowth
from mlxtend.preprocessing import TransactionEncoder

import promo_core.rules as R
from promo_core.rules import (
    baskets_from_lists,
    engine,
    estimate_work,
    make_baskets,
    mine_itemsets,
    mine_rules,
)
from promo_core.schema import DataError

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from synth import groceries_like, synthetic_baskets, write_basket_file  # noqa: E402

pytestmark = pytest.mark.skipif(R._fim is None, reason="pyfim is not installed")


def mlxtend_reference(lists, min_support, min_confidence, max_len=None):
    """mlxtend alone, from the raw lists (its own TransactionEncoder): itemsets and single-consequent rules."""
    te = TransactionEncoder()
    onehot = pd.DataFrame(te.fit(lists).transform(lists), columns=[str(c) for c in te.columns_])
    sets = fpgrowth(onehot, min_support=min_support, use_colnames=True, max_len=max_len)
    rules = association_rules(sets, num_itemsets=len(lists), metric="confidence", min_threshold=min_confidence)
    rules = rules[rules["consequents"].map(len) == 1]
    return sets, rules


def assert_same(ours_sets, ours_rules, ref_sets, ref_rules):
    got = dict(zip(ours_sets["itemsets"], ours_sets["support"], strict=True))
    want = dict(zip(ref_sets["itemsets"].map(frozenset), ref_sets["support"], strict=True))
    assert got.keys() == want.keys()
    assert np.allclose([got[k] for k in want], list(want.values()), rtol=0, atol=1e-12)
    mine = ours_rules.set_index(["antecedents", "consequents"])
    ref = ref_rules.set_index(["antecedents", "consequents"])
    assert set(mine.index) == set(ref.index) and len(mine) == len(ref)
    for col in ("support", "confidence", "lift", "leverage", "conviction", "zhangs_metric", "jaccard",
                "certainty", "kulczynski"):
        want_col = ref[col].reindex(mine.index).to_numpy()
        assert np.allclose(mine[col].to_numpy(), want_col, rtol=1e-9, atol=1e-12, equal_nan=True), col


@pytest.fixture(scope="module")
def groceries():
    return groceries_like()


@pytest.mark.parametrize("algorithm", ["pyfim", "fpgrowth", "apriori"])
def test_groceries_like_file_at_arules_reference_settings(groceries, algorithm):
    """Support 0.001, confidence 0.5, no length limit: the settings at which arules and mlxtend agree."""
    b = baskets_from_lists(groceries)
    sets, result = mine_rules(b, 0.001, 0.5, algorithm=algorithm)
    ref_sets, ref_rules = mlxtend_reference(groceries, 0.001, 0.5)
    assert_same(sets, result.rules, ref_sets, ref_rules)
    lengths = (result.rules["antecedents"].map(len) + 1)
    assert lengths.min() == 2 and lengths.max() >= 5, "no default length cap"
    assert b.n == len(groceries) and b.n_oversized == 0


@pytest.mark.parametrize("case", ["toy", "sample", "zipf", "in_every_basket", "max_len"])
def test_pyfim_equals_mlxtend_on_several_inputs(case, sample_dataset):
    support, conf, max_len = 0.3, 0.0, None
    if case == "toy":
        lists = [["bread", "milk"], ["bread", "butter"], ["bread", "milk", "butter"], ["milk"], ["bread", "milk"],
                 ["jam"]]
    elif case == "sample":
        lists, support, conf = make_baskets(sample_dataset.events).baskets, 0.005, 0.1
    elif case == "zipf":
        lists, support, conf = synthetic_baskets(20_000, 500, seed=3), 0.002, 0.05
    elif case == "in_every_basket":  # pyfim 6.28 omits itemsets made only of such items; we add them back
        lists, support, conf = [["a", "b", "c"], ["a", "b"], ["a", "b", "d"], ["a", "b", "c", "d"]], 0.25, 0.0
    else:
        lists, support, conf, max_len = groceries_like(3_000, 120, seed=1), 0.002, 0.3, 3
    b = baskets_from_lists(lists)
    sets, result = mine_rules(b, support, conf, max_len=max_len, algorithm="pyfim")
    ref_sets, ref_rules = mlxtend_reference(lists, support, conf, max_len)
    assert_same(sets, result.rules, ref_sets, ref_rules)


def test_support_threshold_at_the_exact_boundary():
    """3 of 10 baskets is support 0.3: kept at 0.3, dropped at 0.30000001 (as mlxtend compares)."""
    lists = [["a", "b"]] * 3 + [["c"]] * 7
    b = baskets_from_lists(lists)
    assert frozenset({"a", "b"}) in set(mine_itemsets(b, 0.3)["itemsets"])
    assert frozenset({"a", "b"}) not in set(mine_itemsets(b, 0.30000001)["itemsets"])
    assert R.min_count(0.3, 10) == 3 and R.min_count(0.1, 3) == 1 and R.min_count(1.0, 7) == 7


def test_basket_matrix_from_codes_equals_transaction_encoder(groceries):
    b = baskets_from_lists(groceries[:500])
    te = TransactionEncoder()
    ref = pd.DataFrame(te.fit(groceries[:500]).transform(groceries[:500]), columns=te.columns_)
    ours = R.one_hot(b).sparse.to_dense().astype(bool)
    assert (ours[ref.columns].to_numpy() == ref.to_numpy()).all()
    assert sorted(map(sorted, b.baskets)) == sorted(map(sorted, groceries[:500]))


def test_every_basket_counts_unless_excluded_and_then_counted():
    lists = [["a", "b"], ["a", "b", "c", "d", "e"], ["a"], ["b", "c"]]
    assert baskets_from_lists(lists).n == 4
    small = baskets_from_lists(lists, max_basket_size=3)
    assert small.n == 3 and small.n_oversized == 1 and small.max_basket_size == 3


def test_fallback_to_mlxtend_with_a_notice(monkeypatch, groceries):
    b = baskets_from_lists(groceries[:3000])
    want, want_rules = mine_rules(b, 0.005, 0.3)
    monkeypatch.setattr(R, "_fim", None)
    used, note = engine("pyfim")
    assert used == "fpgrowth" and "pyfim" in note and "pip install pyfim" in note
    got, got_rules = mine_rules(b, 0.005, 0.3)
    assert_same(got, got_rules.rules, want, want_rules.rules)


def test_guard_rail_stops_with_what_to_change_and_never_changes_the_result():
    rng = np.random.default_rng(0)
    # 60 baskets share the same 26 items: every subset of them is frequent (2^26 itemsets)
    common = [f"c{j}" for j in range(26)]
    lists = [common + [f"x{j}" for j in rng.choice(500, 5, replace=False)] for _ in range(60)]
    lists += [[f"x{j}" for j in rng.choice(500, 4, replace=False)] for _ in range(300)]
    b = baskets_from_lists(lists)
    est = estimate_work(b, 0.1)
    assert est.longest_found == 26 and est.itemsets_at_least > R.MAX_ITEMSETS and est.problem()
    with pytest.raises(DataError) as err:
        mine_itemsets(b, 0.1)
    hint = err.value.hint
    assert "minimum support" in hint and "longest itemset to" in hint and "categories" in hint
    k = int(hint.split("longest itemset to ")[1].split()[0])
    assert R._subsets(26, k) <= R.MAX_ITEMSETS < R._subsets(26, k + 1)
    capped = mine_itemsets(b, 0.1, max_len=k)  # the advice works, and gives mlxtend's result
    ref = fpgrowth(R.one_hot(b), min_support=0.1, use_colnames=True, max_len=k)
    assert len(capped) == len(ref)


def test_guard_rail_pair_limit_names_a_support_that_fits(monkeypatch):
    monkeypatch.setattr(R, "MAX_FREQUENT_PAIRS", 50)
    rng = np.random.default_rng(1)
    b = baskets_from_lists([[f"i{j}" for j in rng.choice(40, 8, replace=False)] for _ in range(200)])
    est = estimate_work(b, 0.01)
    assert est.frequent_pairs > 50 and est.support_for_pairs
    assert estimate_work(b, est.support_for_pairs).candidate_pairs <= 50
    with pytest.raises(DataError, match="nothing was mined"):
        mine_itemsets(b, 0.01)


def test_longest_itemset_bound_holds(groceries):
    b = baskets_from_lists(groceries)
    est = estimate_work(b, 0.001)
    sets = mine_itemsets(b, 0.001)
    assert sets["length"].max() <= est.longest


def test_cli_gives_the_reference_rules_and_states_caps(tmp_path, groceries):
    path = tmp_path / "groceries.csv"
    write_basket_file(groceries, path)
    out = tmp_path / "rules.csv"
    run = subprocess.run([sys.executable, "-m", "promo_core", "rules", str(path), "--out", str(out),
                          "--min-support", "0.001", "--min-confidence", "0.5"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    _, ref_rules = mlxtend_reference(groceries, 0.001, 0.5)
    assert int(run.stdout.strip()) == len(ref_rules) == len(pd.read_csv(out))
    assert "limited" not in run.stderr and "left out" not in run.stderr
    capped = subprocess.run([sys.executable, "-m", "promo_core", "rules", str(path), "--out", str(out),
                             "--min-support", "0.001", "--min-confidence", "0.5", "--max-len", "3",
                             "--max-basket-size", "10"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert capped.returncode == 0, capped.stderr
    assert "limited to 3 items" in capped.stderr and "left out" in capped.stderr
    assert int(capped.stdout.strip()) < len(ref_rules)


@pytest.mark.realdata
def test_online_retail_french_invoices_equal_mlxtend(online_retail):
    """Long baskets (the largest has 259 items): every basket counted, no cap, the same as mlxtend."""
    ev = online_retail.events
    b = make_baskets(ev[ev["Country"] == "France"])
    assert b.n_oversized == 0 and b.largest > 200
    sets, result = mine_rules(b, 0.05, 0.5)
    ref_sets, ref_rules = mlxtend_reference(b.baskets, 0.05, 0.5)
    assert_same(sets, result.rules, ref_sets, ref_rules)


@pytest.mark.realdata
def test_online_retail_every_invoice_counts(online_retail):
    b = make_baskets(online_retail.events)
    assert b.n == 18_532 and b.n_oversized == 0
