"""Validation and cleaning of mapped behaviour data, with a report of every change.

The report keeps two things apart:

* ``facts``: counts about the file as it came (rows without a user id, rows of cancelled
  orders, exact duplicate rows, distinct orders and items). These do not depend on the order of
  the cleaning steps, so they can be compared with published figures.
* ``steps``: the cleaning steps in the order they run, each with the rows it removed. Each row
  is counted once, under the first step that removes it, so ``rows_read - sum(dropped) ==
  rows_kept``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .clock import OFFSET as _OFFSET
from .clock import OFFSET_PARTS, check_zone, instants_note, to_clock
from .i18n import N_
from .inference import Inference, infer_mapping, unit_or_line
from .io import Format, RawTable, read_table
from .schema import (
    COLUMN_NAMES,
    EVENTS,
    DataError,
    Msg,
    canonical_event,
    check_mapping,
    line_amount,
    rows_phrase,
    sources,
)

MAX_BAD_SHARE = 0.05
#: Prices, discounts and quantities beyond this (or infinite) are implausible: they are dropped
#: with their rows named, or refused when they fill a column, so no sum can overflow.
MAX_MAGNITUDE = 1e12
MAX_ATTRIBUTES = 50
EVENT_DTYPE = pd.CategoricalDtype(list(EVENTS))


@dataclass(frozen=True)
class Step:
    """One cleaning step: what it removes, how many rows it removed, example file lines."""

    step: str
    rows_dropped: int
    example_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Check:
    """A plausibility check that found something: how many rows, example file lines, the share of
    revenue those rows carry, and what to do. Nothing flagged here is changed silently."""

    check: str
    severity: str                 # warning (likely a wrong mapping or bad data) | info
    rows: int
    example_lines: tuple[int, ...]
    finding: str
    suggestion: str
    revenue_share: float | None = None


@dataclass(frozen=True)
class QualityReport:
    """What was read, what was removed and why, and what remains."""

    file: dict
    mapping: dict
    rows_read: int
    facts: dict
    steps: tuple[Step, ...]
    rows_kept: int
    users: int
    items: int | None
    orders: int | None
    first_event: str | None
    last_event: str | None
    event_mix: dict
    attributes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    mapping_used: tuple[dict, ...] = ()   # one entry per mapped column: source, confidence, reason
    checks: tuple[Check, ...] = ()
    discounts: dict = field(default_factory=dict)   # discount source -> total amount off (kept purchases)
    #: basket files only (None for rows of events): baskets read (non-empty lines of the file) and kept. There
    #: ``rows_read``/``rows_kept`` count items: each line is split into one row per distinct item of the basket
    baskets_read: int | None = None
    baskets_kept: int | None = None
    #: the shop's time zone the instants were shown in (promo_core.clock; None: UTC), for files read later
    #: for the same shop (a campaign's outcome events)
    time_zone: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["steps"] = [asdict(s) for s in self.steps]
        d["checks"] = [asdict(c) for c in self.checks]
        return d

    def needs_review(self) -> list[dict]:
        """Mapping choices that were inferred with less than high confidence."""
        return [m for m in self.mapping_used if m.get("needs_review")]

    def checks_frame(self) -> pd.DataFrame:
        rows = [{"check": c.check, "severity": c.severity, "rows": c.rows,
                 "share of revenue (%)": None if c.revenue_share is None else round(100 * c.revenue_share, 2),
                 "example file lines": ", ".join(map(str, c.example_lines)), "finding": c.finding,
                 "what to do": c.suggestion} for c in self.checks]
        return pd.DataFrame(rows, columns=["check", "severity", "rows", "share of revenue (%)",
                                           "example file lines", "finding", "what to do"])

    def steps_frame(self) -> pd.DataFrame:
        rows = [{"step": s.step, "rows removed": s.rows_dropped,
                 "share of rows read (%)": round(100 * s.rows_dropped / max(self.rows_read, 1), 2),
                 "example file lines": ", ".join(map(str, s.example_lines))} for s in self.steps]
        return pd.DataFrame(rows, columns=["step", "rows removed", "share of rows read (%)",
                                           "example file lines"])


@dataclass(frozen=True)
class Dataset:
    """The active data: canonical events plus the report of how they were made.

    ``events`` columns: user_id (str), timestamp (datetime64[ns]; NaT for basket files), event
    (category of EVENTS), item_id, item_name, category, order_id (str or missing), price and
    quantity (float64; quantity defaults to 1), then user attribute columns (str).

    ``returns``: the cancelled or returned purchase lines that cleaning kept out of ``events``
    (same canonical columns; quantity negative), for customer value net of returns; None when the
    file has no prices. ``nonproduct``: item ids that are not products (postage, fees, manual
    adjustments, discounts, samples), detected by :mod:`promo_core.nonproduct` and editable on the
    Data page; their lines stay in ``events`` but are left out of sales, rules and recommendations.
    """

    name: str
    kind: str
    events: pd.DataFrame
    report: QualityReport
    pseudonymised: bool = False
    returns: pd.DataFrame | None = None
    nonproduct: tuple[str, ...] = ()

    @property
    def has(self) -> set[str]:
        ev = self.events
        return {c for c in COLUMN_NAMES if c in ev.columns and ev[c].notna().any()}

    #: True for :class:`promo_core.engines.dataset.EngineDataset` (events kept in an engine)
    in_engine = False

    def head(self, n: int) -> pd.DataFrame:
        return self.events.head(n)

    def with_nonproduct(self, codes: tuple[str, ...]) -> Dataset:
        """The same data with another non-product list."""
        return replace(self, nonproduct=tuple(codes))

    def in_memory(self) -> Dataset:
        """This dataset with its rows in pandas (itself)."""
        return self

    def badge(self) -> dict:
        r = self.report
        return {"name": self.name, "rows": r.rows_kept, "users": r.users,
                "from": r.first_event, "to": r.last_event, "kind": self.kind,
                "baskets": r.baskets_kept if self.kind == "baskets" else None}


def load_dataset(source: bytes | str | Path, name: str | None = None, *, fmt: Format = "auto",
                 sheet: str | None = None, mapping: Mapping[str, str] | None = None,
                 max_bytes: int | None = None, time_zone: str | None = None) -> Dataset:
    """Read, map, validate and clean a file in one call (what the CLI and the sample use)."""
    raw = read_table(source, name, fmt=fmt, sheet=sheet, max_bytes=max_bytes)
    return clean_events(raw, mapping, time_zone=time_zone)


def clean_events(raw: RawTable, mapping: Mapping[str, str] | None = None, *,
                 max_bad_share: float = MAX_BAD_SHARE, time_zone: str | None = None) -> Dataset:
    """Turn a :class:`RawTable` into a :class:`Dataset` of canonical events.

    Parameters
    ----------
    raw : RawTable
        What :func:`promo_core.io.read_table` returned.
    mapping : dict, optional
        ``{canonical column: file column}`` (``discount`` may name several columns, summed);
        inferred from headers and values (:func:`promo_core.inference.infer_mapping`) when omitted.
    max_bad_share : float
        A column whose non-empty cells are unreadable (dates, numbers) in more than this share
        of rows raises DataError instead of silently dropping them.
    time_zone : str, optional
        The shop's time zone (IANA name): Unix timestamps and times with UTC offsets are shown as its
        clock times (:mod:`promo_core.clock`); UTC when omitted.
    """
    zone = check_zone(time_zone)
    f = raw.frame
    baskets = raw.kind == "baskets"
    inference: Inference | None = None
    if baskets:
        mapping = {"user_id": "basket_id", "order_id": "basket_id", "item_id": "item"}
    else:
        inference = infer_mapping(f)
        mapping = check_mapping(dict(mapping) if mapping else inference.mapping(), list(f.columns),
                                require=("user_id", "timestamp"), candidates=inference.candidates)
    n = len(f)
    lines = np.arange(n) + raw.first_line
    col = {k: f[v] for k, v in mapping.items() if isinstance(v, str)}
    keep = np.ones(n, dtype=bool)
    steps: list[Step] = []
    notes: list[str] = list(raw.notes)

    def drop(mask: np.ndarray, label: str) -> None:
        mask = np.asarray(mask, dtype=bool) & keep
        steps.append(Step(label, int(mask.sum()), tuple(int(x) for x in lines[mask][:5])))
        keep[mask] = False

    # --- convert every mapped column, collecting what cannot be read
    user = clean_ids(col["user_id"], "user_id", mapping["user_id"], lines)
    order = clean_ids(col["order_id"], "order_id", mapping["order_id"], lines) if "order_id" in col else None
    if baskets:
        times = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]")
    else:
        times = parse_times(col["timestamp"], mapping["timestamp"], lines, max_bad_share, notes=notes, zone=zone)
    if "event" in col:
        ev_raw = col["event"].astype("str").where(col["event"].notna())
        codes = {v: canonical_event(v) for v in ev_raw.dropna().unique()}
        event = ev_raw.map(codes)
        unknown = ev_raw.notna() & event.isna()
        if unknown.mean() > max_bad_share:
            counts = ev_raw[unknown].value_counts().head(6)
            raise DataError(f"Column {mapping['event']!r} has event types PromoScope does not know",
                            where=", ".join(f"{k!r} ({v:,} rows)" for k, v in counts.items()),
                            hint="Use view, search, click, cart, fav or purchase (pv, addtocart, buy, "
                                 "transaction are understood too), or map a different column",
                            column=mapping["event"])
    else:
        event = pd.Series("purchase", index=f.index, dtype="object")
        unknown = pd.Series(False, index=f.index)
    semicolon = raw.delimiter == ";"
    price = (parse_numbers(col["price"], "price", mapping["price"], lines, max_bad_share, semicolon)
             if "price" in col else None)
    qty = (parse_numbers(col["quantity"], "quantity", mapping["quantity"], lines, max_bad_share,
                         semicolon) if "quantity" in col else None)
    total = (parse_numbers(col["line_total"], "line_total", mapping["line_total"], lines, max_bad_share,
                           semicolon) if "line_total" in col else None)
    disc, disc_parts = _discounts(f, sources(mapping.get("discount")), lines, max_bad_share, semicolon,
                                  price, qty, total, notes)
    if total is not None and price is None:
        price = total / (qty.where(qty != 0) if qty is not None else 1.0)
        notes.append(f"Revenue is the sum of {mapping['line_total']!r} (the amount paid per line); the unit "
                     f"price is derived as {mapping['line_total']!r} ÷ "
                     + (f"{mapping['quantity']!r}" if qty is not None else "1 (no quantity column)"))
    elif total is not None:
        notes.append(f"Revenue is the sum of {mapping['line_total']!r} (the amount paid per line); "
                     f"{mapping['price']!r} is kept as the unit price and checked against it")

    # --- facts about the file as it came
    duplicated = f.duplicated().to_numpy()
    facts: dict[str, int] = {"baskets": int(f["basket_id"].nunique())} if baskets else {}
    facts |= {"rows": n, "exact_duplicate_rows": int(duplicated.sum()),
              "rows_without_user_id": int(user.isna().sum()), "rows_with_user_id": int(user.notna().sum())}
    cancelled = np.zeros(n, dtype=bool)
    if order is not None:
        facts["distinct_orders"] = int(order.nunique())
        o = order.dropna()
        if len(o) and o.str.fullmatch(r"\d+").mean() > 0.5:
            cancelled = order.str.match(r"^[Cc]\d").fillna(False).to_numpy(dtype=bool)
            facts["cancelled_order_rows"] = int(cancelled.sum())
    if "item_id" in col:
        facts["distinct_items"] = int(col["item_id"].nunique())
    if qty is not None:
        facts["rows_with_quantity_le_0"] = int((qty <= 0).sum())
    if price is not None:
        facts["rows_with_price_le_0"] = int((price <= 0).sum())

    # --- cleaning steps, in order
    drop(duplicated, N_("exact duplicate of an earlier row"))
    drop(user.isna().to_numpy(), N_("user id missing"))
    if not baskets:
        drop(times.isna().to_numpy(), N_("time missing or unreadable"))
    huge = np.zeros(n, dtype=bool)
    for v in (price, disc, qty):
        if v is not None:
            huge |= (v.abs() > MAX_MAGNITUDE).to_numpy()
    if huge.any():
        drop(huge, Msg(N_("price, discount or quantity infinite or above {limit} (implausible)"),
                       limit=f"{MAX_MAGNITUDE:.0e}"))
    if "event" in col:
        drop((unknown | event.isna()).to_numpy(), N_("event type missing or unknown"))
    is_purchase = (event == "purchase").to_numpy()
    returns = cancelled.copy()
    if qty is not None:
        returns |= (qty <= 0).fillna(False).to_numpy(dtype=bool) & is_purchase
    return_rows = returns & keep
    if order is not None or qty is not None:
        drop(returns, N_("cancelled order or return (quantity 0 or less)"))
    if qty is not None:
        drop(qty.isna().to_numpy() & is_purchase, N_("purchase quantity missing or not a number"))
    negative = np.zeros(n, dtype=bool)
    if total is not None:
        negative = ((total < 0) & (qty > 0 if qty is not None else True)).fillna(False).to_numpy(dtype=bool)
        negative = negative & is_purchase & keep
        drop(negative, N_("line amount negative with a positive quantity (not a return)"))
    elif price is not None:
        negative = (price < 0).fillna(False).to_numpy(dtype=bool) & is_purchase & keep
    if price is not None:
        drop(((price.isna() | (price <= 0)).to_numpy()) & is_purchase,
             N_("purchase price missing, not a number, or 0 or less"))

    kept = int(keep.sum())
    if kept == 0:
        worst = max(steps, key=lambda s: s.rows_dropped)
        raise DataError("No rows are left after cleaning",
                        where=f"most were removed by the step '{worst.step}' ({worst.rows_dropped:,} rows)",
                        hint="Check the column mapping on the Data page, then the values in that column")
    events = pd.DataFrame({"user_id": user[keep].astype("str"), "timestamp": times[keep]})
    events["event"] = pd.Categorical(event[keep].astype("str"), dtype=EVENT_DTYPE)
    for name in ("item_id", "item_name", "category"):
        if name in col:
            events[name] = _text(col[name][keep]) if name == "item_name" else clean_ids(
                col[name][keep], name, mapping[name], lines[keep], check=False)
    if order is not None:
        events["order_id"] = order[keep]
    events["price"] = price[keep].astype("float64") if price is not None else np.nan
    if disc is not None:
        events["discount"] = disc[keep].fillna(0.0).clip(lower=0).astype("float64")
        if len(disc_parts) > 1:
            for src, part in disc_parts.items():
                events[f"discount: {src}"] = part[keep].fillna(0.0).astype("float64")
    events["quantity"] = qty[keep].fillna(1.0).astype("float64") if qty is not None else 1.0
    if total is not None:
        events["line_total"] = total[keep].astype("float64")
    mapped = {c for v in mapping.values() for c in sources(v)}
    extras = [c for c in f.columns if c not in mapped]
    if len(extras) > MAX_ATTRIBUTES:
        notes.append(f"{len(extras) - MAX_ATTRIBUTES:,} further extra columns were ignored "
                     f"(the first {MAX_ATTRIBUTES} are kept as user attributes)")
        extras = extras[:MAX_ATTRIBUTES]
    for c in extras:
        name = c if c not in events.columns else f"{c} (file)"
        events[name] = _text(f[c][keep])
    checks = plausibility(events, lines[keep], mapping, negative_lines=lines[negative])
    events = events.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)

    if raw.layout and raw.layout.startswith("UCI Online Retail"):
        notes.append(Msg(N_("Invoices starting with 'C' are cancellations: their rows were left out of purchases and kept "
                            "as returns of the customer (net value)")))
    report = _report(raw, mapping, facts, steps, events, tuple(extras), tuple(notes))
    if baskets:  # a row is one item of a basket: say how many baskets (lines) were read and kept
        report = replace(report, baskets_read=facts["baskets"], baskets_kept=int(events["user_id"].nunique()))
    report = replace(report, mapping_used=mapping_reasons(mapping, inference), checks=tuple(checks), time_zone=zone,
                     discounts=discount_breakdown(events).set_index("source")["amount"].round(2).to_dict()
                     if disc is not None else {})
    returned = _returns_frame(return_rows, user, times, col, mapping, lines, order, price, qty)
    from .nonproduct import suggested_codes
    return Dataset(name=raw.name, kind=raw.kind, events=events, report=report, returns=returned,
                   nonproduct=suggested_codes(events, returned))


def _returns_frame(mask, user, times, col, mapping, lines, order, price, qty) -> pd.DataFrame | None:
    """The returned/cancelled purchase lines with a user, a time and a positive price, in canonical
    columns (quantity made negative); None without prices."""
    if price is None:
        return None
    m = np.asarray(mask, dtype=bool) & (price > 0).fillna(False).to_numpy(dtype=bool)
    out = pd.DataFrame({"user_id": user[m].astype("str"), "timestamp": times[m]})
    out["event"] = pd.Categorical(["purchase"] * int(m.sum()), dtype=EVENT_DTYPE)
    for name in ("item_id", "item_name", "category"):
        if name in col:
            out[name] = _text(col[name][m]) if name == "item_name" else clean_ids(
                col[name][m], name, mapping[name], lines[m], check=False)
    if order is not None:
        out["order_id"] = order[m]
    out["price"] = price[m].astype("float64")
    q = qty[m].fillna(1.0).abs() if qty is not None else pd.Series(1.0, index=out.index)
    out["quantity"] = -q.astype("float64")
    return out.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)


def mapping_reasons(mapping: Mapping[str, object], inference: Inference | None) -> tuple[dict, ...]:
    """Why each mapped column was chosen: the inference's reason and confidence, or 'chosen by hand'."""
    out = []
    inferred = {(c.column, c.source): c for c in (inference.choices if inference else ())}
    proposal = inference.mapping() if inference else {}
    for target, value in mapping.items():
        for src in sources(value):
            c = inferred.get((target, src))
            if c is not None:
                out.append({"column": target, "source": src, "confidence": c.confidence, "reason": c.reason,
                            "alternatives": list(c.alternatives), "needs_review": c.needs_review})
            elif inference is None:
                out.append({"column": target, "source": src, "confidence": "high",
                            "reason": "fixed by the file layout", "alternatives": [], "needs_review": False})
            else:
                was = sources(proposal.get(target))
                other = [k for k, v in proposal.items() if src in sources(v)]
                why = (f"the inference proposed {', '.join(map(repr, was))} for {target}" if was else "")
                if other:
                    why += ("; " if why else "") + f"it proposed {src!r} as {other[0]}"
                out.append({"column": target, "source": src, "confidence": "chosen by hand",
                            "reason": "chosen by hand" + (f" ({why})" if why else ""),
                            "alternatives": [], "needs_review": False})
    return tuple(out)


