"""The Campaigns page and the planner's "Save this campaign", driven headless on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest

from promo_core.workspace import open_workspace
from tests import workspace_backends

from .conftest import open_page

workspace_url = workspace_backends.workspace_url  # fixture: every test runs on both backends

PLAN = {"offers": [{"segment": "Loyal", "offer_type": "percent_off", "depth": 10.0, "threshold": 0.0,
                    "target_share": 1.0, "contact_cost": 0.15},
                   {"segment": "Lost", "offer_type": "none", "depth": 0.0, "threshold": 0.0, "target_share": 1.0,
                    "contact_cost": 0.0}], "assumptions": {"margin": 0.4}}


def forecast(profit: float) -> dict:
    return {"segments": [{"segment": "Loyal", "offer": "10% off", "targeted": 3, "incremental_profit": profit,
                          "roi": 0.5}, {"segment": "Lost", "offer": "No offer", "targeted": 0,
                                        "incremental_profit": 0.0, "roi": None}],
            "total": {"incremental_profit": profit, "profit_low": 0.0, "profit_high": 2 * profit, "roi": 0.5,
                      "value_given": 100.0, "contact_cost": 10.0}}


def submit(at):
    """The planner's "Save campaign" form button, clicked."""
    return next(b for b in at.button if b.label == "Save campaign").click()


@pytest.fixture
def url(workspace_url, monkeypatch):
    monkeypatch.setenv("PROMOSCOPE_WORKSPACE", workspace_url)
    return workspace_url


def fill(url: str) -> None:
    ws = open_workspace(url)
    asg = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4"], "segment": ["Loyal", "Loyal", "Loyal", "Lost"],
                        "group": ["treatment", "treatment", "holdout", "treatment"]})
    ws.save_campaign("October", plan=PLAN, forecast=forecast(1000.0), dataset={"name": "shop"}, segmentation="rfm",
                     end_date="2026-10-31", assignment=asg, seed=7, holdout_share=0.25)
    ws.add_readout("October", {"total": {"incremental_profit": 600.0, "roi": 0.3, "lift": 0.05}})
    ws.save_campaign("November", plan=PLAN, forecast=forecast(500.0), dataset={"name": "shop"}, segmentation="rfm",
                     end_date="2026-11-30")
    ws.add_readout("November", {"total": {"incremental_profit": 550.0, "roi": 0.6, "lift": 0.08}})
    ws.save_campaign("December", plan=PLAN, forecast=forecast(800.0), dataset={"name": "shop"}, segmentation="rfm")
    ws.close()


def test_an_empty_workspace_says_how_to_save_the_first_campaign(url):
    at = open_page("views/campaigns.py")
    assert any("Save this campaign" in i.value for i in at.info)
    assert not at.dataframe and not at.get("plotly_chart")


def test_looking_at_the_page_creates_no_file_the_first_save_does(tmp_path, monkeypatch):
    db = tmp_path / "sub" / "workspace.db"
    monkeypatch.setenv("PROMOSCOPE_WORKSPACE", str(db))
    at = open_page("views/campaigns.py")
    assert any("Save this campaign" in i.value for i in at.info) and not db.exists()
    at.switch_page("views/planner.py").run()
    at.text_input(key="ws_name").set_value("First")
    submit(at).run()
    assert not at.exception and db.is_file()
    at.switch_page("views/campaigns.py").run()
    assert list(at.dataframe[0].value["name"]) == ["First"]


def test_campaigns_list_accuracy_chart_detail_and_download(url):
    fill(url)
    at = open_page("views/campaigns.py")
    table = at.dataframe[0].value
    assert list(table["name"]) == ["December", "November", "October"]
    assert list(table["accuracy"].round(3).fillna(-1)) == [-1, 1.1, 0.6]  # 550/500 and 600/1000, by hand
    assert len(at.get("plotly_chart")) == 1
    assert any("median 85%" in c.value for c in at.caption)  # median of 110% and 60%
    at.selectbox(key="cp_pick").set_value("October").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customers in target list"] == "4" and metrics["Held out"] == "1"
    assert metrics["Forecast profit"] == "£1,000"
    segs = at.dataframe[1].value.set_index("segment")
    assert segs.loc["Loyal", "holdout"] == 1 and segs.loc["Lost", "holdout"] == 0
    assert at.dataframe[2].value["measured_profit"].tolist() == [600.0]
    assert len(at.get("download_button")) == 1


