"""The shop's time zone (promo_core.clock): Unix timestamps and times with offsets become the shop's clock times,
the same in pandas, DuckDB, the command line and the Data page; times written without an offset stay as written."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from promo_core import engines
from promo_core.clock import check_zone, to_clock
from promo_core.quality import load_dataset
from promo_core.schema import DataError

from .conftest import ROOT, TAOBAO, need


def test_taobao_in_beijing_time_ends_at_midnight_on_3_december_as_published():
    """Tianchi publishes the log as 25 Nov to 3 Dec 2017, Beijing time. Read as UTC it ends at 15:59:23 (eight hours
    short of midnight); in Asia/Shanghai at 23:59:23. Every event moves by exactly eight hours, and the quieter
    night hours move with it (the fewest events at 03:00 Beijing time, not at 19:00)."""
    path = need(TAOBAO)
    utc, bj = load_dataset(path), load_dataset(path, time_zone="Asia/Shanghai")
    assert (utc.report.last_event, bj.report.last_event) == ("2017-12-03 15:59:23", "2017-12-03 23:59:23")
    assert ((bj.events["timestamp"] - utc.events["timestamp"]) == pd.Timedelta(hours=8)).all()
    hours = bj.events["timestamp"].dt.hour.value_counts()
    assert hours.idxmin() == 3 and utc.events["timestamp"].dt.hour.value_counts().idxmin() == 19
    assert "Unix timestamps" in utc.report.notes[-1] and "UTC clock times" in utc.report.notes[-1]
    assert "Asia/Shanghai clock times" in bj.report.notes[-1]
    assert (utc.report.time_zone, bj.report.time_zone) == (None, "Asia/Shanghai")   # for the readout's events
    from promo_core.i18n import locale_context
    from promo_core.schema import tr
    with locale_context("zh_CN"):   # kept in English in the (shared) report, translated where it is shown
        assert "Unix 时间戳" in tr(bj.report.notes[-1]) and "Asia/Shanghai" in tr(bj.report.notes[-1])


def frame(times) -> bytes:
    return pd.DataFrame({"user_id": ["a", "b", "c"], "timestamp": times, "event": "purchase", "item_id": "x",
                         "price": 10.0}).to_csv(index=False).encode()


def times(ds) -> list:
    return ds.events.sort_values("user_id")["timestamp"].tolist()


def test_offsets_and_summer_time_follow_the_zone_and_plain_times_stay_as_written():
    offsets = frame(["2024-05-31T14:05:00+08:00", "2024-05-31T07:05:00+01:00", "2024-01-15T06:05:00Z"])
    utc = times(load_dataset(offsets, "o.csv"))
    assert utc == [pd.Timestamp("2024-05-31 06:05"), pd.Timestamp("2024-05-31 06:05"), pd.Timestamp("2024-01-15 06:05")]
    bj = times(load_dataset(offsets, "o.csv", time_zone="Asia/Shanghai"))
    assert bj == [pd.Timestamp("2024-05-31 14:05"), pd.Timestamp("2024-05-31 14:05"), pd.Timestamp("2024-01-15 14:05")]
    # London: summer time in July (UTC+1), none in January
    unix = frame(["1311544070", "1294000000", "1311544071"])
    london = times(load_dataset(unix, "u.csv", time_zone="Europe/London"))
    assert london[0] == pd.Timestamp("2011-07-24 22:47:50") and london[1] == pd.Timestamp("2011-01-02 20:26:40")
    plain = frame(["2024-05-31 14:05:00", "2024-05-31 15:05:00", "2024-05-31 16:05:00"])
    assert times(load_dataset(plain, "p.csv", time_zone="Asia/Shanghai")) == times(load_dataset(plain, "p.csv"))
    assert not any("time zone" in n or "clock times" in n for n in load_dataset(plain, "p.csv").report.notes)


def test_utc_and_nothing_change_nothing_and_an_unknown_zone_is_a_clear_message():
    assert check_zone(None) is check_zone("") is check_zone("UTC") is check_zone(" utc ") is None
    assert check_zone("Asia/Shanghai") == "Asia/Shanghai"
    for private in ("localtime", "posixrules", "posix/Asia/Shanghai", "right/UTC"):   # no engine shares them
        with pytest.raises(DataError, match="not a time zone"):
            check_zone(private)
    with pytest.raises(DataError, match="not a time zone") as err:
        load_dataset(frame(["1311544070"] * 3), "u.csv", time_zone="Beijing")
    assert "Asia/Shanghai" in err.value.hint
    s = pd.Series(pd.to_datetime(["2024-05-31 06:05"]))
    assert to_clock(s, None).tolist() == s.tolist()


@pytest.mark.parametrize("zone", [None, "Asia/Shanghai", "America/New_York"])
def test_duckdb_shows_the_same_clock_times_as_pandas(tmp_path, zone):
    files = {"unix.csv": frame(["1311544070", "1294000000", "1511544070"]),
             "offsets.csv": frame(["2024-05-31T14:05:00+08:00", "2024-05-31T07:05:00+01:00", "2024-01-15T06:05:00Z"]),
             # a blank before the offset (DuckDB reads none), an hours-only offset, and a row without one
             "spaced.csv": frame(["2024-05-31 14:05:00 +08:00", "2024-05-31T14:05:00+08", "2024-05-31 14:05:00"])}
    late = pd.DataFrame({"user_id": [f"u{i}" for i in range(30_001)], "event": "view", "item_id": "x",
                         "timestamp": ["2024-05-31 14:05:00"] * 30_000 + ["2024-05-31 14:05:00+08:00"]})
    files["late.csv"] = late.to_csv(index=False).encode()   # the offset only after the engine's 20,000-row sample
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        mine = engines.load(engines.connect("duckdb"), path, time_zone=zone)
        got = mine.events.to_pandas().sort_values("user_id")["timestamp"].astype("datetime64[ns]").tolist()
        want = load_dataset(path, time_zone=zone).events.sort_values("user_id")["timestamp"].tolist()
        assert got == want, name
        if name != "late.csv":
            assert any(("UTC" if zone is None else zone) + " clock times" in n for n in mine.notes), mine.notes
    # rows without an offset are kept as written, in pandas and in the engine alike
    naive = load_dataset(tmp_path / "late.csv", time_zone=zone).events
    assert (naive.loc[naive["user_id"] != "u30000", "timestamp"] == pd.Timestamp("2024-05-31 14:05")).all()
    assert naive.loc[naive["user_id"] == "u30000", "timestamp"].iloc[0] == (
        pd.Timestamp("2024-05-31 06:05", tz="UTC").tz_convert(zone or "UTC").tz_localize(None))
    parquet = tmp_path / "aware.parquet"   # a zone-aware Parquet column: instants too
    pd.DataFrame({"user_id": ["a", "b"], "timestamp": pd.to_datetime([1311544070, 1511544070], unit="s", utc=True),
                  "event": "view", "item_id": "x"}).to_parquet(parquet)
    got = engines.load(engines.connect("duckdb"), parquet, time_zone=zone).events.to_pandas()
    want = load_dataset(parquet, time_zone=zone).events
    assert (got.sort_values("user_id")["timestamp"].astype("datetime64[ns]").tolist()
            == want.sort_values("user_id")["timestamp"].tolist())


def run(*args):
    return subprocess.run([sys.executable, "-m", "promo_core", *args], capture_output=True, text=True, timeout=600)


def test_cli_reads_unix_times_in_the_zone_given_and_refuses_an_unknown_one():
    path = str(need(TAOBAO))
    for engine in ("pandas", "duckdb"):
        p = run("validate", path, "--engine", engine, "--time-zone", "Asia/Shanghai")
        assert p.returncode == 0, p.stderr
        report = json.loads(p.stdout)
        assert report["last_event"] == "2017-12-03 23:59:23", engine
        assert any("Asia/Shanghai clock times" in n for n in report["notes"]), engine
    p = run("validate", path, "--time-zone", "Beijing")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "not a time zone" in p.stderr and "Asia/Shanghai" in p.stderr


def test_the_data_page_reads_an_upload_in_the_shops_time_zone():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("views/data.py").run()
    data = need(TAOBAO).read_bytes()
    at.file_uploader(key="upload").set_value(("taobao.csv", data, "text/csv")).run()
    assert not at.exception
    text = " ".join(m.value for m in at.caption)
    assert "UTC clock times" in text   # the default is stated where the report is shown
    at.selectbox(key="shop_time_zone_upload").set_value("Asia/Shanghai").run()
    assert not at.exception
    text = " ".join(m.value for m in at.caption)
    assert "Asia/Shanghai clock times" in text and "UTC clock times" not in text
    at.button(key="accept").click().run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert ds.report.last_event == "2017-12-03 23:59:23"