def _discounts(f: pd.DataFrame, srcs: tuple[str, ...], lines: np.ndarray, max_bad_share: float,
               semicolon: bool, price: pd.Series | None, qty: pd.Series | None, total: pd.Series | None,
               notes: list[str]) -> tuple[pd.Series | None, dict[str, pd.Series]]:
    """Sum one or more discount columns into an amount off *per unit*, keeping each source.

    Columns written as negative numbers (-0.50 for 50p off) are read as amounts off. Whether the
    amounts are per line or per unit: with both a unit price and a line total, whichever reading
    makes ``line_total`` agree with the price on more rows; with only a line total, per line; with
    only a unit price, per unit (the contract). Per-line amounts are divided by the quantity.
    """
    if not srcs:
        return None, {}
    parts: dict[str, pd.Series] = {}
    for src in srcs:
        v = parse_numbers(f[src], "discount", src, lines, max_bad_share, semicolon)
        nz = v[v.fillna(0) != 0]
        if len(nz) and (nz < 0).mean() >= 0.95:
            v = -v
            notes.append(f"Discounts in {src!r} are written as negative numbers; they were read as amounts off")
        parts[src] = v
    line = pd.concat(parts.values(), axis=1).fillna(0.0).sum(axis=1)
    q = qty if qty is not None else pd.Series(1.0, index=f.index)
    if total is not None and price is not None:
        tol = np.maximum(0.01, 0.01 * total.abs())
        per_line = ((price * q - line - total).abs() <= tol).sum()
        per_unit = (((price - line) * q - total).abs() <= tol).sum()
        basis = "line" if per_line >= per_unit else "unit"
        notes.append(f"Discounts read as amounts per {basis}: that reading matches the line totals on "
                     f"{max(per_line, per_unit):,} rows (the other on {min(per_line, per_unit):,})")
    else:
        basis = "line" if total is not None else "unit"
        if total is not None:
            notes.append("Discounts read as amounts per line (the file has line totals and no unit price); "
                         "divided by the quantity for the amount off per unit")
    if basis == "line":
        per = q.where(q > 0)
        parts = {k: (v.fillna(0.0) / per) for k, v in parts.items()}
        line = line / per
    if len(srcs) > 1:
        notes.append(f"Discount is the sum of {len(srcs)} columns ({', '.join(map(repr, srcs))}); the breakdown "
                     "is kept by source")
    return line, parts


