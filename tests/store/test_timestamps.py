from __future__ import annotations

import pytest

from hub.store.timestamps import format_us, to_us


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:00.000001Z", 1),
        ("1970-01-01T00:00:01.5Z", 1_500_000),
        ("1970-01-01T00:00:00.123456789Z", 123_456),  # nanoseconds are cut, not rounded
        ("1970-01-01T01:00:00+01:00", 0),
        # The leap second: the last microsecond before the next minute, whatever its fraction.
        ("2016-12-31T23:59:60Z", 1_483_228_799_999_999),
        ("2016-12-31T23:59:60.5Z", 1_483_228_799_999_999),
        ("2017-01-01T00:59:60+01:00", 1_483_228_799_999_999),
    ],
)
def test_rfc3339_to_microseconds(text: str, micros: int) -> None:
    assert to_us(text) == micros


def test_format_round_trips_with_six_digits() -> None:
    micros = to_us("2026-11-20T08:00:00.000042Z")
    assert format_us(micros) == "2026-11-20T08:00:00.000042Z"
    assert to_us(format_us(micros)) == micros


@pytest.mark.parametrize(
    "bad",
    ["2026-11-20", "yesterday", "2026-13-01T00:00:00Z", "", "2026-11-20T12:30:60Z"],
)
def test_malformed_timestamps_say_what_is_wrong(bad: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339|not a valid date"):
        to_us(bad)


def test_a_leap_second_sorts_between_its_neighbours() -> None:
    before, leap, after = "2016-12-31T23:59:59.999Z", "2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"
    assert to_us(before) < to_us(leap) < to_us(after)
    assert to_us(leap) == to_us("2016-12-31T23:59:59.999999Z")
