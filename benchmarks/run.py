"""PromoScope benchmarks: medians of several runs, printed as a Markdown table.

Usage: python benchmarks/run.py [--only NAME ...] [--repeat N] [--out FILE]
Results are recorded in docs/PERFORMANCE.md. Nothing here asserts a time: speed is measured,
not tested.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

ONLINE_RETAIL = ROOT.parent / "shared" / "data" / "online_retail.csv.gz"
BENCHES: dict[str, Callable[[int], list[tuple[str, list[float], str]]]] = {}


def bench(name: str):
    def register(fn):
        BENCHES[name] = fn
        return fn
    return register


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


@bench("segments")
def segments(repeat: int):
    from synth import synthetic_events

    from promo_core.features import build_profiles
    from promo_core.segments import cluster
    ev = synthetic_events(1_000_000, 100_000)
    rows = []
    t_prof, prof = timed(lambda: build_profiles(ev), repeat)
    rows.append(("profiles: 1,000,000 events, 100,000 users", t_prof, f"{len(prof):,} profiles"))
    t_clu, c = timed(lambda: cluster(prof, k="auto"), repeat)
    rows.append(("clustering, automatic k (2-10) + 3 stability reruns: 100,000 users", t_clu,
                 f"k={c.k}, silhouette {c.silhouette:.3f}"))
    total = [a + b for a, b in zip(t_prof, t_clu, strict=True)]
    rows.append(("profiles + automatic-k clustering (target < 15 s)", total, ""))
    if ONLINE_RETAIL.exists():
        from promo_core.quality import load_dataset
        ds = load_dataset(ONLINE_RETAIL)
        t, prof = timed(lambda: build_profiles(ds.events), repeat)
        rows.append(("profiles: Online Retail (392,692 rows, 4,338 customers)", t, ""))
        t, c = timed(lambda: cluster(prof, k="auto"), repeat)
        rows.append(("clustering, automatic k: Online Retail", t, f"k={c.k}"))
    return rows


@bench("segments_page")
def segments_page(repeat: int):
    """Re-render of the Segments page on 100,000 users when only a display option changes."""
    import os

    from streamlit.testing.v1 import AppTest
    from synth import synthetic_events

    from promo_core.quality import Dataset, QualityReport
    os.chdir(ROOT)
    ev = synthetic_events(1_000_000, 100_000)
    report = QualityReport(file={"container": "memory", "kind": "events", "layout": "synthetic"}, mapping={}, rows_read=len(ev), facts={}, steps=(), rows_kept=len(ev),
                           users=ev["user_id"].nunique(), items=None, orders=None, first_event=str(ev.timestamp.min()),
                           last_event=str(ev.timestamp.max()), event_mix={})
    ds = Dataset("synthetic 1M", "events", ev, report)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["dataset"] = ds
    at.session_state["dataset_key"] = "bench-1m"
    at.run()
    t0 = time.perf_counter()
    at.switch_page("views/segments.py").run()
    first = time.perf_counter() - t0
    assert not at.exception, [e.message for e in at.exception]
    times = []
    for i in range(repeat):
        choice = ["rfm", "clusters"][i % 2]
        t = time.perf_counter()
        at.radio(key="segmentation_choice").set_value(choice).run()
        times.append(time.perf_counter() - t)
    return [("Segments page, first run (profiles + clustering + propensity): 100,000 users", [first], ""),
            ("Segments page re-render after a display option (target < 0.3 s)", times, "")]


@bench("load")
def load(repeat: int):
    """Load + validate (sniffing, mapping, typing, cleaning, report) against a bare pandas read."""
    import io

    import pandas as pd
    from synth import synthetic_events

    from promo_core.quality import load_dataset
    rows = []
    ev = synthetic_events(1_000_000, 100_000)
    blob = ev.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S").encode()
    t, ds = timed(lambda: load_dataset(blob, "synthetic.csv"), repeat)
    t_ref, _ = timed(lambda: pd.read_csv(io.BytesIO(blob), parse_dates=["timestamp"]), repeat)
    rows.append(("load + validate: 1,000,000 events (CSV in memory)", t,
                 f"{statistics.median(t) / statistics.median(t_ref):.1f}x pandas read_csv ({statistics.median(t_ref):.2f} s)"))
    if ONLINE_RETAIL.exists():
        t, ds = timed(lambda: load_dataset(ONLINE_RETAIL), repeat)
        t_ref, _ = timed(lambda: pd.read_csv(ONLINE_RETAIL), repeat)
        rows.append(("load + validate: Online Retail (541,909 rows, gzip)", t,
                     f"{statistics.median(t) / statistics.median(t_ref):.1f}x pandas read_csv ({statistics.median(t_ref):.2f} s)"))
    return rows


@bench("references")
def references(repeat: int):
    """Profiles and clustering beside the bare library calls they wrap."""
    from sklearn.cluster import KMeans
    from synth import synthetic_events

    from promo_core.features import build_profiles
    from promo_core.segments import DEFAULT_FEATURES, cluster, prepare_matrix
    ev = synthetic_events(1_000_000, 100_000)
    t, prof = timed(lambda: build_profiles(ev), repeat)
    buys = ev[ev["event"] == "purchase"]

    def rfm_only():
        g = buys.assign(v=buys["price"] * buys["quantity"]).groupby("user_id")
        return g.agg(last=("timestamp", "max"), orders=("order_id", "nunique"), monetary=("v", "sum"))
    t_ref, _ = timed(rfm_only, repeat)
    rows = [("profiles (27 features) vs a bare pandas RFM groupby (3 features)", t,
             f"{statistics.median(t) / statistics.median(t_ref):.1f}x ({statistics.median(t_ref):.2f} s)")]
    X, _, _ = prepare_matrix(prof, [f for f in DEFAULT_FEATURES if f in prof.columns])
    t, c = timed(lambda: cluster(prof, k=5, stability_runs=0), repeat)
    t_ref, _ = timed(lambda: KMeans(n_clusters=5, n_init=4, random_state=0).fit(X), repeat)
    rows.append(("clustering at k=5 (with naming, profile, PCA) vs a bare KMeans fit", t,
                 f"{statistics.median(t) / statistics.median(t_ref):.1f}x ({statistics.median(t_ref):.2f} s)"))
    return rows


@bench("abtest")
def abtest(repeat: int):
    """A/B on 1,000,000 users (3 variants), against the bare statsmodels/scipy calls."""
    import numpy as np
    import pandas as pd
    from scipy import stats
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    from promo_core.abtest import compare_all, from_users
    rng = np.random.default_rng(0)
    n = 1_000_000
    v = rng.choice(["control", "a", "b"], n)
    conv = rng.random(n) < np.where(v == "control", 0.10, 0.11)
    rev = np.where(conv, rng.gamma(2, 30, n), 0.0)
    frame = pd.DataFrame({"variant": v, "converted": conv.astype(int), "revenue": rev})
    t, _ = timed(lambda: compare_all(from_users(frame, "variant", "converted", "revenue"), "control"), repeat)

    def bare():
        for arm in ("a", "b"):
            x1, n1 = conv[v == arm].sum(), (v == arm).sum()
            x0, n0 = conv[v == "control"].sum(), (v == "control").sum()
            proportions_ztest([x1, x0], [n1, n0])
            confint_proportions_2indep(x1, n1, x0, n0, method="newcomb")
            stats.ttest_ind(rev[v == arm], rev[v == "control"], equal_var=False)
    t_ref, _ = timed(bare, repeat)
    rows = [("A/B: 1,000,000 users, 3 variants (bootstrap skipped above 100,000 per arm)", t,
             f"{statistics.median(t) / statistics.median(t_ref):.1f}x bare z-test + Newcombe + Welch "
             f"({statistics.median(t_ref):.2f} s)")]
    small = frame.iloc[:150_000]
    t, _ = timed(lambda: compare_all(from_users(small, "variant", "converted", "revenue"), "control"), repeat)
    rows.append(("A/B: 150,000 users, 3 variants (with the 500-resample bootstrap)", t, ""))
    return rows


@bench("planner")
def planner(repeat: int):
    """Forecast update after a slider move, and the optimiser, on the bundled sample's 5 segments."""
    import pandas as pd

    from promo_core.abtest import load_experiment
    from promo_core.features import build_profiles
    from promo_core.promotions import Assumptions, Offer, baselines, evidence, forecast, optimise
    from promo_core.quality import load_dataset
    from promo_core.segments import cluster
    ds = load_dataset(ROOT / "sample_data" / "events.csv.gz")
    prof = build_profiles(ds.events)
    segs = pd.DataFrame({"user_id": prof["user_id"], "segment": cluster(prof).named_labels()})
    frame = pd.read_csv(ROOT / "sample_data" / "experiment.csv")
    users = load_experiment(frame, control="control").users.assign(user_id=frame["user_id"].astype(str))
    a = Assumptions()
    base = baselines(ds.events, segs, 14, users[users["variant"] == "control"][["user_id", "converted"]])
    ev = evidence(users, segs, "control", a.margin)
    plan = [Offer(s, "percent_off", 15, 0, 0.5, 0.15) for s in base]
    t, _ = timed(lambda: forecast(plan, base, a, ev), repeat)
    t_opt, o = timed(lambda: optimise(base, a, 5000.0, ev), repeat)
    return [("planner forecast update (5 segments)", t, ""),
            ("budget optimiser: 5 segments x ~60 options (milp, HiGHS)", t_opt, f"expected profit £{o.expected_profit:,.0f}")]