def discount_breakdown(events: pd.DataFrame) -> pd.DataFrame:
    """Total amount off over purchases by discount source (columns source, amount, share).

    One row per source column when several were summed, else one row 'discount'. Amounts are
    per unit in the events frame and multiplied by the quantity here.
    """
    buys = events[events["event"] == "purchase"]
    cols = [c for c in buys.columns if str(c).startswith("discount: ")] or (
        ["discount"] if "discount" in buys else [])
    amounts = {c.removeprefix("discount: "): float((buys[c].fillna(0) * buys["quantity"]).sum()) for c in cols}
    total = sum(amounts.values())
    return pd.DataFrame({"source": list(amounts), "amount": list(amounts.values()),
                         "share": [a / total if total else np.nan for a in amounts.values()]},
                        columns=["source", "amount", "share"])


# ----------------------------------------------------------------------------- plausibility checks

FENCE_K = 3.0           # Tukey's far-out fence on the log10 scale
MIN_LOG_IQR = 0.5       # at least half a decade, so files of near-identical values flag nothing
LARGE_QUANTITY = 1000


def _spaced(n: int, limit: int = 50_000) -> np.ndarray:
    """Evenly spaced row positions (all rows when there are at most ``limit``)."""
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).astype(int)


def _far_out(values: pd.Series, side: str = "high") -> np.ndarray:
    """Values beyond Tukey's far-out fence (Q3 + 3 IQR) on the log10 scale of the positive values."""
    v = values.where(values > 0)
    lv = np.log10(v)
    if lv.notna().sum() < 20:
        return np.zeros(len(values), dtype=bool)
    q1, q3 = lv.quantile([0.25, 0.75])
    iqr = max(q3 - q1, MIN_LOG_IQR)
    hi = (lv > q3 + FENCE_K * iqr).fillna(False).to_numpy(dtype=bool)
    lo = (lv < q1 - FENCE_K * iqr).fillna(False).to_numpy(dtype=bool)
    return hi if side == "high" else lo if side == "low" else hi | lo


