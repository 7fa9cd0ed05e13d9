"""The hub's record batches are LZ4-compressed at the fast level, by aiokafka's own builders."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiokafka import codec
from aiokafka.record import default_records
from aiokafka.record.default_records import DefaultRecordBase

from hub.kafka_codec import fast_lz4_encode, fast_lz4_in_use, use_fast_lz4

LZ4 = 3  # Kafka's codec number in a record batch's attributes

BUILDERS: dict[str, Any] = {
    "compiled": default_records.DefaultRecordBatchBuilder,
    "pure Python": default_records._DefaultRecordBatchBuilderPy,
}


def views(count: int) -> list[bytes]:
    """Messages like the audience views: JSON with the same keys, values that differ."""
    return [
        orjson.dumps(
            {
                "type": "indicator",
                "id": f"indicator--bad1c7b7-8c8f-5840-86cf-{n:012x}",
                "pattern": f"[ipv4-addr:value = '91.{n % 251}.{n // 251 % 256}.{n % 7}']",
                "confidence": n % 101,
                "name": f"malicious-code/c2-server ipv4-addr 91.{n % 251}.{n % 13}.{n % 7}",
            }
        )
        for n in range(count)
    ]


def build(builder_class: Any, compression: int, values: list[bytes]) -> bytes:
    builder = builder_class(
        magic=2,
        compression_type=compression,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for offset, value in enumerate(values):
        builder.append(offset, timestamp=1_700_000_000_000, key=b"k", value=value, headers=[])
    return bytes(builder.build())


@pytest.mark.parametrize("kind", BUILDERS)
def test_aiokafkas_builders_compress_at_the_fast_level_once_asked(kind: str) -> None:
    assert use_fast_lz4()
    assert fast_lz4_in_use()
    values = views(500)
    header = DefaultRecordBase.HEADER_STRUCT.size
    plain = build(BUILDERS[kind], 0, values)[header:]  # the records, as they are compressed
    packed = build(BUILDERS[kind], LZ4, values)
    attributes = int.from_bytes(packed[21:23], "big")  # after offset, length, epoch, magic, crc
    assert attributes & 0x07 == LZ4
    # The builder's payload is exactly the fast encoding of its records, which these records
    # tell apart from aiokafka's own level-9 encoding.
    assert packed[header:] == fast_lz4_encode(plain)
    assert fast_lz4_encode(plain) != codec.lz4_encode(plain)
    assert len(packed) < len(plain) / 3


def test_a_fast_lz4_batch_reads_back_whole() -> None:
    use_fast_lz4()
    values = views(300)
    batch = default_records.DefaultRecordBatch(build(BUILDERS["compiled"], LZ4, values))
    assert [record.value for record in batch] == values
