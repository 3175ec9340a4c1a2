"""The shop's clock: the time zone in which instants (Unix timestamps, times with a UTC offset) are shown.

A time written without an offset (``2024-05-31 14:05``) is already a clock time and is kept as written. A Unix
timestamp or a time with an offset is an instant, and becomes a clock time only in some zone: UTC unless the user
names the shop's zone (``Asia/Shanghai`` for Beijing time). Hours of the day (the planner's flash-sale hours),
days (daily charts, cohorts, "same period last year") and every window follow that clock, so the Taobao log read
in UTC starts on 24 November at 16:00, and read in Beijing time on 25 November at 00:00, as its publisher says.

UTC is the default and changes nothing; the choice is stated in the quality report whenever it applied.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pandas as pd

from .i18n import N_, _
from .schema import DataError, Msg

UTC = "UTC"
#: a time, then Z, +hh, +hhmm or +hh:mm: the text of an instant (RE2, Java and Python read it alike)
OFFSET = r"\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)\s*$"
#: the same, split into the time and its offset (without the blanks between them, which DuckDB refuses)
OFFSET_PARTS = r"^(.*\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(Z|[+-]\d\d(?::?\d\d)?)\s*$"
#: offered first in the app's list (the rest follow alphabetically)
COMMON_ZONES = ("UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
                "Asia/Seoul", "Asia/Kolkata", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York",
                "America/Chicago", "America/Los_Angeles", "Australia/Sydney")


def check_zone(name: str | None) -> str | None:
    """``name`` if it is an IANA time zone (``None`` for none given or UTC, which change nothing), else a
    :class:`DataError` naming a few zones to use."""
    if name is None or not str(name).strip():
        return None
    name = str(name).strip()
    if name.upper() in ("UTC", "Z", "ETC/UTC", "GMT"):
        return None
    try:
        ZoneInfo(name)
        known = name in _known()
    except (ZoneInfoNotFoundError, ValueError):
        known = False
    if not known:   # 'localtime' (the server's own zone) and the posix/right aliases no engine shares
        raise DataError(_("{zone!r} is not a time zone PromoScope knows").format(zone=name),
                        hint=_("Use an IANA name such as Asia/Shanghai (Beijing time), Europe/London or "
                               "America/New_York"))
    return name


@cache
def _known() -> frozenset[str]:
    return frozenset(z for z in available_timezones() if not z.startswith(("posix", "right/")) and z not in
                     ("localtime", "Factory"))


def zone_choices() -> list[str]:
    """Every IANA zone, the common ones first (for a select box)."""
    rest = sorted(z for z in _known() if z not in COMMON_ZONES and "/" in z and not z.startswith("Etc/"))
    return [*COMMON_ZONES, *rest]


def to_clock(utc: pd.Series, zone: str | None) -> pd.Series:
    """Instants (naive UTC times, or times carrying any zone) as naive clock times in ``zone`` (UTC for None)."""
    if getattr(utc.dt, "tz", None) is None:
        if not zone:   # naive UTC shown in UTC: nothing to do (the default, on every Unix-time load)
            return utc
        utc = utc.dt.tz_localize("UTC")
    return utc.dt.tz_convert(zone or "UTC").dt.tz_localize(None)


_NOTES = {
    ("unix", False): N_("Times in column {column!r} are Unix timestamps; they are shown as UTC clock times. If the "
                        "shop keeps another time, choose its time zone when loading (Asia/Shanghai for Beijing time; "
                        "--time-zone on the command line): hours of the day and day boundaries follow it."),
    ("unix", True): N_("Times in column {column!r} are Unix timestamps; they are shown as {zone} clock times (the "
                       "shop's time zone chosen when loading)."),
    ("offset", False): N_("Times in column {column!r} carry UTC offsets ({offsets}); they are shown as UTC clock "
                          "times, and times without an offset are kept as written. If the shop keeps another time, "
                          "choose its time zone when loading (--time-zone on the command line)."),
    ("offset", True): N_("Times in column {column!r} carry UTC offsets ({offsets}); they are shown as {zone} clock "
                         "times (the shop's time zone chosen when loading), and times without an offset are kept as "
                         "written."),
    ("aware", False): N_("Times in column {column!r} were stored in time zone {stored}; they are shown as UTC clock "
                         "times. If the shop keeps another time, choose its time zone when loading (--time-zone on "
                         "the command line)."),
    ("aware", True): N_("Times in column {column!r} were stored in time zone {stored}; they are shown as {zone} clock "
                        "times (the shop's time zone chosen when loading)."),
}


def instants_note(column: str, kind: str, zone: str | None, **values) -> Msg:
    """What was done with the instants of ``column``, for the quality report: ``kind`` 'unix', 'offset' (with
    ``offsets``, the offsets seen) or 'aware' (with ``stored``, the column's own zone). Kept in English and
    translated where it is shown (:class:`promo_core.schema.Msg`): reports are cached across sessions."""
    extra = {"zone": zone} if zone else {}
    return Msg(_NOTES[(kind, bool(zone))], column=column, **values, **extra)