def plausibility(events: pd.DataFrame, lines: np.ndarray, mapping: Mapping[str, object], *,
                 negative_lines: np.ndarray | None = None) -> list[Check]:
    """Checks of the kept rows against the file's own distribution (see README, 'Plausibility').

    ``lines`` are the file lines of ``events``' rows (same order). Nothing is changed: each check
    says how many rows, which lines, how much revenue they carry and what to do.
    """
    out: list[Check] = []
    negative_lines = np.array([], dtype=int) if negative_lines is None else negative_lines
    buy = (events["event"] == "purchase").to_numpy()
    if not buy.any() or events["price"].isna().all():
        if len(negative_lines):
            out.append(_negative_check(negative_lines, mapping))
        return out
    ev = events[buy]
    ln = lines[buy]
    amount = line_amount(ev)
    revenue = float(amount.sum())
    has_total = "line_total" in ev
    price_src = mapping.get("price")

    def share(mask: np.ndarray) -> float | None:
        return float(amount[mask].sum() / revenue) if revenue > 0 else None

    big = (ev["quantity"] >= LARGE_QUANTITY).to_numpy()
    if big.any():
        if has_total:
            sug = ("Revenue uses the line totals, so these quantities do not inflate it; the unit prices derived "
                   "from them are tiny. If they are volumes or weights (fuel, kg) nothing needs doing; otherwise "
                   "check the quantity column")
        else:
            sug = (f"If these are volumes or weights (fuel, kg) and {price_src!r} is the amount paid for the line, "
                   "map it as line_total so revenue does not multiply by the quantity; otherwise check the "
                   "quantity column")
        sh = share(big)
        out.append(Check("quantities of thousands on a line",
                         "warning" if not has_total and (sh or 0) >= 0.05 else "info", int(big.sum()),
                         tuple(int(x) for x in ln[big][:5]),
                         f"{int(big.sum()):,} purchase lines have a quantity of {LARGE_QUANTITY:,} or more "
                         f"(largest {ev['quantity'].max():,.0f}); they carry {100 * (sh or 0):.1f}% of revenue",
                         sug, sh))
    far = _far_out(amount)
    if far.any():
        sh = share(far)
        out.append(Check("line amounts far above the rest", "warning" if (sh or 0) >= 0.05 else "info",
                         int(far.sum()), tuple(int(x) for x in ln[far][:5]),
                         f"{int(far.sum()):,} lines have an amount more than {FENCE_K:g} interquartile ranges "
                         f"above the file's upper quartile on a log scale (median line {amount.median():,.2f}, "
                         f"largest {amount.max():,.2f}); they carry {100 * (sh or 0):.1f}% of revenue",
                         "Check that the price column is a unit price (not the line's amount) and the quantity "
                         "is a count; if the price is the line's amount map it as line_total", sh))
    unit = ev["price"]
    odd = _far_out(unit, "both")
    if odd.any():
        out.append(Check("unit prices far outside the rest", "info", int(odd.sum()),
                         tuple(int(x) for x in ln[odd][:5]),
                         f"{int(odd.sum()):,} lines have a unit price more than {FENCE_K:g} interquartile ranges "
                         f"beyond the file's quartiles on a log scale (median unit price {unit.median():,.2f})",
                         "Check these lines: a unit price in another currency or unit, a typo, or a line total "
                         "in the price column", share(odd)))
    okeys = (ev["order_id"].astype("object").where(ev["order_id"].notna(), ev["user_id"])
             if "order_id" in ev else ev["user_id"] + "|" + ev["timestamp"].dt.normalize().astype("str"))
    per_order = amount.groupby(okeys.to_numpy()).sum()
    far_o = _far_out(per_order)
    if far_o.any():
        bad_keys = set(per_order.index[far_o])
        rows = okeys.isin(bad_keys).to_numpy()
        mean_all, mean_rest = per_order.mean(), per_order[~far_o].mean()
        out.append(Check("orders far above the average order", "warning" if mean_all > 2 * mean_rest else "info",
                         int(rows.sum()), tuple(int(x) for x in ln[rows][:5]),
                         f"{int(far_o.sum()):,} orders are far above the file's order values (median "
                         f"{per_order.median():,.2f}); the average order is {mean_all:,.2f} with them and "
                         f"{mean_rest:,.2f} without them",
                         "Look at these orders: a line total read as a unit price, a quantity in the wrong "
                         "unit, or business orders mixed with consumer ones", share(rows)))
    if has_total and price_src:
        t = ev["line_total"]
        d = (ev["discount"] if "discount" in ev else pd.Series(0.0, index=ev.index)) * ev["quantity"]
        gross = ev["price"] * ev["quantity"]
        tol = np.maximum(0.01, 0.01 * t.abs())
        agree = ((gross - t).abs() <= tol) | ((gross - d - t).abs() <= tol)
        bad = (t.notna() & ~agree).to_numpy()
        if bad.any():
            sh = bad.mean()
            out.append(Check("line totals that disagree with price × quantity",
                             "warning" if sh > 0.01 else "info", int(bad.sum()), tuple(int(x) for x in ln[bad][:5]),
                             f"on {int(bad.sum()):,} lines ({100 * sh:.1f}%) {mapping['line_total']!r} differs from "
                             f"{price_src!r} × quantity (less any discount) by more than 1%; revenue uses "
                             f"{mapping['line_total']!r}",
                             "Check which column is the amount paid: if the price is a list price and the total "
                             "is after discounts, map the discount columns too", share(bad)))
    elif not has_total and price_src and "quantity" in mapping:
        pick = _spaced(len(ev))
        kind, slope = unit_or_line(ev["price"].iloc[pick], ev["quantity"].iloc[pick],
                                   ev["item_id"].iloc[pick] if "item_id" in ev else None)
        if kind == "line":
            out.append(Check("price moves with the quantity", "warning", int(len(ev)), tuple(int(x) for x in ln[:5]),
                             f"{price_src!r} grows with the quantity (slope {slope:.2f} of log price on log "
                             "quantity), so it looks like the amount paid for the line, not a unit price; "
                             "revenue = price × quantity would count quantities twice",
                             f"Map {price_src!r} as line_total instead of price", 1.0))
    if len(negative_lines):
        out.append(_negative_check(negative_lines, mapping))
    return out


