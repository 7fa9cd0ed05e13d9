"""The hub's timestamps are STIX 2.1 timestamps: UTC, 'Z', milliseconds, four-digit years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from hub.timestamps import format_ms, parse
from schemas.stix.primitives import timestamp_defect


@given(st.datetimes(min_value=datetime(1, 1, 2), timezones=st.just(UTC)))
def test_every_formatted_moment_is_a_valid_stix_timestamp_that_parses_back(
    moment: datetime,
) -> None:
    text = format_ms(moment)
    assert timestamp_defect(text) is None, text
    assert parse(text) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_years_below_1000_keep_four_digits_and_zones_become_utc() -> None:
    assert format_ms(datetime(999, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)) == "0999-01-02T03:04:05.006Z"
    plus_two = timezone(timedelta(hours=2))
    assert format_ms(datetime(2026, 11, 26, 1, 0, tzinfo=plus_two)) == "2026-11-25T23:00:00.000Z"
