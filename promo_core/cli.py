"""The command-line face of PromoScope (``promo-core ...`` or ``python -m promo_core ...``).

Exit codes: 0 success; 2 a problem with the data or the arguments (one paragraph on stderr);
1 an unexpected internal error (one line on stderr, never a traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
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
    p.add_argument("input", metavar="INPUT", nargs="?",
                   help="data file: CSV/TSV/TXT, Excel (.xlsx) or Parquet, gzip allowed; or a glob or a folder of "
                        "Parquet/CSV files (omit it with --source URL --table NAME)")
    p.add_argument("--format", choices=formats, default="auto",
                   help="'events' for behaviour or transaction rows, 'baskets' for one basket per line "
                        "(default: auto-detect)")
    p.add_argument("--sheet", help="Excel sheet to read when the workbook has several")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=HEADER",
                   help=f"map a file header to a canonical column by hand, e.g. --map user_id=客户 (overrides the "
                        f"inferred mapping; repeat --map discount=… to sum several discount columns; COLUMN= with "
                        f"no header leaves the column unmapped); columns: {', '.join(COLUMN_NAMES)}")
    _zone_arg(p)
    _unpacked_arg(p)


def _zone_arg(p: argparse.ArgumentParser) -> None:
    from .i18n import _
    p.add_argument("--time-zone", metavar="ZONE",
                   help=_("the shop's time zone, e.g. Asia/Shanghai (Beijing time): Unix timestamps and times with a "
                          "UTC offset are read as its clock times, so hours of the day and day boundaries are the "
                          "shop's (default UTC; times written without an offset are kept as written)"))


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
    if args.input is None:
        raise DataError("No INPUT was given", hint="Name a data file, a glob or a folder (or use --source URL --table "
                                                   "NAME with validate, segment and rules)")
    raw = read_table(args.input, fmt=args.format, sheet=args.sheet, max_unpacked=_max_unpacked(args))
    manual = _mapping(args.map)
    mapping = None
    if manual and raw.kind == "events":
        taken = {c for v in manual.values() for c in sources(v)}
        inferred = {k: tuple(c for c in sources(v) if c not in taken)
                    for k, v in infer_mapping(raw.frame).mapping().items() if k not in manual}
        mapping = {**{k: v for k, v in inferred.items() if v}, **manual}
    ds = clean_events(raw, mapping, time_zone=args.time_zone)
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
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="language of the messages and of the explanations on stderr (default: en)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("validate", help="read a file and print its quality report as JSON",
                       description="Read, map, validate and clean a file; print the quality report "
                                   "(the column mapping used and why, rows read, rows removed and why, users, "
                                   "items, orders, date range, event mix, plausibility checks, KPIs) as JSON "
                                   "on stdout.")
    _input_args(p)
    _engine_args(p)
    p.add_argument("--out", help="also write the JSON report to this file")

    p = sub.add_parser("segment", help="profile, cluster and RFM-score every user; write users.csv",
                       description="Build per-user profiles, cluster them, add RFM scores and segments and "
                                   "lifecycle stages, and write one row per user to --out (CSV, or Excel "
                                   "when the name ends in .xlsx). A summary of the segments goes to stdout.")
    _input_args(p)
    _engine_args(p)
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
    _engine_args(p)
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
    _add_campaigns_parser(sub)
    _add_readout_parser(sub)
    _add_clv_parser(sub)
    return parser


@command("validate")
def _validate(args: argparse.Namespace) -> int:
    if _engine_name(args) != "pandas":
        return _validate_engine(args)
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
    if _engine_name(args) != "pandas":
        return _segment_engine(args)
    from .features import customer_profiles
    from .propensity import fit_propensity
    from .segments import lifecycle
    ds = load_input(args)
    profiles = customer_profiles(ds)
    scores = fit_propensity(ds.events, args.propensity).scores if args.propensity else None
    return _segment_and_write(args, profiles, lambda: lifecycle(ds.events), scores)


def _segment_and_write(args: argparse.Namespace, profiles, stages, scores) -> int:
    """Cluster ``profiles`` with the segment command's settings, write users.csv (or .xlsx) and print the segments
    (the same for the in-memory and the engine path; ``stages()`` gives the lifecycle stages)."""
    from .export import to_csv_bytes, to_excel_bytes
    from .segments import cluster, rfm, user_table
    features = [f.strip() for f in args.features.split(",")] if args.features else None
    result = cluster(profiles, features, k=_parse_k(args.k), method=args.method, use_log=not args.no_log,
                     seed=args.seed)
    users = user_table(profiles, result, None, rfm(profiles), stages(), scores)
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


def _mine_and_write(args: argparse.Namespace, baskets) -> int:
    """Mine ``baskets`` with the rules command's settings, write rules.csv, print the count and say on stderr
    what a cap left out (the same for the in-memory and the engine path)."""
    from .export import to_csv_bytes
    from .rules import mine_rules, rules_contract
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


@command("rules")
def _rules(args: argparse.Namespace) -> int:
    if _engine_name(args) != "pandas":
        return _rules_engine(args)
    from .rules import engine, make_baskets
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
    return _mine_and_write(args, baskets)


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
    _engine_args(p)
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
    _workspace_plan_args(p)
    _add_campaign_args(p)


@command("plan")
def _plan(args: argparse.Namespace) -> int:
    from dataclasses import replace

    import pandas as pd

    from .abtest import load_experiment
    from .export import to_json_text
    from .i18n import _
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
    from .segments import cluster, rfm
    if args.plan_file and args.optimise:
        raise DataError(_("--plan and --optimise both choose the offers"), hint=_("Give one of them"))
    if args.optimise and args.budget is None:
        raise DataError(_("--optimise needs a budget"), hint=_("Add for example --budget 5000"))
    if not 1 <= args.windows <= 52:
        raise DataError(_("--windows must be 1 to 52; got {n}").format(n=args.windows), hint=_("Try 4"))
    _check_campaign_args(args)
    ds = _dataset(args)
    profiles = _profiles(ds)
    if args.segmentation == "clusters":
        c = cluster(profiles)
        segments = pd.DataFrame({"user_id": profiles["user_id"], "segment": c.named_labels()})
    elif args.segmentation == "rfm":
        s = rfm(profiles)
        segments = s[["user_id"]].assign(segment=s["rfm_segment"])
    else:
        segments = _stages(ds).rename(columns={"lifecycle": "segment"})
    names = sorted(segments["segment"].astype(str).unique())
    a = replace(Assumptions(), margin=args.margin, horizon_days=args.horizon)
    plan, source = [Offer(s) for s in names], "no offers"
    dataset_id = {"name": ds.name, "users": ds.report.users, "from": ds.report.first_event, "to": ds.report.last_event}
    if args.plan_file:
        try:
            text = Path(args.plan_file).read_bytes()
        except OSError as exc:
            raise DataError(_("The plan file could not be read ({reason})").format(reason=exc),
                            hint=_("Check the path")) from None
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
    ev.update(_readout_evidence(args, a.margin))
    if ds.in_engine:   # the planner's inputs computed in the engine: orders, first-seen times, earlier labels
        seg_at, history = ds.segmenter(args.segmentation), ds.history()
    else:
        seg_at = segmenter(args.segmentation, ds.events, returns=ds.returns, nonproduct=ds.nonproduct)
        history = ds.events
    base = baselines(history, segments, a.horizon_days, pd.concat(controls) if controls else None,
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
    _write_targets(args, plan, segments, fc)
    for r in record["segments"]:
        print("  " + _("{segment} {users} users  baseline {baseline}  {offer} {source} profit {profit} ({low} to "
                       "{high})").format(segment=f"{r['segment']:<32}", users=f"{r['users']:>7,}",
                                         baseline=f"{100 * r['baseline_conversion']:5.1f}%", offer=f"{r['offer']:<28}",
                                         source=f"{r['source']:<10}", profit=f"{r['incremental_profit']:>10,.0f}",
                                         low=f"{r['profit_low']:,.0f}", high=f"{r['profit_high']:,.0f}"))
    t = record["total"]
    print(_("Total: profit {profit} (range {low} to {high}; low end: assumed lifts at zero, measured ones at their "
            "lower bound) -> {out}").format(profit=f"{t['incremental_profit']:,.0f}", low=f"{t['profit_low']:,.0f}",
                                            high=f"{t['profit_high']:,.0f}", out=args.out))
    if t.get("deferred_cost"):
        print(_("{amount} of the value given is member points, paid later when they are redeemed.").format(
            amount=f"{t['deferred_cost']:,.0f}"))
    if t.get("forfeited_deposits"):
        print(_("{amount} of forfeited pre-sale deposits is counted as revenue.").format(
            amount=f"{t['forfeited_deposits']:,.0f}"))
    if args.save_campaign:
        _save_campaign(args, record, plan, a)
    return 0


# ---- the workspace (issue 16): plan --save-campaign, promo-core campaigns list|show

def _workspace_plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--save-campaign", metavar="NAME",
                   help="also save this plan and forecast (and the target list's holdout assignment, when one "
                        "was written) as a campaign in the workspace")
    p.add_argument("--workspace", metavar="URL",
                   help="workspace database: a SQLite file path or a URL such as postgresql+psycopg://user@host/db "
                        "(default: $PROMOSCOPE_WORKSPACE, [connections.workspace] or [workspace] url in "
                        ".streamlit/secrets.toml, else ~/.promoscope/workspace.db)")
    p.add_argument("--campaign-start", metavar="YYYY-MM-DD", help="with --save-campaign: the day the campaign starts")
    p.add_argument("--campaign-end", metavar="YYYY-MM-DD",
                   help="with --save-campaign: its last day (the Campaigns page plots forecast accuracy by it)")


def _settings() -> dict:
    """``.streamlit/secrets.toml`` in the working directory, where the app's workspace URL is set."""
    import tomllib
    path = Path(".streamlit") / "secrets.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        from .i18n import _
        raise DataError(_("{path} could not be read ({error})").format(path=str(path), error=exc),
                        hint=_("Correct the file, or give the workspace with --workspace")) from None


