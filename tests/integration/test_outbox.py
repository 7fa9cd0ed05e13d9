"""The workers' outbox against the real broker: partitions, flush, and what it refuses."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from hub.kafka_admin import ensure_topics
from hub.kafka_io import read_topics
from hub.settings import HubSettings
from hub.streams import (
    COMPRESS_ABOVE,
    EXIT_OUTPUT_UNWRITTEN,
    MAX_BATCH_BYTES,
    Outbox,
    OutboxError,
)
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.hub_process import REPO

pytestmark = pytest.mark.integration


async def partitions_by_key(bootstrap: str, topic: str) -> dict[bytes, int]:
    return {m.key: m.partition async for m in read_topics(bootstrap, topics=[topic]) if m.key}


async def numbers_by_key(bootstrap: str, topic: str, prefix: int = 0) -> dict[bytes, list[int]]:
    """Per key, the numbers its messages end with (after ``prefix`` bytes), in topic order."""
    seen: dict[bytes, list[int]] = {}
    async for m in read_topics(bootstrap, topics=[topic]):
        seen.setdefault(m.key or b"", []).append(int(m.value[prefix:]))
    return seen


async def test_a_keyed_message_lands_where_kafkas_default_partitioner_puts_it(
    kafka_broker: KafkaBroker,
) -> None:
    # Correlate relies on it: every statement about one key must meet in one partition,
    # whether admit (through the outbox) or a release (plain producer) sent it. Each key goes
    # to topics of 4 and of 3 partitions in a row, as a version's views go out under one key.
    tag = uuid.uuid4().hex[:8]
    counts = {f"outbox-{tag}": 4, f"outbox3-{tag}": 3, f"plain-{tag}": 4, f"plain3-{tag}": 3}
    for topic, count in counts.items():
        await ensure_topics(kafka_broker.bootstrap, [topic], count)
    keys = [f"ipv4-addr|91.216.{n // 256}.{n % 256}".encode() for n in range(300)]
    outbox = Outbox(HubSettings(broker=kafka_broker.bootstrap, app_id=f"outbox-{tag}"))
    lane = outbox.lane()
    for key in keys:
        lane.send(f"outbox-{tag}", key, b"{}")
        lane.send(f"outbox3-{tag}", key, b"{}")
    await lane.flush()
    await outbox.stop()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    await producer.start()
    try:
        for key in keys:
            await producer.send(f"plain-{tag}", b"{}", key=key)
            await producer.send(f"plain3-{tag}", b"{}", key=key)
        await producer.flush()
    finally:
        await producer.stop()
    for ours_topic, kafkas_topic, count in (
        (f"outbox-{tag}", f"plain-{tag}", 4),
        (f"outbox3-{tag}", f"plain3-{tag}", 3),
    ):
        ours = await partitions_by_key(kafka_broker.bootstrap, ours_topic)
        kafkas = await partitions_by_key(kafka_broker.bootstrap, kafkas_topic)
        assert set(ours) == set(keys)
        assert ours == kafkas
        assert len(set(ours.values())) == count  # spread over every partition


async def test_flush_writes_everything_in_order_per_key(kafka_broker: KafkaBroker) -> None:
    tag = uuid.uuid4().hex[:8]
    topic = f"order-{tag}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 4)
    outbox = Outbox(HubSettings(broker=kafka_broker.bootstrap, app_id=f"order-{tag}"))
    lane = outbox.lane()
    # More than one batch's worth, so batches fill and go out before the flush too.
    value = b"v" * 1000
    count = 3 * MAX_BATCH_BYTES // len(value)
    for n in range(count):
        lane.send(topic, f"k{n % 7}".encode(), value + str(n).encode())
    await lane.flush()
    await outbox.stop()
    seen = await numbers_by_key(kafka_broker.bootstrap, topic, prefix=len(value))
    assert sum(len(v) for v in seen.values()) == count
    assert all(numbers == sorted(numbers) for numbers in seen.values())


async def test_messages_held_until_a_topic_is_known_keep_their_order(
    kafka_broker: KafkaBroker,
) -> None:
    # A lane holds messages for a topic whose partitions it does not know yet; another lane
    # learning them meanwhile must not let the first lane's later messages overtake its own
    # held ones.
    tag = uuid.uuid4().hex[:8]
    topic = f"held-{tag}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 2)
    outbox = Outbox(HubSettings(broker=kafka_broker.bootstrap, app_id=f"held-{tag}"))
    first, other = outbox.lane(), outbox.lane()
    try:
        for n in range(0, 100):
            first.send(topic, f"k{n % 3}".encode(), str(n).encode())  # partitions unknown
        other.send(topic, b"other", b"-1")
        await other.flush()  # the outbox knows the topic's partitions now
        for n in range(100, 200):
            first.send(topic, f"k{n % 3}".encode(), str(n).encode())
        await first.flush()
    finally:
        await outbox.stop()
    seen = await numbers_by_key(kafka_broker.bootstrap, topic)
    assert seen.pop(b"other") == [-1]
    assert sum(len(v) for v in seen.values()) == 200
    assert all(numbers == sorted(numbers) for numbers in seen.values())


async def test_batches_dispatched_before_the_last_is_written_keep_their_order(
    kafka_broker: KafkaBroker,
) -> None:
    # The worker hands a batch's output to the producer while the previous batch's output
    # is still in flight; a partition must still receive them in the order they were added.
    tag = uuid.uuid4().hex[:8]
    topic = f"overlap-{tag}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 2)
    outbox = Outbox(HubSettings(broker=kafka_broker.bootstrap, app_id=f"overlap-{tag}"))
    lane = outbox.lane()
    in_flight = []
    for batch in range(20):
        for n in range(batch * 300, (batch + 1) * 300):
            lane.send(topic, f"k{n % 3}".encode(), str(n).encode())
        in_flight.append(await lane.dispatch())  # not waited for before the next batch
    written = [await output.written() for output in in_flight]
    await outbox.stop()
    seen = await numbers_by_key(kafka_broker.bootstrap, topic)
    assert sum(len(v) for v in seen.values()) == 6000
    assert all(numbers == sorted(numbers) for numbers in seen.values())
    # Each write reports where its last message landed, later batches further on.
    last = [max(offsets.values()) for offsets in written]
    assert last == sorted(last)


async def test_a_message_the_broker_refuses_fails_the_flush_loudly(
    kafka_broker: KafkaBroker,
) -> None:
    # Above the broker's message.max.bytes (1 MiB by default): never silently dropped.
    outbox = Outbox(HubSettings(broker=kafka_broker.bootstrap, app_id="outbox-big"))
    topic = f"big-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 1)
    lane = outbox.lane()
    try:
        lane.send(topic, b"small", b"fine")
        with pytest.raises(OutboxError, match=topic):
            # Random bytes: even gzip-compressed it stays above the limit.
            lane.send(topic, b"k", os.urandom(2 * 1024 * 1024))
            await lane.flush()
    finally:
        await outbox.stop()


async def test_a_large_message_goes_compressed_and_arrives_whole(kafka_broker: KafkaBroker) -> None:
    # Three times the broker's message limit, as a rejection copying a large envelope is.
    topic = f"large-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 1)
    outbox = Outbox(HubSettings(broker=kafka_broker.bootstrap, app_id="outbox-large"))
    lane = outbox.lane()
    large = b'{"objects": [' + b",".join([b'{"type": "indicator"}'] * 150_000) + b"]}"
    assert len(large) > 3 * 1024 * 1024
    try:
        lane.send(topic, b"before", b"small")
        lane.send(topic, b"large", large)
        await lane.flush()
    finally:
        await outbox.stop()
    got = {m.key: m.value async for m in read_topics(kafka_broker.bootstrap, topics=[topic])}
    assert got == {b"before": b"small", b"large": large}


async def test_a_large_message_keeps_its_place_among_the_others(
    kafka_broker: KafkaBroker,
) -> None:
    # A changelog's records of one key, the middle one large: compaction keeps the last
    # written, so a large record overtaking a later small one (or one written before it
    # landing after it) would bring an older record back on restore.
    topic = f"placed-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 1)
    outbox = Outbox(HubSettings(broker=kafka_broker.bootstrap, app_id="outbox-placed"))
    lane = outbox.lane()
    large = b'{"contributions": [' + b",".join([b'{"partner": "p"}'] * 30_000) + b"]}"
    assert len(large) > COMPRESS_ABOVE
    sent = [b"1", b"2", large, b"4"]
    try:
        for _ in range(20):  # dispatched before the last is written, as a worker does
            for value in sent:
                lane.send(topic, b"record", value)
            await lane.dispatch()
        await lane.flush()
    finally:
        await outbox.stop()
    got = [m.value async for m in read_topics(kafka_broker.bootstrap, topics=[topic])]
    assert got == sent * 20
    # The large one went gzip-compressed (codec 1) in a batch of its own, the others LZ4.
    codecs = [codec for codec, _ in stored_batches(kafka_broker, topic)]
    assert codecs.count(1) == 20 and set(codecs) == {1, 3}


def stored_batches(broker: KafkaBroker, topic: str) -> list[tuple[int, int]]:
    """(codec, bytes) of each record batch in the broker's log of ``topic``'s partition 0."""
    assert broker.launcher is not None
    segment = broker.launcher.data_dir / f"{topic}-0" / "00000000000000000000.log"
    raw, position, batches = segment.read_bytes(), 0, []
    while position + 23 <= len(raw):
        # A v2 batch: base offset (8 bytes), length of the rest (4), leader epoch (4),
        # magic (1), crc (4), attributes (2; the codec in the low 3 bits), ...
        length = int.from_bytes(raw[position + 8 : position + 12], "big")
        attributes = int.from_bytes(raw[position + 21 : position + 23], "big")
        batches.append((attributes & 0x07, 12 + length))
        position += 12 + length
    return batches


async def test_the_outbox_writes_lz4_batches_that_read_back_whole(
    kafka_broker: KafkaBroker,
) -> None:
    # What the broker stores, read from its log: every batch LZ4 (codec 3), a fraction of
    # the messages' size; and a consumer gets every message back as it was sent.
    if kafka_broker.launcher is None:
        pytest.skip("reads the broker's log files: needs the session's own broker")
    topic = f"packed-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 1)
    outbox = Outbox(HubSettings(broker=kafka_broker.bootstrap, app_id="outbox-lz4"))
    lane = outbox.lane()
    sent = {
        f"ipv4-addr|91.216.{n // 256}.{n % 256}".encode(): orjson.dumps(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, str(n))}",
                "pattern": f"[ipv4-addr:value = '91.216.{n // 256}.{n % 256}']",
                "confidence": n % 101,
                "x_fusion_crime_code": "malicious-code/c2-server",
            }
        )
        for n in range(3000)
    }
    try:
        for key, value in sent.items():
            lane.send(topic, key, value, partition=0)
        await lane.flush()
    finally:
        await outbox.stop()
    got = {m.key: m.value async for m in read_topics(kafka_broker.bootstrap, topics=[topic])}
    assert got == sent
    batches = stored_batches(kafka_broker, topic)
    assert len(batches) > 1  # more than one batch's worth, each compressed on its own
    assert {codec for codec, _ in batches} == {3}
    assert sum(size for _, size in batches) < sum(map(len, sent.values())) / 3


UNWRITABLE = """
import asyncio, os, sys
from hub.settings import HubSettings
from hub.streams import Outbox, written_before_ack

async def main(bootstrap, topic):
    lane = Outbox(HubSettings(broker=bootstrap, app_id="outbox-exit")).lane()
    lane.send(topic, b"k", os.urandom(2 * 1024 * 1024))
    await written_before_ack(await lane.dispatch())  # as the worker waits for a batch
    print("acked")  # never reached

asyncio.run(main(*sys.argv[1:]))
"""


async def test_a_worker_ends_rather_than_ack_a_batch_whose_output_was_refused(
    kafka_broker: KafkaBroker,
) -> None:
    # Output the broker refused must never be followed by a commit of its input: the worker
    # ends at once (status 70) and its restart takes the batch again.
    topic = f"refused-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 1)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        UNWRITABLE,
        kafka_broker.bootstrap,
        topic,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == EXIT_OUTPUT_UNWRITTEN, stderr.decode()
    assert b"acked" not in stdout
    assert b"output not written" in stderr and topic.encode() in stderr
