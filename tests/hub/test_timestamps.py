"""The hub's timestamps are STIX 2.1 timestamps: UTC, 'Z', milliseconds, four-digit years."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from hub.disseminate.views import _min_ts
from hub.timestamps import format_ms, max_ts, now_ms, parse
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


stamps = st.datetimes(min_value=datetime(1, 1, 2), timezones=st.just(UTC)).map(
    lambda moment: moment.isoformat().replace("+00:00", "Z")
)


@given(st.lists(stamps, min_size=1, max_size=4))
def test_the_latest_is_written_as_format_ms_writes_it_and_the_earliest_as_given(
    values: list[str],
) -> None:
    # One value takes a shortcut in both; it must answer as the comparison of several does.
    latest = max(values, key=parse)
    assert max_ts(values) == format_ms(parse(latest))
    assert parse(_min_ts(values)) == min(parse(value) for value in values)
    assert _min_ts(values) in values


def test_a_leap_second_parses_between_the_second_before_and_the_next_minute() -> None:
    before, leap = parse("2016-12-31T23:59:59.999Z"), parse("2016-12-31T23:59:60.250Z")
    assert before < leap < parse("2017-01-01T00:00:00.000Z")
    assert parse("2016-12-31T23:59:60Z") == leap  # the fraction is not kept: no later instant
    # The latest of them is written as datetime-based readers (the store) can read it.
    assert max_ts(["2016-12-31T23:59:59.000Z", "2016-12-31T23:59:60.250Z"]).endswith("59.999Z")
    assert max_ts(["2016-12-31T23:59:60.250Z"]) == "2016-12-31T23:59:59.999Z"


@given(st.datetimes(min_value=datetime(1, 1, 2), timezones=st.just(UTC)))
def test_format_ms_writes_every_field_zero_padded(moment: datetime) -> None:
    expected = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )
    assert format_ms(moment) == expected


def test_now_ms_is_the_clock_in_format_ms_form() -> None:
    for _ in range(3):  # across a second's change, now and then
        before = datetime.now(UTC).replace(microsecond=0)
        now = now_ms()
        after = datetime.now(UTC)
        assert timestamp_defect(now) is None and len(now) == 24
        assert before <= parse(now) <= after
        time.sleep(0.4)
