"""The Basket rules page headline names a rule a marketer can act on: a strong pair over hundreds of baskets,
not a rare triple that reaches 100% confidence (and the top lift) in a couple of dozen baskets."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from promo_core.quality import load_dataset
from promo_core.rules import (
    extra_baskets_low,
    filter_rules,
    headline_rule,
    make_baskets,
    mine_rules,
    rules_for_display,
)

from .conftest import ROOT, full_error_details
from .planted_baskets import N_RARE, RARE_OFFER, RARE_TRIPLE, write_planted


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = tmp_path_factory.mktemp("planted") / "baskets.csv"
    write_planted(path)
    return path, load_dataset(path)


@pytest.mark.parametrize("prune", [True, False])
def test_headline_is_the_planted_pair_not_the_rare_perfect_triple(planted, prune):
    _path, ds = planted
    b = make_baskets(ds.events)
    _itemsets, result = mine_rules(b, 0.01, 0.2, 1.0, test="fisher")
    rules = filter_rules(result.rules, drop_redundant=prune)
    shown = rules_for_display(rules)
    # the table's own order (lift) starts with the rare triple: the trap the headline used to fall into
    first = rules.iloc[0]
    assert first["antecedents"] == frozenset(RARE_TRIPLE) and first["consequents"] == {RARE_OFFER}
    assert first["confidence"] == 1.0 and first["n_baskets"] == N_RARE and first["lift"] == rules["lift"].max()
    best = headline_rule(rules, b.n)
    top = rules.iloc[best]
    assert set(top["antecedents"]) | set(top["consequents"]) == {"tea", "teapot"}, shown.iloc[best].to_dict()
    assert top["n_baskets"] > 400 and top["confidence"] > 0.7
    gain = extra_baskets_low(rules, b.n)
    assert gain[best] > 10 * gain[0]


def test_extra_baskets_by_hand():
    # 22 of 22 baskets with X hold Y, Y in 10% of 2,000 baskets: the Wilson lower bound of 22/22 is 85.1%
    import pandas as pd
    r = pd.DataFrame({"support": [22 / 2000], "antecedent_support": [22 / 2000], "consequent_support": [0.1]})
    assert extra_baskets_low(r, 2000)[0] == pytest.approx(22 * (0.8512 - 0.1), abs=0.01)
    assert headline_rule(r.iloc[:0], 2000) is None


def test_a_rule_that_may_be_chance_scores_below_zero():
    import pandas as pd
    r = pd.DataFrame({"support": [0.05], "antecedent_support": [0.5], "consequent_support": [0.1]})  # lift 1
    assert extra_baskets_low(r, 1000)[0] < 0 and np.isfinite(extra_baskets_low(r, 1000)).all()


def test_rules_page_headline_names_the_planted_pair_and_its_basis(planted):
    _path, ds = planted
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    full_error_details()
    at.session_state["dataset"] = ds
    at.session_state["dataset_key"] = "planted-baskets"
    at.run()
    at.switch_page("views/rules.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.toggle(key="r_prune").value  # "Hide redundant" on
    reading = next(v for c in at.caption if (v := c.value.replace("\\", "")).startswith("Reading:"))
    assert ("buy tea are" in reading and "to buy teapot" in reading) or (
        "buy teapot are" in reading and "to buy tea " in reading), reading
    assert RARE_OFFER not in reading and "soy sauce" not in reading
    assert "Why this rule:" in reading and "beyond chance" in reading
