"""Validation and cleaning written once as Ibis expressions (the engine side of :mod:`promo_core.quality`).

The raw table is mapped to the canonical columns and cleaned with the same steps, in the same order, as
:func:`promo_core.quality.clean_events`, so the quality report's numbers (rows read, facts about the file,
rows removed per step, rows kept, users, items, orders, time range, event mix) are equal. Decisions that
need a look at the values (the column mapping, float-formatted ids, Unix-time units, event labels, whether
order ids are numeric so that a leading C marks a cancellation) are made on a sample of rows or on small
aggregates (the distinct event labels), then applied as expressions over all rows in the engine.

What stays pandas-only (``--engine pandas`` or the app's upload): Excel files, basket files (one basket per
line), decimal commas, several summed discount columns, times in a locale format (only ISO text, native
timestamps and Unix numbers are read here), the plausibility checks and example file lines (an engine reads
files in parallel and has no line numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from ..clock import OFFSET, OFFSET_PARTS, check_zone, instants_note
from ..i18n import _
from ..schema import DataError, canonical_event, check_mapping, sources
from .backends import Engine

SAMPLE_ROWS = 20_000
MAX_EVENT_LABELS = 10_000
#: the same step labels as promo_core.quality (the report is compared with it)
STEP_DUPLICATE = "exact duplicate of an earlier row"
STEP_USER = "user id missing"
STEP_TIME = "time missing or unreadable"
STEP_HUGE = "price, discount or quantity infinite or above 1e+12 (implausible)"
STEP_EVENT = "event type missing or unknown"
STEP_RETURN = "cancelled order or return (quantity 0 or less)"
STEP_QTY = "purchase quantity missing or not a number"
STEP_TOTAL = "line amount negative with a positive quantity (not a return)"
STEP_PRICE = "purchase price missing, not a number, or 0 or less"
MAX_MAGNITUDE = 1e12


@dataclass
class EngineData:
    """Canonical events living in an engine, with the quality report's numbers."""

    engine: Engine
    events: object                      # ibis Table, canonical columns
    returns: object | None              # ibis Table of cancelled/returned lines (quantity < 0), or None
    report: dict
    mapping: dict
    attributes: tuple[str, ...] = ()
    nonproduct: tuple[str, ...] = ()
    source: object = None
    notes: list = field(default_factory=list)

    @property
    def columns(self) -> set[str]:
        return set(self.events.columns)


#: the characters Ibis's strip() trims; a value is trimmed only when it starts or ends with one of them
_EDGE_SPACE = "^[ \t\n\r\x0b\x0c]|[ \t\n\r\x0b\x0c]$"


def _text(col):
    """Trimmed text, empty -> NULL (like promo_core.quality._text). DuckDB's TRIM with a set of characters is
    slower than a regular-expression test for whitespace at either end, so only values that have some are trimmed
    (the same result; measured on 10M rows, four id columns: 1.45 s instead of 3.5 s)."""
    s = col.cast("string")
    return s.re_search(_EDGE_SPACE).ifelse(s.strip(), s).nullif("")


def _sample(raw, n: int = SAMPLE_ROWS) -> pd.DataFrame:
    return raw.head(n).to_pandas()


def _as_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for c in frame.columns:
        s = frame[c]
        out[str(c)] = pd.Series([None if pd.isna(v) else str(v) for v in s.to_numpy(dtype=object)],
                                index=frame.index, dtype="object")
    return pd.DataFrame(out)


def _id_expr(col, sample: pd.Series):
    dt = col.type()
    if dt.is_floating():
        whole = sample.dropna()
        if len(whole) and (whole == whole.round()).all():
            return _text(col.cast("int64"))
        return _text(col)
    t = _text(col)
    nn = sample.dropna().astype(str).str.strip()
    nn = nn[nn != ""]
    if dt.is_string() and len(nn) and nn.str.fullmatch(r"-?\d+\.0").all():
        return t.re_replace(r"\.0$", "")
    return t


@cache
def _clock_udfs():
    """The engines' own functions from a UTC instant to a zone's clock time (DuckDB's ICU, built in; Spark SQL)."""
    import ibis
    import ibis.expr.datatypes as dt

    @ibis.udf.scalar.builtin(name="timezone", signature=((dt.string, dt.Timestamp(timezone="UTC")), dt.timestamp))
    def duckdb_clock(zone, t): ...

    @ibis.udf.scalar.builtin(name="from_utc_timestamp", signature=((dt.timestamp, dt.string), dt.timestamp))
    def spark_clock(t, zone): ...
    return duckdb_clock, spark_clock


