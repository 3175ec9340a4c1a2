"""Canonical columns, their synonyms, column auto-mapping and the one error type.

Everything the loader, the quality report and the error messages say about columns is
generated from :data:`COLUMNS`; nothing else in the package lists column names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .i18n import DEFAULT_LOCALE, N_, _, current_locale


class Msg(str):
    """Text kept in English that remembers its template and values, so it can be shown in any language.

    Core results that are cached and shared between sessions (quality-report notes and steps, segment
    names) must not hold translated text: they hold a ``Msg`` instead. ``str(msg)`` is the English
    text (JSON exports, logs); :func:`tr` gives it in the current language. The template is marked
    for extraction at the call site: ``Msg(N_("Times in column {column} were converted"), column="t")``.
    """

    template: str
    values: dict

    def __new__(cls, template: str, **values):
        obj = super().__new__(cls, template.format(**values) if values else template)
        obj.template = template
        obj.values = values
        return obj

    @classmethod
    def worded(cls, english: str, template: str, **values) -> Msg:
        """A message whose English text differs from its template (e.g. lower-cased inside a name)."""
        obj = str.__new__(cls, english)
        obj.template = template
        obj.values = values
        return obj

    def __reduce__(self):
        return (_make_msg, (self.template, self.values, str(self)))

    def translated(self) -> str:
        if current_locale() == DEFAULT_LOCALE:  # English is the source: the text as written
            return str(self)
        vals = {k: tr(v) if isinstance(v, Msg) else v for k, v in self.values.items()}
        return _(self.template).format(**vals) if vals else _(self.template)


def _make_msg(template: str, values: dict, english: str | None = None) -> Msg:
    return Msg.worded(english, template, **values) if english is not None else Msg(template, **values)


def tr(text: object) -> str:
    """``text`` in the current language: a :class:`Msg` through its template, a plain string through
    the catalog (unchanged when it is not a message, e.g. a value from the user's file)."""
    if isinstance(text, Msg):
        return text.translated()
    if isinstance(text, str) and text:
        return _(text)
    return "" if text is None else str(text)


class DataError(ValueError):
    """Something is wrong with the user's data or parameters.

    The message is written for a marketer in three parts: what is wrong, where (column,
    rows, value) and what to do. The parts are also kept as fields so pages can lay them out.
    """

    def __init__(self, what: str, *, where: str = "", hint: str = "", column: str | None = None,
                 rows: Sequence[int] = (), value: object = None):
        self.what = what.strip()
        self.where = where.strip()
        self.hint = hint.strip()
        self.column = column
        self.rows = tuple(int(r) for r in rows)
        self.value = value
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [_sentence(tr(self.what))]
        if self.where:
            parts.append(_sentence(_("Where: {where}").format(where=tr(self.where))))
        if self.hint:
            parts.append(_sentence(_("What to do: {hint}").format(hint=tr(self.hint))))
        return " ".join(parts)


def _sentence(text: str) -> str:
    if text.endswith((".", "?", "!", "。", "？", "！")):
        return text
    return text + ("。" if current_locale() == "zh_CN" else ".")


def rows_phrase(rows: Iterable[int], total: int | None = None, limit: int = 5) -> str:
    """'rows 3, 7, 12 and 40 more' for a message (row numbers as the user sees them)."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    n = len(rows) if total is None else total
    more = n - min(len(rows), limit)
    word = "row" if n == 1 else "rows"
    return f"{word} {shown}" + (f" and {more:,} more" if more > 0 else "")


@dataclass(frozen=True)
class Column:
    """One canonical column of the behaviour-event contract."""

    name: str
    dtype: str
    required: bool
    meaning: str
    synonyms: tuple[str, ...]


COLUMNS: tuple[Column, ...] = (
    Column("user_id", "string", True, N_("customer / visitor id"),
           ("user", "user id", "userid", "customer", "customer id", "customerid", "client id",
            "visitor", "visitor id", "visitorid", "member", "member id", "buyer id", "uid",
            "household", "household id", "account", "account id", "shopper id", "cust id",
            "用户", "用户id", "客户", "客户id", "会员", "会员id", "买家id", "顾客", "顾客id")),
    Column("timestamp", "datetime64[ns]", True, N_("when the event happened"),
           ("timestamp", "time", "date", "datetime", "event time", "event date", "invoice date",
            "invoicedate", "order date", "order time", "order datetime", "created at", "ts",
            "transaction time", "transaction date", "transaction timestamp", "trans dt", "trans date",
            "时间", "时间戳", "日期", "下单时间", "行为时间", "支付时间", "付款时间", "交易时间")),
    Column("event", "category", False,
           N_("what the user did: view, search, click, cart, fav, purchase (missing: all purchase)"),
           ("event", "event type", "action", "behavior", "behaviour", "behavior type",
            "behaviour type", "activity", "行为", "行为类型")),
    Column("item_id", "string", False, N_("product / SKU (needed for rules and recommendations)"),
           ("item", "item id", "itemid", "product", "product id", "productid", "sku", "stock code",
            "stockcode", "article", "商品", "商品id")),
    Column("item_name", "string", False, N_("human label shown instead of item_id"),
           ("item name", "product name", "description", "name", "title", "商品名称", "名称")),
    Column("category", "string", False, N_("product category"),
           ("category", "category id", "categoryid", "product category", "cat", "类目", "类目id",
            "品类", "分类")),
    Column("price", "float", False,
           N_("unit price (revenue is price × quantity when there is no line_total; derived from it when there is)"),
           ("price", "unit price", "unitprice", "item price", "价格", "单价")),
    Column("line_total", "float", False,
           N_("amount paid for the whole line (revenue uses it when present; checked against price × quantity)"),
           ("line total", "line amount", "sales value", "amount", "sales amount", "net amount", "amount paid",
            "paid amount", "实付金额", "金额", "销售额", "支付金额", "成交金额", "小计")),
    Column("quantity", "float", False, N_("units bought; negative means a return (missing: 1)"),
           ("qty", "quantity", "units", "count", "数量", "购买数量", "件数")),
    Column("order_id", "string", False,
           N_("basket key; without it a basket is one user's purchases on one day"),
           ("order", "order id", "orderid", "invoice", "invoice no", "invoiceno", "invoice number",
            "transaction", "transaction id", "transactionid", "basket", "basket id",
            "receipt", "receipt id", "trans id", "订单", "订单号", "订单id", "订单编号", "交易号")),
    Column("discount", "float", False,
           N_("amount taken off, per unit (0: full price); several discount columns are summed, the breakdown "
           "is kept by source"),
           ("discount", "unit discount", "promo discount", "discount amount", "markdown", "coupon discount",
            "retail discount", "优惠", "折扣金额", "优惠金额", "平台券", "店铺券")),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
MULTI_COLUMNS: tuple[str, ...] = ("discount",)   # may be summed from several file columns

EVENTS: tuple[str, ...] = ("view", "search", "click", "cart", "fav", "purchase")

EVENT_SYNONYMS: dict[str, str] = {
    **{e: e for e in EVENTS},
    "pv": "view", "pageview": "view", "page view": "view", "detail": "view", "impression": "view",
    "浏览": "view", "点击": "click",
    "addtocart": "cart", "add to cart": "cart", "addcart": "cart", "add": "cart", "basket": "cart",
    "加购": "cart", "加入购物车": "cart",
    "favorite": "fav", "favourite": "fav", "wishlist": "fav", "like": "fav", "收藏": "fav",
    "buy": "purchase", "order": "purchase", "transaction": "purchase", "sale": "purchase",
    "checkout": "purchase", "购买": "purchase", "下单": "purchase",
    "query": "search", "搜索": "search",
}


def normalise(label: object) -> str:
    """Case-, accent- and punctuation-insensitive key: 'Customer ID' -> 'customerid'."""
    text = unicodedata.normalize("NFKC", str(label)).casefold()
    return re.sub(r"[\W_]+", "", text)


def match_columns(columns: Iterable[object], synonyms: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """``{role: column}`` for the first column whose normalised header is a synonym of the role;
    each role and each column is used at most once."""
    index = {normalise(s): role for role, syns in synonyms.items() for s in syns}
    out: dict[str, str] = {}
    for col in columns:
        role = index.get(normalise(col))
        if role and role not in out:
            out[role] = str(col)
    return out


_SYNONYMS: dict[str, tuple[str, ...]] = {c.name: (c.name, *c.synonyms) for c in COLUMNS}
_EVENT_INDEX: dict[str, str] = {normalise(k): v for k, v in EVENT_SYNONYMS.items()}


def canonical_event(value: object) -> str | None:
    """The canonical event for a raw label ('pv' -> 'view'), or None when unknown."""
    return _EVENT_INDEX.get(normalise(value))


def propose_mapping(columns: Iterable[object]) -> dict[str, str]:
    """Propose ``{canonical column: source column}`` from synonyms.

    Matching ignores case, spaces and punctuation, so 'Customer ID', 'customer_id' and
    'CustomerID' all map to ``user_id``. The first source column that matches wins; a source
    column is used at most once.
    """
    return match_columns(columns, _SYNONYMS)


def sources(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The file column(s) of one mapping entry: one name, or several for a summed column."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v not in (None, ""))


def check_mapping(mapping: Mapping[str, str | Sequence[str]], columns: Sequence[str], *,
                  require: Sequence[str] = REQUIRED,
                  candidates: Mapping[str, Sequence[str]] | None = None) -> dict[str, str | tuple[str, ...]]:
    """Validate a mapping against the file's columns; return it without empty entries.

    A column in :data:`MULTI_COLUMNS` (``discount``) may name several file columns (a list or
    tuple): they are summed. Every other column names one file column.
    """
    clean: dict[str, str | tuple[str, ...]] = {}
    for k, v in mapping.items():
        src = sources(v)
        if src:
            clean[k] = src[0] if len(src) == 1 else src
    unknown = sorted(set(clean) - set(COLUMN_NAMES))
    if unknown:
        raise DataError(f"Unknown target column(s) {', '.join(unknown)}",
                        hint=f"Map only to: {', '.join(COLUMN_NAMES)}")
    several = [k for k, v in clean.items() if isinstance(v, tuple) and k not in MULTI_COLUMNS]
    if several:
        raise DataError(f"{several[0]} can come from one file column only, not {', '.join(clean[several[0]])}",
                        hint=f"Only {', '.join(MULTI_COLUMNS)} may sum several columns")
    absent = [v for src in clean.values() for v in sources(src) if v not in columns]
    if absent:
        raise DataError(f"The mapping names column(s) the file does not have: {', '.join(map(repr, absent))}",
                        where=f"the file's columns are {', '.join(map(repr, columns[:30]))}",
                        hint="Pick columns from the file")
    used: dict[str, str] = {}
    for target, src in clean.items():
        for source in sources(src):
            if source in used:
                raise DataError(f"Column {source!r} is mapped twice, to {used[source]} and to {target}",
                                hint="Map each file column to one meaning only")
            used[source] = target
    missing = [c for c in require if c not in clean]
    if missing:
        names = ", ".join(f"{c} ({BY_NAME[c].meaning})" for c in missing)
        fits = [c for c in (candidates or {}).get(missing[0], ()) if c not in used][:5]
        hint = (f"Columns whose values would fit {missing[0]}: {', '.join(map(repr, fits))}. " if fits else "")
        raise DataError(f"No column was recognised as {names}",
                        where=f"the file's columns are {', '.join(map(repr, list(columns)[:30]))}",
                        hint=hint + "Map the column by hand on the Data page (or --map on the command line), "
                             f"or rename it in the file to one of: {', '.join(BY_NAME[missing[0]].synonyms[:6])}")
    return clean


def is_canonical(name: object) -> bool:
    """A canonical events column: one of COLUMNS, or a discount source kept as 'discount: SOURCE'."""
    return str(name) in BY_NAME or str(name).startswith("discount: ")


#: money summed per order, per customer-day or per customer is rounded to a millionth of the currency unit: the
#: same lines summed in another order (an engine's) then give the same value bit for bit, so thresholds compare
#: alike and models that bin or fit money (tree ensembles, BG/NBD) see the same numbers on every engine
MONEY_DECIMALS = 6


def line_amount(events):
    """Revenue of each line of a canonical events frame: ``line_total`` where the file has it, else
    ``price × quantity``. The one place revenue per line is defined (KPIs, RFM value, planner, rules)."""
    amount = events["price"] * events["quantity"]
    if "line_total" in events:
        amount = events["line_total"].where(events["line_total"].notna(), amount)
    return amount


def synonyms_table() -> list[dict[str, str]]:
    """The contract as rows (for the README and the Data page)."""
    return [{"column": c.name, "type": c.dtype, "required": "yes" if c.required else "no",
             "meaning": c.meaning, "recognised headers": ", ".join(c.synonyms)} for c in COLUMNS]