def _open_workspace(args: argparse.Namespace):
    from .workspace import open_workspace
    return open_workspace(args.workspace, _settings())


def _check_campaign_args(args: argparse.Namespace) -> None:
    """Before the work: --workspace needs --save-campaign, and the workspace must open and not hold the name."""
    from .i18n import _
    if args.workspace and not args.save_campaign:
        raise DataError(_("--workspace only says where to save a campaign"),
                        hint=_("Add --save-campaign NAME, or leave --workspace out"))
    if (args.campaign_start or args.campaign_end) and not args.save_campaign:
        raise DataError(_("--campaign-start and --campaign-end are the dates of a saved campaign"),
                        hint=_("Add --save-campaign NAME, or leave the dates out"))
    from .workspace.store import campaign_dates
    campaign_dates(args.campaign_start, args.campaign_end)  # refused before the work, not after
    if args.save_campaign and _open_workspace(args).has_campaign(args.save_campaign):
        raise DataError(_("A {what} called {name!r} already exists in this workspace").format(
            what=_("campaign"), name=args.save_campaign.strip()), hint=_("Choose another name, or delete the old one first"))


def _save_campaign(args: argparse.Namespace, record: dict, plan: list, a, assignment=None) -> None:
    """Save the plan as a campaign; ``assignment`` (user_id, segment, group), else the target list the plan
    wrote with --targets when it has a group column (--holdout), is stored with --seed and --holdout."""
    from dataclasses import asdict

    import pandas as pd

    from .i18n import _, fmt_int
    seed, share = getattr(args, "seed", None), getattr(args, "holdout", None)
    targets = getattr(args, "targets", None)
    if assignment is None and targets and Path(targets).is_file():
        read = pd.read_excel if str(targets).lower().endswith((".xlsx", ".xls")) else pd.read_csv
        frame = read(targets, dtype=str)  # ids as written: "00123" stays "00123"
        if {"user_id", "segment", "group"} <= set(frame.columns):
            assignment = frame[["user_id", "segment", "group"]]
    ws = _open_workspace(args)
    saved = ws.save_campaign(args.save_campaign, plan={"offers": [asdict(o) for o in plan], "assumptions": asdict(a)},
                             forecast=record, dataset=record["dataset"], segmentation=record["segmentation"],
                             assignment=assignment, seed=seed, holdout_share=share,
                             start_date=getattr(args, "campaign_start", None), end_date=getattr(args, "campaign_end", None))
    print(_("Saved campaign {name!r} in {url} ({n} customers in its target list, {h} held out)").format(
        name=saved.name, url=ws.url, n=fmt_int(saved.n_targets), h=fmt_int(saved.n_holdout)))


