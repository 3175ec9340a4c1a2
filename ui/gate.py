"""The sign-in gate: a shared password, Streamlit's own sign-in (st.login, OIDC), or both.

While a session is locked, app.py registers the sign-in page as the *only* page of the
navigation, so no page, page URL, sidebar entry, cached result or widget of the app can be reached:
Streamlit serves only registered pages once ``st.navigation`` has run, and any other URL falls back
to the sign-in page. The page scripts live in ``views/``, not ``pages/``: Streamlit serves a folder named
``pages/`` beside the main script on its own (its older multipage mode), and a fresh server did so for a
deep link such as ``/segments`` before app.py had run once, walking around this gate (tested in the
browser: the first request to a fresh server is a deep link).
"""

from __future__ import annotations

import hmac
import time

import streamlit as st

from promo_core.i18n import _

#: failed password attempts allowed per session before each further try waits
FREE_ATTEMPTS = 3
BACKOFF_SECONDS = 2.0


def _secrets_get(name: str):
    try:
        return st.secrets.get(name)
    except Exception:  # noqa: BLE001 - no secrets file (or an unreadable one): nothing configured
        return None


def required_password() -> str | None:
    """The shared password from .streamlit/secrets.toml (``password = "…"``), if one is set."""
    value = _secrets_get("password")
    return str(value) if value else None


def oidc_configured() -> bool:
    """True when an ``[auth]`` section configures Streamlit's own sign-in (st.login)."""
    return bool(_secrets_get("auth"))


def oidc_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # noqa: BLE001 - st.user unavailable (e.g. auth not set up): not signed in
        return False


def password_ok() -> bool:
    return required_password() is None or bool(st.session_state.get("unlocked"))


def locked() -> bool:
    """True while this session must see only the sign-in page (every configured method must pass)."""
    if oidc_configured() and not oidc_logged_in():
        return True
    return not password_ok()


def configured() -> bool:
    return required_password() is not None or oidc_configured()


def _check_password() -> None:
    entered = st.session_state.get("password_input") or ""
    st.session_state["password_input"] = ""
    if not entered:
        return
    expected = required_password() or ""
    failures = st.session_state.get("password_failures", 0)
    if failures >= FREE_ATTEMPTS:  # slow down guessing within a session
        time.sleep(min(BACKOFF_SECONDS * (failures - FREE_ATTEMPTS + 1), 10.0))
    if hmac.compare_digest(entered.encode(), expected.encode()):
        st.session_state["unlocked"] = True
        st.session_state["password_failures"] = 0
    else:
        st.session_state["password_failures"] = failures + 1


def sign_in() -> None:
    """The sign-in page: the only page a locked session can reach."""
    st.title("PromoScope")
    st.write(_("This PromoScope is private. Sign in to see the data and the analyses."))
    if oidc_configured() and not oidc_logged_in():
        st.button(_("Sign in with your organisation's account"), icon=":material/login:", on_click=st.login,
                  type="primary")
        return
    st.text_input(_("Password"), type="password", key="password_input", on_change=_check_password)
    if st.session_state.get("password_failures"):
        st.error(_("That password is not right. Ask the person who runs this PromoScope for it."))


def sign_out() -> None:
    """Forget everything this session holds (data, salt, choices) and lock it again."""
    for k in list(st.session_state.keys()):
        del st.session_state[k]
    if oidc_configured() and oidc_logged_in():
        st.logout()
