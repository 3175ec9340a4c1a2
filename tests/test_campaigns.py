"""Campaigns: holdout groups in target lists, the readout, and the readout as evidence for the next plan."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize, proportions_ztest

from promo_core.campaigns import (
    CampaignReadout,
    assign_holdout,
    campaign_readout,
    campaign_targets,
    forecast_from_json,
    held_out_count,
    holdout_summary,
    min_detectable_lift,
    outcomes_from_events,
    outcomes_from_file,
    plan_counts,
    read_targets,
    readout_evidence,
)
from promo_core.export import to_csv_bytes
from promo_core.i18n import locale_context
from promo_core.schema import DataError


def users(sizes: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"user_id": f"{s}-{i:06d}", "segment": s} for s, n in sizes.items() for i in range(n)])


def simulate(targets: pd.DataFrame, base: dict[str, float], lift: dict[str, float], seed: int = 0,
             discount: float = 0.1) -> pd.DataFrame:
    """Outcomes of a campaign: conversion = segment baseline (+ lift for the treated), gross order value
    Gamma(4, 10), the treated converters get ``discount`` off."""
    rng = np.random.default_rng(seed)
    seg = targets["segment"].astype(str)
    treated = (targets["group"] == "treatment").to_numpy()
    p = seg.map(base).to_numpy(float) + np.where(treated, seg.map(lift).fillna(0.0).to_numpy(float), 0.0)
    conv = rng.random(len(targets)) < p
    gross = np.where(conv, rng.gamma(4.0, 10.0, len(targets)), 0.0)
    disc = np.where(treated & conv, discount * gross, 0.0)
    return pd.DataFrame({"user_id": targets["user_id"].to_numpy(), "converted": conv.astype(int),
                         "revenue": gross - disc, "discount": disc})


# ---------------------------------------------------------------- holdout assignment

@pytest.mark.parametrize(("n", "share", "k"), [(10, 0.15, 2), (25, 0.1, 3), (15, 0.1, 2), (14, 0.1, 1), (1, 0.5, 1),
                                               (3, 0.0, 0), (1000, 0.1, 100), (7, 0.5, 4)])
def test_held_out_count_is_round_half_up(n, share, k):
    assert held_out_count(n, share) == k


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 300), min_size=1, max_size=5), share=st.integers(0, 50), seed=st.integers(0, 10**6))
def test_holdout_share_per_segment_is_exact(sizes, share, seed):
    t = users({f"s{i}": n for i, n in enumerate(sizes)})
    out = assign_holdout(t, share / 100, seed)
    assert len(out) == len(t) and set(out["group"]) <= {"treatment", "holdout"}
    got = out[out["group"] == "holdout"].groupby("segment").size()
    for i, n in enumerate(sizes):
        want = math.floor(Fraction(share, 100) * n + Fraction(1, 2))  # round half up, exactly
        assert int(got.get(f"s{i}", 0)) == want


def test_same_seed_same_file_other_seed_other_file_in_any_row_order():
    t = users({"A": 500, "B": 333, "C": 41}).assign(offer="10% off")
    a = to_csv_bytes(assign_holdout(t, 0.2, 7), bom=False)
    assert a == to_csv_bytes(assign_holdout(t, 0.2, 7), bom=False)
    shuffled = t.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert to_csv_bytes(assign_holdout(shuffled, 0.2, 7), bom=False) == a
    other = assign_holdout(t, 0.2, 8)
    assert to_csv_bytes(other, bom=False) != a
    first = assign_holdout(t, 0.2, 7)
    overlap = (first["group"].eq("holdout") & other["group"].eq("holdout")).sum() / first["group"].eq("holdout").sum()
    assert overlap < 0.4  # independent draws share about 20% of their holdout, not all of it


def test_holdout_is_not_the_first_rows():
    t = users({"A": 1000})
    held = assign_holdout(t, 0.1, 0).query("group == 'holdout'")["user_id"].str[-6:].astype(int)
    assert held.min() < 200 and held.max() > 800  # spread over the whole list


@pytest.mark.parametrize(("share", "seed", "match"), [(0.6, 0, "0% to 50%"), (-0.1, 0, "0% to 50%"),
                                                      ("x", 0, "0% to 50%"), (0.1, -1, "seed"), (0.1, 1.5, "seed"),
                                                      (0.1, True, "seed")])
def test_bad_share_or_seed_is_a_data_error(share, seed, match):
    with pytest.raises(DataError, match=match):
        assign_holdout(users({"A": 10}), share, seed)


def test_bad_target_lists_are_data_errors():
    with pytest.raises(DataError, match="more than once"):
        assign_holdout(pd.DataFrame({"user_id": ["a", "a"], "segment": ["x", "x"]}), 0.1, 0)
    with pytest.raises(DataError, match="segment"):
        assign_holdout(pd.DataFrame({"user_id": ["a"]}), 0.1, 0)


# ---------------------------------------------------------------- what a holdout can measure

@pytest.mark.parametrize(("p0", "nt", "nh"), [(0.10, 900, 100), (0.05, 4000, 1000), (0.3, 120, 40), (0.6, 50, 50)])
def test_min_detectable_lift_matches_statsmodels_solve_power(p0, nt, nh):
    mde = min_detectable_lift(p0, nt, nh)
    h = NormalIndPower().solve_power(effect_size=None, nobs1=nh, alpha=0.05, power=0.8, ratio=nt / nh)
    assert proportion_effectsize(p0 + mde, p0) == pytest.approx(h, rel=1e-8)
    power = NormalIndPower().solve_power(effect_size=proportion_effectsize(p0 + mde, p0), nobs1=nh, alpha=0.05,
                                         power=None, ratio=nt / nh)
    assert power == pytest.approx(0.8, abs=1e-4)  # solve_power's own root-finding tolerance


def test_min_detectable_lift_reproduces_the_reference_sample_size():
    # AB_REFERENCE: 10% -> 11% at alpha .05 two-sided, power .8 needs 14,744.6 users per arm (statsmodels)
    assert min_detectable_lift(0.10, 14745, 14745) == pytest.approx(0.01, abs=2e-6)
    assert min_detectable_lift(0.10, 14745, 14745) <= 0.01


def test_min_detectable_lift_edges():
    assert math.isinf(min_detectable_lift(0.9, 3, 3))  # not even 100% is detectable
    assert math.isnan(min_detectable_lift(0.1, 10, 1)) and math.isnan(min_detectable_lift(0.0, 100, 100))


def test_holdout_summary_cost_and_flags_by_hand():
    counts = pd.DataFrame({"segment": ["A", "B"], "targeted": [1000, 40], "baseline_conversion": [0.1, 0.2],
                           "expected_conversion": [0.13, 0.2], "incremental_profit": [500.0, -20.0]})
    s = holdout_summary(counts, 0.1).set_index("segment")
    assert list(s.loc[["A", "B"], "held_out"]) == [100, 4] and list(s.loc[["A", "B"], "treated"]) == [900, 36]
    assert s.loc["A", "holdout_cost"] == pytest.approx(0.5 * 100) and s.loc["B", "holdout_cost"] == pytest.approx(-2.0)
    assert s.loc["Total", "holdout_cost"] == pytest.approx(48.0) and s.loc["Total", "held_out"] == 104
    assert s.loc["A", "min_detectable_lift"] == pytest.approx(min_detectable_lift(0.1, 900, 100))
    assert not s.loc["A", "too_small"] and s.loc["B", "too_small"]  # 4 held out: nothing measurable
    assert s.loc["A", "forecast_lift"] == pytest.approx(0.03)
    assert s.loc["A", "detects_forecast"] == (0.03 >= s.loc["A", "min_detectable_lift"])
    assert holdout_summary(counts, 0.0).loc[0, "too_small"]


# ---------------------------------------------------------------- the readout

def large_campaign(seed: int = 11):
    t = assign_holdout(users({"A": 20000, "B": 20000}), 0.2, 5).assign(
        offer="10% off", offer_type="percent_off", depth=10.0, threshold=0.0, contact_cost=0.0,
        baseline_conversion=0.10, expected_conversion=lambda d: np.where(d["segment"] == "A", 0.13, 0.12),
        forecast_profit_per_user=1.0)
    return t, simulate(t, {"A": 0.10, "B": 0.10}, {"A": 0.03, "B": 0.0}, seed)


def test_readout_recovers_a_planted_lift_and_finds_none_where_none_was_planted():
    t, o = large_campaign()
    r = campaign_readout(t, o, name="planted")
    seg = {s.segment: s for s in r.segments}
    a, b = seg["A"], seg["B"]
    assert a.adj_ci_low <= 0.03 <= a.adj_ci_high and a.adj_ci_low > 0 and a.p_adjusted < 0.05
    assert b.adj_ci_low <= 0.0 <= b.adj_ci_high and b.p_adjusted >= 0.05
    assert a.treated == 16000 and a.held_out == 4000 and not a.srm_mismatch and a.srm_p > 0.5
    assert a.forecast_in_interval  # forecast +3 pp, measured around +3 pp
    assert b.forecast_in_interval is False  # forecast +2 pp, nothing measured
    assert a.measured and r.total.treated == 32000


def test_readout_numbers_equal_statsmodels_on_the_same_counts():
    t, o = large_campaign()
    r = campaign_readout(t, o, adjust="holm")
    rows = []
    for s in r.segments:
        x1, n1 = s.arms["treatment"].conversions, s.arms["treatment"].n
        x0, n0 = s.arms["holdout"].conversions, s.arms["holdout"].n
        assert s.rate_treatment == pytest.approx(x1 / n1) and s.rate_holdout == pytest.approx(x0 / n0)
        p = proportions_ztest([x1, x0], [n1, n0])[1]
        assert s.p_value == pytest.approx(p, rel=1e-9)
        lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
        assert (s.abs_ci_low, s.abs_ci_high) == pytest.approx((lo, hi), rel=1e-9)
        rows.append(p)
    adj = multipletests(rows, method="holm")[1]
    assert [s.p_adjusted for s in r.segments] == pytest.approx(list(adj))


def test_outcome_rules_missing_are_non_converters_and_strangers_are_ignored():
    t = assign_holdout(users({"A": 200}), 0.5, 1).assign(offer_type="percent_off", depth=10.0)
    o = simulate(t, {"A": 0.5}, {"A": 0.0}, 2)
    kept = o.iloc[20:]  # the first 20 customers have no outcome row
    strangers = pd.DataFrame({"user_id": ["zz1", "zz2", "zz3"], "converted": 1, "revenue": 10.0, "discount": 0.0})
    r = campaign_readout(t, pd.concat([kept, strangers]))
    assert r.outcome_users_ignored == 3 and sum(r.users_without_outcome.values()) == 20
    a = r.segments[0]
    conv = t.merge(kept, on="user_id", how="left").fillna({"converted": 0}).groupby("group")["converted"].mean()
    assert a.rate_treatment == pytest.approx(conv["treatment"]) and a.rate_holdout == pytest.approx(conv["holdout"])
    assert any("no outcome" in n for n in r.notes) and any("ignored" in n for n in r.notes)



def test_outcomes_of_other_customers_only_are_refused_not_read_as_zero_lift():
    """Online Retail's or Taobao's buyers against a target list of the sample: no customer in common, so a
    readout of 0% vs 0% with the contact cost as 'measured profit' would be a guess presented as a measurement."""
    t = assign_holdout(users({"A": 200}), 0.5, 1).assign(offer_type="percent_off", depth=10.0, contact_cost=0.15)
    strangers = pd.DataFrame({"user_id": [f"zz{i}" for i in range(50)], "converted": 1, "revenue": 10.0,
                              "discount": 0.0})
    with pytest.raises(DataError, match="None of the 200 customers of the target list appear in the outcomes"
                                        r" \(50 customers\)") as err:
        campaign_readout(t, strangers)
    assert "00123 is not 123" in err.value.hint
    one = pd.concat([strangers, pd.DataFrame({"user_id": [t["user_id"].iloc[0]], "converted": 0, "revenue": 0.0,
                                              "discount": 0.0})])
    assert campaign_readout(t, one).outcome_users_ignored == 50  # one customer in common: measured, and stated

def test_sample_ratio_mismatch_when_holdout_rows_went_missing():
    t = assign_holdout(users({"A": 4000}), 0.2, 1)
    cut = t.drop(t[t["group"] == "holdout"].index[:300])
    r = campaign_readout(cut, simulate(cut, {"A": 0.2}, {}, 1))
    assert r.segments[0].srm_mismatch and r.total.srm_mismatch


def test_assignment_problems_are_cleaned_and_reported():
    t = assign_holdout(users({"A": 300}), 0.2, 1)
    first = t.iloc[[0]].assign(group="treatment" if t.iloc[0]["group"] == "holdout" else "holdout")
    r = campaign_readout(pd.concat([t, first]), simulate(t, {"A": 0.2}, {}, 1))
    assert r.target_rows_removed == 1 and r.integrity["users_in_several_arms"] == 1 and r.target_users == 300
    assert any("assignment problems" in n for n in r.notes)


def test_coverage_check_flags_outcomes_exported_for_one_group_only():
    t = assign_holdout(users({"A": 3000}), 0.3, 1)
    o = simulate(t, {"A": 0.3}, {}, 1)
    only_treated = o[o["user_id"].isin(t.loc[t["group"] == "treatment", "user_id"])]
    r = campaign_readout(t, only_treated)
    assert r.coverage_p < 1e-6 and any("differs between treatment and holdout" in n for n in r.notes)


def test_readout_round_trips_through_json():
    t, o = large_campaign()
    r = campaign_readout(t, o, name="June")
    text = json.dumps(r.to_dict(), allow_nan=False)
    back = CampaignReadout.from_dict(json.loads(text))
    assert back == r
    with pytest.raises(DataError, match="not a PromoScope campaign readout"):
        CampaignReadout.from_dict({"version": 99})


@pytest.mark.parametrize(("frame", "match"), [
    (pd.DataFrame({"user_id": ["a"], "segment": ["s"]}), "no group column"),
    (pd.DataFrame({"user_id": ["a", "b"], "segment": ["s", "s"], "group": ["treatment", "control"]}), "treatment or holdout"),
    (pd.DataFrame({"user_id": ["a", "b"], "segment": ["s", "s"], "group": ["treatment", "treatment"]}), "no holdout"),
    (pd.DataFrame({"user_id": [], "segment": [], "group": []}), "no rows"),
])
def test_bad_target_lists_for_the_readout(frame, match):
    with pytest.raises(DataError, match=match):
        read_targets(frame)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["u1", "u2", "", None, "u3"]), st.sampled_from(["A", "", None, "B"]),
                          st.sampled_from(["treatment", "holdout", "HOLDOUT ", "x", None, ""]),
                          st.sampled_from(["1", "0", "yes", "abc", None, "2"]),
                          st.sampled_from(["10.5", "-3", "n/a", None, "1e400"])), max_size=12))
def test_malformed_inputs_give_a_readout_or_a_data_error(rows):
    frame = pd.DataFrame(rows, columns=["user_id", "segment", "group", "converted", "revenue"])
    try:
        o, _ = outcomes_from_file(frame[["user_id", "converted", "revenue"]])
        campaign_readout(frame[["user_id", "segment", "group"]], o)
    except DataError:
        pass


def test_outcomes_file_columns_are_inferred():
    f = pd.DataFrame({"Customer ID": ["a", "b", "c", "c"], "Purchased": ["yes", "no", "yes", "no"],
                      "Revenue": ["12.5", "0", "8", "2"], "Discount": ["1", "0", "0", "0.5"]})
    o, notes = outcomes_from_file(f)
    o = o.set_index("user_id")
    assert o.loc["a", "converted"] == 1 and o.loc["b", "converted"] == 0 and o.loc["c", "converted"] == 1
    assert o.loc["c", "revenue"] == pytest.approx(10.0) and o.loc["c", "discount"] == pytest.approx(0.5)
    assert any("several rows" in n for n in notes)
    no_flag, notes = outcomes_from_file(f.drop(columns="Purchased"))
    assert list(no_flag["converted"]) == [1, 0, 1] and any("revenue above 0" in n for n in notes)
    with pytest.raises(DataError, match="customer id"):
        outcomes_from_file(pd.DataFrame({"x": [1], "converted": [1]}))


def test_outcomes_from_events_by_hand():
    ts = pd.to_datetime(["2026-01-01", "2026-01-05", "2026-01-06", "2026-01-09", "2026-01-05"])
    ev = pd.DataFrame({"user_id": ["a", "a", "b", "b", "c"], "timestamp": ts,
                       "event": ["purchase", "purchase", "purchase", "purchase", "view"],
                       "item_id": ["i", "i", "i", "POST", "i"], "price": [10.0, 20.0, 5.0, 3.0, 9.0],
                       "quantity": [1.0, 2.0, 1.0, 1.0, 1.0], "discount": [0.0, 2.0, 0.0, 0.0, 0.0]})
    o, _ = outcomes_from_events(ev, pd.Timestamp("2026-01-05"), pd.Timestamp("2026-01-10"), nonproduct=("POST",))
    o = o.set_index("user_id")
    assert list(o.index) == ["a", "b"]  # c only viewed; a's first purchase is before the campaign
    assert o.loc["a", "revenue"] == 40.0 and o.loc["a", "discount"] == 4.0 and o.loc["b", "revenue"] == 5.0


# ---------------------------------------------------------------- evidence for the next plan

def test_readout_evidence_equals_the_planners_ab_evidence_on_the_same_users():
    from promo_core.promotions import evidence
    t, o = large_campaign()
    r = campaign_readout(t, o)
    ev = readout_evidence(r, 0.35)
    rows = t.merge(o, on="user_id").assign(variant=lambda d: np.where(d["group"] == "holdout", "control", "10% off"))
    ref = evidence(rows, t[["user_id", "segment"]], "control", 0.35)
    assert set(ev) == set(ref) == {("A", "percent_off", 10.0, 0.0), ("B", "percent_off", 10.0, 0.0)}
    for k in ref:
        for f in ("users", "conv_control", "conv_treated", "gross_diff", "gross_treated", "discount_per_user",
                  "profit_per_user", "profit_low", "profit_high"):
            assert getattr(ev[k], f) == pytest.approx(getattr(ref[k], f), rel=1e-9, abs=1e-9), f


def test_campaign_round_trip_on_the_sample(sample_dataset):
    """plan -> targets with holdout -> outcomes with a planted lift -> readout -> the next plan uses it."""
    from promo_core.features import customer_profiles
    from promo_core.promotions import Assumptions, Offer, baselines, forecast, target_list
    from promo_core.segments import rfm
    ds = sample_dataset
    s = rfm(customer_profiles(ds))
    segments = s[["user_id"]].assign(segment=s["rfm_segment"])
    a = Assumptions()
    base = baselines(ds.events, segments, a.horizon_days)
    plan = [Offer(k, "percent_off", 10, 0, 1.0, 0.15) for k in base]
    fc = forecast(plan, base, a)
    targets = campaign_targets(target_list(plan, segments, fc, seed=3), fc, plan, 0.5, 3)
    assert set(targets.columns) >= {"user_id", "segment", "offer", "group"}
    again = campaign_targets(target_list(plan, segments, fc, seed=3), fc, plan, 0.5, 3)
    assert to_csv_bytes(targets) == to_csv_bytes(again)
    counts = targets.groupby(["segment", "group"]).size().unstack(fill_value=0)
    for seg, row in counts.iterrows():
        assert row["holdout"] == held_out_count(row.sum(), 0.5), seg
    rates = {"At Risk": 0.20, "Loyal": 0.30}
    outcomes = simulate(targets, {k: rates.get(k, 0.1) for k in base}, {"At Risk": 0.15}, seed=4)
    r = campaign_readout(targets, outcomes, name="round trip", margin=a.margin)
    seg = {x.segment: x for x in r.segments}
    assert seg["At Risk"].adj_ci_low <= 0.15 <= seg["At Risk"].adj_ci_high and seg["At Risk"].adj_ci_low > 0
    assert seg["Loyal"].adj_ci_low <= 0.0 <= seg["Loyal"].adj_ci_high
    ev = readout_evidence(r, a.margin)
    nxt = forecast(plan, base, a, ev).set_index("segment")
    before = fc.set_index("segment")
    assert nxt.loc["At Risk", "source"] == "A/B test" and before.loc["At Risk", "source"] == "assumed elasticity"
    assert nxt.loc["At Risk", "expected_conversion"] == pytest.approx(seg["At Risk"].rate_treatment)
    assert nxt.loc["At Risk", "incremental_profit"] != pytest.approx(before.loc["At Risk", "incremental_profit"])
    # another depth of the same offer type is calibrated from the readout
    deeper = [Offer(k, "percent_off", 20, 0, 1.0, 0.15) for k in base]
    assert forecast(deeper, base, a, ev).set_index("segment").loc["At Risk", "source"] == "A/B-calibrated elasticity"


def test_forecast_json_and_chinese_notes():
    fc = forecast_from_json({"segments": [{"segment": "A", "targeted": 10, "baseline_conversion": 0.1,
                                           "expected_conversion": 0.2, "incremental_profit": 50.0}]})
    assert fc["A"]["forecast_profit_per_user"] == 5.0
    t = assign_holdout(users({"A": 100}), 0.2, 1)
    with locale_context("zh_CN"):
        r = campaign_readout(t, simulate(t, {"A": 0.3}, {}, 1))
    assert any("没有" in n or "忽略" in n for n in r.notes)


def test_plan_counts_keeps_offered_segments():
    fc = pd.DataFrame({"segment": ["A", "B", "Total"], "targeted": [10, 0, 10], "baseline_conversion": [0.1, 0.2, 0.1],
                       "expected_conversion": [0.2, 0.2, np.nan], "incremental_profit": [5.0, 0.0, 5.0]})
    assert list(plan_counts(fc)["segment"]) == ["A"]


def test_duplicate_outcome_rows_never_duplicate_a_target_and_total_has_no_offer():
    t = assign_holdout(users({"A": 100}), 0.3, 1).assign(offer_type="percent_off", depth=10.0)
    o = simulate(t, {"A": 0.4}, {}, 1)
    r = campaign_readout(t, pd.concat([o, o.iloc[:10]]))
    assert r.target_users == 100 and r.total.treated + r.total.held_out == 100
    assert r.total.offer_type == "" and r.total.segment == "Total"


def test_the_chinese_mechanics_survive_the_loop_through_the_target_lists_offer_spec(sample_dataset):
    """A readout of a several-tier 满减, a 满赠 and a pre-sale keys its evidence as the plan's own offers (the
    target list carries each offer's settings in offer_spec), so the next plan forecasts those offers from the
    measurement, and the optimiser runs on that evidence (a several-tier 满减 once came back as 'spend 0, get
    0 off' and stopped the next plan)."""
    from promo_core.features import customer_profiles
    from promo_core.promotions import (
        Assumptions,
        Offer,
        baselines,
        forecast,
        offer_from_spec,
        optimise,
        target_list,
    )
    from promo_core.segments import rfm
    ds = sample_dataset
    s = rfm(customer_profiles(ds))
    segments = s[["user_id"]].assign(segment=s["rfm_segment"])
    a = Assumptions()
    base = baselines(ds.events, segments, a.horizon_days)
    offers = {"Loyal": Offer("Loyal", "tiered_discount", tiers=((40, 4), (80, 10), (160, 25))),
              "At Risk": Offer("At Risk", "gift_with_purchase", 3.0, 60.0),
              "Hibernating": Offer("Hibernating", "deposit_presale", deposit=5.0, deposit_value=12.0)}
    plan = [offers.get(k, Offer(k)) for k in base]
    fc = forecast(plan, base, a)
    targets = campaign_targets(target_list(plan, segments, fc, seed=1), fc, plan, 0.5, 1)
    for seg, o in offers.items():
        specs = set(targets.loc[targets["segment"] == seg, "offer_spec"])
        assert len(specs) == 1 and offer_from_spec(seg, specs.pop()) == o
    outcomes = simulate(targets, {k: 0.3 for k in base}, {"Loyal": 0.1}, seed=2)
    r = campaign_readout(targets, outcomes, name="mechanics")
    again = CampaignReadout.from_dict(json.loads(json.dumps(r.to_dict())))
    ev = readout_evidence(again, a.margin)
    assert set(ev) == {o.evidence_key() for o in offers.values()}
    nxt = forecast(plan, base, a, ev).set_index("segment")
    assert set(nxt.loc[list(offers), "source"]) == {"A/B test"}
    opt = optimise(base, a, 3000.0, ev)
    assert opt.plan and all(o.segment in base for o in opt.plan)
    # an older target list without offer_spec: the several-tier 满减 gives no evidence (not a broken offer)
    old = CampaignReadout.from_dict({**r.to_dict(), "segments": [
        {**x, "offer_spec": ""} for x in r.to_dict()["segments"]]})
    old_ev = readout_evidence(old, a.margin)
    assert offers["Loyal"].evidence_key() not in old_ev and offers["At Risk"].evidence_key() in old_ev
    optimise(base, a, 3000.0, old_ev)


@pytest.mark.parametrize("spec", ['{"offer_type":"tiered_discount","tiers":[[0,0]]}', '{"offer_type":"nope"}',
                                  '{"offer_type":"percent_off","depth":1e400}', "not json", '{"segment":"x"}',
                                  '{"offer_type":"percent_off","depth":10,"evil":1}', "[]"])
def test_a_bad_offer_spec_is_a_data_error_and_gives_no_evidence(spec):
    from promo_core.promotions import offer_from_spec
    with pytest.raises(DataError):
        offer_from_spec("A", spec)
    t = assign_holdout(users({"A": 200}), 0.5, 1).assign(offer_type="percent_off", depth=10.0, offer_spec=spec)
    r = campaign_readout(t, simulate(t, {"A": 0.3}, {}, 1))
    assert readout_evidence(r, 0.4) == {}
