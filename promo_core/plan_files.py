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

from .i18n import _
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
    what = _(what)
    if len(text) > max_bytes:
        raise DataError(_("The {what} is {size} KB; a plan file is at most {limit} KB").format(
            what=what, size=f"{len(text) / 1024:,.0f}", limit=f"{max_bytes // 1024:,}"),
            hint=_("Load a plan saved by PromoScope; a plan for a few dozen segments is a few KB"))
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError(_("The {what} is not UTF-8 text").format(what=what),
                            hint=_("Load a plan saved by PromoScope")) from None

    def no_constant(name: str):
        raise DataError(_("The {what} contains {name}, which is not a number").format(what=what, name=name),
                        hint=_("Replace it with a finite number, or save the plan again from the planner"))

    try:
        data = json.loads(text, parse_constant=no_constant)
    except RecursionError:
        raise DataError(_("The {what} is nested too deeply to be a plan").format(what=what),
                        hint=_("Load a plan saved by PromoScope")) from None
    except ValueError as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(_("The {what} is not valid JSON ({reason})").format(what=what, reason=exc),
                        hint=_("Load a plan saved by PromoScope")) from None
    if _depth(data) > MAX_DEPTH:
        raise DataError(_("The {what} is nested more deeply than a plan ever is").format(what=what),
                        hint=_("Load a plan saved by PromoScope"))
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
    label = _(spec.label)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(_("{label} must be a number; got {value}").format(label=label, value=_show(value)),
                        where=where, hint=_("Use a number from {low} to {high}").format(low=f"{spec.low:g}",
                                                                                      high=f"{spec.high:g}"))
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x) or not spec.low <= x <= spec.high:
        raise DataError(_("{label} must be from {low} to {high}; got {value}").format(
            label=label, low=f"{spec.low:g}", high=f"{spec.high:g}", value=_show(value)),
            where=where, hint=_("Correct the value, or save the plan again from the planner"))
    if spec.integer and x != int(x):
        raise DataError(_("{label} must be a whole number; got {value}").format(label=label, value=_show(value)),
                        where=where, hint=_("Use a whole number"))
    return int(x) if spec.integer else x


def text(value: Any, label: str, where: str, max_len: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise DataError(_("{label} must be a text of 1 to {n} characters; got {value}").format(
            label=label, n=max_len, value=_show(value)), where=where, hint=_("Save the plan again from the planner"))
    return value


def pairs(value: Any, first: Field, second: Field, max_pairs: int, where: str) -> tuple[tuple[float, float], ...]:
    """A list of at most ``max_pairs`` [number, number] pairs (a tiered offer's [threshold, amount off])."""
    if not isinstance(value, list) or len(value) > max_pairs:
        raise DataError(_("{where} must be a list of at most {n} pairs of numbers; got {value}").format(
            where=where, n=max_pairs, value=_show(value)), where=where,
            hint=_("Write each tier as [threshold, amount off], e.g. [[200, 20], [400, 50]]"))
    out = []
    for i, pair in enumerate(value, start=1):
        at = _("{where}, item {i}").format(where=where, i=i)
        if not isinstance(pair, list) or len(pair) != 2:
            raise DataError(_("Each item must be a pair of numbers; got {value}").format(value=_show(pair)), where=at,
                            hint=_("Write each tier as [threshold, amount off], e.g. [[200, 20], [400, 50]]"))
        out.append((number(pair[0], first, at), number(pair[1], second, at)))
    return tuple(out)


def record(data: Any, fields: Mapping[str, Field], where: str, *, text_fields: tuple[str, ...] = (),
           choice_fields: Mapping[str, Mapping[str, str]] | None = None,
           dict_fields: Mapping[str, tuple[Field, Mapping[str, str]]] | None = None,
           pair_fields: Mapping[str, tuple[Field, Field, int]] | None = None) -> dict:
    """Check a JSON object field by field; unknown fields are refused by name.

    ``dict_fields`` maps a field to (the range of each value, the allowed keys and their labels);
    ``pair_fields`` a field to (the range of each pair's first and second number, the most pairs).
    """
    if not isinstance(data, dict):
        raise DataError(_("{where} must be an object with named fields; got {value}").format(
            where=where, value=_show(data)), hint=_("Save the plan again from the planner"))
    choice_fields = choice_fields or {}
    dict_fields = dict_fields or {}
    pair_fields = pair_fields or {}
    known = set(fields) | set(text_fields) | set(choice_fields) | set(dict_fields) | set(pair_fields)
    unknown = sorted(set(data) - known)
    if unknown:
        raise DataError(_("{where} has fields PromoScope does not know: {names}").format(
            where=where, names=", ".join(map(repr, unknown[:5]))),
            hint=_("Known fields: {names}").format(names=", ".join(sorted(known))))
    out: dict = {}
    for name, value in data.items():
        at = _("{where}, field '{name}'").format(where=where, name=name)
        if name in text_fields:
            out[name] = text(value, f"'{name}'", at)
        elif name in choice_fields:
            options = choice_fields[name]
            if not isinstance(value, str) or value not in options:
                raise DataError(_("Unknown {name} {value}").format(name=name.replace("_", " "), value=_show(value)),
                                where=at, hint=_("Use one of: {names}").format(names=", ".join(options)))
            out[name] = value
        elif name in pair_fields:
            first, second, most = pair_fields[name]
            out[name] = pairs(value, first, second, most, at)
        elif name in dict_fields:
            spec, keys = dict_fields[name]
            if not isinstance(value, dict):
                raise DataError(_("'{name}' must be an object; got {value}").format(name=name, value=_show(value)),
                                where=at, hint=_("Save the plan again from the planner"))
            bad = sorted(set(value) - set(keys))
            if bad:
                raise DataError(_("'{name}' names unknown offer types: {names}").format(
                    name=name, names=", ".join(map(repr, bad[:5]))), where=at,
                    hint=_("Use: {names}").format(names=", ".join(keys)))
            out[name] = {k: number(v, Field(_("{label} for {offer}").format(label=_(spec.label), offer=_(keys[k])),
                                            spec.low, spec.high), at) for k, v in value.items()}
        else:
            out[name] = number(value, fields[name], at)
    return out


def _show(value: Any) -> str:
    s = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return s if len(s) <= 40 else s[:37] + "…"
