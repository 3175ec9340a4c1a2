"""Plan files are untrusted input: validated whole, every problem a DataError naming the field."""

from __future__ import annotations

import json

import pytest

from promo_core.plan_files import MAX_PLAN_BYTES
from promo_core.promotions import Assumptions, Offer, plan_from_json, plan_to_json
from promo_core.schema import DataError

DS = {"name": "shop", "users": 100}
SEGS = ["Loyal", "New"]


def good() -> dict:
    plan = [Offer("Loyal", "percent_off", 10, 0, 1.0, 0.15), Offer("New", "threshold_coupon", 5, 40, 0.5, 0.1)]
    return json.loads(plan_to_json(plan, Assumptions(), DS, "rfm"))


def load(obj_or_text) -> tuple:
    text = obj_or_text if isinstance(obj_or_text, str | bytes) else json.dumps(obj_or_text)
    return plan_from_json(text, DS, SEGS)


def with_offer(**change) -> dict:
    d = good()
    d["offers"][0].update(change)
    return d


def with_assumption(**change) -> dict:
    d = good()
    d["assumptions"].update(change)
    return d


def test_round_trip_keeps_every_field():
    offers, a = load(good())
    assert [o.segment for o in offers] == SEGS and offers[1].threshold == 40 and a == Assumptions()


def test_partial_elasticity_table_keeps_the_other_defaults():
    d = good()
    d["assumptions"]["elasticity"] = {"percent_off": 0.0}
    _, a = load(d)
    assert a.elasticity["percent_off"] == 0.0 and a.elasticity["bundle"] == Assumptions().elasticity["bundle"]


BAD = [
    ("deeply nested", "[" * 100_000 + "]" * 100_000, "nested"),
    ("nested within the limit of json but not a plan", json.dumps({"a": [[[[[[[[[1]]]]]]]]]}), "nested"),
    ("NaN", json.dumps(good()).replace('"depth": 10,', '"depth": NaN,'), "NaN, which is not a number"),
    ("Infinity", json.dumps(good()).replace('"margin": 0.4', '"margin": Infinity'), "Infinity"),
    ("-Infinity", json.dumps(good()).replace('"contact_cost": 0.15', '"contact_cost": -Infinity'), "-Infinity"),
    ("400-digit number", json.dumps(good()).replace('"threshold": 40,', '"threshold": ' + "9" * 400 + ','),
     "spend threshold must be from 0 to"),
    ("string for a number", with_offer(depth="ten"), r"depth must be a number; got 'ten'"),
    ("bool for a number", with_offer(target_share=True), "targeted share must be a number"),
    ("null for a number", with_offer(contact_cost=None), "contact cost per user must be a number"),
    ("negative contact cost", with_offer(contact_cost=-1), "contact cost per user must be from 0"),
    ("share above 1", with_offer(target_share=1.5), "targeted share must be from 0 to 1"),
    ("depth over 100%", with_offer(depth=150), "100%"),
    ("unknown offer type", with_offer(offer_type="teleport"), "Unknown offer type 'teleport'"),
    ("unknown offer field", with_offer(colour="red"), "fields PromoScope does not know: 'colour'"),
    ("empty segment name", with_offer(segment=" "), "'segment' must be a text"),
    ("number as segment", with_offer(segment=3), "'segment' must be a text"),
    ("duplicate segment", with_offer(segment="New"), "two offers for segment 'New'"),
    ("negative elasticity", with_assumption(elasticity={"percent_off": -2}), "elasticity for Percent off must be from 0"),
    ("elasticity of unknown type", with_assumption(elasticity={"warp": 1}), "unknown offer types: 'warp'"),
    ("redemption above 1", with_assumption(redemption={"bundle": 3}), "redemption rate for Bundle deal"),
    ("margin of 0", with_assumption(margin=0), "margin"),
    ("fractional horizon", with_assumption(horizon_days=7.5), "whole number"),
    ("horizon of a century", with_assumption(horizon_days=36500), "campaign length in days must be from 1 to 365"),
    ("price of 1e308", with_assumption(bundle_price=1e308), "bundle price must be from 0 to"),
    ("assumptions not an object", {**good(), "assumptions": [1, 2]}, "assumptions must be an object"),
    ("offers not a list", {**good(), "offers": {"a": 1}}, "list of 1 to"),
    ("no offers", {**good(), "offers": []}, "list of 1 to"),
    ("offer is a number", {**good(), "offers": [7]}, "offer 1 must be an object"),
    ("too big", " " * (MAX_PLAN_BYTES + 1) + json.dumps(good()), "at most 1,024 KB"),
    ("not UTF-8", b"\xff\xfe{", "not UTF-8"),
    ("not JSON", "{", "not valid JSON"),
    ("another dataset", {**good(), "dataset": {"name": "x" * 10_000, "users": 1}}, "another dataset"),
    ("unknown segment", with_offer(segment="Whales"), "segments this segmentation does not have"),
]


