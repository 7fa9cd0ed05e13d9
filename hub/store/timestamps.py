"""Timestamps as the store keeps them: integer microseconds since the Unix epoch, UTC.

Integers sort, compare and index the same on SQLite and PostgreSQL, and a microsecond is the
unit of ``date_added`` (TAXII 2.1 §3.1 asks for at least millisecond precision; the hub gives
each object version its own microsecond within a collection).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(Z|z|[+-][0-9]{2}:[0-9]{2})"
)


def to_us(value: str) -> int:
    """``2026-11-20T08:00:00.123456Z`` -> microseconds; digits past the sixth are dropped."""
    match = _RFC3339.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp like 2026-01-31T12:00:00.000Z")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    # A leap second (RFC 3339 §5.7, STIX 2.1 §2.15: valid) has no datetime: it stands as
    # the last microsecond before the next minute, as hub/timestamps.py's parse has it.
    leap = second == "60"
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            59 if leap else int(second),
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date and time: {exc}") from None
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    if leap and (moment.hour, moment.minute) != (23, 59):
        raise ValueError(
            f"{value!r} is not a valid date and time: second 60 is only the leap second "
            "23:59:60 UTC"
        )
    micros = 999_999 if leap else int((fraction or "0").ljust(6, "0")[:6])
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + micros


def format_us(micros: int) -> str:
    """Microseconds -> ``2026-11-20T08:00:00.123456Z``."""
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


def now_us() -> int:
    return time.time_ns() // 1000
