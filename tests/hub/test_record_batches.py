"""The outbox's record batches, read back by aiokafka's own record batch reader.

What a consumer sees of a batch is what these read: the records (offsets, keys, values, no
headers), the CRC, the codec, the counts and timestamps in the header. The outbox tests
(tests/integration/test_outbox.py) send them through a real broker.
"""

from __future__ import annotations

import os

from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch
from aiokafka.record.util import encode_varint_py
from hypothesis import given
from hypothesis import strategies as st

from hub.record_batches import HEADER_BYTES, LZ4_CODEC, OutboxBatch, varint

LIMIT = 64 * 1024


def read(built: bytes | bytearray) -> DefaultRecordBatch:
    batch = DefaultRecordBatch(bytes(built))
    assert batch.validate_crc()
    return batch


def messages(count: int) -> list[tuple[bytes, bytes]]:
    # Keys and values of many sizes, across the one- and two-byte varints and beyond.
    return [
        (os.urandom(n % 40), os.urandom((n * 7919) % 20_000 if n % 10 == 0 else n % 300))
        for n in range(count)
    ]


@given(st.integers(min_value=0, max_value=1 << 40))
def test_varints_are_kafkas_zigzag_varints(value: int) -> None:
    expected = bytearray()
    encode_varint_py(value, expected.append)
    assert varint(value) == bytes(expected)


def test_a_batch_reads_back_record_for_record() -> None:
    pending = messages(120)
    batch = OutboxBatch(limit=1 << 22)
    for key, value in pending:
        assert batch.add(key, value)
    built = read(batch._build())
    records = list(built)
    assert [(r.offset, r.key, r.value, list(r.headers)) for r in records] == [
        (offset, key, value, []) for offset, (key, value) in enumerate(pending)
    ]
    assert built.compression_type == LZ4_CODEC
    assert built.base_offset == 0 and built.next_offset == len(pending)
    assert built.producer_id == -1 and built.base_sequence == -1
    assert len({r.timestamp for r in records}) == 1 == len({built.first_timestamp})
    assert batch.record_count() == len(pending)


def test_the_records_are_those_aiokafkas_builder_writes() -> None:
    # Same keys, values and offsets as aiokafka's own batch of the same messages.
    pending = messages(60)
    ours, theirs = OutboxBatch(limit=1 << 22), BatchBuilder(1 << 22, LZ4_CODEC)
    for key, value in pending:
        ours.add(key, value)
        theirs.append(key=key, value=value, timestamp=None)

    def content(built: bytes | bytearray) -> list[tuple[int, bytes | None, bytes | None]]:
        return [(r.offset, r.key, r.value) for r in read(built)]

    assert content(ours._build()) == content(theirs._build())


def test_a_batch_stops_at_its_limit_but_takes_any_first_message() -> None:
    batch = OutboxBatch(limit=LIMIT)
    assert batch.add(b"k", b"v" * (LIMIT * 3))  # alone: the broker judges it
    assert not batch.add(b"k", b"small")
    assert batch.closed() and batch.record_count() == 1
    filling = OutboxBatch(limit=LIMIT)
    taken = 0
    while filling.add(b"key", b"v" * 1000):
        taken += 1
    assert 60 <= taken < LIMIT // 1000
    assert filling.size() <= LIMIT
    assert not filling.add(b"k", b"")  # closed: nothing more, however small
    assert len(list(read(filling._build()))) == taken


def test_a_built_batch_is_closed_and_sent_again_unchanged() -> None:
    batch = OutboxBatch(limit=LIMIT)
    batch.add(b"a", b"1")
    first = batch._build()
    assert batch.closed() and not batch.add(b"b", b"2")
    assert batch._build() is first
    assert batch.append(timestamp=None, key=b"c", value=b"3", headers=[]) is None


def test_producer_state_goes_into_the_header() -> None:
    batch = OutboxBatch(limit=LIMIT)
    batch.add(b"a", b"1")
    batch._set_producer_state(7, 2, 40)
    built = read(batch._build())
    assert (built.producer_id, built.producer_epoch, built.base_sequence) == (7, 2, 40)
    assert len(batch._build()) > HEADER_BYTES