def test_delete_asks_for_confirmation_then_removes_the_campaign(url):
    fill(url)
    at = open_page("views/campaigns.py")
    at.selectbox(key="cp_pick").set_value("November").run()
    assert at.button(key="cp_delete").disabled
    at.checkbox(key="cp_sure_November").check().run()
    at.button(key="cp_delete").click().run()
    assert not at.exception
    assert list(at.dataframe[0].value["name"]) == ["December", "October"]
    assert list(open_workspace(url).list_campaigns()["name"]) == ["December", "October"]


def test_an_unreachable_workspace_is_an_error_not_a_traceback(monkeypatch):
    monkeypatch.setenv("PROMOSCOPE_WORKSPACE", "postgresql+psycopg://u:secret@127.0.0.1:1/db")
    at = open_page("views/campaigns.py")
    assert any("could not be reached" in e.value for e in at.error)
    assert not any("secret" in e.value for e in at.error)


def test_the_planner_saves_the_plan_forecast_and_holdout_assignment(url):
    """Saving draws the target list of the plan on screen: it used to store only a list drawn earlier by a download
    or "Send to Campaign readout" (none: 'Customers in target list 0'; or one drawn for an earlier plan)."""
    from promo_core.campaigns import DEFAULT_SEED
    at = open_page("views/planner.py")
    assert at.text_input(key="ws_name") is not None
    held = int(next(m.value for m in at.metric if m.label == "Customers held out").replace(",", ""))
    assert any(f"{held:,} are held out" in c.value for c in at.caption)
    at.text_input(key="ws_name").set_value("From the planner")
    submit(at).run()
    assert not at.exception and at.success, [e.value for e in at.error]
    ws = open_workspace(url)
    d = ws.campaign("From the planner")
    shown = next(m.value for m in at.metric if m.label == "Expected incremental profit")
    assert shown == f"£{d.forecast['total']['incremental_profit']:,.0f}"
    assert {o["segment"] for o in d.plan["offers"]} == set(ws.campaign(d.name).offers["segment"])
    assert d.n_holdout == held and d.n_targets > held and d.seed == DEFAULT_SEED
    # a second save under the same name is refused on screen
    at.run()
    submit(at).run()
    assert any("already exists" in e.value for e in at.error)
    # another holdout share: the next save stores the list drawn for it
    at.slider(key="ho_share").set_value(30).run()
    held30 = int(next(m.value for m in at.metric if m.label == "Customers held out").replace(",", ""))
    at.number_input(key="ho_seed").set_value(11).run()
    at.text_input(key="ws_name").set_value("With a larger holdout")
    submit(at).run()
    assert not at.exception
    d2 = ws.campaign("With a larger holdout")
    assert (d2.n_targets, d2.n_holdout, d2.seed) == (d.n_targets, held30, 11) and held30 > held
    assert d2.dataset["currency"] == "£"
    # in the Chinese interface (whose default symbol is ¥) the campaigns saved in £ keep their £
    from ui.language import LOCALE_KEY
    at.session_state[LOCALE_KEY] = "zh_CN"
    at.switch_page("views/campaigns.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["currency"] == "¥"
    money = [m.value for m in at.metric if "£" in str(m.value) or "¥" in str(m.value)]
    assert money and all("£" in v for v in money), money
    ws.close()


def test_a_team_workspace_in_secrets_is_read_through_st_connection(workspace_url, monkeypatch):
    """[connections.workspace] url in .streamlit/secrets.toml: the page opens it with st.connection."""
    from streamlit.testing.v1 import AppTest

    from .conftest import ROOT, full_error_details
    monkeypatch.delenv("PROMOSCOPE_WORKSPACE", raising=False)
    fill(workspace_url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.secrets["connections"] = {"workspace": {"url": workspace_url}}
    full_error_details()
    at.run()
    at.switch_page("views/campaigns.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert list(at.dataframe[0].value["name"]) == ["December", "November", "October"]
    assert any(workspace_url.split("@")[-1].split("/")[-1] in c.value for c in at.caption)


def test_assumptions_saved_under_a_name_load_back_into_the_planner(url):
    at = open_page("views/planner.py")
    margin = at.session_state["assumptions"].margin if "assumptions" in at.session_state else 0.4
    at.text_input(key="ws_a_name").set_value("cautious")
    at.button(key="ws_a_save").click().run()
    assert not at.exception and any("cautious" in s.value for s in at.success)
    assert open_workspace(url).assumptions("cautious")["margin"] == pytest.approx(margin)
    at.slider(key="pl_margin").set_value(25).run()
    assert at.session_state["assumptions"].margin == pytest.approx(0.25)
    at.selectbox(key="ws_a_pick").set_value("cautious")
    at.button(key="ws_a_load").click().run()
    assert not at.exception
    assert at.session_state["assumptions"].margin == pytest.approx(margin)
    assert at.slider(key="pl_margin").value == round(100 * margin)
    at.text_input(key="ws_a_name").set_value("cautious")
    at.button(key="ws_a_save").click().run()
    assert any("already exists" in e.value for e in at.error)


def test_a_readout_is_attached_to_a_saved_campaign(url):
    from streamlit.testing.v1 import AppTest

    def page():
        from ui.workspace import save_readout_section
        save_readout_section({"segments": [{"segment": "Loyal", "incremental_profit": 420.0}],
                              "total": {"incremental_profit": 420.0, "roi": 0.7, "lift": 0.06}}, "December")

    at = AppTest.from_function(page, default_timeout=120).run()
    assert any("save the campaign from the planner first" in i.value for i in at.info)
    fill(url)
    at.run()
    assert at.selectbox(key="ws_r_pick").value == "December"
    at.button(key="ws_r_save").click().run()
    assert not at.exception and at.success
    row = open_workspace(url).list_campaigns().set_index("name").loc["December"]
    assert row["measured_profit"] == 420.0 and row["accuracy"] == pytest.approx(420 / 800)
    assert row["status"] == "measured"


def test_a_saved_campaign_is_measured_on_the_readout_page_and_its_readout_saved_to_it(url, tmp_path):
    """Last month's campaign, saved with its holdout, is measured without downloading and uploading its list."""
    from promo_core.cli import main
    from tests.conftest import SAMPLE

    code = main(["plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--optimise", "--budget", "3000",
                 "--out", str(tmp_path / "f.json"), "--targets", str(tmp_path / "t.csv"), "--holdout", "0.2",
                 "--seed", "5", "--save-campaign", "Saved last month", "--workspace", url])
    assert code == 0
    at = open_page("views/readout.py")
    assert any("pick a saved campaign" in i.value for i in at.info)  # nothing chosen yet
    at.selectbox(key="ro_campaign").set_value("Saved last month").run()
    at.radio(key="ro_source").set_value("loaded").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("saved campaign 'Saved last month'" in c.value for c in at.caption)
    assert at.text_input(key="ro_name").value == "Saved last month"
    stored = open_workspace(url).targets("Saved last month")
    treated = stored["group"] == "treatment"
    forecast = next(m for m in at.metric if m.label == "Forecast incremental profit")
    assert forecast.value == f"£{stored.loc[treated, 'forecast_profit_per_user'].sum():,.0f}"
    assert at.selectbox(key="ws_r_pick").value == "Saved last month"  # the readout goes to the campaign measured
    at.button(key="ws_r_save").click().run()
    assert not at.exception
    row = open_workspace(url).list_campaigns().set_index("name").loc["Saved last month"]
    assert row["status"] == "measured" and not pd.isna(row["measured_profit"])


def test_the_readout_of_a_saved_campaign_defaults_to_its_stored_dates(url, tmp_path):
    """On the loaded data the period starts as the dates the campaign was saved with, not the data's last days."""
    from promo_core.cli import main
    from promo_core.quality import load_dataset
    from tests.conftest import SAMPLE

    last = pd.Timestamp(load_dataset(SAMPLE / "events.csv.gz").report.last_event).date()
    start, end = last - pd.Timedelta(days=20), last - pd.Timedelta(days=7)
    args = ["plan", str(SAMPLE / "events.csv.gz"), "--segmentation", "rfm", "--optimise", "--budget", "3000",
            "--targets", str(tmp_path / "t.csv"),
            "--out", str(tmp_path / "f.json"), "--holdout", "0.2", "--seed", "5", "--workspace", url]
    assert main([*args, "--save-campaign", "Dated", "--campaign-start", str(start), "--campaign-end", str(end)]) == 0
    assert main([*args, "--save-campaign", "Long ago", "--campaign-start", "2001-01-01",
                 "--campaign-end", "2001-01-14"]) == 0
    at = open_page("views/readout.py")
    at.selectbox(key="ro_campaign").set_value("Dated").run()
    at.radio(key="ro_source").set_value("loaded").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [d.value for d in at.date_input] == [start, end]
    assert any("dates stored with the campaign 'Dated'" in c.value for c in at.caption)
    at.selectbox(key="ro_campaign").set_value("Long ago").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.date_input[1].value == last   # outside the data: the data's last days, and the page says why
    assert any("are not inside the loaded data" in c.value for c in at.caption)
