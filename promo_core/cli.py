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
from .io import FORMATS, MB
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
                   help=f"map a file header to a canonical column by hand, e.g. --map user_id=客户 (overrides the "
                        f"inferred mapping; repeat --map discount=… to sum several discount columns; COLUMN= with "
                        f"no header leaves the column unmapped); columns: {', '.join(COLUMN_NAMES)}")
    _unpacked_arg(p)


#: The command line's cap on what a gzip, .xlsx or Parquet file may unpack to (the app's is lower).
MAX_UNPACKED_MB = 4096


def _unpacked_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-unpacked-mb", type=float, default=MAX_UNPACKED_MB, metavar="MB",
                   help=f"refuse a gzip, Excel or Parquet file that unpacks to more than this many MB, before "
                        f"unpacking it (default {MAX_UNPACKED_MB}; zip-bomb workbooks are refused whatever "
                        f"the limit)")


def _max_unpacked(args: argparse.Namespace) -> int:
    mb = args.max_unpacked_mb
    if not mb > 0:
        raise DataError(f"--max-unpacked-mb must be a positive number of MB; got {mb}",
                        hint=f"Leave it out for the default ({MAX_UNPACKED_MB}) or give e.g. --max-unpacked-mb 8192")
    return int(min(mb, 2**40) * MB)


def _mapping(pairs: list[str]) -> dict[str, str | tuple[str, ...]] | None:
    from .schema import MULTI_COLUMNS
    if not pairs:
        return None
    out: dict[str, str | tuple[str, ...]] = {}
    for pair in pairs:
        if "=" not in pair:
            raise DataError(f"--map {pair!r} is not of the form COLUMN=HEADER",
                            hint="Write for example --map user_id=CustomerNo")
        k, v = (x.strip() for x in pair.split("=", 1))
        prev = out.get(k)
        if k in MULTI_COLUMNS and prev and v:
            out[k] = (*((prev,) if isinstance(prev, str) else prev), v)
        else:
            out[k] = v
    return out


