"""The workspace database on SQLite and PostgreSQL: migrations, campaigns with their holdout assignment,
readouts, forecast accuracy, saved experiments and assumptions, and every way a user can get it wrong."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promo_core.i18n import locale_context
from promo_core.schema import DataError
from promo_core.workspace import (
    current_revision,
    default_author,
    head_revision,
    known_revisions,
    open_workspace,
    resolve_url,
    upgrade,
)
from promo_core.workspace.store import create_workspace_engine
from tests import workspace_backends

workspace_url, workspace = workspace_backends.workspace_url, workspace_backends.workspace  # fixtures
TABLES = {"campaigns", "campaign_targets", "readouts", "experiments", "assumption_sets", "alembic_version"}


# ---------------------------------------------------------------- a real plan on the bundled sample

@pytest.fixture(scope="module")
def planned(request):
    """A plan, its forecast record and a seeded 10% holdout per segment, on the bundled sample (RFM)."""
    from promo_core.features import customer_profiles
    from promo_core.promotions import Assumptions, baselines, forecast, forecast_record, optimise, target_list
    from promo_core.quality import load_dataset
    from promo_core.segments import rfm
    from tests.conftest import SAMPLE

    ds = load_dataset(SAMPLE / "events.csv.gz")
    s = rfm(customer_profiles(ds))
    segments = s[["user_id"]].assign(segment=s["rfm_segment"].astype(str))
    a = Assumptions()
    base = baselines(ds.events, segments, a.horizon_days)
    plan = optimise(base, a, 3000.0).plan
    fc = forecast(plan, base, a)
    record = {"dataset": {"name": ds.name, "users": ds.report.users}, "segmentation": "rfm",
              **forecast_record(fc, plan, base, a)}
    assert fc.iloc[-1]["incremental_profit"] > 0
    targets = target_list(plan, segments, fc)
    rng = np.random.default_rng(42)
    hold = np.zeros(len(targets), bool)
    for _seg, idx in targets.groupby("segment").indices.items():
        hold[rng.choice(idx, size=int(round(0.1 * len(idx))), replace=False)] = True
    assignment = targets[["user_id", "segment"]].assign(group=np.where(hold, "holdout", "treatment"))
    return {"plan": {"offers": [asdict(o) for o in plan], "assumptions": asdict(a)}, "record": record,
            "assignment": assignment, "offers": plan}


def save(ws, planned, name="December win-back", **kw):
    return ws.save_campaign(name, plan=planned["plan"], forecast=planned["record"],
                            dataset=planned["record"]["dataset"], segmentation="rfm", **kw)


# ---------------------------------------------------------------- migrations

def test_an_empty_database_reaches_head(workspace_url):
    engine = create_workspace_engine(workspace_url)
    assert current_revision(engine) is None
    open_workspace(workspace_url).close()
    assert current_revision(engine) == head_revision() == known_revisions()[-1]
    assert TABLES <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_a_database_at_the_initial_revision_reaches_head_and_keeps_its_campaigns(workspace_url, planned):
    assert len(known_revisions()) >= 2, "the upgrade path needs a revision after the initial one"
    engine = create_workspace_engine(workspace_url)
    upgrade(engine, known_revisions()[0])
    assert current_revision(engine) == "0001_initial"
    assert "experiments" not in sa.inspect(engine).get_table_names()
    from promo_core.workspace import Workspace
    Workspace(engine).save_campaign("Old", plan=planned["plan"], forecast=planned["record"], dataset={},
                                    segmentation="rfm")  # the campaign tables exist at revision 1
    ws = open_workspace(workspace_url)
    assert current_revision(engine) == head_revision()
    assert list(ws.list_campaigns()["name"]) == ["Old"]
    ws.save_experiment("after upgrade", {"lift": 0.1})
    ws.close()
    engine.dispose()


def test_the_migrations_build_exactly_the_tables_the_models_describe(workspace_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from promo_core.workspace.models import Base
    ws = open_workspace(workspace_url)
    with ws.engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata) == []
    ws.close()


def test_a_database_from_a_newer_version_is_refused_untouched(workspace_url):
    engine = create_workspace_engine(workspace_url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(DataError, match="newer version of PromoScope.*0099_from_the_future") as err:
        open_workspace(workspace_url)
    assert "Upgrade PromoScope" in err.value.hint
    assert current_revision(engine) == "0099_from_the_future"
    engine.dispose()


def test_the_default_workspace_is_a_sqlite_file_created_on_first_use(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMOSCOPE_WORKSPACE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    url = resolve_url()
    assert url == f"sqlite:///{tmp_path / '.promoscope' / 'workspace.db'}"
    assert not (tmp_path / ".promoscope").exists()
    open_workspace().close()
    assert (tmp_path / ".promoscope" / "workspace.db").is_file()


def test_where_the_workspace_is_comes_from_flag_then_env_then_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMOSCOPE_WORKSPACE", raising=False)
    conn = {"connections": {"workspace": {"url": "postgresql+psycopg://team@db/ws"}},
            "workspace": {"url": "sqlite:///b.db"}}
    assert resolve_url(settings={"workspace": {"url": "sqlite:///b.db"}}) == "sqlite:///b.db"
    assert resolve_url(settings=conn) == "postgresql+psycopg://team@db/ws"
    monkeypatch.setenv("PROMOSCOPE_WORKSPACE", str(tmp_path / "env.db"))
    assert resolve_url(settings=conn) == f"sqlite:///{tmp_path / 'env.db'}"
    assert resolve_url("postgres://u:p@h/d", settings=conn) == "postgresql+psycopg://u:p@h/d"
    assert resolve_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"


@pytest.mark.parametrize(("url", "match"), [
    ("mysql://u@h/db", "SQLite file or a PostgreSQL"),
    ("   ", "location is empty"),
    ("postgresql+psycopg://u:secret@127.0.0.1:1/db", "could not be reached"),
])
def test_a_wrong_or_unreachable_workspace_is_a_data_error_without_the_password(url, match):
    with pytest.raises(DataError, match=match) as err:
        open_workspace(url)
    assert "secret" not in str(err.value)


def test_a_file_that_is_not_a_database_is_a_data_error(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list: milk, eggs\n" * 200)
    with pytest.raises(DataError, match="could not be opened"):
        open_workspace(str(notes))


def test_the_author_is_the_signed_in_user_else_the_os_user_else_anonymous(monkeypatch):
    import getpass
    assert default_author("ana@shop.example") == "ana@shop.example"
    monkeypatch.setattr(getpass, "getuser", lambda: "mkt01")
    assert default_author(None) == "mkt01"

    def no_user():
        raise OSError("no login name")
    monkeypatch.setattr(getpass, "getuser", no_user)
    assert default_author("  ") == "anonymous"


# ---------------------------------------------------------------- the round trip

def test_round_trip_campaign_with_assignment_readout_list_and_show(workspace, planned):
    asg = planned["assignment"]
    saved = save(workspace, planned, assignment=asg, seed=42, holdout_share=0.1, start_date="2026-12-01",
                 end_date="2026-12-14", author="ana")
    assert (saved.n_targets, saved.n_holdout) == (len(asg), int((asg["group"] == "holdout").sum()))
    # holdout sizes per segment = the assignment's own counts
    want = pd.crosstab(asg["segment"], asg["group"]).reindex(columns=["treatment", "holdout"], fill_value=0)
    got = saved.groups.set_index("segment")
    assert got["holdout"].to_dict() == want["holdout"].to_dict()
    assert got["treatment"].to_dict() == want["treatment"].to_dict()
    # the stored target list is the assignment, with the plan's offers
    t = workspace.targets("December win-back")
    merged = t.merge(asg, on="user_id", suffixes=("", "_in"))
    assert len(merged) == len(asg) == len(t)
    assert (merged["segment"] == merged["segment_in"]).all() and (merged["group"] == merged["group_in"]).all()
    labels = {o.segment: o.label() for o in planned["offers"]}
    assert (t["offer"] == t["segment"].map(labels)).all()
    # with the forecast columns of the planner's export, so a readout of it sets the forecast beside the measure
    from promo_core.campaigns import campaign_readout
    from promo_core.campaigns.holdout import TARGET_COLUMNS
    assert set(TARGET_COLUMNS) - {"expected_uplift"} <= set(t.columns)
    assert (t["seed"] == 42).all() and (t["holdout_share"] == 0.1).all()
    fc = {r["segment"]: r for r in planned["record"]["segments"]}
    per_user = t["segment"].map({s: r["incremental_profit"] / r["targeted"] for s, r in fc.items() if r["targeted"]})
    assert np.allclose(t["forecast_profit_per_user"], per_user)
    assert np.allclose(t["baseline_conversion"], t["segment"].map({s: r["baseline_conversion"] for s, r in fc.items()}))
    contact = {o.segment: o.contact_cost for o in planned["offers"]}
    assert (t["contact_cost"] == t["segment"].map(contact)).all()
    some = (np.arange(len(t)) % 3 == 0).astype(int)
    r = campaign_readout(t, pd.DataFrame({"user_id": t["user_id"], "converted": some, "revenue": 40.0 * some,
                                          "discount": 0.0}))
    treated = t["group"] == "treatment"
    assert r.total.forecast_profit == pytest.approx(per_user[treated].sum())
    # before a readout: forecast only
    row = workspace.list_campaigns().iloc[0]
    total = planned["record"]["total"]
    assert row["forecast_profit"] == pytest.approx(total["incremental_profit"])
    assert row["forecast_roi"] == pytest.approx(total["roi"])
    assert row["forecast_cost"] == pytest.approx(total["value_given"] + total["contact_cost"])
    assert np.isnan(row["measured_profit"]) and np.isnan(row["accuracy"]) and row["status"] == "planned"
    # a readout (per segment and total), then a second one: the latest one is what the list shows
    per_seg = [{"segment": s, "lift": 0.05, "incremental_profit": 10.0} for s in sorted(set(asg["segment"]))]
    workspace.add_readout("December win-back", {"segments": per_seg, "total": {
        "incremental_profit": 100.0, "profit_low": -20.0, "profit_high": 220.0, "roi": 0.25, "lift": 0.04}})
    measured = 0.8 * total["incremental_profit"]
    workspace.add_readout("December win-back", {"segments": per_seg, "total": {
        "incremental_profit": measured, "profit_low": np.float64(measured - 50), "profit_high": measured + 50,
        "roi": np.float32(0.5), "relative_lift": 0.07, "note": float("nan")}})
    row = workspace.list_campaigns().iloc[0]
    assert row["status"] == "measured" and row["n_readouts"] == 2
    assert row["measured_profit"] == pytest.approx(measured)
    assert (row["measured_profit_low"], row["measured_profit_high"]) == pytest.approx((measured - 50, measured + 50))
    assert row["measured_roi"] == pytest.approx(0.5) and row["lift"] == pytest.approx(0.07)
    assert row["accuracy"] == pytest.approx(0.8)  # measured ÷ forecast, by hand
    acc = workspace.forecast_accuracy()
    assert list(acc["name"]) == ["December win-back"] and acc["when"].iloc[0] == pd.Timestamp("2026-12-14")
    # show: everything back as stored
    d = workspace.campaign("December win-back")
    assert (d.author, d.seed, d.holdout_share, d.segmentation) == ("ana", 42, 0.1, "rfm")
    assert (str(d.start_date), str(d.end_date)) == ("2026-12-01", "2026-12-14")
    as_json = json.loads(json.dumps(planned["plan"]))  # stored as JSON: a tuple (an offer's tiers) comes back a list
    assert d.plan == as_json and d.forecast["total"] == pytest.approx(total)
    assert len(d.readouts) == 2 and d.results[1]["total"]["note"] is None
    assert d.results[0]["segments"] == per_seg
    assert d.to_dict()["readouts"][1]["measured_profit"] == pytest.approx(measured)


def test_list_accuracy_over_time_orders_by_end_date_and_leaves_out_non_positive_forecasts(workspace, planned):
    import copy
    for i, (end, forecast_profit, measured) in enumerate([("2026-03-31", 200.0, 150.0), ("2026-01-31", 100.0, 120.0),
                                                         ("2026-02-28", -50.0, 10.0)]):
        rec = copy.deepcopy(planned["record"])
        rec["total"]["incremental_profit"] = forecast_profit
        workspace.save_campaign(f"c{i}", plan=planned["plan"], forecast=rec, dataset={}, segmentation="rfm",
                                end_date=end)
        workspace.add_readout(f"c{i}", {"total": {"incremental_profit": measured}})
    acc = workspace.forecast_accuracy()
    assert list(acc["name"]) == ["c1", "c0"]
    assert list(acc["accuracy"]) == pytest.approx([1.2, 0.75])
    assert list(workspace.list_campaigns()["name"]) == ["c2", "c1", "c0"]  # newest first


def test_a_plan_without_holdout_stores_plan_and_forecast_only(workspace, planned):
    d = save(workspace, planned)
    assert (d.n_targets, d.n_holdout, d.seed, d.holdout_share) == (0, 0, None, None)
    assert workspace.targets(d.name).empty and "group" in workspace.targets(d.name).columns


def test_delete_removes_the_campaign_its_assignment_and_readouts(workspace, planned):
    save(workspace, planned, assignment=planned["assignment"])
    save(workspace, planned, name="kept", assignment=planned["assignment"].head(10))
    workspace.add_readout("December win-back", {"total": {"incremental_profit": 1.0}})
    workspace.delete_campaign("December win-back")
    assert list(workspace.list_campaigns()["name"]) == ["kept"]
    with workspace.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM campaign_targets")).scalar() == 10
        assert c.execute(sa.text("SELECT count(*) FROM readouts")).scalar() == 0
    with pytest.raises(DataError, match="no campaign called 'December win-back'"):
        workspace.delete_campaign("December win-back")


def test_names_are_unique_per_workspace(workspace, planned):
    save(workspace, planned)
    with pytest.raises(DataError, match="already exists"):
        save(workspace, planned, name="  December win-back ")
    with locale_context("zh_CN"), pytest.raises(DataError) as err:
        save(workspace, planned)
    assert "已存在" in str(err.value)
    workspace.save_experiment("Nov A/B", {"variants": 2})
    with pytest.raises(DataError, match="already exists"):
        workspace.save_experiment("Nov A/B", {"variants": 3})
    workspace.save_assumptions("cautious", {"margin": 0.3})
    with pytest.raises(DataError, match="already exists"):
        workspace.save_assumptions("cautious", {"margin": 0.5})


def test_saved_experiments_and_assumptions_come_back_as_saved(workspace):
    from promo_core.promotions import Assumptions
    workspace.save_experiment("Nov A/B", {"lift": np.float64(0.031), "p_value": 0.004, "n": np.int64(20_000)},
                              author="ana")
    workspace.save_assumptions("defaults", Assumptions())
    assert workspace.experiment("Nov A/B") == {"lift": 0.031, "p_value": 0.004, "n": 20_000}
    assert workspace.assumptions("defaults") == asdict(Assumptions())
    assert list(workspace.experiments()["author"]) == ["ana"]
    assert list(workspace.assumption_sets()["name"]) == ["defaults"]
    with pytest.raises(DataError, match="no experiment called"):
        workspace.experiment("missing")
    with pytest.raises(DataError, match="no saved assumptions"):
        workspace.assumptions("missing")


# ---------------------------------------------------------------- bad input

BAD_ASSIGNMENTS = [
    (lambda a: a.drop(columns="group"), "no group column"),
    (lambda a: a.drop(columns="segment"), "no segment column"),
    (lambda a: pd.concat([a, a.head(2)]), "more than once"),
    (lambda a: a.assign(group="control"), "treatment or holdout"),
    (lambda a: a.assign(segment="Martians"), "segments the plan does not have"),
    (lambda a: a.assign(user_id="x" * 201), "longer than 200"),
]


@pytest.mark.parametrize(("mangle", "match"), BAD_ASSIGNMENTS)
def test_a_malformed_assignment_is_refused_and_nothing_is_saved(workspace, planned, mangle, match):
    with pytest.raises(DataError, match=match):
        save(workspace, planned, assignment=mangle(planned["assignment"].head(50)))
    assert workspace.list_campaigns().empty


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"name": ""}, "1 to 200 characters"),
    ({"name": "x" * 201}, "1 to 200 characters"),
    ({"holdout_share": 1.0}, "holdout share"),
    ({"start_date": "2026-12-10", "end_date": "2026-12-01"}, "ends before it starts"),
    ({"start_date": "not a date"}, "not a date"),
    ({"status": "done"}, "Unknown campaign status"),
    ({"plan": {"offers": []}}, "no offers"),
    ({"forecast": {"segments": []}}, "no total"),
])
def test_bad_campaign_fields_are_data_errors(workspace, planned, kwargs, match):
    args = {"name": "c", "plan": planned["plan"], "forecast": planned["record"], "dataset": {},
            "segmentation": "rfm", **kwargs}
    with pytest.raises(DataError, match=match):
        workspace.save_campaign(args.pop("name"), **args)


def test_unknown_campaigns_and_malformed_readouts_are_data_errors(workspace, planned):
    with pytest.raises(DataError, match="no campaign called"):
        workspace.campaign("nope")
    with pytest.raises(DataError, match="no campaign called"):
        workspace.add_readout("nope", {"total": {}})
    save(workspace, planned)
    with pytest.raises(DataError, match="readout must be"):
        workspace.add_readout("December win-back", [1, 2, 3])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=st.lists(st.fixed_dictionaries({
    "user_id": st.one_of(st.none(), st.text(max_size=5), st.integers(), st.floats()),
    "segment": st.one_of(st.text(max_size=5), st.integers(), st.none()),
    "group": st.one_of(st.sampled_from(["treatment", "holdout", "Holdout ", "", "ctl"]), st.none(), st.integers()),
}), max_size=8))
def test_any_assignment_frame_is_saved_or_refused_with_a_data_error(tmp_path, planned, frame):
    ws = open_workspace(f"sqlite:///{tmp_path / 'prop.db'}")
    try:
        save(ws, planned, name=f"p{np.random.default_rng().integers(1e9)}", assignment=pd.DataFrame(frame))
    except DataError:
        pass
    finally:
        ws.close()


def test_offers_are_described_again_in_the_reader_s_language_and_currency(workspace, planned):
    """The forecast stores the offer's words in the language it was saved in; a Chinese reader gets 满…减…."""
    from promo_core.promotions import Offer
    tiers = Offer("Loyal", "tiered_discount", tiers=((200.0, 20.0), (400.0, 50.0)))
    plan = {**planned["plan"], "offers": [asdict(tiers)]}
    segments = [{**planned["record"]["segments"][0], "segment": "Loyal", "offer": "Spend £200, get £20 off / …"}]
    workspace.save_campaign("Tiers", plan=plan, forecast={**planned["record"], "segments": segments},
                            dataset={}, segmentation="rfm")
    d = workspace.campaign("Tiers")
    assert d.offer_labels("£") == {"Loyal": "Spend £200, get £20 off / Spend £400, get £50 off"}
    with locale_context("zh_CN"):
        assert d.offer_labels("¥") == {"Loyal": "满¥200减¥20 / 满¥400减¥50"}
    broken = {**plan, "offers": [{"segment": "Loyal", "offer_type": "no-such-type"}]}
    workspace.save_campaign("Old", plan=broken, forecast={**planned["record"], "segments": segments},
                            dataset={}, segmentation="rfm")
    assert workspace.campaign("Old").offer_labels() == {"Loyal": "Spend £200, get £20 off / …"}  # stored text

