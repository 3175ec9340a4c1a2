"""Column inference that reads header names and values.

:func:`infer_mapping` proposes ``{canonical column: file column}`` for a table of text cells.
Each choice carries its reason and a confidence:

* **high**: the header is a known name for the column (``CustomerID``, ``用户ID``) or its words
  name it (``household_id``: "household" is a customer; ``实付金额``: "实付" is the amount paid)
  *and* the values fit (≥ 95% dates for a time, id-like text for ids, numbers for money), with no
  other column close behind.
* **medium**: the words and values fit, but another column fits almost as well (the alternatives
  are listed), or the values decided between a unit price and a line total.
* **low**: only the values point to it, or the header says one thing and the values another.

Medium and low choices are *proposals*: the Data page shows them and asks before accepting, and
the CLI prints them in ``validate``'s JSON (and a note on stderr for the other commands).

Header words come from splitting on case changes, ``_``, spaces and punctuation; Chinese terms are
found inside the header. Several discount columns may be chosen together (they are summed into
``discount`` with the breakdown kept by source).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .schema import BY_NAME, COLUMN_NAMES, MULTI_COLUMNS, canonical_event, normalise

SAMPLE_ROWS = 2000
DATETIME_SHARE = 0.95
NUMERIC_SHARE = 0.95
EXACT = 10.0        # score of a header that is a listed synonym
CLOSE = 2.0         # a runner-up within this many points makes a choice ambiguous
MULTI = MULTI_COLUMNS

# words (ASCII tokens) and Chinese terms (found as substrings) that name a column, with weights.
_WORDS: dict[str, dict[str, float]] = {
    "user_id": {"household": 4, "hh": 3, "customer": 4, "cust": 4, "member": 4, "membership": 4, "user": 4,
                "client": 4, "account": 4, "acct": 4, "buyer": 4, "visitor": 4, "shopper": 4, "consumer": 4,
                "loyalty": 3, "card": 2, "uid": 4, "cid": 3, "会员": 4, "用户": 4, "客户": 4, "买家": 4, "顾客": 4,
                "消费者": 4, "账号": 3, "卡号": 3, "客人": 3},
    "timestamp": {"timestamp": 5, "time": 4, "datetime": 5, "date": 4, "dt": 4, "ts": 4, "at": 1, "时间": 4,
                  "日期": 4, "时刻": 4},
    "event": {"event": 4, "action": 4, "behavior": 4, "behaviour": 4, "activity": 3, "type": 1, "行为": 4,
              "动作": 3},
    "item_id": {"item": 4, "product": 4, "prod": 3, "sku": 5, "article": 4, "stock": 3, "goods": 4, "upc": 4,
                "ean": 4, "barcode": 4, "plu": 3, "merchandise": 3, "commodity": 3, "商品": 4, "货号": 4,
                "产品": 4, "宝贝": 4, "条码": 4, "款号": 3},
    "item_name": {"name": 3, "description": 4, "desc": 3, "title": 3, "label": 2, "名称": 4, "品名": 4,
                  "标题": 3},
    "category": {"category": 5, "cat": 3, "categ": 4, "department": 4, "dept": 4, "class": 2, "family": 2,
                 "commodity": 1, "类目": 5, "品类": 5, "分类": 4, "类别": 4},
    "price": {"price": 4, "unitprice": 5, "单价": 5, "价格": 4, "售价": 4, "标价": 4},
    "line_total": {"amount": 4, "amt": 4, "total": 3, "sales": 4, "sale": 3, "value": 3, "revenue": 4,
                   "paid": 5, "spend": 4, "subtotal": 4, "net": 2, "金额": 4, "实付": 5, "销售额": 5, "小计": 4,
                   "营业额": 4, "成交": 2, "收入": 3, "支付": 1},
    "quantity": {"qty": 5, "quantity": 5, "quant": 4, "units": 4, "unit": 1, "pieces": 4, "pcs": 4,
                 "volume": 3, "count": 2, "数量": 5, "件数": 4, "个数": 4},
    "order_id": {"order": 4, "basket": 4, "invoice": 4, "transaction": 4, "trans": 3, "txn": 4, "receipt": 4,
                 "ticket": 3, "bill": 3, "订单": 5, "小票": 4, "交易": 3, "单号": 4, "流水": 3},
    "discount": {"discount": 5, "disc": 5, "coupon": 4, "markdown": 4, "promo": 3, "promotion": 3,
                 "rebate": 4, "voucher": 4, "saving": 3, "savings": 3, "优惠": 5, "折扣": 5, "券": 4, "满减": 5,
                 "减免": 4, "抵扣": 4, "红包": 3, "折让": 4, "让利": 4},
}
# words that say "not this column" even when another word matches.
_NOT: dict[str, tuple[str, ...]] = {
    "user_id": ("name", "type", "segment", "age", "gender", "level", "tier", "group", "since", "count",
                "email", "phone", "名称", "姓名", "等级", "性别", "年龄", "电话"),
    "timestamp": ("birth", "dob", "expiry", "expire", "ship", "shipped", "delivery", "deliver", "refund",
                  "signup", "register", "registered", "update", "updated", "modified", "生日", "发货", "收货",
                  "退款", "注册"),
    "item_id": ("name", "desc", "description", "title", "category", "cat", "type", "price", "qty", "quantity",
                "count", "amount", "名称", "类目", "价格", "数量", "金额"),
    "item_name": ("customer", "user", "member", "store", "shop", "category", "brand", "客户", "会员", "门店",
                  "店铺", "类目", "品牌"),
    "category": ("customer", "user", "member", "客户", "会员"),
    "price": ("total", "amount", "sales", "line", "sum", "subtotal", "总", "金额", "小计", "disc", "discount",
              "coupon", "优惠"),
    "line_total": ("disc", "discount", "coupon", "markdown", "rebate", "voucher", "tax", "shipping", "freight",
                   "fee", "unit", "优惠", "折扣", "券", "运费", "税", "单价", "满减", "红包"),
    "quantity": ("price", "amount", "价", "金额"),
    "order_id": ("date", "time", "datetime", "dt", "timestamp", "amount", "total", "value", "qty", "type",
                 "时间", "日期", "金额", "类型"),
    "discount": ("rate", "pct", "percent", "share", "code", "id", "type", "flag", "name", "率", "类型", "名称",
                 "代码"),
}
# in a time header these words point to the moment of the purchase.
_TIME_CONTEXT = ("order", "trans", "transaction", "purchase", "invoice", "sale", "event", "pay", "payment",
                 "下单", "支付", "成交", "交易", "付款")
_ID_WORDS = ("id", "no", "nr", "num", "number", "key", "code", "编号", "号", "id")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Choice:
    """One proposed column: canonical ``column`` taken from the file's ``source``."""

    column: str
    source: str
    confidence: str            # high | medium | low
    reason: str
    alternatives: tuple[str, ...] = ()

    @property
    def needs_review(self) -> bool:
        return self.confidence != "high"