def _clock(engine_name: str, instant, zone: str | None):
    """``instant`` (a timestamp expression: naive UTC, or zone-aware) as a naive clock time in ``zone``
    (:mod:`promo_core.clock`; UTC when None), as :func:`promo_core.clock.to_clock` does in pandas."""
    import ibis
    utc = ibis.dtype("timestamp('UTC')")
    if not zone:
        return instant.cast(utc).cast("timestamp") if instant.type().timezone is not None else instant
    duckdb_clock, spark_clock = _clock_udfs()
    if engine_name == "spark":   # Spark's timestamps are instants shown in the session zone, which is UTC
        return spark_clock(instant.cast("timestamp"), zone)
    return duckdb_clock(zone, instant.cast(utc))


def _time_expr(col, sample: pd.Series, name: str, engine_name: str = "duckdb", zone: str | None = None,
               notes: list | None = None):
    import ibis
    dt = col.type()
    lo, hi = ibis.timestamp("1900-01-01 00:00:00"), ibis.timestamp("2262-01-01 00:00:00")
    if dt.is_timestamp():
        t = col.cast("timestamp") if dt.timezone is None else _clock(engine_name, col, zone)
        if dt.timezone is not None and notes is not None:
            notes.append(instants_note(name, "aware", zone, stored=str(dt.timezone)))
    elif dt.is_date():
        t = col.cast("timestamp")
    else:
        nn = sample.dropna().astype(str).str.strip()
        nn = nn[nn != ""]
        numeric = dt.is_numeric() or (len(nn) and nn.str.fullmatch(r"\d{9,19}(\.\d+)?").mean() > 0.9)
        if numeric:
            v = pd.to_numeric(nn, errors="coerce")
            med = float(v.median()) if len(v) else 0.0
            unit = "s" if med < 1e11 else "ms" if med < 1e14 else "us" if med < 1e17 else "ns"
            num = col.cast("float64") if dt.is_numeric() else _text(col).try_cast("float64")
            t = _clock(engine_name, num.cast("int64").as_timestamp(unit), zone)
            if notes is not None:
                notes.append(instants_note(name, "unix", zone))
        else:
            parsed = pd.to_datetime(nn, format="ISO8601", errors="coerce", utc=True)   # mixed offsets too
            if len(nn) and parsed.notna().mean() < 0.5:
                raise DataError(_("The times in column {column!r} are not in a form the engines read").format(column=name),
                                where=_("for example {value!r}").format(value=str(nn.iloc[0])),
                                hint=_("The engines read ISO times (2024-05-31 14:05:00), timestamps and Unix "
                                       "seconds; use --engine pandas for other formats"), column=name)
            # row by row, as promo_core.quality: a time with a UTC offset is an instant, shown in the zone (a plain
            # cast would drop the offset, and DuckDB reads no blank before it); one without is kept as written
            text = _text(col)
            tight = text.re_extract(OFFSET_PARTS, 1).concat(text.re_extract(OFFSET_PARTS, 2))
            instant = _clock(engine_name, tight.try_cast(ibis.dtype("timestamp('UTC')")), zone)
            t = ibis.ifelse(text.re_search(OFFSET), instant, text.try_cast("timestamp"))
            seen = nn.str.extract(OFFSET_PARTS, expand=True)[1].dropna()
            if notes is not None and len(seen):
                notes.append(instants_note(name, "offset", zone, offsets=", ".join(seen.value_counts().index[:5])))
    return ibis.ifelse((t >= lo) & (t < hi), t, ibis.null("timestamp"))


#: promo_core.quality._CURRENCY for the engines' regular expressions (RE2 and Java know no \\u escape)
_CURRENCY_RE = "[£$€¥￥₹\\s\u00a0]|(?i:usd|gbp|eur|rmb|cny|元)"


