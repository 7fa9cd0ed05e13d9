"""STIX timestamps (RFC 3339, UTC, 'Z'), millisecond precision as the hub writes them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final

# ".000Z" .. ".999Z": the millisecond part, looked up instead of formatted.
_MILLISECONDS: Final = [f".{ms:03d}Z" for ms in range(1000)]


@lru_cache(maxsize=1 << 16)
def parse(value: str) -> datetime:
    # Cached: the same few stamps of a record are compared for every audience of every
    # version; datetimes are immutable, so sharing them is safe.
    text = value.replace("Z", "+00:00")
    if value[17:19] == "60":
        # STIX 2.1 §2.15 allows the leap second 23:59:60, which datetime cannot hold: it
        # stands as the last microsecond before the next minute, in order with the rest.
        text = f"{value[:17]}59.999999+00:00"
    return datetime.fromisoformat(text).astimezone(UTC)


@lru_cache(maxsize=1 << 16)
def format_ms(moment: datetime) -> str:
    """``2026-11-25T19:04:44.123Z``: STIX 2.1 §3.2 asks `modified` for millisecond precision."""
    return _format_ms(moment)


def _format_ms(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    # Not strftime: its %Y gives "999" for the year 999, and STIX wants four digits. Printf
    # style: an f-string's format specs cost about 2.5 times as much here.
    return _format_s(moment) + _MILLISECONDS[moment.microsecond // 1000]


def _format_s(moment: datetime) -> str:
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (  # noqa: UP031 - see _format_ms
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


class _LastSecond:
    """The whole second ``now_ms`` last wrote: the clock is read for every indicator, and
    its date and time change once a second."""

    def __init__(self) -> None:
        self.second = -1
        self.text = ""


_LAST_SECOND: Final = _LastSecond()


def now_ms() -> str:
    milliseconds = time.time_ns() // 1_000_000
    second, millisecond = divmod(milliseconds, 1000)
    last = _LAST_SECOND
    if second != last.second:
        last.text = _format_s(datetime.fromtimestamp(second, UTC))
        last.second = second
    return last.text + _MILLISECONDS[millisecond]


def later_by_ms(value: str, ms: int = 1) -> str:
    return format_ms(parse(value) + timedelta(milliseconds=ms))


def in_ms_form(value: str) -> bool:
    """Whether a valid timestamp is written as ``format_ms`` writes it (then it is its own
    normal form): ``YYYY-MM-DDTHH:mm:ss.sssZ``, and not in a leap second, which the store and
    other readers built on datetime cannot read (``format_ms`` writes it as 23:59:59.999)."""
    return len(value) == 24 and value[19] == "." and value[23] == "Z" and value[17:19] != "60"


def max_ts(values: list[str]) -> str:
    """The latest of ``values`` (valid timestamps), written as ``format_ms`` writes it."""
    latest = values[0] if len(values) == 1 else max(values, key=parse)
    # Most are in that form already (the hub's own, and most partners'): neither parsed nor
    # formatted again.
    return latest if in_ms_form(latest) else format_ms(parse(latest))
