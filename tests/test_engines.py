"""The engine layer (promo_core.engines) against the pandas core: the same quality numbers, profiles, KPIs,
funnel, lifecycle stages, baskets and rules, and A/B sufficient statistics, on the bundled sample, on Online
Retail and on a generated file with planted problems; DuckDB always, PySpark local[2] on a small file
(one session per test process)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from promo_core import engines
from promo_core.rules import mine_rules
from promo_core.schema import DataError

from .conftest import ONLINE_RETAIL, SAMPLE, TAOBAO, need

REPORT_KEYS = ("rows_read", "facts", "rows_kept", "users", "items", "orders", "first_event", "last_event",
               "event_mix")


def steps(report: dict) -> list[tuple[str, int]]:
    return [(s["step"], s["rows_dropped"]) for s in report["steps"]]


def assert_same(reference, data) -> None:
    """Every relational result of ``data`` (an engine) equals the pandas core's on ``reference``."""
    ref, got = engines.quality_report(reference), engines.quality_report(data)
    for k in REPORT_KEYS:
        assert got[k] == ref[k], k
    assert steps(got) == steps(ref)
    assert data.nonproduct == reference.nonproduct
    pd.testing.assert_frame_equal(engines.profiles(data), engines.profiles(reference), check_dtype=False,
                                  check_exact=False, rtol=1e-9, atol=1e-9)
    a, b = engines.kpis(data).to_dict(), engines.kpis(reference).to_dict()
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], float):
            assert a[k] == pytest.approx(b[k], rel=1e-12), k
        else:
            assert a[k] == b[k], k
    pd.testing.assert_frame_equal(engines.funnel(data), engines.funnel(reference), check_dtype=False)
    pd.testing.assert_frame_equal(engines.lifecycle(data), engines.lifecycle(reference), check_dtype=False)


def assert_same_rules(reference, data, support: float, confidence: float) -> None:
    ba, bb = engines.baskets(reference), engines.baskets(data)
    assert (bb.n, bb.n_single, bb.n_oversized) == (ba.n, ba.n_single, ba.n_oversized)
    assert sorted(bb.items.tolist()) == sorted(ba.items.tolist())
    assert bb.basket_users == ba.basket_users
    _, ra = mine_rules(ba, support, confidence)
    _, rb = mine_rules(bb, support, confidence)
    key = ["antecedents", "consequents"]
    left = ra.rules.assign(**{k: ra.rules[k].map(lambda s: tuple(sorted(s))) for k in key}).sort_values(key)
    right = rb.rules.assign(**{k: rb.rules[k].map(lambda s: tuple(sorted(s))) for k in key}).sort_values(key)
    assert len(left) > 0
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True), check_exact=False,
                                  rtol=1e-12)


@pytest.fixture(scope="module")
def duck():
    return engines.connect("duckdb")


# ---------------------------------------------------------------- the bundled sample

def test_sample_on_duckdb_equals_the_pandas_core(sample_dataset, duck):
    data = engines.load(duck, SAMPLE / "events.csv.gz")
    assert_same(sample_dataset, data)
    assert_same_rules(sample_dataset, data, 0.01, 0.2)


# ---------------------------------------------------------------- Online Retail (UCI)

@pytest.mark.realdata
def test_online_retail_on_duckdb_equals_the_pandas_core_and_the_published_facts(online_retail, duck):
    data = engines.load(duck, need(ONLINE_RETAIL))
    r = data.report
    # the README's published facts about the file
    assert r["rows_read"] == 541_909
    assert r["facts"]["rows_without_user_id"] == 135_080
    assert r["facts"]["distinct_orders"] == 25_900
    assert r["facts"]["distinct_items"] == 4_070
    assert r["facts"]["cancelled_order_rows"] == 9_288
    assert r["facts"]["exact_duplicate_rows"] == 5_268
    assert r["users"] == 4_338
    assert "POST" in data.nonproduct and "M" in data.nonproduct
    assert_same(online_retail, data)
    assert_same_rules(online_retail, data, 0.02, 0.3)


# ---------------------------------------------------------------- CSV layouts we did not write