def test_the_accuracy_chart_plots_measured_over_forecast_in_percent_with_labelled_axes():
    from promo_core.workspace.charts import fig_forecast_accuracy
    acc = pd.DataFrame({"name": ["Jan", "Feb"], "when": pd.to_datetime(["2026-01-31", "2026-02-28"]),
                        "forecast_profit": [100.0, 200.0], "measured_profit": [120.0, 150.0],
                        "accuracy": [1.2, 0.75]})
    fig = fig_forecast_accuracy(acc, "£")
    assert list(fig.data[0].y) == pytest.approx([120.0, 75.0])
    assert fig.layout.yaxis.title.text == "Measured ÷ forecast profit (%)"
    assert fig.layout.xaxis.title.text == "Campaign end date"
    assert "forecast £100, measured £120" in fig.data[0].hovertext[0]
    with locale_context("zh_CN"):
        zh = fig_forecast_accuracy(acc, "¥")
    assert zh.layout.yaxis.title.text == "实测 ÷ 预测利润（%）" and zh.layout.title.text == "历次利润预测的准确度"



def test_the_accuracy_chart_ticks_days_and_leaves_room_for_the_names_at_both_ends():
    """Two campaigns measured the same day gave plotly's sub-second ticks (23:59:59.999 …)."""
    from promo_core.workspace.charts import fig_forecast_accuracy
    acc = pd.DataFrame({"name": ["A", "B"], "when": pd.to_datetime(["2026-12-06", "2026-12-06"]),
                        "forecast_profit": [100.0, 200.0], "measured_profit": [50.0, 150.0], "accuracy": [0.5, 0.75]})
    fig = fig_forecast_accuracy(acc)
    lo, hi = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert (lo, hi) == (pd.Timestamp("2026-11-29"), pd.Timestamp("2026-12-13"))
    assert fig.layout.xaxis.tickformat == "%Y-%m-%d" and fig.layout.xaxis.type == "date"
    months = acc.assign(when=pd.to_datetime(["2026-09-20", "2026-10-18"]))
    lo, hi = (pd.Timestamp(x) for x in fig_forecast_accuracy(months).layout.xaxis.range)
    assert (lo, hi) == (pd.Timestamp("2026-09-13"), pd.Timestamp("2026-10-25"))  # a week each side
    year = acc.assign(when=pd.to_datetime(["2026-01-01", "2026-12-31"]))
    lo, hi = (pd.Timestamp(x) for x in fig_forecast_accuracy(year).layout.xaxis.range)
    assert (hi - lo) == pd.Timedelta(days=364) * 1.5  # a quarter of the history each side

def test_the_workspace_core_never_imports_streamlit():
    import subprocess
    import sys
    code = ("import sys, promo_core.workspace, promo_core.workspace.charts, promo_core.cli; "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_campaign_readout_from_the_readout_page_is_stored_with_its_summary(workspace, planned):
    """The loop's own CampaignReadout (not a hand-made dict) gives the list its measured profit, ROI and lift,
    and comes back whole from the stored JSON."""
    from promo_core.campaigns import CampaignReadout
    from tests.test_campaigns import campaign_readout, large_campaign

    t, o = large_campaign()
    r = campaign_readout(t, o, name="planted")
    save(workspace, planned)
    workspace.add_readout("December win-back", r)
    row = workspace.list_campaigns().iloc[0]
    assert row["measured_profit"] == pytest.approx(r.total.incremental_profit)
    assert row["measured_roi"] == pytest.approx(r.total.roi)
    detail = workspace.campaign("December win-back")
    stored = detail.readouts.iloc[-1]
    assert stored["lift"] == pytest.approx(r.total.rel_lift)
    assert stored["measured_profit_low"] == pytest.approx(r.total.profit_ci_low)
    assert CampaignReadout.from_dict(detail.results[-1]) == r