def _bare_pyfim(lists, support: float, confidence: float):
    """What a pyfim user writes: itemsets and single-consequent rules (arules' rule support), same lists."""
    import math

    import fim
    count = max(1, math.ceil(support * len(lists) - 1e-9))
    sets = fim.fpgrowth(lists, target="s", supp=-count, zmin=1, report="a")
    rules = fim.fpgrowth(lists, target="r", supp=-count, conf=100 * confidence, zmin=2, report="abh", mode="o")
    return sets, rules


def _mlxtend(lists, support: float, confidence: float, algorithm: str = "fpgrowth"):
    """mlxtend alone: its TransactionEncoder (sparse), then fpgrowth or apriori, then association_rules."""
    import pandas as pd
    from mlxtend.frequent_patterns import apriori, association_rules, fpgrowth
    from mlxtend.preprocessing import TransactionEncoder
    te = TransactionEncoder()
    oh = pd.DataFrame.sparse.from_spmatrix(te.fit(lists).transform(lists, sparse=True),
                                           columns=[str(c) for c in te.columns_])
    if algorithm == "fpgrowth":
        sets = fpgrowth(oh, min_support=support, use_colnames=True)
    else:
        sets = apriori(oh, min_support=support, use_colnames=True, low_memory=True)
    rules = association_rules(sets, num_itemsets=len(lists), metric="confidence", min_threshold=confidence)
    return sets, rules[rules["consequents"].map(len) == 1]