@pytest.mark.realdata
def test_the_headerless_taobao_log_on_duckdb_equals_the_pandas_core(duck):
    """The Taobao UserBehavior file has no header (line 1 is '1,2268318,2520377,pv,1511544070'): the engine
    used to take that line for the column names and refuse the file."""
    path = need(TAOBAO)
    reference = engines.load(engines.connect("pandas"), path)
    data = engines.load(duck, path)
    assert data.report["rows_read"] == 84_475          # the README's row count: line 1 is data
    assert data.report["mapping"] == {"user_id": "user_id", "timestamp": "timestamp", "event": "behavior_type",
                                      "item_id": "item_id", "category": "category_id"}
    assert_same(reference, data)


def shaped_csv_files(folder):
    """Exports of other shapes: Chinese GB18030 with semicolons, Windows-1252 with tabs, no header at all."""
    rng = np.random.default_rng(11)
    n = 2_000
    frame = pd.DataFrame({
        "user": rng.integers(1, 150, n).astype(str),
        "time": pd.date_range("2024-03-01", periods=n, freq="37min").strftime("%Y-%m-%d %H:%M:%S"),
        "event": rng.choice(["view", "cart", "purchase"], n, p=[0.6, 0.2, 0.2]),
        "item": rng.choice(["Café crème", "Crème brûlée", "Naïve €5 mug", "Tea"], n),
        "price": rng.uniform(2, 90, n).round(2)})
    zh = frame.rename(columns={"user": "用户", "time": "时间", "event": "行为", "item": "商品", "price": "价格"})
    zh["商品"] = rng.choice(["连衣裙", "手机壳", "龙井茶", "保温杯"], n)
    zh["行为"] = zh["行为"].map({"view": "浏览", "cart": "加购", "purchase": "购买"})
    files = {"gb18030_semicolons.csv": (zh, {"sep": ";", "encoding": "gb18030"}),
             "cp1252_tabs.tsv": (frame, {"sep": "\t", "encoding": "cp1252"}),
             "no_header.csv.gz": (frame, {"header": False})}
    for name, (f, opts) in files.items():
        f.to_csv(folder / name, index=False, **opts)
    return files


@pytest.mark.parametrize("name", ["gb18030_semicolons.csv", "cp1252_tabs.tsv", "no_header.csv.gz"])
def test_csv_exports_of_other_shapes_on_duckdb_equal_the_pandas_core(tmp_path, duck, name):
    shaped_csv_files(tmp_path)
    mapping = ({"user_id": "column 1", "timestamp": "column 2", "event": "column 3", "item_id": "column 4",
                "price": "column 5"} if name.startswith("no_header") else None)
    reference = engines.load(engines.connect("pandas"), tmp_path / name, mapping=mapping)
    data = engines.load(duck, tmp_path / name, mapping=mapping)
    assert data.report["rows_read"] == 2_000
    assert data.report["rows_kept"] == engines.quality_report(reference)["rows_kept"] > 1_900
    assert_same(reference, data)
    items = set(data.events.select("item_id").distinct().to_pandas()["item_id"])
    assert items == set(reference.events["item_id"])
    if name.startswith("cp1252"):
        assert "Naïve €5 mug" in items      # € is 0x80 in Windows-1252 and a control character in Latin-1


@pytest.mark.parametrize("sep, prices", [(";", ["18.34", "160.03", "7.5"]), (";", ["£1.234,50", "3,20", "7"]),
                                         (";", ["1.234", "2.500", "12"]), (",", ["¥18.34", "$ 1,160.03", "7.50元"]),
                                         (",", ["12,50", "3,20", "7,5"])])
def test_the_engine_reads_numbers_as_the_pandas_core_does(tmp_path, duck, sep, prices):
    """Currency signs, thousands separators and decimal commas: the engine used to read only plain numbers."""
    import csv
    with open(tmp_path / "p.csv", "w", newline="") as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerow(["user", "date", "price", "qty"])
        w.writerows([f"u{i % 3}", f"2024-01-{i % 28 + 1:02d} 10:00:00", prices[i % 3], i % 4 + 1] for i in range(60))
    reference = engines.load(engines.connect("pandas"), tmp_path / "p.csv")
    data = engines.load(duck, tmp_path / "p.csv")
    got = data.events.select("price").to_pandas()["price"]
    assert sorted(got.unique()) == sorted(reference.events["price"].unique())
    assert got.notna().all() and len(got.unique()) == 3