@dataclass(frozen=True)
class Inference:
    """The proposed mapping with a reason for every choice, and what could not be decided."""

    choices: tuple[Choice, ...]
    candidates: dict            # canonical column -> file columns whose values would fit (for messages)
    notes: tuple[str, ...] = ()

    def mapping(self) -> dict[str, str | tuple[str, ...]]:
        out: dict[str, str | tuple[str, ...]] = {}
        for c in self.choices:
            if c.column in MULTI:
                prev = out.get(c.column, ())
                out[c.column] = (*prev, c.source) if isinstance(prev, tuple) else (prev, c.source)
            else:
                out[c.column] = c.source
        return {k: (v[0] if isinstance(v, tuple) and len(v) == 1 else v) for k, v in out.items()}

    def review(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.needs_review)

    def to_dict(self) -> dict:
        return {"choices": [{**asdict(c), "alternatives": list(c.alternatives), "needs_review": c.needs_review}
                            for c in self.choices],
                "candidates": {k: list(v) for k, v in self.candidates.items()}, "notes": list(self.notes)}


# ----------------------------------------------------------------------------- header words

def header_words(label: object) -> tuple[list[str], str]:
    """ASCII words of a header (split on case, ``_``, spaces, digits) and its Chinese text."""
    text = unicodedata.normalize("NFKC", str(label))
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced).casefold()
    words = [w for w in re.split(r"[^a-z]+", spaced) if w]
    return words, "".join(_CJK.findall(text))