def _add_campaigns_parser(sub) -> None:
    p = sub.add_parser("campaigns", help="list the campaigns saved in the workspace, or show one",
                       description="Read the workspace database: 'list' prints every saved campaign with its "
                                   "forecast and measured profit; 'show NAME' prints one campaign's offers, "
                                   "holdout sizes, forecast and readouts.")
    acts = p.add_subparsers(dest="campaigns_action", metavar="ACTION", required=True)
    for name, helptext in (("list", "every campaign, newest first"), ("show", "one campaign in detail")):
        q = acts.add_parser(name, help=helptext)
        if name == "show":
            q.add_argument("name", metavar="NAME", help="the campaign's name")
        q.add_argument("--workspace", metavar="URL", help="workspace database (see promo-core plan --help)")
        q.add_argument("--json", action="store_true", help="print JSON (machine names, full precision)")
        q.add_argument("--currency", default="£", help="currency symbol for the human output (default £)")


@command("campaigns")
def _campaigns(args: argparse.Namespace) -> int:
    import json

    from .i18n import _, fmt_date, fmt_int, fmt_money, fmt_num, fmt_pct
    from .workspace import jsonable, resolve_url
    url = resolve_url(args.workspace, _settings())
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        if args.campaigns_action == "list":  # reading creates nothing; the first saved campaign does
            print("[]" if args.json else _("No campaigns in {url} yet. Save one with: promo-core plan … "
                                           "--save-campaign NAME").format(url=url))
            return 0
        raise DataError(_("There is no campaign called {name!r} in this workspace").format(name=args.name),
                        where=url, hint=_("List the saved campaigns to see their names"))
    ws = _open_workspace(args)
    cur = args.currency
    if args.campaigns_action == "list":
        df = ws.list_campaigns()
        if args.json:
            print(json.dumps(jsonable(df.to_dict(orient="records")), ensure_ascii=False, indent=2))
            return 0
        if df.empty:
            print(_("No campaigns in {url} yet. Save one with: promo-core plan … --save-campaign NAME").format(
                url=ws.url))
            return 0
        head = [_("Campaign"), _("Status"), _("Saved"), _("Forecast profit"), _("Measured profit"),
                _("Forecast ROI"), _("Measured ROI"), _("Measured ÷ forecast")]
        rows = [[r.name, _(r.status), fmt_date(r.created_at), fmt_money(r.forecast_profit, cur),
                 fmt_money(r.measured_profit, cur), fmt_num(r.forecast_roi), fmt_num(r.measured_roi),
                 fmt_pct(r.accuracy, 0)] for r in df.itertuples()]
        widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=False)]
        for line in [head, *rows]:
            print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())
        print(_("Campaigns in {url}: {n}.").format(n=fmt_int(len(df)), url=ws.url),
              _("ROI is profit per {cur}1 spent on discounts and contacts; measured ÷ forecast is 100% when the "
                "forecast was exact.").format(cur=cur))
        return 0
    d = ws.campaign(args.name)
    if args.json:
        print(json.dumps(d.to_dict(), ensure_ascii=False, indent=2))
        return 0
    t = d.forecast.get("total", {})
    print(_("Campaign {name!r} ({status}), saved {when} by {author}").format(
        name=d.name, status=_(d.status), when=fmt_date(d.created_at), author=d.author))
    print(_("Data: {dataset} ({users} customers); segmentation: {seg}; runs {start} to {end}").format(
        dataset=str(d.dataset.get("name", "–")), users=fmt_int(d.dataset.get("users")), seg=d.segmentation,
        start=fmt_date(d.start_date), end=fmt_date(d.end_date)))
    print(_("Forecast: {profit} incremental profit (range {low} to {high}), ROI {roi}").format(
        profit=fmt_money(t.get("incremental_profit"), cur), low=fmt_money(t.get("profit_low"), cur),
        high=fmt_money(t.get("profit_high"), cur), roi=fmt_num(t.get("roi"))))
    held = dict(zip(d.groups["segment"], d.groups["holdout"], strict=True))
    print(_("Offers by segment (customers targeted, of them held out):"))
    labels = d.offer_labels(cur)
    for r in d.forecast.get("segments", []):
        offer = labels.get(str(r.get("segment")), str(r.get("offer", "")))
        print(f"  {str(r.get('segment')):<32} {offer:<30} {fmt_int(r.get('targeted')):>8}  "
              f"{fmt_int(held.get(str(r.get('segment')), 0)):>7}  {fmt_money(r.get('incremental_profit'), cur):>10}")
    if d.seed is not None or d.n_targets:
        print(_("Target list: {n} customers, {h} held out ({share}), seed {seed}").format(
            n=fmt_int(d.n_targets), h=fmt_int(d.n_holdout), share=fmt_pct(d.holdout_share),
            seed="–" if d.seed is None else d.seed))
    if d.readouts.empty:
        print(_("No readout yet."))
    for r in d.readouts.itertuples():
        print(_("Readout {when} by {author}: measured profit {profit} (range {low} to {high}), ROI {roi}, "
                "lift {lift}").format(when=fmt_date(r.created_at), author=r.author,
                                      profit=fmt_money(r.measured_profit, cur), low=fmt_money(r.measured_profit_low, cur),
                                      high=fmt_money(r.measured_profit_high, cur), roi=fmt_num(r.roi),
                                      lift=fmt_pct(r.lift)))
    return 0


