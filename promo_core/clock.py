"""The shop's clock: the time zone in which instants (Unix timestamps, times with a UTC offset) are shown.

A time written without an offset (``2024-05-31 14:05``) is already a clock time and is kept as written. A Unix
timestamp or a time with an offset is an instant, and becomes a clock time only in some zone: UTC unless the user
names the shop's zone (``Asia/Shanghai`` for Beijing time). Hours of the day (the planner's flash-sale hours),
days (daily charts, cohorts, "same period last year") and every window follow that clock, so the Taobao log read
in UTC starts on 24 November at 16:00, and read in Beijing time on 25 November at 00:00, as its publisher says.

UTC is the default and changes nothing; the choice is stated in the quality report whenever it applied.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pandas as pd

from .i18n import _
from .schema import DataError

UTC = "UTC"
#: a time, then Z or +hh:mm: the text of an instant
OFFSET = r"\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d:?\d\d)\s*$"
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
    except (ZoneInfoNotFoundError, ValueError):
        raise DataError(_("{zone!r} is not a time zone PromoScope knows").format(zone=name),
                        hint=_("Use an IANA name such as Asia/Shanghai (Beijing time), Europe/London or "
                               "America/New_York")) from None
    return name


def zone_choices() -> list[str]:
    """Every IANA zone, the common ones first (for a select box)."""
    rest = sorted(z for z in available_timezones() if z not in COMMON_ZONES and "/" in z and not z.startswith("Etc/"))
    return [*COMMON_ZONES, *rest]


def to_clock(utc: pd.Series, zone: str | None) -> pd.Series:
    """Instants (naive UTC times, or times carrying any zone) as naive clock times in ``zone`` (UTC for None)."""
    if getattr(utc.dt, "tz", None) is None:
        utc = utc.dt.tz_localize("UTC")
    return utc.dt.tz_convert(zone or "UTC").dt.tz_localize(None)


def instants_note(column: str, kind: str, zone: str | None) -> str:
    """What was done with the instants of ``column`` (``kind``: 'unix' or 'offset'), said in the quality report."""
    what = (_("Times in column {column!r} are Unix timestamps") if kind == "unix"
            else _("Times in column {column!r} carry UTC offsets")).format(column=column)
    if zone:
        return what + "; " + _("they are shown as {zone} clock times (the shop's time zone chosen when loading)."
                               ).format(zone=zone)
    return what + "; " + _("they are shown as UTC clock times. If the shop keeps another time, choose its time zone "
                           "when loading (Asia/Shanghai for Beijing time; --time-zone on the command line): hours of "
                           "the day and day boundaries follow it.")
