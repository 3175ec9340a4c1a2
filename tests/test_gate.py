"""The sign-in gate covers every page, URL and widget while locked (AppTest; the browser test is in
test_browser.py)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui.registry import PAGES

from .conftest import ROOT, full_error_details


def locked_app(**secrets) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    full_error_details()
    for k, v in secrets.items():
        at.secrets[k] = v
    at.run()
    return at


def assert_only_sign_in(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert "dataset" not in at.session_state and "salt" not in at.session_state
    assert [t.value for t in at.title] == ["PromoScope"]
    assert not at.sidebar.button and not at.sidebar.toggle
    assert [s.key for s in at.sidebar.selectbox] == ["language_picker"]  # the language, nothing of the app
    assert not at.get("file_uploader") and not at.metric and not at.dataframe and not at.slider
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("page", [p.path for p in PAGES])
def test_every_registered_page_shows_only_sign_in_while_locked(page):
    """While locked the navigation registers the sign-in page alone: the page cannot be opened."""
    at = locked_app(password="s3cret")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)
    at.run()
    assert_only_sign_in(at)
    assert [t.key for t in at.text_input] == ["password_input"]


def test_password_unlocks_every_page():
    at = locked_app(password="s3cret")
    assert_only_sign_in(at)
    at.text_input(key="password_input").input("wrong").run()
    assert at.error and "not right" in at.error[0].value
    assert_only_sign_in(at)
    at.text_input(key="password_input").input("s3cret").run()
    assert not at.exception and at.session_state["unlocked"] and "dataset" in at.session_state
    at.switch_page("views/segments.py").run()
    assert not at.exception and "dataset" in at.session_state


def test_oidc_sign_in_locks_every_page_until_signed_in():
    auth = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
            "client_id": "id", "client_secret": "secret",
            "server_metadata_url": "https://idp.invalid/.well-known/openid-configuration"}
    at = locked_app(auth=auth)
    assert_only_sign_in(at)
    assert not at.text_input
    assert any("Sign in" in b.label for b in at.button)
    for page in [p.path for p in PAGES]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_no_gate_without_configuration():
    at = locked_app()
    assert not at.exception and "dataset" in at.session_state


def _pseudonymised_session(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    full_error_details()
    at.session_state["pseudonymise"] = True
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_two_pseudonymised_sessions_never_share_hashes_or_cached_results():
    """Both sessions go through the same (process-wide) caches; each sees only its own hashes."""
    a = _pseudonymised_session("views/segments.py")
    b = _pseudonymised_session("views/segments.py")
    ds_a, ds_b = a.session_state["dataset"], b.session_state["dataset"]
    ids_a, ids_b = set(ds_a.events["user_id"]), set(ds_b.events["user_id"])
    assert ds_a.pseudonymised and ds_b.pseudonymised and not ids_a & ids_b
    key_a, key_b = a.session_state["dataset_key"], b.session_state["dataset_key"]
    assert key_a != key_b and "sample" not in (key_a.split(":")[-1], key_b.split(":")[-1])