# ---- campaigns (issue 16): holdout groups in the target list, `promo-core readout`

def _add_campaign_args(p) -> None:
    """The plan command's campaign options: target list with holdout, and readouts as evidence."""
    p.add_argument("--targets", metavar="FILE", help="also write the target list (.csv, or .xlsx) with a seeded "
                                                     "holdout group per segment (column group: treatment/holdout)")
    p.add_argument("--holdout", type=float, default=0.1, metavar="SHARE",
                   help="share of each segment's targets held out as the control group, 0 to 0.5 (default 0.1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the target sample and the holdout (default 0); the "
                                                       "same seed and customers give the same file")
    p.add_argument("--readout", action="append", default=[], metavar="FILE",
                   help="a readout.json of an earlier campaign (promo-core readout): its measured lifts are used as "
                        "A/B evidence for segments of the same name; repeatable")


def _readout_evidence(args: argparse.Namespace, margin: float) -> dict:
    from .campaigns import CampaignReadout, readout_evidence
    from .i18n import _
    from .plan_files import load_json
    ev: dict = {}
    for path in args.readout:
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise DataError(_("The readout file could not be read ({error})").format(error=exc),
                            hint=_("Check the path")) from None
        ev.update(readout_evidence(CampaignReadout.from_dict(load_json(text, "readout file", 16 * 1024 * 1024)),
                                   margin))
    return ev


def _write_targets(args: argparse.Namespace, plan, segments, fc) -> None:
    from .campaigns import campaign_targets, holdout_summary, plan_counts
    from .export import to_csv_bytes, to_excel_bytes
    from .i18n import _, fmt_int, fmt_money, fmt_pp
    from .promotions import target_list
    if not args.targets:
        return
    targets = campaign_targets(target_list(plan, segments, fc, seed=args.seed), fc, plan, args.holdout, args.seed)
    out = Path(args.targets)
    out.write_bytes(to_excel_bytes(targets) if out.suffix.lower() == ".xlsx" else to_csv_bytes(targets, bom=False))
    held = int((targets["group"] == "holdout").sum())
    print(_("Target list: {n} customers, {k} held out ({share} per segment, seed {seed}) -> {path}").format(
        n=fmt_int(len(targets)), k=fmt_int(held), share=f"{args.holdout:.0%}", seed=args.seed, path=out))
    summary = holdout_summary(plan_counts(fc), args.holdout)
    for r in summary.itertuples(index=False):
        mde = _("nothing measurable") if r.too_small else fmt_pp(r.min_detectable_lift)
        print("  " + _("{segment}: {treated} treated, {held} held out; detectable lift {mde}; cost of holding out "
                       "{cost}").format(segment=r.segment, treated=fmt_int(r.treated), held=fmt_int(r.held_out),
                                        mde=mde, cost=fmt_money(r.holdout_cost, "")))