def _number_expr(col, sample: pd.Series, semicolon: bool):
    """Text read as numbers as promo_core.quality.parse_numbers reads it: currency signs and thousands
    separators ignored, a decimal comma where the column's first values are written that way."""
    from ..quality import uses_decimal_comma
    dt = col.type()
    if dt.is_numeric():
        return col.cast("float64")
    t = _text(col)
    cleaned = t.re_replace(_CURRENCY_RE, "")
    if uses_decimal_comma(_as_text_frame(sample.to_frame()).iloc[:, 0], semicolon):
        return cleaned.replace(".", "").replace(",", ".").try_cast("float64")
    return t.try_cast("float64").coalesce(cleaned.replace(",", "").try_cast("float64"))


def _event_expr(engine: Engine, raw, col, name: str):
    import ibis
    labels = raw.select(v=_text(col)).distinct().limit(MAX_EVENT_LABELS + 1).to_pandas()["v"].dropna()
    codes = {str(v): canonical_event(v) for v in labels}
    known = {k: v for k, v in codes.items() if v}
    if len(labels) > MAX_EVENT_LABELS or not known:
        raise DataError(_("Column {column!r} has event types PromoScope does not know").format(column=name),
                        where=", ".join(repr(v) for v in list(codes)[:6]),
                        hint=_("Use view, search, click, cart, fav or purchase (pv, addtocart, buy, transaction "
                               "are understood too), or map a different column"), column=name)
    text = _text(col)
    expr = ibis.null("string")
    branches = [(text == k, ibis.literal(v)) for k, v in known.items()]
    expr = ibis.cases(*branches, else_=ibis.null("string")) if branches else expr
    return expr


