"""Issue 17's app target: a folder of generated events on the server, from "Read" to the Segments page's first
render, in Streamlit's AppTest (the app's own code path, without a browser). Not part of the test suite.

    python -m benchmarks.bench_engines generate --events 10000000 --out /tmp/ev10m
    python -m benchmarks.bench_app_engine /tmp/ev10m [--save]

The CLV model's background compile (started when the app starts) is waited for before "Read" is clicked, as
a user's navigation would. Prints the seconds of each step and the process's peak resident memory; ``--save`` appends them as a JSON line
to benchmarks/results_engines.jsonl.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--save", action="store_true")
    ap.add_argument("--all-pages", action="store_true",
                    help="after Segments, open every other page and time each (the pages that need the event "
                         "rows read them from the engine on first use)")
    a = ap.parse_args()
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
    at.secrets["sources"] = {"allowed_dirs": [str(a.folder.parent)]}
    at.run()
    at.switch_page("views/data.py").run()
    at.text_input(key="src_pattern").set_value(f"{a.folder.name}/*.parquet").run()
    # the app's one-off background work (the CLV model's compile, started at the first run) finishes while a
    # user finds the Data page and types a pattern; here it would compete for the two cores
    from ui import clv
    clv.jobs().wait(300)
    steps = {}
    t0 = t = time.perf_counter()
    at.button(key="src_read").click().run()          # open in DuckDB, infer the mapping, clean every row
    steps["read_and_quality_s"] = time.perf_counter() - t
    t = time.perf_counter()
    at.button(key="src_accept").click().run()        # the Data page with KPIs, daily activity, funnel, items
    steps["data_page_s"] = time.perf_counter() - t
    t = time.perf_counter()
    at.switch_page("views/segments.py").run()        # profiles in the engine, clustering in scikit-learn
    steps["segments_page_s"] = time.perf_counter() - t
    steps["file_to_segments_s"] = time.perf_counter() - t0
    print({k: round(v, 1) for k, v in steps.items()}, "peak so far",
          round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2), "GB", flush=True)
    assert not at.exception, [e.message for e in at.exception]
    ds = at.session_state["dataset"]
    rows_after_segments = ds.rows_in_memory
    if a.all_pages:
        from ui.registry import PAGES
        for spec in PAGES:
            if spec.path in ("views/data.py", "views/segments.py"):
                continue
            t = time.perf_counter()
            at.switch_page(spec.path).run()
            steps[f"page_{spec.url_path}_s"] = time.perf_counter() - t
            print(spec.url_path, round(steps[f"page_{spec.url_path}_s"], 1), "s; peak so far",
                  round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2), "GB", flush=True)
            assert not at.exception, (spec.path, [e.message for e in at.exception])
    out = {"case": "app_engine_file_to_segments" + ("_and_every_page" if a.all_pages else ""), "events": ds.report.rows_kept, "users": ds.report.users,
           "in_engine": ds.in_engine, "rows_in_pandas_after_segments": rows_after_segments,
           "rows_in_pandas_at_end": ds.rows_in_memory,
           **{k: round(v, 1) for k, v in steps.items()},
           "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)}
    print(json.dumps(out))
    if a.save:
        with open(ROOT / "benchmarks" / "results_engines.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
