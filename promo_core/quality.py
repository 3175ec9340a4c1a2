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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .io import Format, RawTable, read_table
from .schema import (
    COLUMN_NAMES,
    EVENTS,
    DataError,
    canonical_event,
    check_mapping,
    propose_mapping,
    rows_phrase,
)

MAX_BAD_SHARE = 0.05
MAX_ATTRIBUTES = 50
EVENT_DTYPE = pd.CategoricalDtype(list(EVENTS))


@dataclass(frozen=True)
class Step:
    """One cleaning step: what it removes, how many rows it removed, example file lines."""

    step: str
    rows_dropped: int
    example_lines: tuple[int, ...] = ()


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

    def to_dict(self) -> dict:
        d = asdict(self)
        d["steps"] = [asdict(s) for s in self.steps]
        return d

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

    def badge(self) -> dict:
        r = self.report
        return {"name": self.name, "rows": r.rows_kept, "users": r.users,
                "from": r.first_event, "to": r.last_event}


def load_dataset(source: bytes | str | Path, name: str | None = None, *, fmt: Format = "auto",
                 sheet: str | None = None, mapping: Mapping[str, str] | None = None,
                 max_bytes: int | None = None) -> Dataset:
    """Read, map, validate and clean a file in one call (what the CLI and the sample use)."""
    raw = read_table(source, name, fmt=fmt, sheet=sheet, max_bytes=max_bytes)
    return clean_events(raw, mapping)


def clean_events(raw: RawTable, mapping: Mapping[str, str] | None = None, *,
                 max_bad_share: float = MAX_BAD_SHARE) -> Dataset:
    """Turn a :class:`RawTable` into a :class:`Dataset` of canonical events.

    Parameters
    ----------
    raw : RawTable
        What :func:`promo_core.io.read_table` returned.
    mapping : dict, optional
        ``{canonical column: file column}``; proposed from synonyms when omitted.
    max_bad_share : float
        A column whose non-empty cells are unreadable (dates, numbers) in more than this share
        of rows raises DataError instead of silently dropping them.
    """
    f = raw.frame
    baskets = raw.kind == "baskets"
    if baskets:
        mapping = {"user_id": "basket_id", "order_id": "basket_id", "item_id": "item"}
    else:
        mapping = check_mapping(dict(mapping) if mapping else propose_mapping(f.columns), list(f.columns),
                                require=("user_id", "timestamp"))
    n = len(f)
    lines = np.arange(n) + raw.first_line
    col = {k: f[v] for k, v in mapping.items()}
    keep = np.ones(n, dtype=bool)
    steps: list[Step] = []
    notes: list[str] = []

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
        times = parse_times(col["timestamp"], mapping["timestamp"], lines, max_bad_share)
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
    decimal_comma = raw.delimiter == ";"
    price = (parse_numbers(col["price"], "price", mapping["price"], lines, max_bad_share, decimal_comma)
             if "price" in col else None)
    disc = (parse_numbers(col["discount"], "discount", mapping["discount"], lines, max_bad_share,
                          decimal_comma) if "discount" in col else None)
    qty = (parse_numbers(col["quantity"], "quantity", mapping["quantity"], lines, max_bad_share,
                         decimal_comma) if "quantity" in col else None)

    # --- facts about the file as it came
    duplicated = f.duplicated().to_numpy()
    facts: dict[str, int] = {"rows": n, "exact_duplicate_rows": int(duplicated.sum()),
                             "rows_without_user_id": int(user.isna().sum()),
                             "rows_with_user_id": int(user.notna().sum())}
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
    drop(duplicated, "exact duplicate of an earlier row")
    drop(user.isna().to_numpy(), "user id missing")
    if not baskets:
        drop(times.isna().to_numpy(), "time missing or unreadable")
    if "event" in col:
        drop((unknown | event.isna()).to_numpy(), "event type missing or unknown")
    is_purchase = (event == "purchase").to_numpy()
    returns = cancelled.copy()
    if qty is not None:
        returns |= (qty <= 0).fillna(False).to_numpy(dtype=bool) & is_purchase
    return_rows = returns & keep
    if order is not None or qty is not None:
        drop(returns, "cancelled order or return (quantity 0 or less)")
    if qty is not None:
        drop(qty.isna().to_numpy() & is_purchase, "purchase quantity missing or not a number")
    if price is not None:
        drop(((price.isna() | (price <= 0)).to_numpy()) & is_purchase,
             "purchase price missing, not a number, or 0 or less")

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
    events["quantity"] = qty[keep].fillna(1.0).astype("float64") if qty is not None else 1.0
    extras = [c for c in f.columns if c not in set(mapping.values())]
    if len(extras) > MAX_ATTRIBUTES:
        notes.append(f"{len(extras) - MAX_ATTRIBUTES:,} further extra columns were ignored "
                     f"(the first {MAX_ATTRIBUTES} are kept as user attributes)")
        extras = extras[:MAX_ATTRIBUTES]
    for c in extras:
        name = c if c not in events.columns else f"{c} (file)"
        events[name] = _text(f[c][keep])
    events = events.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)

    if raw.layout and raw.layout.startswith("UCI Online Retail"):
        notes.append("Invoices starting with 'C' are cancellations and were removed with their rows")
    report = _report(raw, mapping, facts, steps, events, tuple(extras), tuple(notes))
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


