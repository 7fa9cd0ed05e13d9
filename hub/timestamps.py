"""STIX timestamps (RFC 3339, UTC, 'Z'), millisecond precision as the hub writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache


@lru_cache(maxsize=1 << 16)
def parse(value: str) -> datetime:
    # Cached: the same few stamps of a record are compared for every audience of every
    # version; datetimes are immutable, so sharing them is safe.
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@lru_cache(maxsize=1 << 16)
def format_ms(moment: datetime) -> str:
    """``2026-11-25T19:04:44.123Z``: STIX 2.1 §3.2 asks `modified` for millisecond precision."""
    return _format_ms(moment)


def _format_ms(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    # Not strftime: its %Y gives "999" for the year 999, and STIX wants four digits.
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def now_ms() -> str:
    return _format_ms(datetime.now(UTC))  # never the same twice: not worth caching


def later_by_ms(value: str, ms: int = 1) -> str:
    return format_ms(parse(value) + timedelta(milliseconds=ms))


def max_ts(values: list[str]) -> str:
    return format_ms(max(parse(value) for value in values))