def _add_readout_parser(sub) -> None:
    from .i18n import _
    p = sub.add_parser("readout", help=_("measure a campaign: treatment against holdout per segment; write "
                                         "readout.json"),
                       description=_("Compare the treated customers of a target list with its holdout group, per "
                                     "segment and in total (conversion, revenue, profit and ROI with intervals, "
                                     "sample-ratio and assignment checks, p-values adjusted across segments), beside "
                                     "the plan's forecast. Customers of the target list with no outcome count as "
                                     "non-converters; outcome rows of other customers are ignored and counted."))
    p.add_argument("--targets", required=True, help=_("the target list with a group column (treatment/holdout)"))
    p.add_argument("--outcomes", required=True, metavar="FILE",
                   help=_("what customers did in the campaign: an outcomes file (user id, converted, revenue, "
                          "discount) or the campaign period's events"))
    p.add_argument("--outcomes-kind", choices=["auto", "outcomes", "events"], default="auto",
                   help=_("how to read --outcomes (default: auto-detect)"))
    p.add_argument("--start", help=_("with events: first day of the campaign (default: the file's first day)"))
    p.add_argument("--end", help=_("with events: last day of the campaign, included (default: the file's last day)"))
    p.add_argument("--forecast", metavar="FILE", help=_("forecast.json of the plan (default: the forecast columns "
                                                        "of the target list)"))
    p.add_argument("--margin", type=float, default=0.4, help=_("gross margin on full price (default 0.4)"))
    p.add_argument("--alpha", type=float, default=0.05, help=_("significance level (default 0.05)"))
    p.add_argument("--adjust", choices=["holm", "fdr_bh", "none"], default="holm",
                   help=_("adjustment across segments (default holm)"))
    p.add_argument("--name", default="", help=_("a name for this readout"))
    p.add_argument("--out", required=True, help=_("readout file to write (.json)"))
    _zone_arg(p)
    _unpacked_arg(p)


def _read_outcomes(args: argparse.Namespace):
    """(outcomes frame, notes, source, period) from --outcomes, as an outcomes file or as events."""
    import pandas as pd

    from .campaigns import outcomes_from_events, outcomes_from_file
    from .experiment_io import infer_columns
    from .i18n import _
    from .io import read_table
    from .quality import clean_events
    from .schema import normalise
    raw = read_table(args.outcomes, max_unpacked=_max_unpacked(args))
    kind = args.outcomes_kind
    if kind == "auto":
        names = {normalise(c) for c in raw.frame.columns}
        looks_events = raw.kind != "events" or bool(names & {"timestamp", "time", "date", "datetime", "event",
                                                              "eventtype", "invoicedate", "itemid", "stockcode"})
        g = infer_columns(raw.frame) if not looks_events else None
        kind = "outcomes" if g is not None and g.user and (g.outcome or g.revenue) else "events"
    if kind == "outcomes":
        out, notes = outcomes_from_file(raw.frame)
        return out, notes, "outcomes file", None
    ds = clean_events(raw, time_zone=args.time_zone)
    try:
        start = pd.Timestamp(args.start) if args.start else None
        end = pd.Timestamp(args.end) + pd.Timedelta(days=1) if args.end else None
    except ValueError:
        raise DataError(_("--start and --end must be dates like 2026-06-01"), hint=_("Write the dates as YYYY-MM-DD"))\
            from None
    out, notes = outcomes_from_events(ds.events, start, end, ds.nonproduct)
    first = start or ds.events["timestamp"].min().normalize()
    last = (end or ds.events["timestamp"].max().normalize() + pd.Timedelta(days=1)) - pd.Timedelta(days=1)
    return out, notes, "campaign events", (first.strftime("%Y-%m-%d"), last.strftime("%Y-%m-%d"))


@command("readout")
def _readout(args: argparse.Namespace) -> int:
    from .campaigns import campaign_readout, forecast_from_json, read_targets
    from .export import to_json_text
    from .i18n import _, fmt_money, fmt_pct, fmt_pp
    from .io import read_table
    from .plan_files import load_json
    targets = read_table(args.targets, max_unpacked=_max_unpacked(args)).frame
    read_targets(targets)  # a bad target list is named before the outcomes are read
    outcomes, notes, source, period = _read_outcomes(args)
    forecast = None
    if args.forecast:
        try:
            forecast = forecast_from_json(load_json(Path(args.forecast).read_bytes(), "forecast file", 16 * 1024 * 1024))
        except OSError as exc:
            raise DataError(_("The forecast file could not be read ({error})").format(error=exc),
                            hint=_("Check the path")) from None
    r = campaign_readout(targets, outcomes, name=args.name, source=source, margin=args.margin, alpha=args.alpha,
                         adjust=args.adjust, forecast=forecast, period=period, notes=tuple(notes))
    Path(args.out).write_text(to_json_text(r.to_dict()) + "\n", encoding="utf-8")
    for s in (*r.segments, r.total):
        if not s.measured:
            print("  " + _("{segment}: not measurable ({why})").format(segment=s.segment,
                                                                      why="; ".join(s.notes) or "–"))
            continue
        print("  " + _("{segment}: conversion {treated} treated vs {held} held out, lift {lift} ({low} to {high}, "
                       "adjusted p {p}); profit {profit}; forecast lift {forecast}").format(
            segment=s.segment, treated=fmt_pct(s.rate_treatment), held=fmt_pct(s.rate_holdout),
            lift=fmt_pp(s.abs_diff), low=fmt_pp(s.adj_ci_low), high=fmt_pp(s.adj_ci_high),
            p=f"{s.p_adjusted:.2g}", profit=fmt_money(s.incremental_profit, ""), forecast=fmt_pp(s.forecast_lift)))
    for note in r.notes:
        print(_("note: {note}").format(note=note))
    if any(s.srm_mismatch for s in (*r.segments, r.total)):
        print(_("WARNING: the groups' sizes do not match the planned holdout share (sample ratio mismatch); the "
                "results may be biased."))
    print(_("Readout written to {path}").format(path=args.out))
    return 0


