"""Malformed input must give DataError (or a valid dataset), never another exception."""

import os
import string

import hypothesis.strategies as st
import pandas as pd
from hypothesis import HealthCheck, given, settings

from promo_core.io import read_table
from promo_core.quality import clean_events, load_dataset
from promo_core.schema import DataError, propose_mapping

HEADERS = ["user", "customer id", "time", "date", "event", "item", "price", "qty", "order", "x", "用户ID", ""]
CELLS = st.one_of(st.text(alphabet=string.printable + "£€用户", max_size=12), st.sampled_from(
    ["2024-01-01", "2024-13-45", "1511544070", "pv", "buy", "-3", "0", "1e400", "NaN", "=cmd", "", "C123"]))

settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@given(st.binary(max_size=400))
def test_random_bytes(blob):
    try:
        load_dataset(blob, "fuzz.bin")
    except DataError:
        pass


@given(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6),
       st.lists(st.lists(CELLS, min_size=1, max_size=7), min_size=0, max_size=8),
       st.sampled_from([",", ";", "\t", "|"]))
def test_random_tables(header, rows, delim):
    text = delim.join(header) + "\n" + "\n".join(delim.join(r) for r in rows)
    try:
        ds = load_dataset(text.encode(), "fuzz.csv")
    except DataError:
        return
    assert len(ds.events) > 0 and ds.events["user_id"].notna().all()
    assert ds.report.rows_read - sum(s.rows_dropped for s in ds.report.steps) == ds.report.rows_kept


@given(st.dictionaries(st.sampled_from(["user_id", "timestamp", "event", "price", "quantity", "order_id"]),
                       st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=6))
def test_random_frames_through_the_validator(cols):
    frame = pd.DataFrame(cols)
    try:
        raw = read_table(frame.to_csv(index=False).encode(), "f.csv")
        mapping = {k: k for k in propose_mapping(raw.frame.columns) if k in raw.frame.columns}
        clean_events(raw, mapping or None)
    except DataError:
        pass
