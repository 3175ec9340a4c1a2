"""The active dataset in st.session_state (per browser session) and the cached core calls.

Uploads are hashed and cached in memory only (st.cache_data without persist): nothing a user
uploads is written to disk. A new upload replaces the active dataset only once it validated and
the user accepted it; 'use sample data' restores the demo.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import hashlib
import secrets
import threading
import time
from pathlib import Path

import streamlit as st

from promo_core.io import RawTable, read_table
from promo_core.kpis import Kpis, daily_activity, funnel, summarise
from promo_core.quality import Dataset, clean_events, pseudonymise

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_data"
SAMPLE_EVENTS = SAMPLE_DIR / "events.csv.gz"
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
#: how long a cached result is kept after its last use (every cache has a time to live and a size)
CACHE_TTL = "30m"
PRIVATE_MARK = ":p:"


def cached(*, max_entries: int, resource: bool = False):
    """``st.cache_data`` for a core call whose first argument is a dataset key.

    Results for shared data (the sample, an uploaded file, keyed by its content) live in the global
    cache, bounded by ``max_entries`` and :data:`CACHE_TTL`. Results computed from a session's private
    data (pseudonymised ids: the key carries the salt's digest) go to a session-scoped cache that
    Streamlit drops when the session ends, so no other session can hit them and they do not outlive
    the session. ``resource=True`` keeps one shared object instead of a copy per call (for results
    nothing modifies, such as baskets that carry their own mining input).
    """
    def wrap(fn):
        cache = st.cache_resource if resource else st.cache_data
        shared = cache(fn, show_spinner=False, max_entries=max_entries, ttl=CACHE_TTL)
        private = cache(fn, show_spinner=False, max_entries=max_entries, ttl=CACHE_TTL, scope="session")

        @functools.wraps(fn)
        def call(key: str, *args, **kwargs):
            return (private if PRIVATE_MARK in key else shared)(key, *args, **kwargs)

        call.clear = shared.clear  # type: ignore[attr-defined]
        return call
    return wrap


JANITOR_SECONDS = 30


def _give_memory_back() -> None:
    gc.collect()
    try:  # glibc keeps freed heap pages; malloc_trim returns them to the system
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@st.cache_resource(show_spinner=False)
def start_janitor() -> threading.Thread:
    """One background thread per server: every 30 s, collect garbage and hand freed memory back to the
    system, so the data of sessions that ended (dropped by Streamlit with their session-scoped caches)
    does not stay in the server's footprint."""
    def loop() -> None:
        while True:
            time.sleep(JANITOR_SECONDS)
            _give_memory_back()
    thread = threading.Thread(target=loop, name="promoscope-janitor", daemon=True)
    thread.start()
    return thread


@st.cache_data(show_spinner=False, max_entries=1)
def load_sample() -> Dataset:
    return clean_events(read_table(SAMPLE_EVENTS, "PromoScope sample shop (bundled demo)"))


@st.cache_data(show_spinner=False, max_entries=4, ttl=CACHE_TTL)
def read_upload(data: bytes, name: str, fmt: str, sheet: str | None) -> RawTable:
    return read_table(data, name, fmt=fmt, sheet=sheet, max_bytes=MAX_UPLOAD_BYTES)


@st.cache_data(show_spinner=False, max_entries=4, ttl=CACHE_TTL)
def prepare_upload(data: bytes, name: str, fmt: str, sheet: str | None,
                   mapping: tuple[tuple[str, str], ...]) -> Dataset:
    raw = read_upload(data, name, fmt, sheet)
    return clean_events(raw, dict(mapping) or None)


@cached(max_entries=16)
def overview(key: str, _ds: Dataset) -> tuple[Kpis, object, object]:
    """KPIs, daily activity and funnel of a dataset (keyed by the dataset's key)."""
    ev = _ds.events
    return summarise(ev), daily_activity(ev), funnel(ev)


def content_key(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _salt() -> str:
    if "salt" not in st.session_state:
        st.session_state["salt"] = secrets.token_hex(16)
    return st.session_state["salt"]


def dataset() -> Dataset:
    """The active dataset; the bundled sample on a session's first run."""
    if "dataset" not in st.session_state:
        set_dataset(load_sample(), "sample")
    return st.session_state["dataset"]


def dataset_key() -> str:
    dataset()
    return st.session_state["dataset_key"]


def set_dataset(ds: Dataset, key: str) -> None:
    if st.session_state.get("pseudonymise"):
        salt = _salt()
        ds = pseudonymise(ds, salt)
        # Every cached result is keyed by this key: with the salt's digest in it, a session's hashed
        # ids (and everything computed from them) can never be served to another session.
        key = f"{key}{PRIVATE_MARK}{hashlib.blake2b(salt.encode(), digest_size=12).hexdigest()}"
    st.session_state["dataset"] = ds
    st.session_state["dataset_key"] = key


def apply_privacy() -> None:
    """Called when the pseudonymise toggle changes: hash the ids of the active dataset."""
    if st.session_state.get("pseudonymise") and "dataset" in st.session_state:
        ds = st.session_state["dataset"]
        if not ds.pseudonymised:
            set_dataset(ds, st.session_state["dataset_key"])
