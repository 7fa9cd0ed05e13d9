"""What correlate refuses to apply, and what the quarantine keeps of it (no broker)."""

from __future__ import annotations

import orjson
import pytest
from aiokafka.structs import ConsumerRecord

from hub.correlate.stage import correlate_message, next_step, read_change
from hub.quarantine import (
    ADMITTED_FORMAT,
    UNREADABLE_ADMITTED,
    UnreadableChange,
    admitted_rejection,
    context_key,
    key_context,
)
from schemas.envelopes import Tick, decode_payload
from tests.hub.test_merge import contribution

KEY = b"ipv4-addr|198.51.100.7"


def body(**changes: object) -> bytes:
    data = contribution("isp-a").as_json()
    data.update(changes)
    return orjson.dumps(data)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (b"not json", "not a contribution or tick"),
        (b"[1, 2]", "a JSON list, not an object"),
        (orjson.dumps({"partner": "isp-a"}), "not a contribution or tick"),
        (body(confidence="high"), "not a contribution or tick"),
        (body(key="domain-name|example.com"), "but about 'domain-name|example.com'"),
        (body(modified="yesterday"), "modified 'yesterday' is not of the form"),
        (body(valid_until="2026-02-30T00:00:00Z"), "valid_until '2026-02-30T00:00:00Z' is not"),
        (body(received="2026-11-01T10:00:00"), "received '2026-11-01T10:00:00' is not"),
        (body(markings=[1]), "must hold strings only: [1], [], []"),
        (body(labels=["a", None]), "must hold strings only: ['marking-definition--"),
        (body(indicator_types=[3]), "must hold strings only: ['marking-definition--"),
        (body(confidence=101), "confidence 101 is not in 0-100"),
        (orjson.dumps(Tick(KEY.decode(), "tomorrow", "2026-11-01T00:00:00.000Z")), "unknown tick"),
        (orjson.dumps(Tick(KEY.decode(), "expiry", "now")), "now 'now' is not of the form"),
    ],
)
def test_a_message_correlate_cannot_apply_says_why(value: bytes, says: str) -> None:
    with pytest.raises(UnreadableChange, match=None) as raised:
        read_change(KEY, value)
    assert says in str(raised.value)


def test_what_the_hub_writes_is_read_back() -> None:
    assert read_change(KEY, body()) == contribution("isp-a")
    tick = Tick(KEY.decode(), "expiry", "2026-11-01T00:00:00.000Z")
    assert read_change(KEY, orjson.dumps(tick)) == tick


def test_a_refused_message_leaves_the_table_as_it_was() -> None:
    table: dict[bytes, bytes] = {}
    assert correlate_message(table, KEY, 0, body()) is not None
    before = dict(table)
    for offset, value in enumerate([b"not json", body(markings=[1]), body(confidence=-1)], 1):
        with pytest.raises(UnreadableChange):
            correlate_message(table, KEY, offset, value)
    assert table == before
    # A later good message still applies on top of the untouched record.
    later = correlate_message(table, KEY, 9, body(partner="bank-b"))
    assert later is not None and set(later.record.contributions) == {"isp-a", "bank-b"}


def test_a_republish_tick_sends_the_current_version_again_unchanged() -> None:
    table: dict[bytes, bytes] = {}
    first = correlate_message(table, KEY, 0, body())
    assert first is not None
    stored = table[KEY]
    republish = orjson.dumps(Tick(KEY.decode(), "republish", "2026-11-02T00:00:00.000Z"))
    step = next_step(stored, KEY, 1, republish)
    assert step.write is None  # the record is not touched
    assert step.version is not None and step.version.encoded == stored
    # For a key with no record there is nothing to publish.
    assert next_step(None, KEY, 1, republish).version is None


def test_a_republish_of_the_failed_version_goes_where_it_would_have_gone() -> None:
    from hub.quarantine import version_rejection

    table: dict[bytes, bytes] = {}
    assert correlate_message(table, KEY, 0, body()) is not None
    failed = correlate_message(table, KEY, 1, body(partner="bank-b"))
    assert failed is not None and failed.previous is not None
    # The replay stamps the tick with the failed version's `modified` (the rejection's).
    rejection = version_rejection(failed.record, 1, "TypeError: ...", "ns.fusion.curated")
    republish = Tick(KEY.decode(), "republish", rejection.received).to_bytes()
    again = next_step(table[KEY], KEY, 2, republish).version
    assert again is not None and again.previous is not None
    assert again.previous.version == 1 and set(again.previous.contributions) == {"isp-a"}
    # A version cut since was judged against the failed one, which no audience got: the
    # current version goes to everyone who may see something of it.
    assert correlate_message(table, KEY, 3, body(partner="bank-b", confidence=90)) is not None
    later = next_step(table[KEY], KEY, 4, republish).version
    assert later is not None and later.record.version == 3 and later.previous is None


def test_the_rejection_keeps_the_message_its_key_and_position() -> None:
    raw = body(markings=[1])
    message = ConsumerRecord(
        "ns.fusion.admitted", 2, 41, 1_764_000_000_000, 0, KEY, raw, None, len(KEY), len(raw), ()
    )
    rejection = admitted_rejection(message, UNREADABLE_ADMITTED, "markings holds ...")
    again = admitted_rejection(message, UNREADABLE_ADMITTED, "markings holds ...")
    assert rejection == again  # a re-delivery rejects it under the same id
    assert rejection.format == ADMITTED_FORMAT
    assert rejection.partner == "isp-a"
    assert rejection.reason.code == UNREADABLE_ADMITTED
    assert rejection.reason.object_id == contribution("isp-a").object_id
    assert "ns.fusion.admitted/2/41" in rejection.reason.detail
    assert decode_payload(rejection.payload, rejection.payload_base64) == raw
    assert context_key(rejection.context) == KEY


@pytest.mark.parametrize("key", [KEY, b"\xff\xfe not utf-8", b""])
def test_any_key_comes_back_as_it_was(key: bytes) -> None:
    assert context_key(key_context(key)) == key


def test_a_rejection_without_a_key_cannot_be_replayed_under_one() -> None:
    with pytest.raises(ValueError, match="no message key"):
        context_key({"position": "x/0/1"})


def test_a_version_that_fails_again_after_a_replay_is_a_new_rejection() -> None:
    from hub.correlate.merge import merge
    from hub.quarantine import DISSEMINATION_FAILED, version_rejection

    record, _ = merge(None, contribution("isp-a"))
    first = version_rejection(record, 7, "TypeError: ...", "ns.fusion.curated")
    # A re-delivery of the message that sent the version out: the same rejection.
    assert version_rejection(record, 7, "TypeError: ...", "ns.fusion.curated") == first
    # The replay's republish tick comes at another offset: a rejection of its own, which a
    # pending list shows (the first is marked replayed by its id).
    again = version_rejection(record, 12, "TypeError: ...", "ns.fusion.curated")
    assert again.rejection_id != first.rejection_id
    assert first.reason.code == again.reason.code == DISSEMINATION_FAILED
    assert first.format == "curated" and first.context == {"key": record.key, "version": 1}
    assert first.payload.encode() == record.to_bytes()