def load_input(args: argparse.Namespace):
    """Read INPUT with --format/--sheet/--map into a cleaned Dataset.

    The mapping is inferred from headers and values; --map overrides it column by column. Inferred
    choices of less than high confidence are named on stderr (validate prints them in its JSON).
    """
    from .inference import infer_mapping
    from .io import read_table
    from .quality import clean_events
    from .schema import sources
    raw = read_table(args.input, fmt=args.format, sheet=args.sheet, max_unpacked=_max_unpacked(args))
    manual = _mapping(args.map)
    mapping = None
    if manual and raw.kind == "events":
        taken = {c for v in manual.values() for c in sources(v)}
        inferred = {k: tuple(c for c in sources(v) if c not in taken)
                    for k, v in infer_mapping(raw.frame).mapping().items() if k not in manual}
        mapping = {**{k: v for k, v in inferred.items() if v}, **manual}
    ds = clean_events(raw, mapping)
    if args.command != "validate":
        for m in ds.report.needs_review():
            print(f"promo-core: note: {m['source']!r} was taken as {m['column']} ({m['confidence']} confidence: "
                  f"{m['reason']}); use --map {m['column']}=HEADER to choose otherwise", file=sys.stderr)
    return ds


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
                                   "(the column mapping used and why, rows read, rows removed and why, users, "
                                   "items, orders, date range, event mix, plausibility checks, KPIs) as JSON "
                                   "on stdout.")
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
                       description="Form baskets from purchases, mine frequent itemsets (pyfim's FP-Growth in C by "
                                   "default; the same rules as R's arules and mlxtend) and write one row per rule "
                                   "to --out: antecedents and consequents as JSON arrays of item labels, then "
                                   "support, confidence, lift, leverage, conviction. Every basket is mined and "
                                   "itemsets have no length limit unless you set one. The number of rules is "
                                   "printed on stdout; any limit that applied is stated on stderr.")
    _input_args(p)
    p.add_argument("--out", required=True, help="rules file to write (.csv)")
    p.add_argument("--min-support", type=float, required=True, help="share of baskets, e.g. 0.01")
    p.add_argument("--min-confidence", type=float, required=True, help="e.g. 0.3")
    p.add_argument("--min-lift", type=float, default=0.0, help="drop rules below this lift (default: keep all)")
    p.add_argument("--max-len", type=int, default=None, help="longest itemset (default: no limit)")
    p.add_argument("--basket", choices=["order", "user-day"], default="order",
                   help="a basket is one order (default) or one customer's day")
    p.add_argument("--level", choices=["item", "category"], default="item", help="mine items or categories")
    p.add_argument("--algorithm", choices=["pyfim", "fpgrowth", "apriori"], default="pyfim",
                   help="pyfim (default: FP-Growth in C), or mlxtend's fpgrowth or apriori: the same rules; "
                        "without pyfim installed, mlxtend's fpgrowth is used and a notice printed")
    p.add_argument("--max-basket-size", type=int, default=None,
                   help="leave out baskets with more distinct items, and count them (default: keep every basket)")
    p.add_argument("--multi-consequent", action="store_true",
                   help="also keep rules with several items on the right-hand side")
    p.add_argument("--keep-nonproduct", action="store_true",
                   help="keep postage, fees, manual adjustments and other non-product lines in the baskets "
                        "(default: left out, and the count printed)")

    p = sub.add_parser("abtest", help="test an experiment: significance, intervals, ROI; write report.json",
                       description="Compare every variant with the control: conversion (pooled z-test, Newcombe "
                                   "and log-ratio intervals, Holm-adjusted p-values), revenue per user (Welch), "
                                   "and incremental profit and ROI. Works on user-level files (one row per user) "
                                   "and aggregated ones (variant, users, conversions[, revenue_sum, "
                                   "revenue_sum_sq]). Verdicts go to stdout, the full report to --out.")
    p.add_argument("input", metavar="INPUT", help="experiment results file (CSV/TSV/TXT/Excel/Parquet, gzip allowed)")
    p.add_argument("--variant-col", help="column naming each user's arm (default: inferred and printed)")
    p.add_argument("--control", help="name of the control arm, case and spacing ignored (default: the arm named "
                                      "control, ctrl, baseline, holdout, A, 'No …'; asked for when none is)")
    p.add_argument("--converted-col", help="yes/no outcome per user (1/0, TRUE/FALSE, yes/no; default: inferred); "
                                           "not needed for aggregated files")
    p.add_argument("--revenue-col", help="revenue per user, net of discounts and refunds (negative allowed)")
    p.add_argument("--cost-col", help="promotion contact cost per user")
    p.add_argument("--discount-col", help="discount given per user")
    p.add_argument("--pre-col", help="pre-period metric for variance reduction (CUPED)")
    p.add_argument("--user-col", help="user id column, for the integrity checks (default: inferred)")
    p.add_argument("--time-col", help="exposure time column, for first exposure and the effect by day "
                                      "(default: inferred)")
    p.add_argument("--guardrail-col", action="append", default=[], metavar="COL",
                   help="a guardrail metric column (repeatable), e.g. unsubscribed, returns")
    p.add_argument("--lower-is-better", action="append", default=[], metavar="COL",
                   help="a guardrail whose rise is harm (repeatable), e.g. unsubscribed")
    p.add_argument("--ratio", metavar="NUM/DEN", help="a ratio metric by the delta method, e.g. revenue/orders")
    p.add_argument("--clean", action="store_true",
                   help="drop rows that conflict with the assignment and keep each user's first exposure")
    p.add_argument("--sequential", action="store_true",
                   help="also give always-valid (sequential) intervals and p-values, valid at every look")
    p.add_argument("--tuning", type=float, default=5000.0,
                   help="sequential tuning parameter: users (both arms) where the interval is tightest (default 5000)")
    p.add_argument("--split", metavar="NAME=SHARE,…", help="planned split for the sample-ratio check, e.g. "
                                                              "control=0.9,promo=0.1 (default: equal shares)")
    p.add_argument("--cap", type=float, metavar="P", help="cap revenue at this percentile, e.g. 99 (default: no cap)")
    p.add_argument("--segment-col", action="append", default=[], metavar="COL",
                   help="break conversion down by this column (repeatable)")
    p.add_argument("--alternative", choices=["two-sided", "greater", "less"], default="two-sided",
                   help="two-sided (default), greater (treatment better) or less (treatment worse)")
    p.add_argument("--margin", type=float, help="gross margin on full price (default 0.4, named as a default)")
    p.add_argument("--cost-per-user", type=float,
                   help="contact cost per treated user when there is no cost column (default 0)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--adjust", choices=["holm", "fdr_bh", "none"], default="holm",
                   help="multiple-testing adjustment across arms, and across arms x guardrails (default holm)")
    p.add_argument("--currency", default="£", help="currency symbol in the verdicts (default £)")
    p.add_argument("--out", required=True, help="report file to write (.json)")
    _unpacked_arg(p)

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
    payload["mapping_needs_review"] = ds.report.needs_review()
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
    from .rules import engine, make_baskets, mine_rules, rules_contract
    ds = load_input(args)
    used, fallback = engine(args.algorithm)
    if fallback:
        print(f"promo-core: {fallback}", file=sys.stderr)
    events = ds.events
    if ds.nonproduct and not args.keep_nonproduct:
        from .nonproduct import product_lines
        events = product_lines(ds.events, ds.nonproduct)
        print(f"promo-core: {len(ds.events) - len(events):,} lines of items that are not products were left out "
              f"of the baskets ({', '.join(ds.nonproduct[:8])}{' …' if len(ds.nonproduct) > 8 else ''}); "
              f"--keep-nonproduct keeps them", file=sys.stderr)
    baskets = make_baskets(events, by=args.basket, level=args.level, max_basket_size=args.max_basket_size)
    itemsets, result = mine_rules(baskets, args.min_support, args.min_confidence, args.min_lift, args.max_len,
                                  args.algorithm, single_consequent=not args.multi_consequent, test="none",
                                  flag_redundant=False)
    Path(args.out).write_bytes(to_csv_bytes(rules_contract(result.rules), bom=False))
    print(len(result.rules))
    if args.max_basket_size is not None:
        print(f"promo-core: {baskets.n_oversized:,} baskets with more than {args.max_basket_size:,} items were "
              f"left out (--max-basket-size); supports are shares of the other {baskets.n:,}", file=sys.stderr)
    if args.max_len is not None:
        longest = int(itemsets["length"].max()) if len(itemsets) else 0
        print(f"promo-core: itemsets limited to {args.max_len} items (--max-len); longest found {longest}",
              file=sys.stderr)
    for note in result.notes:
        print(f"promo-core: {note}", file=sys.stderr)
    return 0