def test_a_basket_file_or_one_column_is_refused_by_the_engine_with_a_reason(tmp_path, duck):
    (tmp_path / "baskets.csv").write_text("\n".join(["milk,bread", "bread", "milk,eggs,bread", "tea,milk"] * 50))
    with pytest.raises(DataError, match="basket file") as err:
        engines.load(duck, tmp_path / "baskets.csv")
    assert "basket_id and item" in err.value.hint
    (tmp_path / "one.csv").write_text("user\n" + "\n".join(str(i) for i in range(50)))
    with pytest.raises(DataError, match="single column"):
        engines.load(duck, tmp_path / "one.csv")


# ---------------------------------------------------------------- a generated file with planted problems

PLANTED = {"exact duplicate of an earlier row": 3, "user id missing": 4, "time missing or unreadable": 2,
           "event type missing or unknown": 5, "cancelled order or return (quantity 0 or less)": 6,
           "purchase price missing, not a number, or 0 or less": 2}


def planted_events(n_users: int = 200, seed: int = 3) -> pd.DataFrame:
    """The generator's events plus rows with known problems (counts in PLANTED); numeric user ids so that
    Parquet stores them as float64 with NULLs (the case where engines return '17.0')."""
    from promo_core.sample import generate
    ev = generate(n_users=n_users, seed=seed)["events"].copy()
    ev["user_id"] = ev["user_id"].str[1:].astype(int).astype("float64")
    ev["timestamp"] = ev["timestamp"].astype("datetime64[us]")
    buys = ev[ev["event"] == "purchase"]
    views = ev[ev["event"] == "view"]
    bad = [ev.iloc[[10, 20, 30]],                                             # 3 exact duplicates
           views.iloc[:4].assign(user_id=np.nan),                              # 4 without a user
           views.iloc[4:6].assign(timestamp=pd.NaT),                           # 2 without a time
           views.iloc[6:11].assign(event="teleport"),                          # 5 unknown events
           buys.iloc[:6].assign(quantity=-1.0, order_id=buys["order_id"].iloc[:6] + "R"),  # 6 returns
           buys.iloc[6:8].assign(price=0.0, order_id=buys["order_id"].iloc[6:8] + "Z")]    # 2 zero prices
    return pd.concat([ev, *bad], ignore_index=True)


@pytest.fixture(scope="module")
def planted_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    ev = planted_events()
    half = len(ev) // 2
    ev.iloc[:half].to_parquet(folder / "part-0.parquet", index=False)
    ev.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)
    return folder


def test_a_folder_of_parquet_finds_the_planted_problems_and_equals_pandas(planted_folder, duck):
    data = engines.load(duck, planted_folder)
    reference = engines.load(engines.connect("pandas"), planted_folder)
    got = dict(steps(data.report))
    for step, n in PLANTED.items():
        assert got[step] == n, step
    assert data.report["rows_read"] == len(planted_events())
    assert data.report["rows_kept"] == data.report["rows_read"] - sum(PLANTED.values())
    # float64 ids with NULLs come back as whole-number text, as the pandas loader gives them
    users = engines.profiles(data)["user_id"]
    assert users.str.fullmatch(r"\d+").all()
    assert_same(reference, data)
    assert_same_rules(reference, data, 0.02, 0.2)


def test_a_glob_reads_the_same_files_as_the_folder(planted_folder, duck):
    by_glob = engines.load(duck, str(planted_folder / "part-*.parquet"))
    by_folder = engines.load(duck, planted_folder)
    assert by_glob.report["steps"] == by_folder.report["steps"]
    assert by_glob.source.paths == by_folder.source.paths


# ---------------------------------------------------------------- A/B sufficient statistics