def _negative_check(negative_lines: np.ndarray, mapping: Mapping[str, object]) -> Check:
    src = mapping.get("line_total") or mapping.get("price")
    return Check("negative amounts that are not returns", "warning", int(len(negative_lines)),
                 tuple(int(x) for x in negative_lines[:5]),
                 f"{len(negative_lines):,} purchase lines have a negative {src!r} with a positive quantity; they "
                 "were removed, not summed",
                 "If these are refunds or returns, give them a negative quantity (they are then read as "
                 "returns); if they are corrections, remove them from the file", None)


def _report(raw, mapping, facts, steps, events, extras, notes) -> QualityReport:
    purchases = events[events["event"] == "purchase"]
    has_time = events["timestamp"].notna().any()
    return QualityReport(
        file=raw.describe(), mapping=dict(mapping), rows_read=len(raw.frame), facts=facts,
        steps=tuple(steps), rows_kept=len(events), users=int(events["user_id"].nunique()),
        items=int(events["item_id"].nunique()) if "item_id" in events else None,
        orders=count_orders(purchases) if len(purchases) else 0,
        first_event=str(events["timestamp"].min()) if has_time else None,
        last_event=str(events["timestamp"].max()) if has_time else None,
        event_mix={k: int(v) for k, v in events["event"].value_counts().items() if v},
        attributes=extras, notes=notes)


