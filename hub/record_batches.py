"""Kafka record batches (format v2) for the outbox, encoded in one pass when they are sent.

aiokafka's batch builder encodes each message as it is appended: a Python wrapper around
the compiled builder, a clock read and a metadata object per message, and a bytearray grown
one message at a time whose reallocations copy the batch written so far. Under callgrind
that was 80,000 of the 740,000 instructions an indicator cost the stages in one process,
and the LZ4 step copied the records twice more. The outbox only appends keyed messages
without headers and hands whole batches to the producer, so an ``OutboxBatch`` keeps its
messages and writes the batch once, when the producer's sender takes it.

The format is Kafka's RecordBatch v2 (KIP-98; the protocol guide's "Record Batch"): a
61-byte header, then the records, LZ4-compressed as one frame. aiokafka's producer sends
it as it sends its own builders' batches (``send_batch``); ``OutboxBatch`` answers the
calls its ``MessageBatch`` makes on a builder.
"""

from __future__ import annotations

import gzip
import struct
import time
from typing import Final

from aiokafka.record.util import calc_crc32c

from hub.kafka_codec import fast_lz4_encode

HEADER_BYTES: Final = 61  # baseOffset .. recordCount
_CRC_AT: Final = 17  # the CRC covers the bytes from the attributes on
_ATTRIBUTES_AT: Final = 21
LZ4_CODEC: Final = 3  # attributes bits 0-2
GZIP_CODEC: Final = 1
# baseOffset, batchLength, partitionLeaderEpoch, magic (the CRC comes after, by itself).
_LEAD: Final = struct.Struct(">qiib")
# attributes, lastOffsetDelta, baseTimestamp, maxTimestamp, producerId, producerEpoch,
# baseSequence, recordCount.
_TAIL: Final = struct.Struct(">hiqqqhii")
# A record's worst-case bytes beside its key and value: five varints (length, timestamp and
# offset deltas, key and value lengths) of up to five bytes, attributes, header count.
_RECORD_OVERHEAD: Final = 27


def _zigzag_varint(value: int) -> bytes:
    """Kafka's signed varint: zigzag, then 7 bits a byte, least significant first."""
    number = (value << 1) ^ (value >> 63)
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


# The varints of 0..16383, one or two bytes: offsets within a batch and most keys' and
# values' lengths. Larger ones are encoded when met.
_SMALL_VARINTS: Final = [_zigzag_varint(n) for n in range(16384)]


def varint(value: int) -> bytes:
    if 0 <= value < 16384:
        return _SMALL_VARINTS[value]
    return _zigzag_varint(value)


class OutboxBatch:
    """One partition's messages, written as one LZ4-compressed record batch when sent.

    ``add`` takes a message while the batch stays under ``limit`` bytes (a first message
    however large; the broker judges it). Once handed to the producer (``_build``) the
    batch is closed, and its bytes do not change on a retry. ``codec`` GZIP_CODEC: gzip
    instead, for a large message alone (``hub/streams.py``, ``COMPRESS_ABOVE``).
    """

    def __init__(self, limit: int, codec: int = LZ4_CODEC) -> None:
        self.limit = limit
        self.codec = codec
        self._keys: list[bytes] = []
        self._values: list[bytes] = []
        self._size = HEADER_BYTES
        self._closed = False
        self._built: bytearray | None = None
        self._producer_state = (-1, -1, -1)  # id, epoch, base sequence: no idempotence

    def add(self, key: bytes, value: bytes) -> bool:
        """Take one message; False (and closed) if it would take the batch over its limit."""
        if self._closed:
            return False
        size = len(key) + len(value) + _RECORD_OVERHEAD
        if self._keys and self._size + size > self.limit:
            self._closed = True
            return False
        self._keys.append(key)
        self._values.append(value)
        self._size += size
        return True

    def record_count(self) -> int:
        return len(self._keys)

    def size(self) -> int:
        """Bytes before compression, at most (the overhead is counted at its worst)."""
        return self._size

    def closed(self) -> bool:
        return self._closed

    def append(
        self, *, timestamp: int | None, key: bytes | None, value: bytes | None, headers: object
    ) -> None:
        """What aiokafka's producer calls to add a message of its own ``send``: refused.

        The outbox sends these batches whole, on a producer whose ``send`` it never calls.
        """
        return None

    def _set_producer_state(
        self, producer_id: int, producer_epoch: int, base_sequence: int
    ) -> None:
        self._producer_state = (producer_id, producer_epoch, base_sequence)

    def _build(self) -> bytearray:
        """The batch's bytes; built once, at the first call (a retry sends the same)."""
        if self._built is None:
            self._closed = True
            self._built = self._encode(int(time.time() * 1000))
        return self._built

    def records(self) -> bytes:
        """The records section, uncompressed: each a length-prefixed v2 record."""
        pieces: list[bytes] = []
        keys, values = self._keys, self._values
        for offset in range(len(keys)):
            key, value = keys[offset], values[offset]
            offset_delta = varint(offset)
            key_length, value_length = varint(len(key)), varint(len(value))
            # attributes (0) and timestamp delta (0: every record at the batch's timestamp)
            body = 2 + len(offset_delta) + len(key_length) + len(key)
            body += len(value_length) + len(value) + 1
            pieces.append(varint(body))
            pieces.append(b"\x00\x00")
            pieces.append(offset_delta)
            pieces.append(key_length)
            pieces.append(key)
            pieces.append(value_length)
            pieces.append(value)
            pieces.append(b"\x00")  # no headers
        return b"".join(pieces)

    def _encode(self, timestamp_ms: int) -> bytearray:
        if self.codec == GZIP_CODEC:
            # zlib's default level, as Kafka's Java client; no time in the header, so a
            # retry or a rebuild is the same bytes.
            compressed = gzip.compress(self.records(), compresslevel=6, mtime=0)
        else:
            compressed = fast_lz4_encode(self.records())
        count = len(self._keys)
        producer_id, producer_epoch, base_sequence = self._producer_state
        batch = bytearray(HEADER_BYTES + len(compressed))
        _LEAD.pack_into(batch, 0, 0, len(batch) - 12, -1, 2)
        _TAIL.pack_into(
            batch,
            _ATTRIBUTES_AT,
            self.codec,
            count - 1,
            timestamp_ms,
            timestamp_ms,
            producer_id,
            producer_epoch,
            base_sequence,
            count,
        )
        batch[HEADER_BYTES:] = compressed
        crc = calc_crc32c(memoryview(batch)[_ATTRIBUTES_AT:])
        struct.pack_into(">I", batch, _CRC_AT, crc)
        return batch
