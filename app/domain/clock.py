"""Time helpers. Domain functions never read the clock themselves: callers pass ``now``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

# Indonesian time-zone abbreviations, used in sentences that name an opening time.
TZ_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for ``name``. Raises ``ZoneInfoNotFoundError`` for an unknown name."""
    return ZoneInfo(name)


def local(now: datetime, tz_name: str) -> datetime:
    """``now`` (aware) in the office's time zone."""
    return now.astimezone(zone(tz_name))


def local_day(now: datetime, tz_name: str) -> date:
    """The office-local calendar day that ``now`` falls on."""
    return local(now, tz_name).date()


def tz_label(tz_name: str, when: datetime) -> str:
    """A short zone label such as ``WITA``, or the UTC offset for zones without one."""
    if tz_name in TZ_ABBREVIATIONS:
        return TZ_ABBREVIATIONS[tz_name]
    return local(when, tz_name).strftime("UTC%z")


def iso(value: datetime | None, tz_name: str) -> str | None:
    """ISO 8601 text of ``value`` in the office's time zone, with its offset (None stays None)."""
    if value is None:
        return None
    return local(value, tz_name).isoformat(timespec="seconds")