# ---- promo-core clv (issue 16): customer lifetime value from the command line

def _add_clv_parser(sub) -> None:
    from .clv import DISCOUNT_RANGE, DISCOUNT_RATE, HORIZON_MONTHS, HORIZON_RANGE
    from .i18n import _
    p = sub.add_parser("clv", help=_("customer lifetime value per customer (BG/NBD + Gamma-Gamma); write clv.csv"),
                       description=_("Fit the BG/NBD (purchases) and Gamma-Gamma (spend, net of returns) models to "
                                     "every buyer's history and write each buyer's chance of still being active, "
                                     "expected purchase days and lifetime value over the horizon to --out (CSV), with "
                                     "the segment under --segmentation. --holdout-from DATE also fits on the purchases "
                                     "before DATE and compares its forecast of the rest with what happened."))
    _input_args(p)
    _engine_args(p)
    p.add_argument("--out", required=True, help=_("CSV file to write, one row per buyer"))
    p.add_argument("--horizon", type=int, default=HORIZON_MONTHS,
                   help=_("months of future value counted ({lo} to {hi}; default {d})").format(
                       lo=HORIZON_RANGE[0], hi=HORIZON_RANGE[1], d=HORIZON_MONTHS))
    p.add_argument("--discount-rate", type=float, default=DISCOUNT_RATE,
                   help=_("monthly discount rate, an assumption ({lo} to {hi}; 0 = no discounting; default {d})"
                          ).format(lo=DISCOUNT_RANGE[0], hi=DISCOUNT_RANGE[1], d=DISCOUNT_RATE))
    p.add_argument("--segmentation", choices=["rfm", "lifecycle", "none"], default="rfm",
                   help=_("segment column added to the CSV and summed on stdout (default rfm)"))
    p.add_argument("--holdout-from", metavar="DATE",
                   help=_("check the forecast: fit on purchases before DATE (YYYY-MM-DD, or 'auto' for the first of "
                          "the month nearest three quarters of the data), predict the rest, compare"))
    p.add_argument("--holdout-out", metavar="FILE", help=_("write the hold-out check as JSON (with --holdout-from)"))