def count_orders(purchases: pd.DataFrame) -> int:
    """Orders: distinct order ids, or distinct (user, day) pairs when there is no order id."""
    if "order_id" in purchases and purchases["order_id"].notna().any():
        return int(purchases["order_id"].nunique())
    return int(purchases[["user_id"]].assign(d=purchases["timestamp"].dt.normalize()).drop_duplicates().shape[0])


def _text(s: pd.Series) -> pd.Series:
    t = s.astype("str").str.strip()
    return t.where(s.notna() & (t != ""))


def clean_ids(s: pd.Series, target: str, source: str, lines: np.ndarray, check: bool = True) -> pd.Series:
    """Ids as trimmed text; '17850.0' -> '17850' when every id has that float form.

    Ids in scientific notation ('1.23E+11') lost digits in a spreadsheet: that is a DataError,
    because different customers may now share an id.
    """
    if pd.api.types.is_float_dtype(s):
        whole = s.dropna()
        s = s.astype("Int64") if len(whole) and (whole == whole.round()).all() else s
    t = _text(s)
    nn = t.dropna()
    if len(nn) and nn.str.fullmatch(r"-?\d+\.0").all():
        t = t.str.replace(r"\.0$", "", regex=True)
    if check and len(nn):
        sci = t.str.fullmatch(r"[-+]?\d(\.\d+)?[eE][-+]?\d+").fillna(False).to_numpy(dtype=bool)
        if sci.mean() > 0.01:
            vals = ", ".join(repr(v) for v in t[sci].head(3))
            raise DataError(f"Ids in column {source!r} are in scientific notation ({vals})",
                            where=rows_phrase(lines[sci], int(sci.sum())),
                            hint="A spreadsheet rounded them, so different customers may now share an "
                                 "id. Format the column as Text in the spreadsheet (or export ids from "
                                 "the source system) and upload again", column=source)
    return t


