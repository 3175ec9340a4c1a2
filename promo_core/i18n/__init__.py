"""Translations and locale-aware formatting (gettext catalogs read with Babel).

Every user-visible string in the app, the CLI's human output and the reports is written in English
and wrapped: ``_("Revenue")``, or ``N_("Revenue")`` where the string is defined at import time and
translated where it is shown (``_(label)``). ``ngettext`` handles plurals. The language is set once
per script run (``use_locale``) and held in a context variable, so two sessions in two threads never
see each other's language. Data values (item names, segment names a user typed) are never passed
through ``_``.

Catalogs live in ``locales/<locale>/LC_MESSAGES/*.po``: several files per language, one per area of
the product, merged when loaded, so that work on one area does not touch another's file. ``pybabel
extract`` (see README, "Translations") collects the messages; ``tests/test_i18n.py`` fails when a
wrapped string has no translation.
"""

from __future__ import annotations

from .catalog import (
    DEFAULT_LOCALE,
    LANGUAGE_NAMES,
    N_,
    SUPPORTED,
    _,
    current_locale,
    locale_context,
    ngettext,
    normalise_locale,
    use_locale,
)
from .fmt import (
    currency_symbol,
    default_currency,
    fmt_compact,
    fmt_date,
    fmt_int,
    fmt_money,
    fmt_num,
    fmt_pct,
    fmt_pp,
)

__all__ = [
    "DEFAULT_LOCALE", "LANGUAGE_NAMES", "SUPPORTED", "N_", "_", "current_locale", "locale_context", "ngettext",
    "normalise_locale", "use_locale", "currency_symbol", "default_currency", "fmt_compact", "fmt_date", "fmt_int",
    "fmt_money", "fmt_num", "fmt_pct", "fmt_pp",
]
