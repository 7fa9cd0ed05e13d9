"""The STIX 2.1 common data type checks, on their own."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.stix import StixViolation
from schemas.stix.observables import (
    domain_name_defect,
    email_addr_defect,
    ipv4_defect,
    ipv6_defect,
    url_defect,
)
from schemas.stix.primitives import (
    check_reference,
    check_timestamp,
    identifier_defect,
    timestamp_defect,
    timestamp_order_key,
)


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_every_real_instant_is_a_valid_timestamp(moment: datetime) -> None:
    assert timestamp_defect(moment.isoformat(timespec="microseconds") + "Z") is None


@pytest.mark.parametrize(
    "text",
    [
        "2024-04-31T00:00:00Z",
        "2100-02-29T00:00:00Z",
        "2024-01-01T12:30:60Z",
        "2024-01-01T00:00:00.Z",
        "2024-1-01T00:00:00Z",
        " 2024-01-01T00:00:00Z",
        "2024-01-01 00:00:00Z",
    ],
)
def test_impossible_or_malformed_timestamps(text: str) -> None:
    assert timestamp_defect(text) is not None


def test_leap_years() -> None:
    assert timestamp_defect("2000-02-29T00:00:00Z") is None
    assert timestamp_defect("2024-02-29T00:00:00Z") is None


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    st.integers(0, 3),
)
def test_order_key_orders_like_time(start: datetime, gap: timedelta, zeros: int) -> None:
    end = start + gap

    def render(moment: datetime) -> str:
        # Trailing zeros (precision) never change an instant's place in the order.
        fraction = f"{moment.microsecond:06d}".rstrip("0") + "0" * zeros
        dot = "." if fraction else ""
        return moment.isoformat(timespec="seconds") + dot + fraction + "Z"

    first, second = timestamp_order_key(render(start)), timestamp_order_key(render(end))
    assert (first < second) == (start < end)
    assert (first == second) == (start == end)


def test_check_timestamp_rejects_non_strings() -> None:
    with pytest.raises(StixViolation) as raised:
        check_timestamp(1709280000, "valid_from")

    assert raised.value.rule == "invalid-type"
    assert raised.value.property == "valid_from"


@pytest.mark.parametrize(
    ("identifier", "problem"),
    [
        ("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", None),
        ("x-acme-thing--8e2e2d2b-17d4-5cbf-a38f-98ee46b3cd3f", None),
        ("indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "no '--'"),
        ("Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "not a valid type name"),
        ("indicator--00000000-0000-0000-0000-000000000000", "not an RFC 4122 UUID"),
        ("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3", "not an RFC 4122 UUID"),
    ],
)
def test_identifier_shapes(identifier: str, problem: str | None) -> None:
    defect = identifier_defect(identifier)

    assert defect is None if problem is None else problem in str(defect)


def test_reference_to_a_custom_type_where_a_category_is_allowed() -> None:
    sdo_types = {"malware", "indicator"}
    check_reference(
        "x-acme-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "ref", sdo_types, custom_allowed=True
    )
    with pytest.raises(StixViolation):
        check_reference("ipv4-addr--8e2e2d2b-17d4-5cbf-938f-98ee46b3cd3f", "ref", sdo_types)


@pytest.mark.parametrize(
    ("judge", "good", "bad"),
    [
        (ipv4_defect, ["0.0.0.0/0", "255.255.255.255", "10.1.2.3/32"], ["1.2.3", "01.2.3.4"]),
        (ipv6_defect, ["::1", "fe80::/10", "::ffff:192.0.2.1"], ["fe80::1%eth0", "::1/x"]),
        (domain_name_defect, ["localhost", "xn--mnchen-3ya.de", "a.b."], ["a..b", "a_b.example"]),
        (url_defect, ["mailto:a@b.example", "ftp://h/p", "urn:isbn:1"], ["http://a b", "/rel"]),
        (email_addr_defect, ['"a b"@c.example', "a@[192.0.2.1]"], ["a@", "@b.example"]),
    ],
)
def test_sco_value_judges(judge: object, good: list[str], bad: list[str]) -> None:
    for value in good:
        assert judge(value) is None, value  # type: ignore[operator]
    for value in bad:
        assert judge(value) is not None, value  # type: ignore[operator]