def parse_times(s: pd.Series, source: str, lines: np.ndarray, max_bad_share: float = MAX_BAD_SHARE,
                notes: list[str] | None = None, zone: str | None = None) -> pd.Series:
    """Parse a time column to datetime64[ns]: ISO or locale text, or Unix seconds/ms/µs/ns.

    Instants (Unix timestamps, times with UTC offsets, zone-aware columns) become clock times in
    ``zone`` (the shop's time zone, :mod:`promo_core.clock`; UTC when None), and a note saying so is
    appended to ``notes``. Times written without an offset are kept as written, also in a column
    where other rows carry one.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            if notes is not None:
                notes.append(instants_note(source, "aware", zone, stored=str(s.dt.tz)))
            s = to_clock(s, zone)
        return s.where((s >= pd.Timestamp("1900-01-01")) & (s < pd.Timestamp("2262-01-01"))).astype("datetime64[ns]")
    t = _text(s)
    nn = t.dropna()
    if nn.empty:
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if nn.str.fullmatch(r"\d{9,19}(\.\d+)?").mean() > 0.9:
        v = pd.to_numeric(t, errors="coerce")
        med = float(v.median())
        unit = "s" if med < 1e11 else "ms" if med < 1e14 else "us" if med < 1e17 else "ns"
        out = to_clock(pd.to_datetime(v, unit=unit, errors="coerce"), zone)
        if notes is not None:
            notes.append(instants_note(source, "unix", zone))
    else:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = _to_datetime(t, zone)
            if out.isna().sum() > t.isna().sum() and out.notna().mean() < 0.5:
                out = _to_datetime(t, zone, dayfirst=True)
        offsets = nn.str.extract(OFFSET_PARTS, expand=True)[1]
        if notes is not None and offsets.notna().any():
            counts = offsets.fillna("no offset").value_counts()
            notes.append(instants_note(source, "offset", zone, offsets=", ".join(
                f"{k} ({v:,} rows)" for k, v in counts.head(5).items())))
    out = out.where((out >= pd.Timestamp("1900-01-01")) & (out < pd.Timestamp("2262-01-01")))
    out = out.astype("datetime64[ns]")
    bad = (t.notna() & out.isna()).to_numpy()
    if bad.sum() > max_bad_share * len(nn):
        good = t[out.notna()].head(1).tolist()
        vals = ", ".join(repr(v) for v in t[bad].head(3))
        raise DataError(f"Column {source!r} has dates in more than one format, or text that is not a date",
                        where=f"{rows_phrase(lines[bad], int(bad.sum()))} hold {vals}"
                              + (f" while the first readable row holds {good[0]!r}" if good else ""),
                        hint="Convert the column to one format (2024-03-31 14:05 is safest) and upload "
                             "again", column=source)
    return out




def _to_datetime(t: pd.Series, zone: str | None = None, **kw) -> pd.Series:
    """Naive clock times from text: a row with a UTC offset is an instant, shown in ``zone`` (UTC when None); a row
    without one is kept as written."""
    has = t.str.contains(_OFFSET, na=False)
    if not has.any():
        return _parse_dates(t, **kw)
    out = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    out[has] = to_clock(_parse_dates(t[has], utc=True, **kw), zone).astype("datetime64[ns]")
    if (~has).any():
        out[~has] = _parse_dates(t[~has], **kw)
    return out


def _parse_dates(t: pd.Series, utc: bool = False, **kw) -> pd.Series:
    try:
        out = pd.to_datetime(t, errors="coerce", utc=utc, **kw)
        if utc and out.isna().sum() > t.isna().sum() and not kw:  # pandas took one row's format for all
            iso = pd.to_datetime(t, errors="coerce", utc=True, format="ISO8601")
            out = iso if iso.isna().sum() < out.isna().sum() else out
        return out
    except (ValueError, TypeError):  # unreadable as a whole: parse_times names the rows
        return pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns, UTC]" if utc else "datetime64[ns]")


_CURRENCY = re.compile(r"[£$€¥￥₹\s\u00a0]|(?i:usd|gbp|eur|rmb|cny|元)")


#: the first values of a column that decide how its numbers are written (the engines decide on the same rows)
DECIMAL_SAMPLE = 20_000
_COMMA_DECIMAL = re.compile(r"-?(\d{1,3}(\.\d{3})+|\d+),\d+")          # 12,50  1.234,5
_DOT_DECIMAL = re.compile(r"-?(\d*\.(\d{1,2}|\d{4,})|\d{1,3}(,\d{3})+\.\d+)")  # 12.50  .5  1,234.5


def uses_decimal_comma(values: pd.Series, semicolon: bool) -> bool:
    """Whether a column's numbers are written with a decimal comma ('12,50'), judged on its first
    :data:`DECIMAL_SAMPLE` values without currency signs.

    A semicolon file is read with decimal commas (the European export) unless its values show decimal
    points and no decimal comma ('18.34', not '1.234', which stays a thousands separator there); other
    files when most values look like '12,50'."""
    v = _text(values).dropna().head(DECIMAL_SAMPLE).str.replace(_CURRENCY, "", regex=True)
    v = v[v != ""]
    if v.empty:
        return semicolon
    comma = v.str.fullmatch(_COMMA_DECIMAL)
    if semicolon:
        return bool(comma.any() or not v.str.fullmatch(_DOT_DECIMAL).any())
    return bool(v.str.fullmatch(r"-?\d+,\d{1,2}").mean() > 0.5)


def parse_numbers(s: pd.Series, target: str, source: str, lines: np.ndarray,
                  max_bad_share: float = MAX_BAD_SHARE, semicolon: bool = False) -> pd.Series:
    """Parse prices/quantities: currency signs and thousands separators are ignored; '12,50' is read as
    12.5 when :func:`uses_decimal_comma` says the column is written that way."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return _plausible(pd.to_numeric(s, errors="coerce").astype("float64"), s, target, source, lines,
                          max_bad_share)
    t = _text(s)
    if t.dropna().empty:
        return pd.Series(np.nan, index=s.index)
    decimal_comma = uses_decimal_comma(t, semicolon)
    if not decimal_comma:
        fast = pd.to_numeric(t, errors="coerce")
        if fast.notna().sum() == t.notna().sum():  # plain numbers: no cleaning needed (the common case)
            return _plausible(fast.astype("float64"), s, target, source, lines, max_bad_share)
        failed = t.notna() & fast.isna()
        t = t.where(~failed, t[failed].str.replace(_CURRENCY, "", regex=True))
    else:
        t = t.str.replace(_CURRENCY, "", regex=True)
    if decimal_comma:
        t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        t = t.str.replace(",", "", regex=False)
    out = pd.to_numeric(t, errors="coerce").astype("float64")
    bad = (t.notna() & out.isna()).to_numpy()
    if bad.sum() > max_bad_share * max(int(t.notna().sum()), 1):
        vals = ", ".join(repr(v) for v in s[bad].head(3))
        raise DataError(f"Column {source!r} ({target}) has text where a number is expected",
                        where=f"{rows_phrase(lines[bad], int(bad.sum()))} hold {vals}",
                        hint="Keep only numbers in that column (12.50, not 'twelve' or 'n/a'), or map "
                             "a different column", column=source)
    return _plausible(out, s, target, source, lines, max_bad_share)