def parse_times(s: pd.Series, source: str, lines: np.ndarray, max_bad_share: float = MAX_BAD_SHARE) -> pd.Series:
    """Parse a time column to datetime64[ns]: ISO or locale text, or Unix seconds/ms/µs/ns."""
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        return out.astype("datetime64[ns]")
    t = _text(s)
    nn = t.dropna()
    if nn.empty:
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if nn.str.fullmatch(r"\d{9,19}(\.\d+)?").mean() > 0.9:
        v = pd.to_numeric(t, errors="coerce")
        med = float(v.median())
        unit = "s" if med < 1e11 else "ms" if med < 1e14 else "us" if med < 1e17 else "ns"
        out = pd.to_datetime(v, unit=unit, errors="coerce")
    else:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = pd.to_datetime(t, errors="coerce")
            if out.isna().sum() > t.isna().sum() and out.notna().mean() < 0.5:
                out = pd.to_datetime(t, errors="coerce", dayfirst=True)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert(None)
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


_CURRENCY = re.compile(r"[£$€¥￥₹\s\u00a0]|(?i:usd|gbp|eur|rmb|cny|元)")


def parse_numbers(s: pd.Series, target: str, source: str, lines: np.ndarray,
                  max_bad_share: float = MAX_BAD_SHARE, decimal_comma: bool = False) -> pd.Series:
    """Parse prices/quantities: currency signs and thousands separators are ignored;
    '12,50' is read as 12.5 in semicolon files or when most values have that form."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return pd.to_numeric(s, errors="coerce").astype("float64")
    t = _text(s)
    if t.dropna().empty:
        return pd.Series(np.nan, index=s.index)
    if not decimal_comma:
        fast = pd.to_numeric(t, errors="coerce")
        if fast.notna().sum() == t.notna().sum():  # plain numbers: no cleaning needed (the common case)
            out = fast.astype("float64")
            out[~np.isfinite(out)] = np.nan
            return out
        failed = t.notna() & fast.isna()
        t = t.where(~failed, t[failed].str.replace(_CURRENCY, "", regex=True))
    else:
        t = t.str.replace(_CURRENCY, "", regex=True)
    if decimal_comma or t.dropna().str.fullmatch(r"-?\d+,\d{1,2}").mean() > 0.5:
        t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        t = t.str.replace(",", "", regex=False)
    out = pd.to_numeric(t, errors="coerce").astype("float64")
    out[~np.isfinite(out)] = np.nan
    bad = (t.notna() & out.isna()).to_numpy()
    if bad.sum() > max_bad_share * max(int(t.notna().sum()), 1):
        vals = ", ".join(repr(v) for v in s[bad].head(3))
        raise DataError(f"Column {source!r} ({target}) has text where a number is expected",
                        where=f"{rows_phrase(lines[bad], int(bad.sum()))} hold {vals}",
                        hint="Keep only numbers in that column (12.50, not 'twelve' or 'n/a'), or map "
                             "a different column", column=source)
    return out


def pseudonymise(ds: Dataset, salt: str) -> Dataset:
    """Replace user ids by a salted BLAKE2 hash (12 hex characters); the salt never leaves memory."""
    if ds.pseudonymised:
        return ds
    key = salt.encode()
    uniq = ds.events["user_id"].unique()
    table = {u: "u" + hashlib.blake2b(str(u).encode(), key=key[:64], digest_size=6).hexdigest() for u in uniq}
    events = ds.events.assign(user_id=ds.events["user_id"].map(table).astype("str"))
    returned = ds.returns
    if returned is not None:
        extra = {u: "u" + hashlib.blake2b(str(u).encode(), key=key[:64], digest_size=6).hexdigest()
                 for u in returned["user_id"].unique() if u not in table}
        returned = returned.assign(user_id=returned["user_id"].map({**table, **extra}).astype("str"))
    return replace(ds, events=events, returns=returned, pseudonymised=True)


__all__ = ["Dataset", "QualityReport", "Step", "clean_events", "count_orders", "load_dataset",
           "pseudonymise"]
