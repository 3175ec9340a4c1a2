"""Issue 17 at scale: mining 1M baskets with each backend, clustering 1M users on a sample vs in full.

Usage: python benchmarks/scale.py [--only mining|clustering] [--baskets N] [--users N]
Prints a Markdown table; the numbers go to docs/PERFORMANCE.md ("Mining and clustering at scale").
Speed is measured here, never asserted in a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def mining(n_baskets: int, support: float) -> list[str]:
    from synth import synthetic_baskets

    from promo_core.mining import mine
    from promo_core.rules import baskets_from_lists
    t_gen, lists = timed(lambda: synthetic_baskets(n_baskets))
    t_enc, b = timed(lambda: baskets_from_lists(lists))
    lists = None  # free the Python lists before mining
    rows = [f"| generate + encode | {n_baskets:,} baskets, {len(b.items):,} items | {t_gen:.1f} + {t_enc:.1f} | |"]
    results = {}
    for backend in ("pyfim", "mlxtend", "spark"):
        if backend == "spark":  # the session start is part of what a Spark user waits for: timed separately
            from promo_core.mining.spark import spark_session
            t_start, _ = timed(lambda: spark_session())
            rows.append(f"| Spark session start | local[2] | {t_start:.1f} | |")
        t, res = timed(lambda backend=backend: mine(b, support, 0.1, backend=backend))
        results[backend] = res
        rows.append(f"| mine (itemsets + rules) | {backend} | {t:.1f} | {len(res.itemsets):,} itemsets, "
                    f"{len(res.rules.rules):,} rules |")
    ref = results["pyfim"]
    key = set(zip(ref.itemsets["itemsets"], ref.itemsets["support"], strict=True))
    for backend, res in results.items():
        same = set(zip(res.itemsets["itemsets"], res.itemsets["support"], strict=True)) == key
        rules_same = (set(zip(res.rules.rules["antecedents"], res.rules.rules["consequents"], strict=True))
                      == set(zip(ref.rules.rules["antecedents"], ref.rules.rules["consequents"], strict=True)))
        rows.append(f"| same as pyfim | {backend} | | itemsets {same}, rules {rules_same} |")
    return rows


def clustering(n_users: int) -> list[str]:
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_blobs
    from sklearn.metrics import adjusted_rand_score

    from promo_core.clustering_scale import cluster_on_sample
    from promo_core.segments import DEFAULT_FEATURES, cluster
    X, truth = make_blobs(n_samples=n_users, n_features=len(DEFAULT_FEATURES), centers=5, cluster_std=2.5,
                          center_box=(5, 25), random_state=0)
    prof = pd.DataFrame(X - X.min(axis=0) + 0.1, columns=list(DEFAULT_FEATURES))
    prof.insert(0, "user_id", np.arange(n_users).astype(str))
    rows = []
    t_s, s = timed(lambda: cluster(prof, k="auto", use_log=False, fit_sample=100_000))
    rows.append(f"| fit on 100,000 + assign (automatic k, 3 stability reruns) | {n_users:,} users | {t_s:.1f} | "
                f"k={s.k}, ARI with the planted groups {adjusted_rand_score(truth, s.labels):.4f} |")
    t_f, f = timed(lambda: cluster(prof, k="auto", use_log=False, fit_sample=None))
    rows.append(f"| full fit (automatic k, 3 stability reruns) | {n_users:,} users | {t_f:.1f} | "
                f"k={f.k}, ARI with the planted groups {adjusted_rand_score(truth, f.labels):.4f} |")
    rows.append(f"| agreement sample vs full | | | ARI {adjusted_rand_score(f.labels, s.labels):.4f}; "
                f"full ÷ sample {t_f / t_s:.1f}× |")
    if os.environ.get("SKIP_SPARK") != "1":
        t_k, k = timed(lambda: cluster_on_sample(prof, list(DEFAULT_FEATURES), sample_size=100_000, k=s.k,
                                                 use_log=False, stability_runs=0, backend="spark"))
        rows.append(f"| Spark ML K-means on every user (k from the sample) | {n_users:,} users | {t_k:.1f} | "
                    f"ARI with the sklearn full fit {adjusted_rand_score(f.labels, k.labels):.4f} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["mining", "clustering"])
    ap.add_argument("--baskets", type=int, default=1_000_000)
    ap.add_argument("--support", type=float, default=0.001)
    ap.add_argument("--users", type=int, default=1_000_000)
    a = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| step | data / backend | seconds | result |\n|---|---|---|---|")
    if a.only in (None, "mining"):
        print("\n".join(mining(a.baskets, a.support)), flush=True)
    if a.only in (None, "clustering"):
        print("\n".join(clustering(a.users)), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
