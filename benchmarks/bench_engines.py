"""The engine layer on large generated Parquet folders: validation and per-user profiles, as ratios to bare
DuckDB SQL and to pandas, with each run's peak memory. Not part of the test suite.

    python -m benchmarks.bench_engines generate --events 10000000 --out /tmp/ev10m
    python -m benchmarks.bench_engines run /tmp/ev10m [--cases duckdb_sql,engine,pandas,spark] [--memory-limit 2GB]

Every case runs in its own process; its peak memory is the largest resident set of that process and its
children (Spark's JVM included), sampled every 50 ms with psutil. Results are printed as a table and
appended as JSON lines to benchmarks/results_engines.jsonl (``--save``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CHUNK = 5_000_000


def generate(n_events: int, out: Path, n_users: int | None = None, seed: int = 0) -> None:
    """A folder of Parquet files (5M events each) of canonical events from benchmarks.synth, written chunk by
    chunk so memory stays bounded; users and items are shared across chunks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .synth import synthetic_events
    out.mkdir(parents=True, exist_ok=True)
    n_users = n_users or max(1000, n_events // 25)
    done, part = 0, 0
    while done < n_events:
        n = min(CHUNK, n_events - done)
        ev = synthetic_events(n, n_users=n_users, seed=seed + part)
        ev["event"] = ev["event"].astype(str)
        ev["timestamp"] = ev["timestamp"].astype("datetime64[us]")
        ev["order_id"] = ev["order_id"].astype("object").where(ev["order_id"].notna(), None)
        ev["order_id"] = ev["order_id"].where(ev["order_id"].isna(), f"p{part}-" + ev["order_id"].astype(str))
        pq.write_table(pa.Table.from_pandas(ev, preserve_index=False), out / f"part-{part:03d}.parquet")
        done += n
        part += 1
        print(f"wrote {done:,} events", file=sys.stderr)


# ------------------------------------------------------------------ the cases (each run in a child process)

def case_duckdb_sql_validate(path: str, memory_limit: str | None) -> dict:
    """Bare DuckDB SQL: the counts of the quality report (rows, duplicates, missing values, time range)."""
    import duckdb
    con = duckdb.connect(config={"memory_limit": memory_limit} if memory_limit else {})
    glob = f"{path}/*.parquet"
    row = con.execute(f"""
        select count(*) as rows, count(*) - (select count(*) from (select distinct * from read_parquet('{glob}'))) as dup,
               count(*) filter (where user_id is null) as no_user, count(*) filter (where timestamp is null) as no_time,
               count(*) filter (where event = 'purchase' and (price is null or price <= 0)) as bad_price,
               count(distinct user_id) as users, min(timestamp), max(timestamp)
        from read_parquet('{glob}')""").fetchall()[0]
    return {"rows": row[0], "users": row[5]}


def case_duckdb_sql_profile(path: str, memory_limit: str | None) -> dict:
    """Bare DuckDB SQL: one GROUP BY per user with the profile's base figures (events, views, carts, orders,
    sales, first and last times)."""
    import duckdb
    con = duckdb.connect(config={"memory_limit": memory_limit} if memory_limit else {})
    glob = f"{path}/*.parquet"
    df = con.sql(f"""
        with o as (select user_id, order_id, min(timestamp) t, sum(price * quantity) v
                   from read_parquet('{glob}') where event = 'purchase' group by all),
             u as (select user_id, min(timestamp) first, max(timestamp) last,
                          count(*) filter (where event = 'view') views, count(*) filter (where event = 'cart') carts,
                          count(*) filter (where event = 'purchase') lines
                   from read_parquet('{glob}') group by all),
             p as (select user_id, count(*) frequency, sum(v) monetary, min(t) fo, max(t) lo from o group by all)
        select * from u left join p using (user_id)""").df()
    return {"users": len(df)}


def _engine(name: str, memory_limit: str | None):
    from promo_core import engines
    if name == "spark":
        from promo_core.engines.backends import spark_session
        spark_session("local[2]", shuffle_partitions=8)
        return engines.connect("spark", spark_master="local[2]")
    return engines.connect(name, memory_limit=memory_limit)


def case_engine_validate(path: str, memory_limit: str | None, name: str = "duckdb") -> dict:
    """The engine layer: map, validate and clean; the quality report's numbers (promo_core.engines.load)."""
    from promo_core import engines
    data = engines.load(_engine(name, memory_limit), path)
    return {"rows": data.report["rows_read"], "kept": data.report["rows_kept"], "users": data.report["users"]}


def case_engine_profile(path: str, memory_limit: str | None, name: str = "duckdb") -> dict:
    """The engine layer: validate and clean, then the per-user profiles (one row per user to pandas)."""
    from promo_core import engines
    data = engines.load(_engine(name, memory_limit), path)
    prof = engines.profiles(data)
    return {"rows": data.report["rows_read"], "users": len(prof)}


def case_spark_profile(path: str, memory_limit: str | None) -> dict:
    return case_engine_profile(path, memory_limit, "spark")


def case_pandas_profile(path: str, memory_limit: str | None) -> dict:
    """Today's approach: the Parquet files read into pandas, then promo_core.features.build_profiles."""
    import pandas as pd

    from promo_core.features import build_profiles
    from promo_core.quality import EVENT_DTYPE
    ev = pd.read_parquet(path)
    ev["event"] = pd.Categorical(ev["event"], dtype=EVENT_DTYPE)
    ev["timestamp"] = ev["timestamp"].astype("datetime64[ns]")
    prof = build_profiles(ev)
    return {"rows": len(ev), "users": len(prof)}


def case_pandas_validate(path: str, memory_limit: str | None) -> dict:
    """Today's loader: promo_core.quality.clean_events on the files read into text cells."""
    from promo_core import engines
    data = engines.load(engines.connect("pandas"), path)
    return {"rows": data.report.rows_read, "kept": data.report.rows_kept, "users": data.report.users}


CASES = {name.removeprefix("case_"): fn for name, fn in globals().items() if name.startswith("case_")}


def measure(case: str, path: str, memory_limit: str | None) -> dict:
    """Run one case in a child process; wall time and peak resident memory of the process tree."""
    import psutil
    cmd = [sys.executable, "-m", "benchmarks.bench_engines", "_child", case, path]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    out, err = proc.communicate()
    if proc.returncode != 0:
        return {"case": case, "error": err.strip().splitlines()[-1:] or ["?"], "seconds": wall}
    result = json.loads(out.strip().splitlines()[-1])
    return {"case": case, "seconds": round(wall, 2), "peak_gb": round(peak / 2**30, 2),
            "memory_limit": memory_limit, **result}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--events", type=int, required=True)
    g.add_argument("--users", type=int)
    g.add_argument("--out", required=True)
    r = sub.add_parser("run")
    r.add_argument("path")
    r.add_argument("--cases", default="duckdb_sql_validate,engine_validate,duckdb_sql_profile,engine_profile,"
                                      "pandas_profile")
    r.add_argument("--memory-limit")
    r.add_argument("--save", action="store_true")
    c = sub.add_parser("_child")
    c.add_argument("case")
    c.add_argument("path")
    c.add_argument("--memory-limit")
    args = p.parse_args(argv)
    if args.cmd == "generate":
        generate(args.events, Path(args.out), args.users)
        return 0
    if args.cmd == "_child":
        import warnings
        warnings.simplefilter("ignore")
        print(json.dumps(CASES[args.case](args.path, args.memory_limit)))
        return 0
    rows = []
    for case in args.cases.split(","):
        res = measure(case, args.path, args.memory_limit)
        res["events"] = sum(1 for _ in Path(args.path).glob("*.parquet")) and res.get("rows")
        rows.append(res)
        print(json.dumps(res), flush=True)
        if args.save:
            with open(Path(__file__).with_name("results_engines.jsonl"), "a") as f:
                f.write(json.dumps({"path": args.path, **res}) + "\n")
    base = {r["case"]: r.get("seconds") for r in rows}
    for r in rows:
        kind = "validate" if "validate" in r["case"] else "profile"
        ref = base.get(f"duckdb_sql_{kind}")
        pd_ref = base.get(f"pandas_{kind}")
        ratio_sql = f"{r['seconds'] / ref:.1f}x" if ref and "seconds" in r else "-"
        ratio_pd = f"{r['seconds'] / pd_ref:.2f}x" if pd_ref and "seconds" in r else "-"
        print(f"{r['case']:<22} {r.get('seconds', '-'):>8} s  peak {r.get('peak_gb', '-'):>5} GB  "
              f"vs bare SQL {ratio_sql:>6}  vs pandas {ratio_pd:>6}  {r.get('error', '')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
