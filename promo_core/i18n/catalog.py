"""gettext catalogs: the .po files of a language merged into one GNUTranslations, chosen per context."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import io
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locales"
#: the languages the interface is written in; English is the source language (no catalog needed)
SUPPORTED = ("en", "zh_CN")
DEFAULT_LOCALE = "en"
#: how each language names itself in the language picker (never translated)
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}

_locale: contextvars.ContextVar[str] = contextvars.ContextVar("promoscope_locale", default=DEFAULT_LOCALE)


def normalise_locale(value: str | None) -> str:
    """Map a browser or URL language tag (``zh``, ``zh-CN``, ``zh-Hans-CN``, ``en-GB``…) to a supported locale.

    Anything Chinese becomes ``zh_CN`` (the only Chinese catalog: simplified characters); anything else,
    including nothing, becomes English.
    """
    tag = (value or "").strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    return DEFAULT_LOCALE


def use_locale(locale: str | None) -> str:
    """Set the language for the rest of this context (one Streamlit script run, one CLI call)."""
    loc = normalise_locale(locale)
    _locale.set(loc)
    return loc


def current_locale() -> str:
    return _locale.get()


@contextlib.contextmanager
def locale_context(locale: str | None) -> Iterator[str]:
    """Temporarily switch language (reports rendered in a language other than the screen's, tests)."""
    token = _locale.set(normalise_locale(locale))
    try:
        yield _locale.get()
    finally:
        _locale.reset(token)


def merged_catalog(locale: str) -> Catalog:
    """Every ``.po`` file of ``locale`` merged into one Babel catalog (later files do not override earlier ones)."""
    merged = Catalog(locale=locale, domain="promoscope")
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as fh:
            part = read_po(fh, locale=locale)
        for msg in part:
            if not msg.id or msg.fuzzy:
                continue
            old = merged.get(msg.id, msg.context)
            if old is None or not old.string or (isinstance(old.string, tuple) and not any(old.string)):
                merged.add(msg.id, msg.string, context=msg.context)
    return merged


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of ``locale`` (English: the identity)."""
    if locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, merged_catalog(locale))
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def _(message: str) -> str:
    """Translate ``message`` into the current context's language."""
    return translations(_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_locale.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it here (translate with ``_`` where shown)."""
    return message
