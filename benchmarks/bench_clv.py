"""Customer lifetime value timings: pytensor's compile cache cold and warm, the app's warm-up, Online Retail.

Usage: python benchmarks/bench_clv.py [--out FILE]
Each measurement runs in a fresh Python process with its own compile folder (PROMOSCOPE_CACHE), so "cold"
really starts from an empty cache. Results (a Markdown table) are recorded in docs/PERFORMANCE.md; nothing
here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONLINE_RETAIL = ROOT.parent / "shared" / "data" / "online_retail.csv.gz"

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
from promo_core import clv
out = {}
what = sys.argv[1]
if what == "warm_up":
    out["warm_up_s"] = clv.warm_up()
elif what == "cdnow":
    sys.path.insert(0, "tests")
    from tests.test_clv import cdnow_events
    t = time.perf_counter(); s = clv.clv_summary(cdnow_events(), pd.Timestamp("1997-10-01"))
    out["summary_s"] = time.perf_counter() - t  # includes importing pymc-marketing
    t = time.perf_counter(); m = clv.fit_clv(s); out["fit_s"] = time.perf_counter() - t
    t = time.perf_counter(); clv.predict_clv(m, None, 12, 0.01); out["predict_s"] = time.perf_counter() - t
    out["customers"] = len(s)
elif what == "online_retail":
    from promo_core.quality import load_dataset
    ds = load_dataset(sys.argv[2])
    t = time.perf_counter(); s = clv.clv_summary(ds.events, returns=ds.returns, nonproduct=ds.nonproduct)
    out["summary_s"] = time.perf_counter() - t
    t = time.perf_counter(); m = clv.fit_clv(s); out["fit_s"] = time.perf_counter() - t
    t = time.perf_counter(); clv.predict_clv(m, None, 12, 0.01); out["predict_s"] = time.perf_counter() - t
    t = time.perf_counter(); clv.holdout_check(ds.events, returns=ds.returns, nonproduct=ds.nonproduct)
    out["holdout_s"] = time.perf_counter() - t
    out["customers"] = len(s)
out["process_s"] = time.perf_counter() - t0
print("RESULT " + json.dumps(out))
"""


def run(what: str, cache: str, *extra: str) -> dict:
    env = {**os.environ, "PROMOSCOPE_CACHE": cache}
    env.pop("PYTENSOR_FLAGS", None)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", CHILD, what, *extra], cwd=ROOT, env=env, capture_output=True, text=True,
                       check=False)
    wall = time.perf_counter() - t
    line = next((x for x in p.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{what} failed:\n{p.stderr[-2000:]}")
    return {**json.loads(line[7:]), "wall_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        rows.append(("CDNOW (2,357 buyers), empty compile cache", run("cdnow", a)))
        rows.append(("CDNOW, same cache again (new process)", run("cdnow", a)))
        rows.append(("App warm-up (300 simulated buyers), empty cache", run("warm_up", b)))
        if ONLINE_RETAIL.exists():
            rows.append(("Online Retail (4,338 buyers) after the warm-up", run("online_retail", b, str(ONLINE_RETAIL))))
    load = os.getloadavg()
    lines = [f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
             f"{load[0]:.1f} at the end (shared with other jobs); Python {platform.python_version()}.", "",
             "| run | summary (s) | fit BG/NBD + Gamma-Gamma (s) | predict 12 months (s) | hold-out check (s) | "
             "warm-up (s) | whole process (s) |", "|---|---|---|---|---|---|---|"]
    for name, r in rows:
        def f(k, r=r):
            return f"{r[k]:.1f}" if k in r else "–"
        lines.append(f"| {name} | {f('summary_s')} | {f('fit_s')} | {f('predict_s')} | {f('holdout_s')} | "
                     f"{f('warm_up_s')} | {f('wall_s')} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