@pytest.mark.parametrize("name", ["duckdb", "pandas"])
def test_ab_statistics_equal_the_published_summary(name):
    """sample_data/experiment_summary.csv is written by the generator from the same users."""
    eng = engines.connect(name)
    path = SAMPLE / "experiment.csv"
    table = pd.read_csv(path) if eng.is_pandas else eng.con.read_csv(str(path))
    got = engines.ab_stats(eng, table, "variant", "converted", "revenue").set_index("variant")
    want = pd.read_csv(SAMPLE / "experiment_summary.csv").set_index("variant").loc[got.index]
    assert got["users"].tolist() == want["users"].tolist()
    assert got["conversions"].tolist() == want["conversions"].tolist()
    np.testing.assert_allclose(got["revenue_sum"], want["revenue_sum"], rtol=1e-9)
    np.testing.assert_allclose(got["revenue_sum_sq"], want["revenue_sum_sq"], rtol=1e-6)


# ---------------------------------------------------------------- database tables

def test_a_sqlite_table_is_a_source_with_the_same_results(tmp_path, duck):
    ev = pd.read_csv(SAMPLE / "events.csv.gz", dtype=str).head(15_000)
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as con:
        ev.to_sql("events", con, index=False)
    url = f"sqlite:///{db}"
    data = engines.load(duck, url=url, table="events")
    reference = engines.load(engines.connect("pandas"), url=url, table="events")
    assert data.report["rows_read"] == 15_000
    assert_same(reference, data)


def test_a_missing_table_or_url_is_a_data_error(tmp_path, duck):
    db = tmp_path / "empty.db"
    sqlite3.connect(db).close()
    with pytest.raises(DataError, match="could not be opened"):
        engines.load(duck, url=f"sqlite:///{db}", table="events")
    with pytest.raises(DataError, match="both --source"):
        engines.load(duck, url=f"sqlite:///{db}")


# ---------------------------------------------------------------- sources, settings, dtypes

def test_paths_that_match_nothing_or_mix_formats_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="No file, folder or pattern"):
        engines.resolve_paths(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="No Parquet or CSV"):
        engines.resolve_paths(tmp_path / "empty")
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "x.parquet")
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "y.csv")
    with pytest.raises(DataError, match="mix Parquet and CSV"):
        engines.resolve_paths(tmp_path)
    (tmp_path / "book.xlsx").write_bytes(b"PK")
    with pytest.raises(DataError, match="Parquet and CSV files only"):
        engines.resolve_paths(tmp_path / "book.xlsx")


def test_duckdb_gets_a_memory_limit_and_a_spill_directory(tmp_path):
    eng = engines.connect("duckdb", memory_limit="512MB", temp_directory=str(tmp_path / "spill"))
    limit = eng.con.raw_sql("select current_setting('memory_limit')").fetchone()[0]
    assert limit.replace(" ", "") in ("488.2MiB", "512.0MB", "512MB")
    assert eng.con.raw_sql("select current_setting('temp_directory')").fetchone()[0] == str(tmp_path / "spill")
    default = engines.duckdb_settings()
    from promo_core.engines.backends import DUCKDB_MEMORY_SHARE, machine_memory_bytes
    assert default["memory_limit"] == f"{int(machine_memory_bytes() * DUCKDB_MEMORY_SHARE / 2**20)}MB"


def test_unknown_engine_and_unreadable_times_are_data_errors(tmp_path, duck):
    with pytest.raises(DataError, match="Unknown engine"):
        engines.connect("polars")
    pd.DataFrame({"user_id": ["a", "b"], "timestamp": ["31 mai 2024", "1 juin 2024"], "event": ["view", "view"]}
                 ).to_csv(tmp_path / "fr.csv", index=False)
    with pytest.raises(DataError, match="not in a form the engines read"):
        engines.load(duck, tmp_path / "fr.csv")


def test_normalise_converts_engine_dtypes_explicitly():
    from promo_core.engines.dtypes import normalise
    raw = pd.DataFrame({"user_id": pd.Series([1, None], dtype="object"),
                        "t": pd.Series(pd.to_datetime(["2024-01-01", None])).astype("datetime64[us]"),
                        "views": [1.0, np.nan], "x": pd.array([1, 2], dtype="Int32")})
    out = normalise(raw, ints=("views",))
    assert out["user_id"].tolist()[0] == "1" and pd.isna(out["user_id"].tolist()[1])
    assert out["t"].dtype == "datetime64[ns]"
    assert out["views"].dtype == "int64" and out["views"].tolist() == [1, 0]
    assert out["x"].dtype == "float64"


