"""A demo workspace for stakeholders: three monthly campaigns planned on the bundled sample, two of them
measured from SIMULATED outcomes, so the Campaigns page has a history to show.

    python scripts/demo_workspace.py --workspace /tmp/demo.db
    PROMOSCOPE_WORKSPACE=/tmp/demo.db bash scripts/run.sh

Each campaign is planned by the CLI (``promo-core plan --optimise --targets --holdout --seed
--save-campaign``); the second and third use the earlier readouts as evidence (``--readout``), as a
marketer running the loop would. Outcomes are simulated per customer from the target list's own
forecast columns: the held-out group converts at the segment's baseline, the treated group at the
baseline plus ``realised`` × the forecast lift (0.6 for the first month, 0.9 for the second: a forecast
that was too optimistic, then closer), order values Gamma with shape 4 and the mean the forecast gives an
extra order in that segment (incremental revenue ÷ incremental orders; 50 where it has none), and each treated converter
gets the value the forecast gives per converter (forecast.json: value given ÷ expected buyers). Campaign and readout names say "simulated": never mistake this for data.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from promo_core.campaigns import campaign_readout  # noqa: E402
from promo_core.cli import main as cli  # noqa: E402
from promo_core.workspace import open_workspace  # noqa: E402

SAMPLE = ROOT / "sample_data" / "events.csv.gz"
MONTHS = (("September win-back (demo, simulated outcomes)", 1, 0.6, "2026-09-07", "2026-09-20"),
          ("October win-back (demo, simulated outcomes)", 2, 0.9, "2026-10-05", "2026-10-18"),
          ("November win-back (demo, planned)", 3, None, "2026-11-09", "2026-11-22"))


def simulate(targets: pd.DataFrame, forecast: dict, realised: float, seed: int) -> pd.DataFrame:
    """Outcomes per customer of a target list (see the module docstring)."""
    rng = np.random.default_rng(seed)
    base = targets["baseline_conversion"].astype(float).to_numpy()
    lift = (targets["expected_conversion"].astype(float) - targets["baseline_conversion"].astype(float)).to_numpy()
    treated = (targets["group"] == "treatment").to_numpy()
    p = np.clip(base + np.where(treated, realised * lift, 0.0), 0.0, 1.0)
    converted = rng.random(len(targets)) < p
    aov = {r["segment"]: r["incremental_revenue"] / r["incremental_orders"]
           for r in forecast["segments"] if r.get("incremental_orders") and r["incremental_orders"] > 0}
    mean = targets["segment"].map(aov).fillna(50.0).to_numpy(float)
    gross = np.where(converted, rng.gamma(4.0, 1.0, len(targets)) * mean / 4.0, 0.0)
    per_buyer = {r["segment"]: r["value_given"] / (r["targeted"] * r["expected_conversion"])
                 for r in forecast["segments"] if r["targeted"] and r["expected_conversion"]}
    off = np.minimum(targets["segment"].map(per_buyer).fillna(0.0).to_numpy(float), gross)
    discount = np.where(treated & converted, off, 0.0)
    return pd.DataFrame({"user_id": targets["user_id"].astype(str), "converted": converted.astype(int),
                         "revenue": gross - discount, "discount": discount})


def build(workspace: str, budget: float = 3000.0) -> None:
    ws = open_workspace(workspace)
    with tempfile.TemporaryDirectory() as tmp:
        readouts: list[str] = []
        for name, seed, realised, start, end in MONTHS:
            if ws.has_campaign(name):
                print(f"{name!r} is already in the workspace; left as it is")
                continue
            targets, forecast = Path(tmp, f"targets-{seed}.csv"), Path(tmp, f"forecast-{seed}.json")
            args = [str(SAMPLE), "--segmentation", "rfm", "--optimise", "--budget", str(budget), "--out", str(forecast),
                    "--targets", str(targets), "--holdout", "0.2", "--seed", str(seed), "--save-campaign", name,
                    "--workspace", workspace, "--campaign-start", start, "--campaign-end", end]
            for r in readouts:
                args += ["--readout", r]
            if cli(["plan", *args]) != 0:
                raise SystemExit(f"planning {name!r} failed")
            if realised is None:
                continue
            t = pd.read_csv(targets, dtype={"user_id": str})
            fc = json.loads(forecast.read_text(encoding="utf-8"))
            result = campaign_readout(t, simulate(t, fc, realised, seed), name=f"{name}: readout", source="simulated")
            ws.add_readout(name, result, author="demo")
            path = Path(tmp, f"readout-{seed}.json")
            path.write_text(json.dumps(result.to_dict(), allow_nan=False), encoding="utf-8")
            readouts.append(str(path))
            print(f"measured {name!r}: incremental profit {result.total.incremental_profit:,.0f}")
    print(f"Demo workspace ready: PROMOSCOPE_WORKSPACE={workspace} bash scripts/run.sh")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", required=True, help="a SQLite file path or a database URL")
    ap.add_argument("--budget", type=float, default=3000.0, help="the optimiser's budget per campaign (default 3000)")
    args = ap.parse_args(argv)
    build(args.workspace, args.budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