def name_score(label: object, column: str) -> tuple[float, str]:
    """How strongly a header names a canonical column, and the words that said so."""
    key = normalise(label)
    if key in {normalise(s) for s in (column, *BY_NAME[column].synonyms)}:
        return EXACT, f"header {str(label)!r} is a known name for {column}"
    words, cjk = header_words(label)
    joined = "".join(words)
    vocab = _WORDS.get(column, {})
    hits: list[str] = []
    score = 0.0
    for w in words:
        if w in vocab:
            score += vocab[w]
            hits.append(w)
    if column == "price" and "unitprice" in joined and "unitprice" not in hits:
        score += vocab["unitprice"]
        hits.append("unit price")
    for term, weight in vocab.items():
        if _CJK.search(term) and term in cjk:
            score += weight
            hits.append(term)
    if not hits:
        return 0.0, ""
    if any(w in _NOT.get(column, ()) for w in words) or any(
            _CJK.search(t) and t in cjk for t in _NOT.get(column, ())):
        return 0.0, ""
    if column in ("user_id", "item_id", "order_id") and (set(words) & set(_ID_WORDS) or
                                                        any(t in cjk for t in ("编号", "号", "码"))):
        score += 1
    if column == "timestamp" and (set(words) & set(_TIME_CONTEXT) or any(t in cjk for t in _TIME_CONTEXT)):
        score += 1
    return min(score, EXACT - 1), f"header words {', '.join(repr(h) for h in dict.fromkeys(hits))} name {column}"


# ----------------------------------------------------------------------------- value profiles

@dataclass(frozen=True)
class Profile:
    """What the values of one column look like (on an evenly spaced sample)."""

    rows: int           # rows in the sample
    filled: float       # share of non-empty cells
    distinct: int
    datetime: float     # share of non-empty cells read as a date-time
    has_clock: float    # share with a time of day (not just a date)
    numeric: float      # share of non-empty cells read as numbers
    fractional: float   # share of numbers with a fractional part
    negative: float     # share of numbers below zero
    events: float       # share of cells that are known event names


_NUM_CLEAN = re.compile(r"[£$€¥￥₹\s\u00a0,]|(?i:usd|gbp|eur|rmb|cny|元)")
_DATE_TEXT = re.compile(r"\d{1,4}[-/.年]\d{1,2}|\d{1,2}:\d{2}|[A-Za-z]{3,9}\s+\d{1,2}")


def _sample(s: pd.Series, n: int = SAMPLE_ROWS) -> pd.Series:
    if len(s) <= n:
        return s
    return s.iloc[np.linspace(0, len(s) - 1, n).astype(int)]


def datetime_share(s: pd.Series) -> tuple[float, float]:
    """Share of non-empty cells that are date-times (text with separators, or Unix time), and the
    share of those with a time of day. Bare small integers (week numbers) are not dates."""
    if pd.api.types.is_datetime64_any_dtype(s):
        nn = s.dropna()
        return (1.0 if len(nn) else 0.0), float((nn != nn.dt.normalize()).mean()) if len(nn) else 0.0
    t = s.dropna().astype("str").str.strip()
    t = t[t != ""]
    if t.empty:
        return 0.0, 0.0
    unix = t.str.fullmatch(r"\d{9,13}(\.\d+)?")
    if unix.mean() > 0.9:
        return float(unix.mean()), 1.0
    looks = t.str.contains(_DATE_TEXT) | t.str.fullmatch(r"(19|20)\d{6}([ T]?\d{4,6})?")
    if looks.mean() < 0.5:
        return 0.0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(t.where(looks), errors="coerce", format="mixed")
        except (ValueError, OverflowError):  # mixed UTC offsets (converted to UTC when the data is read)
            parsed = pd.to_datetime(t.where(looks), errors="coerce", format="mixed", utc=True)
    ok = parsed.notna() & looks
    clock = t[ok].str.contains(r"\d{1,2}:\d{2}")
    return float(ok.mean()), float(clock.mean()) if ok.any() else 0.0


def profile(s: pd.Series) -> Profile:
    s = _sample(s)
    filled = float(s.notna().mean()) if len(s) else 0.0
    nn = s.dropna()
    if pd.api.types.is_numeric_dtype(nn) and not pd.api.types.is_bool_dtype(nn):
        num = pd.to_numeric(nn, errors="coerce")
        text = nn.astype("str")
    else:
        text = nn.astype("str").str.strip()
        text = text[text != ""]
        num = pd.to_numeric(text.str.replace(_NUM_CLEAN, "", regex=True), errors="coerce")
    num = num[np.isfinite(num)] if len(num) else num
    n = max(len(text), 1)
    dt, clock = datetime_share(nn) if len(nn) else (0.0, 0.0)
    uniq = text.unique()
    ev = float(text.map({u: canonical_event(u) is not None for u in uniq[:200]}).fillna(False).mean()) \
        if 0 < len(uniq) <= 50 else 0.0
    return Profile(rows=len(s), filled=filled, distinct=int(len(uniq)), datetime=dt, has_clock=clock,
                   numeric=len(num) / n, fractional=float((num != num.round()).mean()) if len(num) else 0.0,
                   negative=float((num < 0).mean()) if len(num) else 0.0, events=ev)


