"""Locale-aware numbers, money, percentages and dates (Babel), for screens and reports.

Exports keep full precision and machine names; these functions are for what a person reads.
In Chinese, large numbers are written with 万 and 亿 (``fmt_compact``) and ¥ is the default currency.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_decimal, format_percent

from .catalog import current_locale

#: the currency symbols the sidebar offers, with their ISO codes
CURRENCIES = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "CNY"}


def _babel_locale() -> str:
    return "zh_CN" if current_locale() == "zh_CN" else "en_GB"


def default_currency() -> str:
    """The currency symbol a new session starts with: ¥ in Chinese, £ otherwise (the sample's)."""
    return "¥" if current_locale() == "zh_CN" else "£"


def currency_symbol(symbol: str | None) -> str:
    return symbol if symbol else default_currency()


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def fmt_int(x, missing: str = "–") -> str:
    """A count: ``12,345``."""
    if _missing(x):
        return missing
    return format_decimal(round(float(x)), locale=_babel_locale(), format="#,##0")


def fmt_num(x, digits: int = 3, missing: str = "–") -> str:
    """A measure with at most ``digits`` significant decimals: 325.5826 → ``325.6`` (3 significant), 0.01234 → ``0.0123``."""
    if _missing(x):
        return missing
    x = float(x)
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(x, locale=_babel_locale(), format=pattern)


def fmt_money(x, symbol: str | None = None, decimals: int = 0, signed: bool = False, missing: str = "–") -> str:
    """Money with the symbol before the sign-less amount: ``£8,887``, ``-£4,705`` (never ``£-4,705``)."""
    if _missing(x):
        return missing
    x = float(x)
    sym = currency_symbol(symbol)
    body = format_decimal(abs(x), locale=_babel_locale(), format="#,##0" + ("." + "0" * decimals if decimals else ""))
    shown = round(abs(x), decimals)
    sign = "-" if x < 0 and shown != 0 else ("+" if signed and shown != 0 else "")
    return f"{sign}{sym}{body}"


def fmt_compact(x, symbol: str | None = None, missing: str = "–") -> str:
    """A large number short enough for a tile: ``£8.89M`` in English, ``¥888.71万`` in Chinese."""
    if _missing(x):
        return missing
    x = float(x)
    if abs(x) < 10_000:
        return fmt_money(x, symbol) if symbol is not None else fmt_num(x)
    # English tiles use CLDR's "en" short forms (K, M, B): en_GB's changed to "k", "m", "bn" in Babel 2.17+
    loc = "zh_CN" if _babel_locale() == "zh_CN" else "en"
    body = format_compact_decimal(abs(x), locale=loc, fraction_digits=2)
    sign = "-" if x < 0 else ""
    return f"{sign}{symbol or ''}{body}"


def fmt_pct(x, digits: int = 1, signed: bool = False, missing: str = "–") -> str:
    """A share given as a fraction: 0.1234 → ``12.3%``."""
    if _missing(x):
        return missing
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    text = format_percent(float(x), locale=_babel_locale(), format=pattern)
    return ("+" + text) if signed and float(x) > 0 else text


def fmt_pp(x, digits: int = 2, missing: str = "–") -> str:
    """A difference between two rates, in percentage points: 0.0123 → ``+1.23 pp``."""
    if _missing(x):
        return missing
    return f"{100 * float(x):+.{digits}f} pp"


def fmt_date(d, missing: str = "–") -> str:
    """A calendar date in the language's medium form: ``1 Dec 2010`` / ``2010年12月1日``."""
    if d is None:
        return missing
    if isinstance(d, str):
        d = datetime.fromisoformat(d[:10])
    if hasattr(d, "to_pydatetime"):
        d = d.to_pydatetime()
    if isinstance(d, datetime):
        d = d.date()
    if not isinstance(d, date):
        return missing
    return format_date(d, format="medium", locale=_babel_locale())
