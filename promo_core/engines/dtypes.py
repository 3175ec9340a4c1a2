"""Engine results converted to the pandas core's dtypes, explicitly.

Engines return what their type system says: nullable integer ids come back as float64, DuckDB and Spark
timestamps as ``datetime64[us]``, strings as Arrow or object columns. The core expects ``user_id`` (and the
other ids) as text, times as ``datetime64[ns]`` and counts as int64, so every result goes through
:func:`normalise` before it leaves the engine layer.
"""

from __future__ import annotations

import pandas as pd

TEXT = ("user_id", "item_id", "item_name", "category", "order_id", "favourite_category", "variant")


def normalise(frame: pd.DataFrame, ints: tuple[str, ...] = ()) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if c in TEXT:
            out[c] = s.astype("object").where(s.notna()).map(lambda v: v if v is None else str(v)).astype("str")
            out.loc[s.isna(), c] = None
        elif pd.api.types.is_datetime64_any_dtype(s):
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            out[c] = s.astype("datetime64[ns]")
        elif c in ints:
            out[c] = s.fillna(0).astype("int64")
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[c] = s.astype("float64")
    return out