def test_engine_messages_are_translated(duck):
    from promo_core.i18n import locale_context
    with locale_context("zh_CN"), pytest.raises(DataError) as err:
        engines.connect("polars")
    assert "引擎" in str(err.value)


# ---------------------------------------------------------------- PySpark local[2]

@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (scripts/test.sh installs openjdk-17-jre-headless)")
    from promo_core.engines.backends import spark_session
    spark_session("local[2]", shuffle_partitions=2)
    return engines.connect("spark", spark_master="local[2]")


def test_spark_gives_the_same_results_as_pandas(spark, tmp_path):
    from promo_core.sample import generate
    path = tmp_path / "events.csv"
    generate(n_users=200, seed=5)["events"].to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    reference = engines.load(engines.connect("pandas"), path)
    data = engines.load(spark, path)
    assert_same(reference, data)
    assert_same_rules(reference, data, 0.03, 0.2)
    session = spark.con._session
    assert session.conf.get("spark.sql.session.timeZone") == "UTC"



def test_spark_reads_the_headerless_taobao_log_and_chinese_csv_like_pandas(spark, tmp_path):
    path = need(TAOBAO)
    reference = engines.load(engines.connect("pandas"), path)
    data = engines.load(spark, path)
    assert data.report["rows_read"] == 84_475
    assert_same(reference, data)
    # in the shop's time zone (Beijing), with Spark's own from_utc_timestamp: the log ends at midnight on 3 Dec
    beijing = engines.load(spark, path, time_zone="Asia/Shanghai")
    assert engines.quality_report(beijing)["last_event"] == "2017-12-03 23:59:23"
    assert_same(engines.load(engines.connect("pandas"), path, time_zone="Asia/Shanghai"), beijing)
    offsets = tmp_path / "offsets.csv"
    pd.DataFrame({"user_id": ["a", "b", "c"], "event": "view", "item_id": "x",
                  "timestamp": ["2024-05-31T14:05:00+08:00", "2024-05-31T07:05:00+01:00", "2024-01-15T06:05:00Z"]}
                 ).to_csv(offsets, index=False)
    for zone in (None, "Europe/London"):
        got = engines.load(spark, offsets, time_zone=zone).events.to_pandas().sort_values("user_id")
        want = engines.load(engines.connect("pandas"), offsets, time_zone=zone).events.sort_values("user_id")
        assert got["timestamp"].astype("datetime64[ns]").tolist() == want["timestamp"].tolist(), zone
    shaped_csv_files(tmp_path)
    path = tmp_path / "gb18030_semicolons.csv"   # Spark 4 reads no GB18030: a local master gets a UTF-8 copy
    assert_same(engines.load(engines.connect("pandas"), path), engines.load(spark, path))


def test_spark_reads_a_folder_of_several_parquet_files(spark, tmp_path):
    """A folder (or glob) of Parquet files: Ibis's PySpark reader took one path and made '['…', …]' of a list."""
    from promo_core.sample import generate
    ev = generate(n_users=200, seed=6)["events"]
    folder = tmp_path / "events"
    folder.mkdir()
    half = len(ev) // 2
    ev.iloc[:half].to_parquet(folder / "part-0.parquet", index=False)
    ev.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)
    with pytest.raises(DataError, match="nanosecond time stamps") as err:  # pandas' default; Spark 4 refuses it
        engines.load(spark, folder)
    assert "coerce_timestamps='us'" in err.value.hint
    for i, part in enumerate((ev.iloc[:half], ev.iloc[half:])):
        part.to_parquet(folder / f"part-{i}.parquet", index=False, coerce_timestamps="us")
    reference = engines.load(engines.connect("pandas"), folder)
    data = engines.load(spark, folder)
    assert data.report["rows_read"] == len(ev)
    assert_same(reference, data)


# ---------------------------------------------------------------- the command line

