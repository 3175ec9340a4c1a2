"""The interface language of a session: chosen on the first visit, kept in the session, shown in the URL.

Order on a session's first run: ``?lang=zh`` / ``?lang=en`` in the URL, else the browser's language
(``st.context.locale``), else English. Afterwards the sidebar picker decides; the choice is written
back to ``?lang=`` on every run so a copied link opens in the same language. ``apply`` runs at the top
of app.py on every run (the sign-in screen included), before any page or title is built.
"""

from __future__ import annotations

import streamlit as st

from promo_core.i18n import (
    DEFAULT_LOCALE,
    LANGUAGE_NAMES,
    SUPPORTED,
    _,
    default_currency,
    normalise_locale,
    use_locale,
)

#: session key of the language in use (not a widget key: it survives runs that draw no picker)
LOCALE_KEY = "locale"
PICKER_KEY = "language_picker"
#: how each locale is written in ``?lang=``
URL_CODES = {"en": "en", "zh_CN": "zh"}


def choose_locale(query: object, browser: str | None) -> str:
    """The language of a session's first run: the URL's ``lang`` wins, then the browser's, then English."""
    if isinstance(query, list):
        query = query[-1] if query else None
    if query:
        return normalise_locale(str(query))
    if browser:
        return normalise_locale(browser)
    return DEFAULT_LOCALE


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # noqa: BLE001 - no browser context (bare mode): English
        return None


def apply() -> str:
    """Set this run's language (first visit: URL, browser, English) and mirror it in ``?lang=``."""
    if LOCALE_KEY not in st.session_state:
        st.session_state[LOCALE_KEY] = choose_locale(st.query_params.get("lang"), _browser_locale())
    loc = use_locale(st.session_state[LOCALE_KEY])
    if st.query_params.get("lang") != URL_CODES[loc]:
        st.query_params["lang"] = URL_CODES[loc]
    if not st.session_state.get("currency_chosen"):
        st.session_state["currency"] = default_currency()  # ¥ in Chinese, £ in English, until the user picks
    return loc


def _picked() -> None:
    st.session_state[LOCALE_KEY] = st.session_state[PICKER_KEY]
    st.query_params["lang"] = URL_CODES[normalise_locale(st.session_state[PICKER_KEY])]


def picker() -> None:
    """The language picker (English / 简体中文) in the sidebar."""
    st.session_state[PICKER_KEY] = st.session_state.get(LOCALE_KEY, DEFAULT_LOCALE)
    st.sidebar.selectbox(_("Language"), list(SUPPORTED), format_func=LANGUAGE_NAMES.get, key=PICKER_KEY,
                         on_change=_picked)


def currency_picked() -> None:
    """The user chose a currency: it no longer follows the language."""
    st.session_state["currency_chosen"] = True
