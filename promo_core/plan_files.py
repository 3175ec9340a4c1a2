"""Reading untrusted plan files safely: size cap, strict JSON, and field-by-field range checks.

A plan file comes from a user's disk, so it is treated like any other upload: it may be huge, deeply
nested, carry ``NaN``/``Infinity`` (which Python's json module accepts by default), 400-digit
numbers, or strings where numbers belong. Every problem becomes one :class:`DataError` naming the
field, never another exception.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .schema import DataError

MAX_PLAN_BYTES = 1024 * 1024
MAX_DEPTH = 6


@dataclass(frozen=True)
class Field:
    """One number in a plan file: its range (inclusive) and whether it must be a whole number."""

    label: str
    low: float
    high: float
    integer: bool = False


def load_json(text: str | bytes, what: str = "plan file", max_bytes: int = MAX_PLAN_BYTES) -> Any:
    """Parse JSON strictly: size-capped, no NaN/Infinity, bounded nesting."""
    if len(text) > max_bytes:
        raise DataError(f"The {what} is {len(text) / 1024:,.0f} KB; a plan file is at most {max_bytes // 1024:,} KB",
                        hint="Load a plan saved by PromoScope; a plan for a few dozen segments is a few KB")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError(f"The {what} is not UTF-8 text", hint="Load a plan saved by PromoScope") from None

    def no_constant(name: str):
        raise DataError(f"The {what} contains {name}, which is not a number",
                        hint="Replace it with a finite number, or save the plan again from the planner")

    try:
        data = json.loads(text, parse_constant=no_constant)
    except RecursionError:
        raise DataError(f"The {what} is nested too deeply to be a plan",
                        hint="Load a plan saved by PromoScope") from None
    except ValueError as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"The {what} is not valid JSON ({exc})", hint="Load a plan saved by PromoScope") from None
    if _depth(data) > MAX_DEPTH:
        raise DataError(f"The {what} is nested more deeply than a plan ever is",
                        hint="Load a plan saved by PromoScope")
    return data


def _depth(obj: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(obj, dict):
        return max([_depth(v, level + 1) for v in obj.values()], default=level + 1)
    if isinstance(obj, list):
        return max([_depth(v, level + 1) for v in obj], default=level + 1)
    return level


def number(value: Any, spec: Field, where: str) -> float:
    """A finite number within ``spec``'s range, or a DataError naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{spec.label} must be a number; got {_show(value)}", where=where,
                        hint=f"Use a number from {spec.low:g} to {spec.high:g}")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x) or not spec.low <= x <= spec.high:
        raise DataError(f"{spec.label} must be from {spec.low:g} to {spec.high:g}; got {_show(value)}",
                        where=where, hint="Correct the value, or save the plan again from the planner")
    if spec.integer and x != int(x):
        raise DataError(f"{spec.label} must be a whole number; got {_show(value)}", where=where,
                        hint="Use a whole number")
    return int(x) if spec.integer else x


def text(value: Any, label: str, where: str, max_len: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise DataError(f"{label} must be a text of 1 to {max_len} characters; got {_show(value)}", where=where,
                        hint="Save the plan again from the planner")
    return value


def record(data: Any, fields: Mapping[str, Field], where: str, *, text_fields: tuple[str, ...] = (),
           choice_fields: Mapping[str, Mapping[str, str]] | None = None,
           dict_fields: Mapping[str, tuple[Field, Mapping[str, str]]] | None = None) -> dict:
    """Check a JSON object field by field; unknown fields are refused by name.

    ``dict_fields`` maps a field to (the range of each value, the allowed keys and their labels).
    """
    if not isinstance(data, dict):
        raise DataError(f"{where} must be an object with named fields; got {_show(data)}",
                        hint="Save the plan again from the planner")
    choice_fields = choice_fields or {}
    dict_fields = dict_fields or {}
    known = set(fields) | set(text_fields) | set(choice_fields) | set(dict_fields)
    unknown = sorted(set(data) - known)
    if unknown:
        raise DataError(f"{where} has fields PromoScope does not know: {', '.join(map(repr, unknown[:5]))}",
                        hint=f"Known fields: {', '.join(sorted(known))}")
    out: dict = {}
    for name, value in data.items():
        at = f"{where}, field '{name}'"
        if name in text_fields:
            out[name] = text(value, f"'{name}'", at)
        elif name in choice_fields:
            options = choice_fields[name]
            if not isinstance(value, str) or value not in options:
                raise DataError(f"Unknown {name.replace('_', ' ')} {_show(value)}", where=at,
                                hint=f"Use one of: {', '.join(options)}")
            out[name] = value
        elif name in dict_fields:
            spec, keys = dict_fields[name]
            if not isinstance(value, dict):
                raise DataError(f"'{name}' must be an object; got {_show(value)}", where=at,
                                hint="Save the plan again from the planner")
            bad = sorted(set(value) - set(keys))
            if bad:
                raise DataError(f"'{name}' names unknown offer types: {', '.join(map(repr, bad[:5]))}", where=at,
                                hint=f"Use: {', '.join(keys)}")
            out[name] = {k: number(v, Field(f"{spec.label} for {keys[k]}", spec.low, spec.high), at)
                         for k, v in value.items()}
        else:
            out[name] = number(value, fields[name], at)
    return out


def _show(value: Any) -> str:
    s = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return s if len(s) <= 40 else s[:37] + "…"