def values_fit(column: str, p: Profile) -> tuple[bool, str]:
    """Whether a column's values fit a canonical column, with the reason in words."""
    if p.filled == 0:
        return False, "the column is empty"
    if column == "timestamp":
        if p.datetime >= DATETIME_SHARE:
            return True, f"{p.datetime:.0%} of values read as date-times"
        return False, f"only {p.datetime:.0%} of values read as date-times"
    if p.datetime >= 0.5 and p.numeric < 0.9:
        return False, "values are dates"
    if column in ("user_id", "order_id", "item_id"):
        if p.numeric >= 0.9 and p.fractional > 0.2:
            return False, "values are decimal numbers, not ids"
        if p.distinct <= 1 and p.rows >= 10:
            return False, "every row holds the same value"
        return True, "values are id-like"
    if column == "event":
        if p.events >= 0.9:
            return True, f"{p.events:.0%} of values are event names (view, cart, buy…)"
        return False, "values are not event names"
    if column in ("price", "line_total", "quantity", "discount"):
        if p.numeric < NUMERIC_SHARE:
            return False, f"only {p.numeric:.0%} of values are numbers"
        if column in ("price", "line_total", "quantity") and p.negative > 0.2:
            return False, f"{p.negative:.0%} of values are negative"
        return True, "values are numbers" + (" (negative: amounts off)" if column == "discount" and
                                             p.negative > 0.5 else "")
    if column in ("item_name", "category"):
        if column == "item_name" and p.numeric > 0.9:
            return False, "values are numbers, not names"
        return True, "values are text"
    return True, ""


# ----------------------------------------------------------------------------- unit price or line total

def unit_or_line(x: pd.Series, qty: pd.Series, item: pd.Series | None = None) -> tuple[str | None, float]:
    """Does a money column move with the quantity (a line total) or not (a unit price)?

    Regresses log(amount) on log(quantity) within items (when an item column exists): a slope
    near 1 means the amount grows with the quantity (line total), near 0 that it does not (unit
    price). Returns ("line" | "unit" | None, slope); None when quantities never vary.
    """
    frame = pd.DataFrame({"x": _numbers(x), "q": _numbers(qty)})
    if item is not None:
        frame["i"] = item.astype("str").to_numpy()
    frame = frame[(frame["x"] > 0) & (frame["q"] > 0) & np.isfinite(frame["x"]) & np.isfinite(frame["q"])]
    if len(frame) < 10:
        return None, float("nan")
    frame = frame.assign(lx=np.log(frame["x"]), lq=np.log(frame["q"]))
    if item is not None:
        g = frame.groupby("i")
        frame = frame.assign(lx=frame["lx"] - g["lx"].transform("mean"), lq=frame["lq"] - g["lq"].transform("mean"))
    var = float((frame["lq"] ** 2).sum())
    if (frame["lq"].abs() > 1e-9).sum() < 5 or not 0 < var < np.inf:
        return None, float("nan")
    slope = float((frame["lq"] * frame["lx"]).sum() / var)
    if slope > 0.7:
        return "line", slope
    if slope < 0.3:
        return "unit", slope
    return None, slope