def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "promo_core", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_cli_gives_todays_results_on_duckdb(tmp_path):
    sample = str(SAMPLE / "events.csv.gz")
    out = {}
    for engine in ("pandas", "duckdb"):
        v = run("validate", sample, "--engine", engine)
        s = run("segment", sample, "--engine", engine, "--out", str(tmp_path / f"users_{engine}.csv"))
        r = run("rules", sample, "--engine", engine, "--out", str(tmp_path / f"rules_{engine}.csv"),
                "--min-support", "0.01", "--min-confidence", "0.2")
        for p in (v, s, r):
            assert p.returncode == 0, p.stderr
            assert "Traceback" not in p.stderr
        out[engine] = (json.loads(v.stdout), s.stdout, r.stdout)
    (vp, sp, rp), (vd, sd, rd) = out["pandas"], out["duckdb"]
    for k in REPORT_KEYS:
        assert vd[k] == vp[k], k
    assert steps(vd) == steps(vp)
    assert vd["kpis"]["orders"] == vp["kpis"]["orders"]
    assert vd["kpis"]["revenue"] == pytest.approx(vp["kpis"]["revenue"], rel=1e-12)
    assert sd == sp.replace("users_pandas", "users_duckdb") and rd == rp
    up, ud = (pd.read_csv(tmp_path / f"users_{e}.csv") for e in ("pandas", "duckdb"))
    pd.testing.assert_frame_equal(ud, up, check_exact=False, rtol=1e-9)
    assert (tmp_path / "rules_duckdb.csv").read_bytes() == (tmp_path / "rules_pandas.csv").read_bytes()


def plan_clv_propensity(data: str, tmp_path, engines_and_options, timeout=900, run=run) -> dict:
    """plan (RFM with the optimiser, lifecycle against last year), clv with its hold-out check and segment
    --propensity, once per engine; each engine's files in a folder of its own."""
    files = {}
    for engine, *options in engines_and_options:
        t = tmp_path / engine
        t.mkdir()
        runs = [run("plan", data, "--engine", engine, *options, "--segmentation", "rfm", "--optimise", "--budget",
                    "3000", "--out", str(t / "forecast.json"), timeout=timeout),
                run("plan", data, "--engine", engine, *options, "--segmentation", "lifecycle",
                    "--same-period-last-year", "--out", str(t / "forecast_lifecycle.json"), timeout=timeout),
                run("clv", data, "--engine", engine, *options, "--holdout-from", "auto", "--holdout-out",
                    str(t / "holdout.json"), "--out", str(t / "clv.csv"), timeout=timeout),
                run("segment", data, "--engine", engine, *options, "--propensity", "logistic", "--out",
                    str(t / "users.csv"), timeout=timeout)]
        for p in runs:
            assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
        assert ("in the engine" in runs[0].stderr) == (engine != "pandas")
        files[engine] = t
    return files


def assert_same_plan_clv_propensity(p, d):
    for name in ("forecast.json", "forecast_lifecycle.json"):
        # the same offers and figures (means over the orders summed in another order differ in the 16th digit)
        a, b = json.loads((p / name).read_text()), json.loads((d / name).read_text())
        assert len(a["segments"]) > 3
        for x, y in zip(a["segments"] + [a["total"]], b["segments"] + [b["total"]], strict=True):
            assert x.keys() == y.keys()
            for k in x:
                if isinstance(x[k], float):
                    assert y[k] == pytest.approx(x[k], rel=1e-12, abs=1e-9), (name, x.get("segment"), k)
                else:
                    assert y[k] == x[k], (name, x.get("segment"), k)
    assert (d / "clv.csv").read_bytes() == (p / "clv.csv").read_bytes()
    assert json.loads((d / "holdout.json").read_text()) == json.loads((p / "holdout.json").read_text())
    up, ud = (pd.read_csv(f / "users.csv").sort_values("user_id").reset_index(drop=True) for f in (p, d))
    pd.testing.assert_frame_equal(ud, up, check_exact=False, rtol=1e-9)
    assert up["propensity"].between(0, 1).all()


@pytest.mark.realdata
def test_cli_plan_clv_and_propensity_on_duckdb_equal_the_pandas_core(tmp_path):
    """plan, clv and segment --propensity take --engine too: the planner's history, the purchase days and the
    propensity model's per-user tables come from the engine, and the files written are the pandas core's."""
    files = plan_clv_propensity(str(need(ONLINE_RETAIL)), tmp_path, [("pandas",), ("duckdb",)])
    assert_same_plan_clv_propensity(files["pandas"], files["duckdb"])