def clean(engine: Engine, raw, mapping: dict | None = None, source=None, time_zone: str | None = None) -> EngineData:
    """Map and clean a raw Ibis table; the report's numbers are computed in the engine. ``time_zone``: the shop's
    (:mod:`promo_core.clock`), in which Unix timestamps and times with offsets are shown."""
    import ibis
    zone = check_zone(time_zone)
    notes: list[str] = []
    sample = _sample(raw)
    text_sample = _as_text_frame(sample)
    from ..inference import infer_mapping
    inference = infer_mapping(text_sample)
    if mapping:  # a mapping given by hand overrides the inferred one column by column (as the CLI's --map)
        taken = {col for v in mapping.values() for col in sources(v)}
        inferred = {k: tuple(col for col in sources(v) if col not in taken)
                    for k, v in inference.mapping().items() if k not in mapping}
        mapping = {**{k: (v[0] if len(v) == 1 else v) for k, v in inferred.items() if v}, **mapping}
    mapping = check_mapping(dict(mapping) if mapping else inference.mapping(), list(text_sample.columns),
                            require=("user_id", "timestamp"), candidates=inference.candidates)
    disc_src = sources(mapping.get("discount"))
    if len(disc_src) > 1:
        raise DataError(_("Several discount columns are summed by the pandas engine only"),
                        hint=_("Use --engine pandas, or map one discount column"))
    single = {k: v for k, v in mapping.items() if isinstance(v, str)}
    # the file's columns under neutral names: DuckDB compares names case-insensitively, so a file column
    # 'Quantity' would otherwise collide with the canonical 'quantity'
    safe = {col: f"__raw{i}" for i, col in enumerate(raw.columns)}
    raw = raw.rename({v: k for k, v in safe.items()})
    c = {k: raw[safe[v]] for k, v in single.items()}
    derived = {"user_id": _id_expr(c["user_id"], sample[single["user_id"]]),
               "timestamp": _time_expr(c["timestamp"], sample[single["timestamp"]], single["timestamp"],
                                       getattr(engine, "name", "duckdb"), zone, notes)}
    has = set(single)
    if "event" in has:
        derived["event"] = _event_expr(engine, raw, c["event"], single["event"])
        derived["_event_raw"] = _text(c["event"])
    else:
        derived["event"] = ibis.literal("purchase")
        derived["_event_raw"] = ibis.literal("purchase")
    for name in ("item_id", "category", "order_id"):
        if name in has:
            derived[name] = _id_expr(c[name], sample[single[name]])
    if "item_name" in has:
        derived["item_name"] = _text(c["item_name"])
    for name in ("price", "quantity", "line_total", "discount"):
        if name in has:
            derived[name] = _number_expr(c[name], sample[single[name]],
                                         getattr(source, "delimiter", None) == ";")
    if "line_total" in has and "price" not in has:
        q = derived.get("quantity")
        derived["price"] = derived["line_total"] / (ibis.ifelse(q != 0, q, ibis.null("float64")) if q is not None else 1.0)
    if "discount" in has:
        # negative amounts written as amounts off (as promo_core.quality._discounts decides it)
        nz = sample[single["discount"]].pipe(pd.to_numeric, errors="coerce")
        nz = nz[nz.fillna(0) != 0]
        if len(nz) and (nz < 0).mean() >= 0.95:
            derived["discount"] = -derived["discount"]
    mapped = {v for v in single.values()}
    extras = [col for col in safe if col not in mapped][:50]
    for col in extras:
        derived[f"attr::{col}"] = _text(raw[safe[col]])
    t = raw.mutate(**derived)

    cancelled = ibis.literal(False)
    order_numeric = False
    if "order_id" in has:
        share = t.aggregate(m=t.order_id.re_search(r"^\d+$").cast("int64").mean()).to_pandas()["m"].iloc[0]
        order_numeric = share is not None and not pd.isna(share) and float(share) > 0.5
        if order_numeric:
            cancelled = derived["order_id"].re_search(r"^[Cc]\d").fill_null(False)
    derived["_cancelled"] = cancelled
    t = raw.mutate(**derived)
    # facts about the file as it came (before dropping duplicates)
    facts_expr = {"rows": t.count(), "rows_without_user_id": t.user_id.isnull().sum(),
                  "rows_with_user_id": t.user_id.notnull().sum()}
    if "order_id" in has:
        facts_expr["distinct_orders"] = t.order_id.nunique()
        if order_numeric:
            facts_expr["cancelled_order_rows"] = t._cancelled.sum()
    if "item_id" in has:
        facts_expr["distinct_items"] = t.item_id.nunique()
    if "quantity" in has:
        facts_expr["rows_with_quantity_le_0"] = (t.quantity <= 0).fill_null(False).sum()
    if "price" in has:
        facts_expr["rows_with_price_le_0"] = (t.price <= 0).fill_null(False).sum()
    facts_row = t.aggregate(**facts_expr).to_pandas().iloc[0]
    facts = {k: int(0 if pd.isna(v) else v) for k, v in facts_row.items()}
    rows_read = facts["rows"]
    # the exact duplicates: every copy but one goes (raw columns define a row)
    # exact duplicates are judged on the file's columns; only the canonical columns are kept afterwards
    d = raw.distinct().select(**derived)
    is_purchase = d.event == "purchase"
    huge = ibis.literal(False)
    for name in ("price", "discount", "quantity"):
        if name in has:
            huge = huge | (d[name].abs() > MAX_MAGNITUDE).fill_null(False)
    conds: list[tuple[str, object]] = [(STEP_USER, d.user_id.isnull()), (STEP_TIME, d.timestamp.isnull())]
    conds.append((STEP_HUGE, huge))
    if "event" in has:
        conds.append((STEP_EVENT, d.event.isnull()))
    returns = d._cancelled
    if "quantity" in has:
        returns = returns | ((d.quantity <= 0).fill_null(False) & is_purchase.fill_null(False))
    if "order_id" in has or "quantity" in has:
        conds.append((STEP_RETURN, returns))
    if "quantity" in has:
        conds.append((STEP_QTY, d.quantity.isnull() & is_purchase))
    if "line_total" in has:
        pos = (d.quantity > 0) if "quantity" in has else ibis.literal(True)
        conds.append((STEP_TOTAL, ((d.line_total < 0) & pos).fill_null(False) & is_purchase))
    if "price" in has:
        conds.append((STEP_PRICE, (d.price.isnull() | (d.price <= 0)) & is_purchase))
    labels = [s for s, _c in conds]
    step = ibis.cases(*[(cond.fill_null(False), i) for i, (_s, cond) in enumerate(conds)], else_=-1)
    # materialised once (a temporary table in DuckDB, a persisted frame in Spark): every later query reads it
    d = materialise(engine, d.mutate(_step=step))
    counts = d.group_by("_step").aggregate(n=d.count()).to_pandas()
    by = {int(k): int(v) for k, v in zip(counts["_step"], counts["n"], strict=True)}
    distinct_rows = sum(by.values())
    facts = {"rows": rows_read, "exact_duplicate_rows": rows_read - distinct_rows,
             **{k: v for k, v in facts.items() if k != "rows"}}
    steps = [{"step": STEP_DUPLICATE, "rows_dropped": rows_read - distinct_rows, "example_lines": []}]
    huge_dropped = by.get(labels.index(STEP_HUGE), 0)
    for i, label in enumerate(labels):
        if label == STEP_HUGE and not huge_dropped:
            continue
        steps.append({"step": label, "rows_dropped": by.get(i, 0), "example_lines": []})
    keep = d.filter(d._step == -1)
    out_cols = {"user_id": keep.user_id, "timestamp": keep.timestamp, "event": keep.event}
    for name in ("item_id", "item_name", "category", "order_id"):
        if name in has:
            out_cols[name] = keep[name]
    out_cols["price"] = keep.price if "price" in has or "line_total" in has else ibis.null("float64")
    if "discount" in has:
        out_cols["discount"] = ibis.greatest(keep.discount.fill_null(0.0), 0.0)
    out_cols["quantity"] = keep.quantity.fill_null(1.0) if "quantity" in has else ibis.literal(1.0)
    if "line_total" in has:
        out_cols["line_total"] = keep.line_total
    for col in extras:
        out_cols[col if col not in out_cols else f"{col} (file)"] = keep[f"attr::{col}"]
    events = keep.select(**out_cols)
    ret = None
    if ("price" in has or "line_total" in has) and STEP_RETURN in labels:
        r = d.filter((d._step == labels.index(STEP_RETURN)) & (d.price > 0).fill_null(False))
        rc = {"user_id": r.user_id, "timestamp": r.timestamp, "event": ibis.literal("purchase")}
        for name in ("item_id", "item_name", "category", "order_id"):
            if name in has:
                rc[name] = r[name]
        rc["price"] = r.price
        rc["quantity"] = -(r.quantity.fill_null(1.0).abs() if "quantity" in has else ibis.literal(1.0))
        ret = r.select(**rc)
    summary = summarise_events(events)
    kept = summary.pop("rows_kept")
    if kept == 0:
        worst = max(steps, key=lambda s: s["rows_dropped"])
        raise DataError(_("No rows are left after cleaning"),
                        where=_("most were removed by the step '{step}' ({rows} rows)").format(
                            step=worst["step"], rows=f"{worst['rows_dropped']:,}"),
                        hint=_("Check the column mapping, then the values in that column"))
    report = {"file": source.describe() if source is not None else {}, "mapping": dict(mapping),
              "rows_read": rows_read, "facts": facts, "steps": steps, "rows_kept": kept, **summary,
              "attributes": list(extras), "engine": engine.describe(), "time_zone": zone}
    return EngineData(engine, events, ret, report, dict(mapping), tuple(extras), source=source, notes=notes)