def _ratio(t, t_ref) -> float:
    return statistics.median(t) / statistics.median(t_ref)


def _rules_case(name, lists, support, confidence, repeat, mlxtend_algo=None):
    """PromoScope end to end (basket lists → integer-coded baskets → guard rail → itemsets → rules with
    every metric; the CLI's path) beside bare pyfim and mlxtend on the same lists, in this process."""
    from promo_core.rules import baskets_from_lists, mine_rules

    def ours():
        b = baskets_from_lists(lists)
        return mine_rules(b, support, confidence, test="none", flag_redundant=False)
    t, t_fim = [], []
    for _ in range(repeat):  # alternated, so that both see the same load on a shared machine
        (sets, rs), more = timed(ours, 1)[::-1]
        t += more
        (ref_sets, ref_rules), more = timed(lambda: _bare_pyfim(lists, support, confidence), 1)[::-1]
        t_fim += more
    assert len(sets) == len(ref_sets) and len(rs.rules) == len(ref_rules), (len(sets), len(ref_sets))
    note = (f"{len(sets):,} itemsets, {len(rs.rules):,} rules; bare pyfim {statistics.median(t_fim):.3f} s "
            f"→ **{_ratio(t, t_fim):.2f}× pyfim** (best of each: {min(t):.3f} s vs {min(t_fim):.3f} s, "
            f"{min(t) / min(t_fim):.2f}×)")
    if mlxtend_algo:
        t_mlx, _ = timed(lambda: _mlxtend(lists, support, confidence, mlxtend_algo), 1)
        note += f"; mlxtend {mlxtend_algo} {t_mlx[0]:.2f} s → {t_mlx[0] / statistics.median(t):.1f}× PromoScope"
    return (f"{name}, support {support}, confidence {confidence}: PromoScope end to end", t, note)


