"""Campaign readout page and the planner's holdout section, driven headless (the whole loop in the app)."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd

from promo_core.campaigns import assign_holdout
from promo_core.export import to_csv_bytes

from .conftest import SAMPLE, open_page
from .test_campaigns import simulate


def sample_targets() -> pd.DataFrame:
    with gzip.open(SAMPLE / "events.csv.gz", "rt") as f:
        ids = pd.read_csv(f, usecols=["user_id"])["user_id"].astype(str).unique()
    t = pd.DataFrame({"user_id": ids, "segment": np.where(np.arange(len(ids)) % 2, "Deal seekers", "Regulars")})
    return assign_holdout(t, 0.3, 2).assign(offer="10% off", offer_type="percent_off", depth=10.0, threshold=0.0,
                                            contact_cost=0.15, baseline_conversion=0.2, expected_conversion=0.24,
                                            forecast_profit_per_user=0.8)


def upload_targets(at, targets: pd.DataFrame) -> None:
    at.file_uploader(key="ro_targets").set_value(("targets.csv", to_csv_bytes(targets, bom=False), "text/csv")).run()


def test_readout_from_an_uploaded_outcomes_file():
    targets = sample_targets()
    outcomes = simulate(targets, {"Regulars": 0.2, "Deal seekers": 0.2}, {"Deal seekers": 0.1}, seed=1)
    at = open_page("views/readout.py")
    assert at.info  # asks for the target list
    upload_targets(at, targets)
    at.file_uploader(key="ro_outcomes").set_value(("outcomes.csv", outcomes.to_csv(index=False).encode(),
                                                   "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error
    labels = {m.label: m.value for m in at.metric}
    assert labels["Customers measured"] == f"{len(targets):,}"
    shown = at.dataframe[0].value
    assert set(shown["segment"]) == {"Regulars", "Deal seekers", "Total"}
    deal = shown.set_index("segment").loc["Deal seekers"]
    assert deal["adj_ci_low"] <= 0.1 <= deal["adj_ci_high"]
    # a bad outcomes file: an error, and the page keeps working
    at.file_uploader(key="ro_outcomes").set_value(("bad.csv", b"a,b\n1,2\n", "text/csv")).run()
    assert not at.exception and at.error and "customer id" in at.error[0].value


def test_readout_from_the_loaded_data_and_the_loop_changes_the_next_plan():
    at = open_page("views/planner.py")
    before = at.dataframe[0].value.copy()
    assert any(m.label == "Customers held out" for m in at.metric)
    at.slider(key="ho_share").set_value(30).run()
    at.button(key="ho_send").click().run()
    assert not at.exception and "campaign_targets" in at.session_state
    at.switch_page("views/readout.py").run()
    at.radio(key="ro_source").set_value("loaded").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "sent from the Promotion planner" in " ".join(c.value for c in at.caption)
    assert {m.label for m in at.metric} >= {"Conversion lift, all segments", "Measured incremental profit"}
    at.button(key="ro_use").click().run()
    assert not at.exception and at.session_state["campaign_readout"]["name"] == "target_list_holdout"
    at.switch_page("views/planner.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Calibrated from campaign readout" in i.value for i in at.info)
    after = at.dataframe[0].value
    assert not after["incremental_profit"].equals(before["incremental_profit"])
    measured = {x["segment"]: x["rate_treatment"] for x in at.session_state["campaign_readout"]["segments"]
                if min(x["treated"], x["held_out"]) >= 30}
    assert measured
    rows = after.set_index("segment")
    for seg, rate in measured.items():  # the next plan's conversion is the one measured in the campaign
        assert rows.loc[seg, "source"] == "A/B test" and abs(rows.loc[seg, "expected_conversion"] - rate) < 6e-4
    at.button(key="ho_forget").click().run()
    assert not at.exception and "campaign_readout" not in at.session_state
    # other data loaded since the list was sent: the readout page says which data the list belongs to
    from promo_core.io import RawTable
    from promo_core.quality import clean_events
    from promo_core.sample import generate
    other = clean_events(RawTable(generate(n_users=200, seed=9)["events"].astype(str), "other shop.csv", "events",
                                  "csv"))
    at.session_state["dataset"], at.session_state["dataset_key"] = other, "other-shop"
    at.switch_page("views/readout.py").run()
    assert not at.exception, [e.message for e in at.exception]
    warned = " ".join(w.value for w in at.warning).replace("\\", "")   # markdown escapes removed
    assert "sent from the Promotion planner for" in warned and "other shop.csv" in warned, warned