@command("abtest")
def _abtest(args: argparse.Namespace) -> int:
    from .abtest import by_segment, cuped, format_p
    from .experiment_run import parse_split, run_experiment
    from .export import to_json_text
    from .io import read_table
    frame = read_table(args.input, max_unpacked=_max_unpacked(args)).frame
    ratio = None
    if args.ratio:
        num, _, den = args.ratio.partition("/")
        if not num.strip() or not den.strip():
            raise DataError(f"--ratio {args.ratio!r} is not NUMERATOR/DENOMINATOR", hint="Write e.g. --ratio revenue/orders")
        ratio = (num.strip(), den.strip())
    run = run_experiment(frame, variant=args.variant_col, control=args.control, converted=args.converted_col,
                         revenue=args.revenue_col, cost=args.cost_col, discount=args.discount_col, pre=args.pre_col,
                         user=args.user_col, time=args.time_col, segments=tuple(args.segment_col),
                         guardrails=tuple(args.guardrail_col), lower_is_better=tuple(args.lower_is_better),
                         ratio=ratio, clean=args.clean, sequential=args.sequential, tuning=args.tuning,
                         split=parse_split(args.split), cap=args.cap, alternative=args.alternative, alpha=args.alpha,
                         adjust=args.adjust, margin=args.margin, cost_per_user=args.cost_per_user)
    report = run.report(args.currency)
    exp = run.exp
    if exp.has_pre and exp.has_revenue:
        cu = cuped(exp, run.control, args.alpha)
        report["cuped"] = {"theta": cu.theta, "variance_saved": cu.variance_saved,
                           "comparisons": [c.to_dict() for c in cu.comparisons]}
    if args.segment_col:
        report["segments"] = {c: by_segment(exp, run.control, c, args.alpha).to_dict("records")
                              for c in args.segment_col}
    Path(args.out).write_text(to_json_text(report) + "\n", encoding="utf-8")
    if run.guess is not None and (not args.variant_col or not args.control or not args.converted_col):
        used = ", ".join(f"{k} {run.columns[k]}" for k in ("revenue", "cost", "discount", "pre") if run.columns.get(k))
        print(f"Inferred: {run.guess.describe()} (used: arms {run.columns['arm']}, control {run.control}, outcome "
              f"{run.columns['outcome']}{', ' + used if used else ''})")
    if run.integrity is not None and run.integrity.problems:
        state = (f"cleaned: {run.integrity.removed_rows:,} rows removed" if run.integrity.cleaned
                 else "not cleaned (use --clean)")
        print(f"Integrity: {'; '.join(run.integrity.lines())} — {state}.")
    if args.cap is not None:
        for note in exp.notes:
            if "capped" in note:
                print(note)
    if run.srm.mismatch:
        split = "the planned split" if run.planned_split else "an assumed equal split (give --split if it was planned otherwise)"
        print(f"WARNING: sample ratio mismatch against {split} ({format_p(run.srm.p_value)}); the results may be biased.")
    for c, r in zip(run.comparisons, run.rois, strict=True):
        seq = (report["comparisons"][[x.treatment for x in run.comparisons].index(c.treatment)]["sequential"] or {})
        print(verdict_line(c, r, args, seq.get("relative")))
    if run.sequential:
        print(f"Sequential: always-valid intervals (tuning {run.sequential['tuning']:g}, {run.sequential['adjustment']}).")
    if run.metrics is not None and (args.guardrail_col or args.ratio):
        print(f"Guardrails ({run.adjust} across {int(run.metrics['family_size'].max())} comparisons):")
        for line in run.metrics.loc[run.metrics["role"] == "guardrail", "reading"]:
            print(f"  {line}")
    return 0


def verdict_line(c, r, args: argparse.Namespace, seq: dict | None) -> str:
    from .roi import verdict
    from .sequential import SequentialResult
    return verdict(c, r, args.currency, args.alpha, SequentialResult(**seq) if seq else None)


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
    import warnings
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        with warnings.catch_warnings():  # stderr carries our one-paragraph messages, not library warnings
            warnings.simplefilter("ignore")
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