@command("clv")
def _clv(args: argparse.Namespace) -> int:
    import pandas as pd

    from . import clv
    from .export import to_csv_bytes, to_json_text
    from .i18n import _, fmt_int, fmt_money, fmt_num, fmt_pct
    from .segments import rfm
    if args.holdout_out and not args.holdout_from:
        raise DataError(_("--holdout-out needs --holdout-from"), hint=_("Add --holdout-from auto or a date"))
    ds = _dataset(args)
    # what the models read: one row per customer and day (computed in the engine for an engine dataset)
    days = ds.purchase_days() if ds.in_engine else clv.purchase_days(ds.events, ds.returns, ds.nonproduct)
    model = clv.fit_dataset(days)
    customers = clv.predict_clv(model, None, args.horizon, args.discount_rate)
    seg = None
    if args.segmentation == "rfm":
        s = rfm(_profiles(ds))
        seg = s[["user_id"]].assign(segment=s["rfm_segment"])
    elif args.segmentation == "lifecycle":
        seg = _stages(ds).rename(columns={"lifecycle": "segment"})[["user_id", "segment"]]
    out = customers
    if seg is not None:
        out = customers.merge(seg.assign(user_id=seg["user_id"].astype(str)), on="user_id", how="left")
    Path(args.out).write_bytes(to_csv_bytes(out, bom=False))
    p = model.params
    print(_("{n} buyers valued over {months} months (discount {rate} a month): total {total}, mean {mean} -> {out}")
          .format(n=fmt_int(len(customers)), months=args.horizon, rate=fmt_pct(args.discount_rate),
                  total=fmt_money(customers["clv"].sum(), ""), mean=fmt_money(customers["clv"].mean(), ""),
                  out=args.out))
    print(_("  BG/NBD r={r} alpha={alpha} a={a} b={b}; Gamma-Gamma p={p} q={q} v={v}; {never} customers who never "
            "bought are not valued").format(r=fmt_num(p["r"]), alpha=fmt_num(p["alpha"]), a=fmt_num(p["a"]),
                                            b=fmt_num(p["b"]), p=fmt_num(p.get("p")), q=fmt_num(p.get("q")),
                                            v=fmt_num(p.get("v")), never=fmt_int(model.n_never_bought)))
    for note in model.notes:
        print(_("  note: {text}").format(text=note.text()))
    if seg is not None:
        for row in clv.segment_clv(customers, seg).itertuples(index=False):
            print(_("  {segment:<28} {n:>8} customers  value {total:>14}  ({share} of the total)").format(
                segment=str(row.segment), n=fmt_int(row.customers), total=fmt_money(row.total_clv, ""),
                share=fmt_pct(row.share_of_total_clv)))
    if args.holdout_from:
        cutoff = None if args.holdout_from == "auto" else args.holdout_from
        try:
            pd.Timestamp(cutoff) if cutoff else None
        except ValueError:
            raise DataError(_("--holdout-from {value!r} is not a date").format(value=args.holdout_from),
                            hint=_("Write it as YYYY-MM-DD, or 'auto'")) from None
        h = clv.holdout_check(days, cutoff)
        if h.ok:
            print(_("Hold-out check: fitted on purchases before {cut}, predicted the next {days} days for {n} "
                    "customers: purchase days {pred} predicted, {actual} actual ({err}); revenue {prev} predicted, "
                    "{arev} actual ({rerr}); the top 10% by prediction brought {top} of the hold-out revenue (ranking "
                    "by past spend: {past})").format(
                cut=f"{h.cutoff:%Y-%m-%d}", days=h.holdout_days, n=fmt_int(h.customers),
                pred=fmt_int(h.predicted_purchases), actual=fmt_int(h.actual_purchases),
                err=fmt_pct(h.purchases_error, signed=True), prev=fmt_money(h.predicted_revenue, ""),
                arev=fmt_money(h.actual_revenue, ""), rerr=fmt_pct(h.revenue_error, signed=True),
                top=fmt_pct(h.top_decile_share), past=fmt_pct(h.past_spend_top_decile_share)))
        for note in h.notes:
            print(_("  note: {text}").format(text=note.text()))
        if args.holdout_out:
            Path(args.holdout_out).write_text(to_json_text(h.to_dict()) + "\n", encoding="utf-8")
    return 0


# ---- engines (issue 17): --engine, --spark-master, --source URL --table NAME; relational work in DuckDB or Spark

from .engines.sources import AUTO_PANDAS_MB  # noqa: E402 - below it, --engine auto reads one file in pandas


def _engine_args(p: argparse.ArgumentParser) -> None:
    from .i18n import _
    p.add_argument("--engine", choices=["auto", "duckdb", "spark", "pandas"], default="auto",
                   help=_("where the relational work runs: duckdb (embedded, spills to disk beyond its memory "
                          "limit), spark (local or a cluster, see --spark-master) or pandas (in memory, the "
                          "reference). Default auto: pandas for one file under {mb} MB, duckdb for larger files, "
                          "folders, globs and database tables").format(mb=AUTO_PANDAS_MB))
    p.add_argument("--spark-master", metavar="URL",
                   help=_("Spark master, e.g. spark://host:7077 or yarn (default local[*]); implies --engine spark"))
    p.add_argument("--source", metavar="URL",
                   help=_("read a database table instead of INPUT: an Ibis connection URL such as "
                          "postgresql://user@host/shop or sqlite:///shop.db (with --table)"))
    p.add_argument("--table", metavar="NAME", help=_("the table to read with --source"))
    p.add_argument("--memory-limit", metavar="SIZE",
                   help=_("DuckDB's memory limit, e.g. 2GB (default: half of this machine's RAM); beyond it "
                          "DuckDB spills to a temporary directory"))


def _engine_name(args: argparse.Namespace) -> str:
    """The engine this command runs on (``auto`` resolved; see :data:`AUTO_PANDAS_MB`)."""
    from .i18n import _
    engine = getattr(args, "engine", "pandas")
    spark_master = getattr(args, "spark_master", None)
    source = getattr(args, "source", None) or getattr(args, "table", None)
    if spark_master and engine in ("auto", "spark"):
        return "spark"
    if engine != "auto":
        if engine != "pandas" and (args.format == "baskets" or args.sheet):
            raise DataError(_("Basket files and Excel sheets are read by the pandas engine only"),
                            hint=_("Leave out --engine, or give --engine pandas"))
        return engine
    if source:
        return "duckdb"
    if args.input is None or args.format == "baskets" or args.sheet:
        return "pandas"
    path = Path(args.input)
    if not path.exists() and not any(ch in args.input for ch in "*?["):
        return "pandas"   # a single file that is not there: today's message
    if path.is_file():
        from .engines.sources import _fmt
        if _fmt(path.name) is None or path.stat().st_size < AUTO_PANDAS_MB * 2**20:
            return "pandas"
    return "duckdb"