@bench("rules")
def rules(repeat: int):
    """End to end vs bare pyfim (and mlxtend) on a 10k-basket file, 500k Zipf baskets and Online Retail."""
    import csv
    import tempfile

    from synth import groceries_like, synthetic_baskets, write_basket_file

    from promo_core.quality import load_dataset
    from promo_core.rules import make_baskets, mine_rules
    rows = []
    groceries = groceries_like()
    for s in (0.01, 0.001):
        rows.append(_rules_case("Groceries-like file (9,835 baskets, 169 items)", groceries, s, 0.5, repeat,
                                "fpgrowth"))
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/groceries.csv"
        write_basket_file(groceries, path)

        def from_file():
            ds = load_dataset(path)
            return mine_rules(make_baskets(ds.events), 0.001, 0.5, test="none", flag_redundant=False)

        def bare_from_file():
            with open(path, encoding="utf-8") as fh:
                lists = [row for row in csv.reader(fh) if row]
            return _bare_pyfim(lists, 0.001, 0.5)
        t, _ = timed(from_file, repeat)
        t_ref, _ = timed(bare_from_file, repeat)
        rows.append(("Groceries-like file from disk (load + validate + baskets + rules), support 0.001", t,
                     f"bare csv read + pyfim {statistics.median(t_ref):.3f} s → {_ratio(t, t_ref):.2f}× "
                     "(the rest is the Data page's load and quality report)"))
    zipf = synthetic_baskets(500_000, 5_000)
    for s in (0.01, 0.005, 0.002, 0.001):
        rows.append(_rules_case("500,000 Zipf baskets, 5,000 items", zipf, s, 0.1, repeat,
                                "apriori" if s == 0.01 else None))
    del zipf
    if ONLINE_RETAIL.exists():
        b = make_baskets(load_dataset(ONLINE_RETAIL).events)
        for s in (0.01, 0.005):
            rows.append(_rules_case(f"Online Retail ({b.n:,} baskets)", b.baskets, s, 0.5, repeat,
                                    "fpgrowth" if s == 0.01 else None))
    return rows


@bench("rules_page")
def rules_page(repeat: int):
    """Basket rules page on Online Retail: re-render after a confidence change (no re-mining) and the
    re-mine after a support change (baskets cached; guard rail + mining + rules + Fisher/BH)."""
    import os

    from streamlit.testing.v1 import AppTest

    from promo_core.quality import load_dataset
    if not ONLINE_RETAIL.exists():
        return []
    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["dataset"] = load_dataset(ONLINE_RETAIL)
    at.session_state["dataset_key"] = "bench-or"
    at.run()
    t0 = time.perf_counter()
    at.switch_page("views/rules.py").run()
    first = time.perf_counter() - t0
    assert not at.exception, [e.message for e in at.exception]
    times = []
    for i in range(repeat):
        t = time.perf_counter()
        at.slider(key="r_conf").set_value([30, 50][i % 2]).run()
        times.append(time.perf_counter() - t)
    remine = []
    for s in [2.0, 3.0, 5.0, 0.5][:max(repeat, 3)]:
        t = time.perf_counter()
        at.select_slider(key="r_support").set_value(s).run()
        remine.append(time.perf_counter() - t)
        assert not at.exception, [e.message for e in at.exception]
    return [("Basket rules page, first run on Online Retail (baskets + mining at 1%)", [first], ""),
            ("Basket rules page re-render after a confidence change (target < 0.3 s)", times, "no re-mining"),
            ("Basket rules page re-mine after a support change (2%, 3%, 5%, 0.5%; target well under 1 s)",
             remine, "each support mined for the first time")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*", choices=list(BENCHES), help="run only these")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    lines = [f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
             f"{__import__('os').cpu_count()} cores. Medians of {args.repeat} runs.", "",
             "| benchmark | median (s) | runs (s) | note |", "|---|---|---|---|"]
    for name in args.only or BENCHES:
        for label, times, note in BENCHES[name](args.repeat):
            lines.append(f"| {label} | {statistics.median(times):.3f} | "
                         f"{', '.join(f'{t:.3f}' for t in times)} | {note} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print()
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
