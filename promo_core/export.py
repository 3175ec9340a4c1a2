"""Downloads: CSV, Excel and JSON bytes, safe against spreadsheet formula injection.

Text cells that begin with = + - @ (or a tab / carriage return) are prefixed with an apostrophe
so a spreadsheet shows them as text instead of running them. Numbers are left alone.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which every text cell starting with = + - @ is prefixed with an apostrophe."""
    out = frame.copy()
    out.columns = [_cell(str(c)) for c in out.columns]
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s) or isinstance(
                s.dtype, pd.CategoricalDtype):
            out[c] = s.map(lambda v: _cell(v) if isinstance(v, str) else v)
    return out


def _cell(v: str) -> str:
    return "'" + v if v.startswith(_DANGEROUS) else v


def to_csv_bytes(frame: pd.DataFrame, bom: bool = True) -> bytes:
    """CSV bytes; ``bom`` adds a UTF-8 byte-order mark so Excel shows accents and Chinese correctly."""
    return neutralise(frame).to_csv(index=False).encode("utf-8-sig" if bom else "utf-8")


def to_excel_bytes(frames: dict[str, pd.DataFrame] | pd.DataFrame) -> bytes:
    if isinstance(frames, pd.DataFrame):
        frames = {"data": frames}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, f in frames.items():
            neutralise(f).to_excel(xl, sheet_name=name[:31], index=False)
    return buf.getvalue()


def _default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if np.isnan(o) else float(o)
    if isinstance(o, (pd.Timestamp, np.datetime64)):
        return str(o)
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return str(o)


def to_json_text(obj) -> str:
    """JSON with numpy/pandas scalars converted and NaN written as null."""
    return json.dumps(_nan_to_none(obj), indent=2, default=_default, ensure_ascii=False)


def _nan_to_none(obj):
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    return obj