def _engine_data(args: argparse.Namespace):
    """Connect to the engine and open + clean INPUT (or --source/--table) in it."""
    from . import engines
    from .i18n import _
    name = _engine_name(args)
    if args.input is None and not args.source:
        raise DataError(_("No INPUT was given"),
                        hint=_("Name a data file, a glob or a folder, or use --source URL --table NAME"))
    if args.input is not None and args.source:
        raise DataError(_("Give either INPUT or --source, not both"), hint=_("Leave one of them out"))
    import warnings
    warnings.simplefilter("ignore")  # libraries imported since main() may have put their own filters first
    eng = engines.connect(name, spark_master=args.spark_master, memory_limit=args.memory_limit)
    print(_("promo-core: engine {engine}").format(engine=eng.describe()), file=sys.stderr)
    print(_("promo-core: reading, validating and cleaning every row in the engine…"), file=sys.stderr, flush=True)
    started = time.perf_counter()
    if args.source:
        data = engines.load(eng, url=args.source, table=args.table, mapping=_mapping(args.map),
                            time_zone=args.time_zone)
    else:
        data = engines.load(eng, args.input, mapping=_mapping(args.map), time_zone=args.time_zone)
    r = engines.quality_report(data)
    print(_("promo-core: {kept} of {read} rows kept, {users} users ({seconds:.1f} s)").format(
        kept=f"{r['rows_kept']:,}", read=f"{r['rows_read']:,}", users=f"{r['users']:,}",
        seconds=time.perf_counter() - started), file=sys.stderr, flush=True)
    return data


def _validate_engine(args: argparse.Namespace) -> int:
    from . import engines
    from .export import to_json_text
    from .i18n import _
    data = _engine_data(args)
    payload = engines.quality_report(data)
    payload["nonproduct"] = list(data.nonproduct)
    payload["notes"] = [_("Computed in the {engine} engine; the plausibility checks and example file lines are "
                          "given by --engine pandas").format(engine=data.engine.name), *map(str, data.notes)]
    payload["mapping_needs_review"] = []
    payload["kpis"] = engines.kpis(data).to_dict()
    text = to_json_text(payload)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


def _segment_engine(args: argparse.Namespace) -> int:
    from .propensity import fit_propensity
    ds = _dataset(args)
    scores = fit_propensity(ds.event_history(), args.propensity).scores if args.propensity else None
    return _segment_and_write(args, ds.profiles(), lambda: _stages(ds), scores)


def _dataset(args: argparse.Namespace):
    """INPUT (or --source/--table) as a dataset: read into memory by the pandas core, or kept in the engine, where an
    :class:`promo_core.engines.dataset.EngineDataset` answers the per-user questions (profiles, lifecycle, the
    planner's history, purchase days, the propensity model's inputs) in DuckDB or Spark."""
    if _engine_name(args) == "pandas":
        return load_input(args)
    from .engines.dataset import EngineDataset
    data = _engine_data(args)
    name = args.table if args.source else (Path(str(args.input).rstrip("/")).name or str(args.input))
    return EngineDataset(data, name)


def _stages(ds):
    """Lifecycle stages of every user, in the engine for an engine dataset."""
    if ds.in_engine:
        from .engines.relational import lifecycle as in_engine
        return ds.run(in_engine)
    from .segments import lifecycle
    return lifecycle(ds.events)


def _profiles(ds):
    if ds.in_engine:
        return ds.profiles()
    from .features import customer_profiles
    return customer_profiles(ds)


def _rules_engine(args: argparse.Namespace) -> int:
    from . import engines
    from .i18n import _
    from .rules import engine as miner
    data = _engine_data(args)
    _used, fallback = miner(args.algorithm)
    if fallback:
        print(f"promo-core: {fallback}", file=sys.stderr)
    codes = () if args.keep_nonproduct else data.nonproduct
    if codes:
        ev = data.events
        left_out = int(ev.filter(ev.item_id.isin(list(codes))).count().to_pandas())
        print(_("promo-core: {n} lines of items that are not products were left out of the baskets ({codes}); "
                "--keep-nonproduct keeps them").format(
                    n=f"{left_out:,}", codes=", ".join(codes[:8]) + (" …" if len(codes) > 8 else "")), file=sys.stderr)
    baskets = engines.baskets(data, by=args.basket, level=args.level, max_basket_size=args.max_basket_size,
                              keep_nonproduct=args.keep_nonproduct)
    return _mine_and_write(args, baskets)


def main(argv: Sequence[str] | None = None) -> int:
    import warnings
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        from .i18n import use_locale
        use_locale(args.lang)  # DataError paragraphs and messages in the chosen language
        with warnings.catch_warnings():  # stderr carries our one-paragraph messages, not library warnings
            warnings.simplefilter("ignore")
            return COMMANDS[args.command](args)
    except DataError as exc:
        print(f"promo-core: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        from .i18n import _
        print("promo-core: " + _("interrupted"), file=sys.stderr)
        return 130
    except (OSError, MemoryError) as exc:
        from .i18n import _
        print("promo-core: " + _("could not complete: {error}").format(error=f"{type(exc).__name__}: {exc}"),
              file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the contract: never a traceback on stderr
        from .engines.backends import engine_error
        known = engine_error(exc)
        if known is not None:   # Spark's Java errors: one paragraph, not the Java stack
            print(f"promo-core: {known}", file=sys.stderr)
            return 2
        print(f"promo-core: internal error ({type(exc).__name__}: {exc}). This is a bug in PromoScope; "
              "please report it with the command you ran.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