def _plausible(out: pd.Series, s: pd.Series, target: str, source: str, lines: np.ndarray,
               max_bad_share: float) -> pd.Series:
    """Refuse a column whose numbers are mostly infinite or above MAX_MAGNITUDE; fewer are kept
    for clean_events to drop as a named step (never summed to infinity)."""
    huge = (out.abs() > MAX_MAGNITUDE).to_numpy()
    if huge.sum() > max_bad_share * max(int(out.notna().sum()), 1):
        vals = ", ".join(repr(str(v))[:40] for v in s[huge].head(3))
        raise DataError(f"Column {source!r} ({target}) holds implausible numbers (infinite, or above "
                        f"{MAX_MAGNITUDE:,.0f})",
                        where=f"{rows_phrase(lines[huge], int(huge.sum()))} hold {vals}",
                        hint="Check that the right column is mapped (not an id or a time stamp) and that the "
                             "values are plain amounts; fix or remove those rows and load the file again",
                        column=source)
    return out


def pseudonymise(ds: Dataset, salt: str) -> Dataset:
    """Replace user ids by a salted BLAKE2 hash ('u' + 16 hex characters); the salt never leaves memory."""
    if ds.pseudonymised:
        return ds
    if ds.in_engine:   # the ids are hashed here and swapped in the engine: the rows never come to memory
        return ds.pseudonymised_copy(salt)
    uniq = ds.events["user_id"].unique()
    table = pseudonyms(uniq, salt)
    events = ds.events.assign(user_id=ds.events["user_id"].map(table).astype("str"))
    returned = ds.returns
    if returned is not None:
        extra = pseudonyms([u for u in returned["user_id"].unique() if u not in table], salt, returns_only=True)
        returned = returned.assign(user_id=returned["user_id"].map({**table, **extra}).astype("str"))
    return replace(ds, events=events, returns=returned, pseudonymised=True)


def pseudonyms(ids, salt: str, returns_only: bool = False) -> dict:
    """id -> 'u' + 16 hex characters of a BLAKE2b hash keyed by ``salt`` (12 for ids seen only in returns)."""
    key = salt.encode()[:64]
    table = {u: "u" + hashlib.blake2b(str(u).encode(), key=key, digest_size=6 if returns_only else 8).hexdigest()
             for u in ids}
    if len(set(table.values())) < len(table):  # 64 bits: about 1 in 10^6 at 5M users; never merge two users
        raise DataError("Two user ids got the same pseudonym", hint="Switch pseudonymisation off and on again")
    return table


__all__ = ["Check", "Dataset", "QualityReport", "Step", "clean_events", "count_orders", "discount_breakdown",
           "line_amount", "load_dataset", "plausibility", "pseudonymise", "pseudonyms"]
