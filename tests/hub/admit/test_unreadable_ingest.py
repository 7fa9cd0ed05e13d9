"""A message on fusion.ingest that is not the hub's envelope is rejected, whole, with why."""

from __future__ import annotations

import pytest

from hub.admit.admission import read_ingest_record
from hub.kafka_io import new_ingest_record
from schemas.envelopes import IngestRecord, Origin, Rejection, decode_payload

RECEIVED = "2026-11-25T10:00:00.000Z"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"not json at all", "not a fusion.ingest envelope"),
        (b'{"partner": "bank-meridian"}', "missing"),  # required fields absent
        (
            b'{"ingest_id": "x", "partner": "p", "received": "r", "payload": "", "bogus": 1}',
            "bogus",
        ),
        (b"\xff\xfe binary", "not a fusion.ingest envelope"),
        (None, "not a fusion.ingest envelope"),  # a tombstone
    ],
)
def test_an_unreadable_message_becomes_a_rejection_that_keeps_its_bytes(
    raw: bytes | None, why: str
) -> None:
    outcome = read_ingest_record(
        raw, key=b"bank-meridian", where=lambda: ("fusion.ingest/2/41", RECEIVED)
    )
    assert isinstance(outcome, Rejection)
    assert outcome.reason.code == "unreadable-ingest-record"
    assert "fusion.ingest/2/41" in outcome.reason.detail and why in outcome.reason.detail
    assert outcome.partner == "bank-meridian"
    assert decode_payload(outcome.payload, outcome.payload_base64) == (raw or b"")


def test_the_same_message_redelivered_gives_the_identical_rejection() -> None:
    def once() -> Rejection | IngestRecord:
        return read_ingest_record(b"{", key=None, where=lambda: ("t/0/7", RECEIVED))

    first, again = once(), once()
    assert isinstance(first, Rejection) and first == again
    assert first.partner == "unknown"
    other = read_ingest_record(b"{", key=None, where=lambda: ("t/0/8", RECEIVED))
    assert isinstance(other, Rejection) and other.rejection_id != first.rejection_id


def test_a_readable_envelope_is_read_as_is_without_working_out_where_it_is() -> None:
    def nowhere() -> tuple[str, str]:
        raise AssertionError("only an unreadable message needs its position and time")

    record = new_ingest_record("isp-northnet", b"{}", origin=Origin(channel="cli"))
    assert read_ingest_record(record.to_bytes(), key=b"x", where=nowhere) == record