def _numbers(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return pd.to_numeric(s, errors="coerce").astype("float64").reset_index(drop=True)
    t = s.astype("str").str.replace(_NUM_CLEAN, "", regex=True)
    return pd.to_numeric(t, errors="coerce").astype("float64").reset_index(drop=True)


# ----------------------------------------------------------------------------- inference

def infer_mapping(frame: pd.DataFrame) -> Inference:
    """Propose a mapping for a table of text cells from its headers and values (see module doc)."""
    cols = [str(c) for c in frame.columns]
    profiles = {c: profile(frame[c]) for c in cols}
    scored: list[tuple[float, str, str, str, str]] = []   # (score, column, source, name reason, value reason)
    candidates: dict[str, list[str]] = {}
    for target in COLUMN_NAMES:
        for c in cols:
            fit, why = values_fit(target, profiles[c])
            s, reason = name_score(c, target)
            if fit:
                candidates.setdefault(target, []).append(c)
            if s <= 0:
                continue
            if not fit and s < EXACT:
                continue
            if target == "timestamp" and fit:
                s += 0.5 * profiles[c].has_clock      # a time of day beats a bare date
            scored.append((s, target, c, reason, why if fit else "but " + why))
    scored.sort(key=lambda r: (-r[0], COLUMN_NAMES.index(r[1]), cols.index(r[2])))
    taken: dict[str, str] = {}
    chosen: dict[str, list[tuple[float, str, str, str, bool]]] = {}
    for s, target, c, reason, why in scored:
        if c in taken or (target in chosen and target not in MULTI):
            continue
        exact_elsewhere = any(r[0] >= EXACT and r[2] == c and r[1] != target for r in scored)
        if exact_elsewhere and s < EXACT:
            continue
        taken[c] = target
        chosen.setdefault(target, []).append((s, c, reason, why, not why.startswith("but ")))
    choices: list[Choice] = []
    for target in COLUMN_NAMES:
        for s, c, reason, why, fit in chosen.get(target, []):
            rivals = [r[2] for r in scored if r[1] == target and r[2] != c and r[2] not in taken
                      and r[0] >= s - CLOSE and r[4] and not r[4].startswith("but ")]
            if target in MULTI:
                rivals = []
            if not fit:
                conf = "low"
            elif rivals:
                conf = "medium"
            else:
                conf = "high"
            text = f"{reason}; {why}" if why else reason
            if rivals:
                text += f"; {', '.join(map(repr, rivals))} would fit almost as well"
            choices.append(Choice(target, c, conf, text, tuple(rivals)))
    notes: list[str] = []
    choices = _values_only(choices, frame, profiles, taken, notes)
    choices = _resolve_money(choices, frame, notes)
    order = {n: i for i, n in enumerate(COLUMN_NAMES)}
    choices.sort(key=lambda ch: (order[ch.column], cols.index(ch.source)))
    return Inference(tuple(choices), {k: tuple(v) for k, v in candidates.items()}, tuple(notes))


def _values_only(choices: list[Choice], frame: pd.DataFrame, profiles: dict[str, Profile],
                 taken: dict[str, str], notes: list[str]) -> list[Choice]:
    """A time column nobody named: the one column whose values are all date-times (low confidence)."""
    if any(c.column == "timestamp" for c in choices):
        return choices
    times = [c for c, p in profiles.items() if c not in taken and p.datetime >= DATETIME_SHARE]
    if times:
        best = max(times, key=lambda c: (profiles[c].has_clock, -list(profiles).index(c)))
        others = tuple(t for t in times if t != best)
        choices.append(Choice("timestamp", best, "low",
                              f"no header names a time; {profiles[best].datetime:.0%} of the values of "
                              f"{best!r} read as date-times", others))
    return choices


def _resolve_money(choices: list[Choice], frame: pd.DataFrame, notes: list[str]) -> list[Choice]:
    """Let the values decide unit price vs line total when only one money column was found."""
    by = {c.column: c for c in choices}
    if "quantity" not in by or ("price" in by) == ("line_total" in by):
        return choices
    money = by.get("price") or by.get("line_total")
    rows = frame.iloc[np.linspace(0, len(frame) - 1, min(len(frame), 50_000)).astype(int)] if len(frame) else frame
    item = rows[by["item_id"].source] if "item_id" in by else None
    kind, slope = unit_or_line(rows[money.source], rows[by["quantity"].source], item)
    if kind is None:
        return choices
    target = "line_total" if kind == "line" else "price"
    evidence = (f"the amount grows with the quantity (slope {slope:.2f} of log amount on log quantity"
                f"{' within items' if item is not None else ''}), so it is the amount paid for the line"
                if kind == "line" else
                f"the amount stays the same whatever the quantity (slope {slope:.2f}"
                f"{' within items' if item is not None else ''}), so it is a unit price")
    if target == money.column:
        out = Choice(money.column, money.source, money.confidence, money.reason + "; " + evidence,
                     money.alternatives)
    elif money.reason.startswith(f"header {money.source!r} is a known name"):
        out = Choice(money.column, money.source, "low", money.reason + "; but " + evidence
                     + f"; consider mapping it as {target}", money.alternatives)
    else:
        out = Choice(target, money.source, "medium", f"{money.reason} (read as {money.column}), but "
                     + evidence, money.alternatives)
    return [out if c is money else c for c in choices]


__all__ = ["Choice", "Inference", "header_words", "infer_mapping", "name_score", "profile", "unit_or_line",
           "values_fit"]
