"""Feed timestamps: the fast path for the common report shape is the general path's twin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.stix import _any_time, feed_time
from hub.admit.admission import DecodeError

SHAPES = ("{d} {t}", "{d}T{t}", "{d}T{t}Z", "{d} {t}Z")


def general(text: str) -> str:
    """What feed_time gave before its fast path: the general parse, or the error code."""
    try:
        return _any_time(text.strip(), text, code="bad", what="time")
    except DecodeError as exc:
        return f"error {exc.code}"


def fast(text: str) -> str:
    try:
        return feed_time(text, code="bad", what="time")
    except DecodeError as exc:
        return f"error {exc.code}"


@settings(max_examples=3000, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    shape=st.sampled_from(SHAPES),
)
def test_every_plain_utc_time_reads_as_the_general_parse_does(moment: datetime, shape: str) -> None:
    text = shape.format(d=moment.strftime("%Y-%m-%d"), t=moment.strftime("%H:%M:%S"))
    text = (
        text
        if moment.year >= 1000
        else text.replace(moment.strftime("%Y"), f"{moment.year:04d}", 1)
    )
    assert fast(text) == general(text)


@settings(max_examples=3000, deadline=None)
@given(text=st.text(alphabet="0123456789-: TZ+.x٢", min_size=17, max_size=22))
def test_near_misses_read_as_the_general_parse_does(text: str) -> None:
    assert fast(text) == general(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-29 10:00:00",  # no leap day in 2026
        "2028-02-29 10:00:00",
        "2026-11-19 24:00:00",
        "2026-13-01 00:00:00",
        "2026-11-19 08:13:25Z",
        " 2026-11-19T08:13:25 ",
        "٢٠٢٦-11-19 08:13:25",  # non-ASCII digits: the general path decides
        "0999-01-01 00:00:00",
        "1763540005",
    ],
)
def test_edge_cases_read_as_the_general_parse_does(text: str) -> None:
    assert fast(text) == general(text)


def test_the_fast_path_gives_stix_milliseconds_in_utc() -> None:
    start = datetime(2026, 11, 19, tzinfo=UTC)
    for seconds in range(0, 86_400, 3_607):
        moment = start + timedelta(seconds=seconds)
        text = moment.strftime("%Y-%m-%d %H:%M:%S")
        assert feed_time(text, code="bad", what="t") == moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
