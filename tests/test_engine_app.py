"""Issue 17 in the app: a large server source is validated and cleaned in DuckDB, the pages get per-user results
computed there (equal to the in-memory core's), and the event rows reach pandas only where a page needs them."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from promo_core.engines.dataset import EngineDataset, EngineSource, open_files
from promo_core.features import customer_profiles
from promo_core.kpis import daily_activity, funnel, summarise
from promo_core.nonproduct import detect_nonproduct, revenue_split
from promo_core.quality import load_dataset, pseudonymise
from promo_core.schema import DataError
from promo_core.segments import LifecycleRules, lifecycle

from .conftest import ROOT, SAMPLE, full_error_details

RETAIL = ROOT.parent / "shared" / "data" / "online_retail.csv.gz"


@pytest.fixture(scope="module")
def retail():
    if not RETAIL.exists():
        pytest.skip("../shared/data/online_retail.csv.gz is not here")
    engine = open_files([str(RETAIL)], "online_retail.csv.gz").clean(None, "Online Retail")
    return engine, load_dataset(RETAIL)


def test_the_engine_dataset_equals_the_in_memory_one_on_online_retail(retail):
    eng, ref = retail
    assert isinstance(eng, EngineDataset) and eng.in_engine and not ref.in_engine
    assert eng.report.rows_kept == ref.report.rows_kept == 392_692
    assert [(s.step, s.rows_dropped) for s in eng.report.steps] == [(s.step, s.rows_dropped) for s in ref.report.steps]
    assert eng.nonproduct == ref.nonproduct and eng.has == ref.has
    got = eng.profiles().set_index("user_id").sort_index()
    want = customer_profiles(ref).set_index("user_id").sort_index()
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False, rtol=1e-9)
    k, daily, fun = eng.overview()
    want_k = summarise(ref.events)
    assert (k.orders, k.buyers, k.users) == (want_k.orders, want_k.buyers, want_k.users) == (18_532, 4_338, 4_338)
    assert k.revenue == pytest.approx(want_k.revenue, rel=1e-12)
    pd.testing.assert_frame_equal(daily.reset_index(drop=True), daily_activity(ref.events).reset_index(drop=True),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(fun, funnel(ref.events), check_dtype=False)
    assert not eng.rows_in_memory  # nothing so far needed the event rows in pandas


def test_non_product_lines_and_revenue_split_are_computed_from_the_engines_item_table(retail):
    eng, ref = retail
    from promo_core.nonproduct import classify_items, revenue_from_items
    got = classify_items(eng.item_table())
    want = detect_nonproduct(ref.events, ref.returns)
    assert list(got["item_id"]) == list(want["item_id"]) == ["POST", "M", "C2", "23444", "DOT", "BANK CHARGES",
                                                             "CRUK", "D"]
    np.testing.assert_allclose(got[["lines", "customers", "orders", "sales", "returned"]].to_numpy(float),
                               want[["lines", "customers", "orders", "sales", "returned"]].to_numpy(float), rtol=1e-9)
    split = revenue_from_items(eng.item_table(), eng.nonproduct, *eng.totals())
    ref_split = revenue_split(ref.events, ref.returns, ref.nonproduct)
    assert list(split["line"]) == list(ref_split["line"])
    np.testing.assert_allclose(split["amount"], ref_split["amount"], rtol=1e-9, atol=1e-6)


def test_lifecycle_and_the_rows_read_on_demand_equal_the_in_memory_ones(retail):
    eng, ref = retail
    from promo_core.engines.relational import lifecycle as in_engine
    got = in_engine(eng.data.events, LifecycleRules()).sort_values("user_id").reset_index(drop=True)
    want = lifecycle(ref.events, LifecycleRules()).sort_values("user_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False, check_categorical=False)
    key = ["user_id", "timestamp", "item_id", "order_id", "quantity", "price", "item_name"]  # a total order: the
    # engine gives rows in no set order, and two lines may differ only in the item's name
    rows = eng.events.sort_values(key).reset_index(drop=True)
    assert eng.rows_in_memory
    pd.testing.assert_frame_equal(rows, ref.events.sort_values(key).reset_index(drop=True), check_like=True)
    # pseudonymisation swaps the ids in the engine: the same pseudonyms as in memory, the same profiles under them
    hashed = pseudonymise(eng.with_nonproduct(eng.nonproduct), "salt")
    assert hashed.pseudonymised and hashed.in_engine and hashed.report.rows_kept == 392_692
    mine = hashed.profiles().set_index("user_id").sort_index()
    theirs = customer_profiles(pseudonymise(ref, "salt")).set_index("user_id").sort_index()
    assert list(mine.index) == list(theirs.index) and mine.index[0].startswith("u") and len(mine.index[0]) == 17
    pd.testing.assert_frame_equal(mine[theirs.columns], theirs, check_dtype=False, rtol=1e-9)
    assert not hashed.rows_in_memory and "12347" not in set(mine.index)


def test_baskets_and_bundle_prices_from_the_engine_equal_the_in_memory_ones(retail):
    eng, ref = retail
    from promo_core.engines.relational import basket_lines
    from promo_core.engines.relational import item_prices as engine_prices
    from promo_core.nonproduct import product_lines
    from promo_core.rules import item_prices, make_baskets, mine_itemsets
    for by in ("order", "user-day"):
        got = make_baskets(basket_lines(eng.data.events, by, "item", eng.nonproduct), by=by)
        want = make_baskets(product_lines(ref.events, ref.nonproduct), by=by)
        assert got.n == want.n and got.labels == want.labels
        pd.testing.assert_frame_equal(mine_itemsets(got, 0.02, None, "pyfim"), mine_itemsets(want, 0.02, None, "pyfim"))
    prices = engine_prices(eng.data.events, want.labels).sort_index()
    ref_prices = item_prices(ref.events, want.labels).sort_index()
    assert list(prices.index) == list(ref_prices.index)
    np.testing.assert_allclose(prices.to_numpy(), ref_prices.to_numpy(), rtol=1e-12)


def test_another_non_product_list_gives_the_in_memory_profiles_and_revenue_split(retail):
    eng, ref = retail
    from promo_core.nonproduct import revenue_from_items
    codes = tuple(c for c in eng.nonproduct if c != "POST")   # the user counts postage as a product
    mine, theirs = eng.with_nonproduct(codes), ref.with_nonproduct(codes)
    got = mine.profiles().set_index("user_id").sort_index()
    want = customer_profiles(theirs).set_index("user_id").sort_index()
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False, rtol=1e-9)
    assert not got["monetary"].equals(eng.profiles().set_index("user_id").sort_index()["monetary"])
    split = revenue_from_items(mine.item_table(), codes, *mine.totals())
    np.testing.assert_allclose(split["amount"], revenue_split(ref.events, ref.returns, codes)["amount"],
                               rtol=1e-9, atol=1e-6)


def assert_same_baselines(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for name, b in want.items():
        g = got[name]
        assert (g.users, g.basis, g.customers_observed) == (b.users, b.basis, b.customers_observed), name
        assert g.conversion == pytest.approx(b.conversion, rel=1e-12)
        assert g.orders_per_buyer == pytest.approx(b.orders_per_buyer, rel=1e-12)
        assert g.aov == pytest.approx(b.aov, rel=1e-9)
        np.testing.assert_allclose(np.sort(g.order_values), np.sort(b.order_values), rtol=1e-9)
        np.testing.assert_allclose(np.sort(g.order_items), np.sort(b.order_items), rtol=1e-12)
        if b.activity_hours is None:
            assert g.activity_hours is None
        else:
            np.testing.assert_allclose(g.activity_hours, b.activity_hours, rtol=1e-12)


@pytest.mark.parametrize("kind", ["rfm", "lifecycle", "clusters"])
def test_the_planners_baselines_from_the_engine_equal_the_in_memory_ones(retail, kind):
    """The planner's inputs (orders, first-seen times, activity by hour, and the re-labelling at each earlier window)
    computed in the engine, with no event row in pandas: the same baselines as the core on the events."""
    from promo_core.promotions import baseline_windows, baselines, segmenter
    from promo_core.segments import rfm
    eng, ref = retail
    eng = eng.with_nonproduct(eng.nonproduct)
    eng._shared.pop("events", None)
    s = rfm(customer_profiles(ref))
    segs = s[["user_id"]].assign(segment=s["rfm_segment"])
    if kind == "lifecycle":
        segs = lifecycle(ref.events, LifecycleRules()).rename(columns={"lifecycle": "segment"})[["user_id", "segment"]]
    at_ref = segmenter(kind, ref.events, returns=ref.returns, nonproduct=ref.nonproduct)
    at_eng = eng.segmenter(kind)
    assert (at_ref is None) == (at_eng is None) == (kind == "clusters")
    for sply in (False, True):
        want = baselines(ref.events, segs, 14, segment_at=at_ref, same_period_last_year=sply, nonproduct=ref.nonproduct)
        got = baselines(eng.history(), segs, 14, segment_at=at_eng, same_period_last_year=sply,
                        nonproduct=eng.nonproduct)
        assert_same_baselines(got, want)
    w_ref = baseline_windows(ref.events, segs, 14, 4, at_ref, True, ref.nonproduct)
    w_eng = baseline_windows(eng.history(), segs, 14, 4, at_eng, True, eng.nonproduct)
    key = ["kind", "window_start", "segment"]
    pd.testing.assert_frame_equal(w_eng.sort_values(key).reset_index(drop=True),
                                  w_ref.sort_values(key).reset_index(drop=True), check_dtype=False)
    assert (w_ref["kind"] == "same period last year").any()
    assert not eng.rows_in_memory


def test_lifetime_value_inputs_from_the_engine_give_the_in_memory_model_and_hold_out_check(retail):
    """The CLV models read purchase days; the engine builds them without reading the event rows, and the fit and
    the hold-out check (split 2011-09-01) equal those on the events in memory."""
    from promo_core import clv
    eng, ref = retail
    eng = eng.with_nonproduct(eng.nonproduct)
    eng._shared.pop("events", None)
    got, want = eng.purchase_days(), clv.purchase_days(ref.events, ref.returns, ref.nonproduct)
    for a, b in ((got.buys, want.buys), (got.returned, want.returned)):   # bit for bit (values rounded to 1e-6)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=True)
    assert (got.first, got.last) == (want.first, want.last)
    pd.testing.assert_series_equal(got.first_seen.sort_index(), want.first_seen.sort_index(), check_dtype=False,
                                   check_names=False)
    summary = clv.clv_summary(got)
    pd.testing.assert_frame_equal(summary, clv.clv_summary(ref.events, returns=ref.returns, nonproduct=ref.nonproduct),
                                  rtol=1e-9)
    assert len(summary) == 4_338 and int((summary["frequency"] > 0).sum()) == 2_790   # buyers, repeat buyers
    h_eng = clv.holdout_check(got)
    h_ref = clv.holdout_check(ref.events, returns=ref.returns, nonproduct=ref.nonproduct)
    assert h_eng.cutoff == h_ref.cutoff == pd.Timestamp("2011-09-01")
    assert (h_eng.customers, h_eng.actual_purchases) == (h_ref.customers, h_ref.actual_purchases)
    assert h_eng.actual_revenue == pytest.approx(h_ref.actual_revenue, rel=1e-12)
    assert h_eng.past_spend_top_decile_share == pytest.approx(h_ref.past_spend_top_decile_share, rel=1e-12)
    # the same table, so the same fit
    for k in ("predicted_purchases", "predicted_revenue", "top_decile_share"):
        assert getattr(h_eng, k) == pytest.approx(getattr(h_ref, k), rel=1e-9), k
    assert not eng.rows_in_memory


def test_the_propensity_model_and_lifecycle_back_test_from_the_engine_equal_the_in_memory_ones(retail):
    """Both read per-user tables as of an earlier date (promo_core.features.EventHistory), which the engine computes:
    the same training set, the same logistic model and scores, the same back-test, with no event row in pandas."""
    from promo_core.propensity import fit_propensity
    from promo_core.segments import lifecycle_backtest
    eng, ref = retail
    eng = eng.with_nonproduct(eng.nonproduct)
    eng._shared.pop("events", None)
    a, b = fit_propensity(ref.events, "logistic", 30), fit_propensity(eng.event_history(), "logistic", 30)
    assert (a.n_train, a.n_test, a.cutoff) == (b.n_train, b.n_test, b.cutoff) == (2_860, 1_226, b.cutoff)
    assert a.base_rate == b.base_rate and a.auc == pytest.approx(b.auc, rel=1e-12)
    pd.testing.assert_frame_equal(a.scores.sort_values("user_id").reset_index(drop=True),
                                  b.scores.sort_values("user_id").reset_index(drop=True), rtol=1e-9)
    # a tree ensemble bins each feature by its quantiles, so money that differed in the 11th digit (summation order)
    # moved a bin edge and the AUC by up to 0.006 (CI); the profiles settle money to a millionth on both paths
    # (promo_core.features.settle_money), so the features, and with them the boosted model, are the same
    from promo_core.features import event_history
    mine = eng.event_history().profiles(a.cutoff)   # the model's features; the engine leaves out text attributes
    pd.testing.assert_frame_equal(event_history(ref.events).profiles(a.cutoff)[mine.columns], mine,
                                  check_dtype=False, check_exact=True)
    g, h = fit_propensity(ref.events, "boosting", 30), fit_propensity(eng.event_history(), "boosting", 30)
    assert (g.n_train, g.base_rate, g.auc) == (h.n_train, h.base_rate, h.auc)
    from promo_core.engines.relational import order_times
    from promo_core.segments import gaps_of_orders, order_gaps, suggest_lifecycle
    gaps = gaps_of_orders(eng.run(order_times))
    np.testing.assert_allclose(np.sort(gaps.to_numpy()), np.sort(order_gaps(ref.events).to_numpy()), rtol=1e-12)
    assert suggest_lifecycle(None, gaps=gaps) == suggest_lifecycle(ref.events)
    for days in (30, 90):
        pd.testing.assert_frame_equal(lifecycle_backtest(eng.event_history(), LifecycleRules(), days),
                                      lifecycle_backtest(ref.events, LifecycleRules(), days), check_dtype=False)
    assert not eng.rows_in_memory


def test_recommendations_from_the_engines_purchase_lines_equal_the_in_memory_ones(retail):
    from promo_core.recommend import fit_model, hold_out, purchase_pairs
    eng, ref = retail
    eng = eng.with_nonproduct(eng.nonproduct)
    eng._shared.pop("events", None)
    got, want = eng.purchase_pairs(), purchase_pairs(ref.events, ref.nonproduct)
    key = ["timestamp", "user_id", "item", "order"]
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                  want.sort_values(key).reset_index(drop=True), check_dtype=False)
    a, b = fit_model(ref.events, ref.nonproduct), fit_model(None, pairs=got)
    assert list(a.items) == list(b.items) and list(a.users) == list(b.users)
    np.testing.assert_allclose(a.similarity, b.similarity, rtol=1e-12)
    h, g = hold_out(ref.events, 10, ref.nonproduct), hold_out(None, 10, pairs=got)
    assert (h.users, h.hit_rate, h.popularity_hit_rate, h.cutoff) == (g.users, g.hit_rate, g.popularity_hit_rate,
                                                                       g.cutoff)
    assert not eng.rows_in_memory
    small = EngineDataset(eng.data, "capped", nonproduct=eng.nonproduct, max_rows_in_memory=1000)
    with pytest.raises(DataError, match="more than the 1,000 the server reads"):
        small.purchase_pairs()


def test_campaign_outcomes_from_the_engine_equal_the_in_memory_ones(retail):
    """The readout on the loaded data: who bought in the campaign period, with revenue and discount."""
    from promo_core.campaigns.readout import outcomes_from_events
    eng, ref = retail
    eng = eng.with_nonproduct(eng.nonproduct)
    eng._shared.pop("events", None)
    lo, hi = pd.Timestamp("2011-11-01"), pd.Timestamp("2011-11-15")
    got, notes = eng.campaign_outcomes(lo, hi)
    want, want_notes = outcomes_from_events(ref.events, lo, hi, ref.nonproduct)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)
    assert notes == want_notes and len(got) > 500
    with pytest.raises(DataError, match="ends before it starts"):
        eng.campaign_outcomes(hi, lo)
    assert not eng.rows_in_memory


def test_engine_work_is_serialised_and_its_failures_are_messages(retail):
    import threading

    import duckdb
    eng, _ = retail
    inside, overlaps = [], []

    def slow(events):
        overlaps.append(len(inside))
        inside.append(1)
        threading.Event().wait(0.05)
        inside.pop()
        return int(events.count().to_pandas())
    threads = [threading.Thread(target=eng.run, args=(slow,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == [0, 0, 0, 0]   # one at a time on the connection

    def fails(events):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256.0 KiB")
    with pytest.raises(DataError) as err:
        eng.run(fails)
    assert "could not compute this" in str(err.value) and "engine_memory_limit" in str(err.value)


def test_a_replaced_cleaning_drops_its_tables_and_a_database_copy_goes_with_the_engine(tmp_path, monkeypatch):
    import gc
    import sqlite3

    import ui.sources as S
    src = open_files([str(SAMPLE / "events.csv.gz")], "sample")
    from promo_core.engines.dataset import _temp_tables
    start = _temp_tables(src.engine)
    first = src.clean(None, "sample")
    made = set(first._shared["tables"])
    assert made and made <= _temp_tables(src.engine)
    first.close()
    assert _temp_tables(src.engine) == start
    events = pd.read_csv(SAMPLE / "events.csv.gz", dtype=str).head(2000)
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as con:
        events.to_sql("events", con, index=False)
    monkeypatch.setattr(S, "_secret", lambda name: None)
    engine = S.session_engine()
    folder = engine.settings["temp_directory"]
    from promo_core.engines.dataset import open_table
    opened = open_table(f"sqlite:///{db}", "events", "events (shop)", engine=engine)
    copies = [p for p in os.listdir(folder) if p.startswith("promoscope-source-")]
    assert len(copies) == 1 and len(opened.sample.frame) == 2000
    del opened, engine
    gc.collect()
    assert not os.path.exists(folder)   # the private copy of the table went with the session's engine


def test_a_damaged_file_is_a_clear_message_not_a_traceback(tmp_path):
    bad = tmp_path / "part-0.parquet"
    bad.write_bytes(b"PAR1 this is not a parquet file")
    with pytest.raises(DataError) as err:
        open_files([str(bad)], "part-0.parquet")
    assert "could not read" in str(err.value) and "part-0.parquet" in str(err.value)


# ---------------------------------------------------------------- the pages

@pytest.fixture
def folder(tmp_path):
    events = pd.read_csv(SAMPLE / "events.csv.gz")
    (tmp_path / "shop").mkdir()
    half = len(events) // 2
    events.iloc[:half].to_parquet(tmp_path / "shop" / "part-0.parquet", index=False)
    events.iloc[half:].to_parquet(tmp_path / "shop" / "part-1.parquet", index=False)
    return tmp_path


def test_a_large_server_folder_runs_in_the_engine_and_every_page_renders(folder):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    full_error_details()
    at.secrets["sources"] = {"allowed_dirs": [str(folder)], "engine_above_mb": 0}
    at.run()
    at.switch_page("views/data.py").run()
    at.text_input(key="src_pattern").set_value("shop/*.parquet").run()
    assert any("DuckDB engine" in c.value for c in at.caption)
    at.button(key="src_read").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("first 2" in c.value and "every row in the engine" in c.value for c in at.caption)
    at.button(key="src_accept").click().run()
    assert not at.exception, [e.message for e in at.exception]
    ds = at.session_state["dataset"]
    ref = load_dataset(SAMPLE / "events.csv.gz")
    assert ds.in_engine and ds.report.rows_kept == ref.report.rows_kept
    assert any("stay in the engine" in c.value for c in at.caption)   # no multi-million-row browser download
    shown = " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.info))
    assert "Validated and cleaned in the DuckDB engine" in shown   # the quality report says where it was computed

    at.switch_page("views/segments.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.metric and not ds.rows_in_memory   # Segments came from the engine's profiles alone
    assert at.session_state["cluster_args"]  # a clustering was made

    at.switch_page("views/rules.py").run()   # baskets and bundle prices come from the engine too
    assert not at.exception, [e.message for e in at.exception]
    assert at.dataframe and not ds.rows_in_memory
    for page in ("views/value_groups.py", "views/planner.py", "views/recommendations.py",
                 "views/uplift.py", "views/abtest.py", "views/readout.py", "views/campaigns.py", "views/data.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.message for e in at.exception])
    assert not ds.rows_in_memory  # every page got what it shows from the engine (per-user, per-order, per-line)
    at.toggle(key="pseudonymise").set_value(True).run()   # hashed in the engine: still an engine dataset
    private = at.session_state["dataset"]
    assert private.pseudonymised and private.in_engine and private.report.rows_kept == ds.report.rows_kept
    at.switch_page("views/segments.py").run()
    assert not at.exception, [e.message for e in at.exception]


def test_a_database_table_over_the_row_threshold_is_streamed_into_the_engine(tmp_path):
    import sqlite3
    events = pd.read_csv(SAMPLE / "events.csv.gz", dtype=str)
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as con:
        events.to_sql("events", con, index=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    full_error_details()
    at.secrets["connections"] = {"shop": {"url": f"sqlite:///{db}"}}
    at.secrets["sources"] = {"engine_above_rows": 1000}
    at.run()
    at.switch_page("views/data.py").run()
    at.selectbox(key="src_table_shop").set_value("events").run()
    at.button(key="src_read").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert isinstance(at.session_state["src_raw"][1], EngineSource)
    at.button(key="src_accept").click().run()
    assert not at.exception, [e.message for e in at.exception]
    ds = at.session_state["dataset"]
    ref = load_dataset(SAMPLE / "events.csv.gz")
    assert ds.in_engine and ds.report.rows_kept == ref.report.rows_kept and ds.report.users == ref.report.users
    at.switch_page("views/segments.py").run()
    assert not at.exception and not ds.rows_in_memory


def test_each_session_gets_its_own_duckdb_with_the_configured_memory_and_spill_folder(monkeypatch):
    import gc
    import os

    import ui.sources as S
    monkeypatch.setattr(S, "_secret", lambda name: {"engine_memory_limit": "700MB"} if name == "sources" else None)
    a, b = S.session_engine(), S.session_engine()
    folder_a = a.settings["temp_directory"]
    assert folder_a != b.settings["temp_directory"] and os.path.isdir(folder_a)
    limit = a.con.raw_sql("select current_setting('memory_limit')").fetchone()[0]
    assert limit == "667.5 MiB"   # DuckDB's own spelling of 700 MB
    assert a.settings["memory_limit"] == "700MB"
    del a
    gc.collect()
    assert not os.path.exists(folder_a)   # the spill folder goes with the session's engine
    monkeypatch.setattr(S, "_secret", lambda name: None)
    assert S.engine_memory_limit().endswith("MB") and int(S.engine_memory_limit()[:-2]) >= 256


def test_over_the_rows_in_memory_cap_pages_say_so_and_the_engine_pages_still_work(folder):
    """A source too large to read into the app's memory: the engine pages work, the others explain, no exception,
    and the server never tries to hold every row."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    full_error_details()
    at.secrets["sources"] = {"allowed_dirs": [str(folder)], "engine_above_mb": 0, "engine_rows_in_memory": 1000}
    at.run()
    at.switch_page("views/data.py").run()
    at.text_input(key="src_pattern").set_value("shop/*.parquet").run()
    at.button(key="src_read").click().run()
    at.button(key="src_accept").click().run()
    ds = at.session_state["dataset"]
    assert ds.in_engine and ds.max_rows_in_memory == 1000
    for page in ("views/segments.py", "views/rules.py", "views/planner.py", "views/value_groups.py"):
        at.switch_page(page).run()
        assert not at.exception and not at.error, (page, [e.value for e in at.error])
        if page == "views/planner.py":   # the planner's baselines came from the engine: a forecast per segment
            assert at.session_state["plan"] and any("profit" in m.label.lower() for m in at.metric)
    # Value groups: RFM, lifecycle with its suggested thresholds and back-test, and the propensity model ran in the
    # engine
    assert not any("start from the defaults" in i.value for i in at.info)
    assert any("typical gap between orders" in c.value for c in at.caption)
    assert at.session_state.get("lc_bt_days") and any(c.key == "lc_bt" for c in at.get("plotly_chart"))
    at.switch_page("views/uplift.py").run()   # profiles and propensity from the engine
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.switch_page("views/planner.py").run()   # the campaign loop on the loaded data, measured in the engine
    at.button(key="ho_send").click().run()
    at.switch_page("views/readout.py").run()
    at.radio(key="ro_source").set_value("loaded").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert {"Conversion lift, all segments", "Measured incremental profit"} <= {m.label for m in at.metric}
    at.switch_page("views/recommendations.py").run()   # one row per purchase line: more than the cap here
    assert not at.exception, [e.message for e in at.exception]
    said = [e.value for e in at.error]
    assert any("more than the 1,000 the server reads" in s for s in said), said
    assert not ds.rows_in_memory
    at.toggle(key="pseudonymise").set_value(True).run()   # above the cap too: the ids are swapped in the engine
    assert not at.exception and not any("pseudonymised" in e.value for e in at.error), [e.value for e in at.error]
    private = at.session_state["dataset"]
    assert private.pseudonymised and private.in_engine and not private.rows_in_memory
    at.switch_page("views/segments.py").run()
    assert not at.exception and not at.error
    assert all(str(u).startswith("u") for u in at.session_state["dataset"].profiles()["user_id"].head(50))
