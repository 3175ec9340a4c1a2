"""The active dataset in st.session_state (per browser session) and the cached core calls.

Uploads are hashed and cached in memory only (st.cache_data without persist): nothing a user
uploads is written to disk. A new upload replaces the active dataset only once it validated and
the user accepted it; 'use sample data' restores the demo.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import functools
import gc
import hashlib
import os
import secrets
import threading
import time
from pathlib import Path

import streamlit as st

from promo_core.io import RawTable, read_table
from promo_core.kpis import Kpis, daily_activity, funnel, summarise
from promo_core.quality import Dataset, clean_events, pseudonymise
from promo_core.schema import DataError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_data"
SAMPLE_EVENTS = SAMPLE_DIR / "events.csv.gz"
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
#: how long a cached result is kept after its last use (every cache has a time to live and a size)
CACHE_TTL = "30m"
PRIVATE_MARK = ":p:"
PRIVACY_ERROR = "privacy_error"  # why the last pseudonymise request could not be carried out (shown once)


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


def _end_expired_sessions() -> int:
    """Shut down the disconnected sessions whose reconnect window (``server.disconnectedSessionTTL``) is over.

    Streamlit keeps a closed tab's session (its ``st.session_state``: here a pseudonymised copy of the
    dataset, and the download buttons' data) in a time-limited store so a dropped connection can
    resume. An expired entry is only removed when that store is next written to, i.e. when another
    session disconnects: after the last visitor leaves, nothing writes to it and the sessions stay
    in memory for good (streamlit/streamlit#12506). This removes the expired entries and shuts
    their sessions down (which also drops their media files and download callables). It reaches into
    the runtime's private session manager, so every step is guarded: a Streamlit without these
    attributes simply keeps its own behaviour. Returns how many sessions were ended.
    """
    try:
        from streamlit import runtime
        if not runtime.exists():
            return 0
        manager = getattr(runtime.get_instance(), "_session_mgr", None)
        store = getattr(getattr(manager, "_session_storage", None), "_cache", None)
        expire = getattr(store, "expire", None)
        if expire is None:
            return 0
        lock = getattr(manager, "_storage_lock", None) or threading.Lock()
        with lock:  # the same lock Streamlit holds when it saves or resumes a stored session
            removed = expire()
        for _, info in removed:
            session = getattr(info, "session", None)
            if session is not None:
                session.shutdown()
        return len(removed)
    except Exception:  # noqa: BLE001 - housekeeping must never take the server down
        return 0


def _on_server_loop(fn):
    """Run ``fn`` on the server's event loop (Streamlit runs it on the main thread) and wait for the
    result; run it here when there is no such loop (AppTest, bare mode)."""
    loop = None
    try:
        from streamlit import runtime
        if runtime.exists():
            loop = getattr(getattr(runtime.get_instance(), "_async_objs", None), "eventloop", None)
    except Exception:  # noqa: BLE001 - private attribute: fall back to running here
        loop = None
    if loop is None or loop.is_closed():
        return fn()
    done: concurrent.futures.Future = concurrent.futures.Future()

    def run() -> None:
        try:
            done.set_result(fn())
        except BaseException as exc:  # noqa: BLE001 - handed back to the waiting thread
            done.set_exception(exc)
    loop.call_soon_threadsafe(run)
    return done.result(timeout=120)


def use_system_allocator() -> None:
    """Let pyarrow (pandas strings, Arrow tables, dataframes sent to the browser) allocate with the C
    library's malloc instead of its bundled mimalloc.

    Measured with 8 browser sessions (see tests/test_browser_security.py): mimalloc kept about 75 MB
    of freed memory after the sessions ended, whatever the janitor asked. Every script run has its own
    thread; mimalloc parks the pages of a finished thread as "abandoned" and hands them back to the
    system only when its main thread (here: the first script run's thread, long gone) collects.
    malloc's free pages are returned by malloc_trim from any thread. ``app.py`` sets
    ARROW_DEFAULT_MEMORY_POOL=system before pyarrow loads (covers Arrow's own C++ allocations); this
    covers every allocation made through pyarrow's Python API even if pyarrow loaded earlier. An
    operator who sets ARROW_DEFAULT_MEMORY_POOL to another allocator keeps it.
    """
    try:
        import pyarrow as pa
        if os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "system") == "system":
            pa.set_memory_pool(pa.system_memory_pool())
    except (ImportError, AttributeError):
        pass


def _release_arrow_pool() -> None:
    """Return pyarrow's free memory to the system (for the system pool this is malloc_trim too)."""
    try:
        import pyarrow as pa
        pa.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass


def _give_memory_back() -> None:
    """End the sessions whose reconnect window is over, collect garbage, and hand freed memory back
    to the system: glibc's heap (malloc_trim) and pyarrow's pool."""
    try:
        _on_server_loop(_end_expired_sessions)  # on the loop, where Streamlit itself saves and resumes sessions
    except Exception:  # noqa: BLE001 - housekeeping must never take the server down
        pass
    gc.collect()
    try:  # glibc keeps freed heap pages; malloc_trim returns them to the system
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    _release_arrow_pool()


@st.cache_resource(show_spinner=False)
def start_janitor() -> threading.Thread:
    """One background thread per server: every 30 s, end the sessions whose browser tab closed longer
    ago than ``server.disconnectedSessionTTL``, collect garbage, and hand freed memory back to the
    system (glibc's heap and pyarrow's pool), so the data of sessions that ended does not stay in the
    server's footprint."""
    use_system_allocator()

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
                   mapping: tuple[tuple[str, str], ...], time_zone: str | None = None) -> Dataset:
    raw = read_upload(data, name, fmt, sheet)
    return clean_events(raw, dict(mapping) or None, time_zone=time_zone)


@cached(max_entries=16)
def overview(key: str, _ds: Dataset) -> tuple[Kpis, object, object]:
    """KPIs, daily activity and funnel of a dataset (keyed by the dataset's key)."""
    if _ds.in_engine:  # computed in the engine; the event rows stay there
        return _ds.overview()
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
            try:
                set_dataset(ds, st.session_state["dataset_key"])
            except DataError as exc:  # e.g. an engine source too large to hash in memory: the toggle goes back
                st.session_state["pseudonymise"] = False
                st.session_state[PRIVACY_ERROR] = exc