def test_cli_plan_clv_and_propensity_on_spark_equal_the_pandas_core(spark, tmp_path, capsys):
    """The same commands with --engine spark --spark-master local[2]: the same Ibis expressions run in Spark SQL,
    and the files written are the pandas core's. Run in this process, on the module's Spark session (a JVM per
    command would add a minute)."""
    from types import SimpleNamespace

    from promo_core.cli import main
    from promo_core.sample import generate

    def in_process(*args, timeout=None):
        code = main(list(args))
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)
    path = tmp_path / "shop.csv"
    generate(n_users=400, seed=11)["events"].to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    files = plan_clv_propensity(str(path), tmp_path, [("pandas",), ("spark", "--spark-master", "local[2]")],
                                run=in_process)
    assert_same_plan_clv_propensity(files["pandas"], files["spark"])


def test_cli_reads_a_folder_and_a_database_table(tmp_path, planted_folder):
    p = run("validate", str(planted_folder))
    assert p.returncode == 0, p.stderr
    assert "engine duckdb" in p.stderr       # auto: a folder goes to DuckDB
    report = json.loads(p.stdout)
    assert report["rows_read"] == len(planted_events())
    assert "cleaning every row in the engine" in p.stderr   # the stage, then what came of it
    assert f"{report['rows_kept']:,} of {report['rows_read']:,} rows kept, {report['users']:,} users" in p.stderr
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as con:
        pd.read_csv(SAMPLE / "events.csv.gz", dtype=str).head(5_000).to_sql("events", con, index=False)
    p = run("validate", "--source", f"sqlite:///{db}", "--table", "events")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["rows_read"] == 5_000


def test_cli_bad_engine_input_is_exit_2_with_one_paragraph(tmp_path):
    p = run("validate", str(tmp_path / "missing*.parquet"), "--engine", "duckdb")
    assert p.returncode == 2 and "Traceback" not in p.stderr and "No Parquet or CSV files" in p.stderr
    p = run("validate", str(tmp_path / "nowhere"), "--engine", "duckdb")
    assert p.returncode == 2 and "No file, folder or pattern" in p.stderr
    p = run("validate", "--source", f"sqlite:///{tmp_path / 'x.db'}", "--table", "nope")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = run("validate", "--engine", "duckdb")
    assert p.returncode == 2 and "No INPUT" in p.stderr


def test_spark_failures_are_one_readable_paragraph_and_the_driver_gets_memory(monkeypatch):
    """Spark's Java exceptions carry the whole Java stack; a 50M-event run on Spark's default 1g heap ran out of it."""
    from promo_core.engines.backends import engine_error, spark_driver_memory

    class Py4JJavaError(Exception):
        pass
    Py4JJavaError.__module__ = "py4j.protocol"
    oom = Py4JJavaError("An error occurred while calling o51.collectToPython.\n: org.apache.spark.SparkException: "
                        "Job aborted\n\tat org.apache.spark.Foo.bar(Foo.scala:1)\nCaused by: "
                        "java.lang.OutOfMemoryError: Java heap space\n\tat java.base/java.lang.Thread.run(Thread.java:840)")
    msg = str(engine_error(oom))
    assert "ran out of memory" in msg and "PROMOSCOPE_SPARK_DRIVER_MEMORY" in msg and "\tat " not in msg
    other = engine_error(Py4JJavaError("boom\n\tat x.y(Z.java:1)\nCaused by: java.io.FileNotFoundException: /data/x"))
    assert "Caused by: java.io.FileNotFoundException: /data/x" in str(other) and "x.y(Z.java" not in str(other)
    assert engine_error(ValueError("not an engine's")) is None
    monkeypatch.setenv("PROMOSCOPE_SPARK_DRIVER_MEMORY", "6g")
    assert spark_driver_memory() == "6g"
    monkeypatch.delenv("PROMOSCOPE_SPARK_DRIVER_MEMORY")
    assert spark_driver_memory().endswith("m") and int(spark_driver_memory()[:-1]) >= 1024