def materialise(engine: Engine, expr):
    """Compute ``expr`` once and keep it: a temporary table in DuckDB (spilled to its temp_directory
    beyond memory_limit), a persisted DataFrame in Spark. (Ibis's own ``cache()`` on DuckDB 2.0 raises
    at interpreter exit when it drops the table, so DuckDB gets a plain temporary table.)"""
    import uuid
    if engine.name == "duckdb":
        return engine.con.create_table(f"_promoscope_{uuid.uuid4().hex}", expr, temp=True)
    return expr.cache()


def summarise_events(events) -> dict:
    """rows_kept, users, items, orders, first_event, last_event, event_mix (as promo_core.quality._report)."""
    cols = set(events.columns)
    agg = {"rows_kept": events.count(), "users": events.user_id.nunique(),
           "first": events.timestamp.min(), "last": events.timestamp.max()}
    if "item_id" in cols:
        agg["items"] = events.item_id.nunique()
    row = events.aggregate(**agg).to_pandas().iloc[0]
    mix = events.group_by("event").aggregate(n=events.count()).to_pandas()
    from .relational import count_orders
    has_time = not pd.isna(row["first"])
    return {"rows_kept": int(row["rows_kept"]), "users": int(row["users"]),
            "items": int(row["items"]) if "items" in row else None,
            "orders": count_orders(events.filter(events.event == "purchase")),
            "first_event": str(pd.Timestamp(row["first"]).as_unit("ns")) if has_time else None,
            "last_event": str(pd.Timestamp(row["last"]).as_unit("ns")) if has_time else None,
            "event_mix": {str(k): int(v) for k, v in sorted(zip(mix["event"], mix["n"], strict=True),
                                                           key=lambda kv: -kv[1]) if v}}