@pytest.mark.parametrize("name,bad,match", BAD, ids=[b[0] for b in BAD])
def test_bad_plan_files_are_refused_with_the_field_named(name, bad, match):
    with pytest.raises(DataError, match=match) as info:
        load(bad)
    assert len(str(info.value)) < 600  # one readable paragraph, never a dump of the file


def test_the_planner_page_refuses_a_hostile_plan_and_keeps_its_own():
    from .conftest import open_page
    at = open_page("views/planner.py")
    before = at.session_state["plan"] if "plan" in at.session_state else None
    for name, bad, _ in (BAD[0], BAD[2], BAD[5]):
        payload = bad.encode() if isinstance(bad, str) else json.dumps(bad).encode()
        at.file_uploader(key="pl_load").set_value((f"{name}.json", payload, "application/json")).run()
        assert not at.exception
        assert any("plan was not loaded" in e.value or "not loaded" in str(e.value) for e in at.error), name
    after = at.session_state["plan"] if "plan" in at.session_state else None
    assert str(before) == str(after)


@pytest.fixture(scope="module")
def sample_plan() -> dict:
    """A valid plan for the bundled sample under RFM groups, as the planner would save it."""
    from promo_core.features import build_profiles
    from promo_core.quality import load_dataset
    from promo_core.segments import rfm

    from .conftest import SAMPLE
    ds = load_dataset(SAMPLE / "events.csv.gz")
    groups = sorted(rfm(build_profiles(ds.events))["rfm_segment"].astype(str).unique())
    ds_id = {"name": ds.name, "users": ds.report.users, "from": ds.report.first_event, "to": ds.report.last_event}
    plan = [Offer(g, "percent_off", 10, 0, 1.0, 0.15) for g in groups]
    return json.loads(plan_to_json(plan, Assumptions(), ds_id, "rfm"))


CLI_CASES = [
    ("nan", lambda d: json.dumps(d).replace('"depth": 10,', '"depth": NaN,', 1), "NaN, which is not a number"),
    ("deep", lambda d: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("huge number", lambda d: json.dumps(d).replace('"contact_cost": 0.15', '"contact_cost": ' + "9" * 400, 1),
     "contact cost per user must be from 0"),
    ("string", lambda d: json.dumps(d).replace('"depth": 10,', '"depth": "10%",', 1), "must be a number"),
    ("negative elasticity", lambda d: json.dumps({**d, "assumptions": {**d["assumptions"],
                                                  "elasticity": {"bundle": -1}}}), "elasticity for Bundle deal"),
    ("duplicate", lambda d: json.dumps({**d, "offers": d["offers"] + d["offers"][:1]}), "two offers for segment"),
]


@pytest.mark.parametrize("name,make,match", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_plan_refuses_a_hostile_plan_file_with_exit_2(sample_plan, tmp_path, name, make, match):
    import subprocess
    import sys

    from .conftest import ROOT
    bad = tmp_path / "plan.json"
    bad.write_text(make(sample_plan))
    p = subprocess.run([sys.executable, "-m", "promo_core", "plan", "sample_data/events.csv.gz", "--segmentation",
                        "rfm", "--plan", str(bad), "--out", str(tmp_path / "f.json")], capture_output=True,
                       text=True, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=600)
    assert p.returncode == 2 and match in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
