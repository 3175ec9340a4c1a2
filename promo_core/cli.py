"""The command-line face of PromoScope (``promo-core ...`` or ``python -m promo_core ...``).

Exit codes: 0 success; 2 a problem with the data or the arguments (one paragraph on stderr);
1 an unexpected internal error (one line on stderr, never a traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .io import FORMATS
from .propensity import MODELS as PROPENSITY_MODELS
from .schema import COLUMN_NAMES, DataError
from .segments import METHODS as SEGMENT_METHODS

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(fn):
        COMMANDS[name] = fn
        return fn
    return register


def _input_args(p: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    p.add_argument("input", metavar="INPUT",
                   help="data file: CSV/TSV/TXT, Excel (.xlsx) or Parquet, gzip allowed")
    p.add_argument("--format", choices=formats, default="auto",
                   help="'events' for behaviour or transaction rows, 'baskets' for one basket per line "
                        "(default: auto-detect)")
    p.add_argument("--sheet", help="Excel sheet to read when the workbook has several")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=HEADER",
                   help=f"map a file header to a canonical column by hand, e.g. --map user_id=客户; "
                        f"columns: {', '.join(COLUMN_NAMES)}")


def _mapping(pairs: list[str]) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise DataError(f"--map {pair!r} is not of the form COLUMN=HEADER",
                            hint="Write for example --map user_id=CustomerNo")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def load_input(args: argparse.Namespace):
    """Read INPUT with --format/--sheet/--map into a cleaned Dataset."""
    from .io import read_table
    from .quality import clean_events
    from .schema import propose_mapping
    raw = read_table(args.input, fmt=args.format, sheet=args.sheet)
    manual = _mapping(args.map)
    mapping = None
    if manual:
        proposed = {k: v for k, v in propose_mapping(raw.frame.columns).items() if v not in manual.values()}
        mapping = {**proposed, **manual}
    return clean_events(raw, mapping)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promo-core",
        description="PromoScope from the command line: check data files, segment customers, mine "
                    "basket rules, test experiments, and write the bundled sample.",
        epilog="Exit codes: 0 success, 2 a problem with the data or arguments (explained on stderr), "
               "1 an internal error.")
    parser.add_argument("--version", action="version", version=f"promo-core {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("validate", help="read a file and print its quality report as JSON",
                       description="Read, map, validate and clean a file; print the quality report "
                                   "(rows read, rows removed and why, users, items, orders, date range, "
                                   "event mix, KPIs) as JSON on stdout.")
    _input_args(p)
    p.add_argument("--out", help="also write the JSON report to this file")

    p = sub.add_parser("segment", help="profile, cluster and RFM-score every user; write users.csv",
                       description="Build per-user profiles, cluster them, add RFM scores and segments and "
                                   "lifecycle stages, and write one row per user to --out (CSV, or Excel "
                                   "when the name ends in .xlsx). A summary of the segments goes to stdout.")
    _input_args(p)
    p.add_argument("--out", required=True, help="users file to write (.csv or .xlsx)")
    p.add_argument("--k", default="auto", help="number of segments, or 'auto' (default) to choose by silhouette")
    p.add_argument("--method", default="kmeans", choices=list(SEGMENT_METHODS),
                   help="clustering method (default kmeans)")
    p.add_argument("--features", help="comma-separated profile features (default: "
                                      "recency_days,frequency,monetary,tenure_days,views,view_to_cart,discount_share)")
    p.add_argument("--no-log", action="store_true", help="do not log-transform counts and money")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--propensity", choices=list(PROPENSITY_MODELS),
                   help="also score each user's chance to buy in the next 30 days with this model")

    p = sub.add_parser("rules", help="mine association rules; write rules.csv",
                       description="Form baskets from purchases, mine frequent itemsets (mlxtend Apriori by default) "
                                   "and write one row per rule to --out: antecedents and consequents as JSON "
                                   "arrays of item labels, then support, confidence, lift, leverage, conviction. "
                                   "The number of rules is printed on stdout.")
    _input_args(p)
    p.add_argument("--out", required=True, help="rules file to write (.csv)")
    p.add_argument("--min-support", type=float, required=True, help="share of baskets, e.g. 0.01")
    p.add_argument("--min-confidence", type=float, required=True, help="e.g. 0.3")
    p.add_argument("--min-lift", type=float, default=0.0, help="drop rules below this lift (default: keep all)")
    p.add_argument("--max-len", type=int, default=3, help="longest itemset (default 3)")
    p.add_argument("--basket", choices=["order", "user-day"], default="order",
                   help="a basket is one order (default) or one customer's day")
    p.add_argument("--level", choices=["item", "category"], default="item", help="mine items or categories")
    p.add_argument("--algorithm", choices=["apriori", "fpgrowth"], default="apriori",
                   help="apriori (default, mlxtend low-memory; fastest here) or fpgrowth: same itemsets")
    p.add_argument("--max-basket-size", type=int, default=100,
                   help="leave out baskets with more distinct items (default 100)")
    p.add_argument("--multi-consequent", action="store_true",
                   help="also keep rules with several items on the right-hand side")

    p = sub.add_parser("abtest", help="test an experiment: significance, intervals, ROI; write report.json",
                       description="Compare every variant with the control: conversion (pooled z-test, Newcombe "
                                   "and log-ratio intervals, Holm-adjusted p-values), revenue per user (Welch), "
                                   "and incremental profit and ROI. Works on user-level files (one row per user) "
                                   "and aggregated ones (variant, users, conversions[, revenue_sum, "
                                   "revenue_sum_sq]). Verdicts go to stdout, the full report to --out.")
    p.add_argument("input", metavar="INPUT", help="experiment results file (CSV/TSV/TXT/Excel/Parquet, gzip allowed)")
    p.add_argument("--variant-col", required=True, help="column naming each user's variant")
    p.add_argument("--control", required=True, help="name of the control variant (case and spacing ignored)")
    p.add_argument("--converted-col", help="column with 1/0 (true/false, yes/no) per user; not needed for "
                                           "aggregated files")
    p.add_argument("--revenue-col", help="revenue per user (net of any discount)")
    p.add_argument("--cost-col", help="promotion contact cost per user")
    p.add_argument("--discount-col", help="discount given per user")
    p.add_argument("--pre-col", help="pre-period metric for variance reduction (CUPED)")
    p.add_argument("--margin", type=float, default=0.4, help="gross margin on full price (default 0.4)")
    p.add_argument("--cost-per-user", type=float, default=0.0,
                   help="contact cost per treated user when there is no cost column (default 0)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--adjust", choices=["holm", "fdr_bh", "none"], default="holm",
                   help="multiple-testing adjustment (default holm)")
    p.add_argument("--currency", default="£", help="currency symbol in the verdicts (default £)")
    p.add_argument("--out", required=True, help="report file to write (.json)")

    p = sub.add_parser("sample", help="write the deterministic demo data and its ground truth",
                       description="Generate the bundled sample (events, experiment, ground truth) "
                                   "into a folder. The same seed writes byte-identical files.")
    p.add_argument("--out", required=True, help="folder to write into (created if missing)")
    p.add_argument("--users", type=int, default=3000, help="number of users (200 to 200,000; default 3000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    _add_plan_parser(sub)
    return parser


@command("validate")
def _validate(args: argparse.Namespace) -> int:
    from .export import to_json_text
    from .kpis import summarise
    ds = load_input(args)
    payload = ds.report.to_dict()
    payload["kpis"] = summarise(ds.events).to_dict()
    text = to_json_text(payload)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


def _parse_k(text: str) -> int | str:
    if text == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise DataError(f"--k must be 'auto' or a whole number; got {text!r}", hint="Try --k auto or --k 5") from None


@command("segment")
def _segment(args: argparse.Namespace) -> int:
    from .export import to_csv_bytes, to_excel_bytes
    from .features import customer_profiles
    from .propensity import fit_propensity
    from .segments import cluster, lifecycle, rfm, user_table
    ds = load_input(args)
    profiles = customer_profiles(ds)
    features = [f.strip() for f in args.features.split(",")] if args.features else None
    result = cluster(profiles, features, k=_parse_k(args.k), method=args.method, use_log=not args.no_log,
                     seed=args.seed)
    scores = fit_propensity(ds.events, args.propensity).scores if args.propensity else None
    users = user_table(profiles, result, None, rfm(profiles), lifecycle(ds.events), scores)
    out = Path(args.out)
    out.write_bytes(to_excel_bytes(users) if out.suffix.lower() == ".xlsx" else to_csv_bytes(users, bom=False))
    print(f"{len(users):,} users in {result.k} segments ({SEGMENT_METHODS[args.method]}; silhouette "
          f"{result.silhouette if result.silhouette is None else round(result.silhouette, 3)}, stability "
          f"{result.stability if result.stability is None else round(result.stability, 3)}) -> {out}")
    for row in result.profile.itertuples(index=False):
        print(f"  {row.segment:>2}  {row.segment_name:<45} {row.users:>8,} users  "
              f"{row.share_of_revenue_pct:5.1f}% of revenue")
    for note in result.notes:
        print(f"  note: {note}")
    return 0


@command("rules")
def _rules(args: argparse.Namespace) -> int:
    from .export import to_csv_bytes
    from .rules import make_baskets, make_rules, mine_itemsets, rules_contract
    ds = load_input(args)
    baskets = make_baskets(ds.events, by=args.basket, level=args.level, max_basket_size=args.max_basket_size)
    itemsets = mine_itemsets(baskets, args.min_support, args.max_len, args.algorithm)
    result = make_rules(itemsets, baskets.n, args.min_confidence, args.min_lift,
                        single_consequent=not args.multi_consequent, test="none")
    Path(args.out).write_bytes(to_csv_bytes(rules_contract(result.rules), bom=False))
    print(len(result.rules))
    for note in result.notes:
        print(f"promo-core: {note}", file=sys.stderr)
    return 0


@command("abtest")
def _abtest(args: argparse.Namespace) -> int:
    from .abtest import compare_all, cuped, load_experiment, sample_ratio
    from .export import to_json_text
    from .io import read_table
    from .report import report_dict
    from .roi import compute_roi, verdict
    frame = read_table(args.input).frame
    exp = load_experiment(frame, variant=args.variant_col, converted=args.converted_col,
                          revenue=args.revenue_col or "", cost=args.cost_col or "", discount=args.discount_col or "",
                          pre=args.pre_col or "", cost_per_user=args.cost_per_user, control=args.control)
    comps = compare_all(exp, args.control, args.alpha, args.adjust)
    rois = [compute_roi(exp, c, args.margin, args.alpha) for c in comps]
    srm = sample_ratio(exp)
    report = report_dict(exp, comps[0].control, comps, rois, srm, args.alpha, args.adjust, args.margin)
    if exp.has_pre and exp.has_revenue:
        cu = cuped(exp, args.control, args.alpha)
        report["cuped"] = {"theta": cu.theta, "variance_saved": cu.variance_saved,
                           "comparisons": [c.to_dict() for c in cu.comparisons]}
    Path(args.out).write_text(to_json_text(report) + "\n", encoding="utf-8")
    if srm.mismatch:
        print(f"WARNING: sample ratio mismatch (p = {srm.p_value:.2g}); the results may be biased.")
    for c, r in zip(comps, rois, strict=True):
        print(verdict(c, r, args.currency, args.alpha))
    return 0


@command("sample")
def _sample(args: argparse.Namespace) -> int:
    from .sample import write_sample
    paths = write_sample(args.out, n_users=args.users, seed=args.seed)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


# ---- promo-core plan (issue 12): the promotion planner from the command line

def _add_plan_parser(sub) -> None:
    p = sub.add_parser("plan", help="forecast a promotion plan per segment; write forecast.json",
                       description="Segment the customers, measure each segment's baseline in earlier windows of "
                                   "the campaign's length, and forecast a plan: one read from --plan (saved by the "
                                   "app), the budget optimiser's (--optimise --budget B), or no offers. A/B "
                                   "experiments given with --experiment supply measured lifts and control-group "
                                   "baselines. Writes one object per segment and a total to --out (JSON); a summary "
                                   "goes to stdout.")
    _input_args(p)
    p.add_argument("--segmentation", required=True, choices=["clusters", "rfm", "lifecycle"],
                   help="clusters (K-means, k chosen by silhouette), rfm (value groups) or lifecycle (stages)")
    p.add_argument("--plan", dest="plan_file", metavar="PLAN", help="plan file (.json) saved by the planner page")
    p.add_argument("--optimise", action="store_true", help="let the budget optimiser choose the offers")
    p.add_argument("--budget", type=float, help="most to spend on discounts and contacts (with --optimise)")
    p.add_argument("--experiment", action="append", default=[], metavar="FILE",
                   help="user-level A/B results (user_id, variant, converted, revenue, discount); repeatable")
    p.add_argument("--control", default="control", help="name of the control variant (default control)")
    p.add_argument("--horizon", type=int, default=14, help="campaign length in days (default 14)")
    p.add_argument("--margin", type=float, default=0.4, help="gross margin (default 0.4)")
    p.add_argument("--windows", type=int, default=4, help="earlier windows for the baseline (default 4)")
    p.add_argument("--same-period-last-year", action="store_true",
                   help="baseline from the campaign's dates one year earlier (when the data reaches back)")
    p.add_argument("--contact-cost", type=float, default=0.15, help="contact cost per user for --optimise (0.15)")
    p.add_argument("--out", required=True, help="forecast file to write (.json)")


@command("plan")
def _plan(args: argparse.Namespace) -> int:
    from dataclasses import replace

    import pandas as pd

    from .abtest import load_experiment
    from .export import to_json_text
    from .features import customer_profiles
    from .io import read_table
    from .promotions import (
        Assumptions,
        Offer,
        baselines,
        evidence,
        forecast,
        forecast_record,
        optimise,
        plan_from_json,
        segmenter,
    )
    from .segments import cluster, lifecycle, rfm
    if args.plan_file and args.optimise:
        raise DataError("--plan and --optimise both choose the offers", hint="Give one of them")
    if args.optimise and args.budget is None:
        raise DataError("--optimise needs a budget", hint="Add for example --budget 5000")
    if not 1 <= args.windows <= 52:
        raise DataError(f"--windows must be 1 to 52; got {args.windows}", hint="Try 4")
    ds = load_input(args)
    profiles = customer_profiles(ds)
    if args.segmentation == "clusters":
        c = cluster(profiles)
        segments = pd.DataFrame({"user_id": profiles["user_id"], "segment": c.named_labels()})
    elif args.segmentation == "rfm":
        s = rfm(profiles)
        segments = s[["user_id"]].assign(segment=s["rfm_segment"])
    else:
        segments = lifecycle(ds.events).rename(columns={"lifecycle": "segment"})
    names = sorted(segments["segment"].astype(str).unique())
    a = replace(Assumptions(), margin=args.margin, horizon_days=args.horizon)
    plan, source = [Offer(s) for s in names], "no offers"
    dataset_id = {"name": ds.name, "users": ds.report.users, "from": ds.report.first_event, "to": ds.report.last_event}
    if args.plan_file:
        try:
            text = Path(args.plan_file).read_bytes()
        except OSError as exc:
            raise DataError(f"The plan file could not be read ({exc})", hint="Check the path") from None
        plan, a = plan_from_json(text, dataset_id, names)
        source = "plan file"
    ev: dict = {}
    controls = []
    for path in args.experiment:
        frame = read_table(path).frame
        if "user_id" not in frame:
            raise DataError(f"The experiment file {path} has no user_id column",
                            hint="The planner needs user-level results whose user ids are customers in INPUT")
        exp = load_experiment(frame, control=args.control)
        if exp.users is None:
            raise DataError(f"The experiment file {path} is aggregated", hint="Give user-level results")
        users = exp.users.assign(user_id=frame["user_id"].astype(str).to_numpy())
        control = next((v for v in users["variant"].unique() if str(v).casefold() == args.control.casefold()), None)
        if control is None:
            raise DataError(f"No variant called {args.control!r} in {path}", hint="Name the control with --control")
        ev.update(evidence(users, segments, control, a.margin))
        controls.append(users[users["variant"] == control][["user_id", "converted"]])
    seg_at = segmenter(args.segmentation, ds.events, returns=ds.returns, nonproduct=ds.nonproduct)
    base = baselines(ds.events, segments, a.horizon_days, pd.concat(controls) if controls else None,
                     windows=args.windows, segment_at=seg_at, same_period_last_year=args.same_period_last_year,
                     nonproduct=ds.nonproduct)
    opt = None
    if args.optimise:
        opt = optimise(base, a, args.budget, ev or None, contact_cost=args.contact_cost)
        plan, source = opt.plan, "optimiser"
    plan = [o for o in plan if o.segment in base]
    fc = forecast(plan, base, a, ev or None)
    record = {"dataset": dataset_id, "segmentation": args.segmentation, "plan_source": source,
              "experiments": list(args.experiment), **forecast_record(fc, plan, base, a)}
    if opt is not None:
        record["optimiser"] = {"budget": args.budget, "expected_profit": opt.expected_profit, "cost": opt.cost,
                               "choices": opt.reasons.to_dict(orient="records")}
    Path(args.out).write_text(to_json_text(record) + "\n", encoding="utf-8")
    for r in record["segments"]:
        print(f"  {r['segment']:<32} {r['users']:>7,} users  baseline {100 * r['baseline_conversion']:5.1f}%  "
              f"{r['offer']:<28} {r['source']:<10} profit {r['incremental_profit']:>10,.0f} "
              f"({r['profit_low']:,.0f} to {r['profit_high']:,.0f})")
    t = record["total"]
    print(f"Total: profit {t['incremental_profit']:,.0f} (range {t['profit_low']:,.0f} to {t['profit_high']:,.0f}; "
          f"low end: assumed lifts at zero, measured ones at their lower bound) -> {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return COMMANDS[args.command](args)
    except DataError as exc:
        print(f"promo-core: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("promo-core: interrupted", file=sys.stderr)
        return 130
    except (OSError, MemoryError) as exc:
        print(f"promo-core: could not complete: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the contract: never a traceback on stderr
        print(f"promo-core: internal error ({type(exc).__name__}: {exc}). This is a bug in PromoScope; "
              "please report it with the command you ran.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
