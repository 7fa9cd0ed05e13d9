"""Plain aiokafka clients for the CLI, connectors and tests: send ingest records, read topics."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder

from hub.partitioner import ingest_partition
from hub.timestamps import now_ms
from schemas.envelopes import IngestRecord, Origin, encode_payload


def new_ingest_record(
    partner: str,
    raw: bytes,
    *,
    origin: Origin,
    format: str = "stix",
    ingest_id: str | None = None,
    received: str | None = None,
    context: dict[str, object] | None = None,
    replay_of: str | None = None,
) -> IngestRecord:
    payload, is_base64 = encode_payload(raw)
    return IngestRecord(
        ingest_id=ingest_id or str(uuid.uuid4()),
        partner=partner,
        received=received or now_ms(),
        payload=payload,
        payload_base64=is_base64,
        format=format,
        origin=origin,
        context=context,
        replay_of=replay_of,
    )


class IngestSession:
    """One sender's records on a shared producer: record batches of its own, and refusals.

    Records go into a record batch per partition, handed to the producer when full and on
    ``flush``: aiokafka's ``send`` makes a future and a loop callback per record, which
    cost an import about as much CPU as admitting the rows (and connectors run inside a
    worker). Nothing is known to be written before ``flush`` returns, and ``flush`` raises
    only for what this session sent: connector runs share the worker's producer, and a run
    must not commit its checkpoint past a record of its own the broker refused (nor fail
    for another run's).
    """

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self.topic = topic
        self._producer = producer
        self._open: dict[int, BatchBuilder] = {}
        self._sent: list[asyncio.Future[Any]] = []

    async def send(self, record: IngestRecord) -> None:
        partition = await ingest_partition_for(self._producer, self.topic, record.ingest_id)
        key, value = record.partner.encode(), record.to_bytes()
        builder = self._open.get(partition)
        if builder is None:
            builder = self._open[partition] = self._producer.create_batch()
        if builder.append(key=key, value=value, timestamp=None) is None:  # the batch is full
            await self._hand_over(partition, builder)
            # A fresh batch takes any first record, however large; the broker judges it.
            builder = self._open[partition] = self._producer.create_batch()
            builder.append(key=key, value=value, timestamp=None)

    async def send_to(self, topic: str, key: bytes, value: bytes) -> None:
        """One message to another topic (a checkpoint, a replay marker), after the records.

        The records sent so far are handed to the producer first, so a marker saying they
        were sent is queued behind them, as it was when each record was sent on its own.
        """
        await self._hand_over_all()
        self._sent.append(await self._producer.send(topic, value, key=key))

    async def flush(self) -> None:
        """Write everything sent so far; raise the broker's error if any of it was refused."""
        await self._hand_over_all()
        sent, self._sent = self._sent, []
        await self._producer.flush()
        for written in sent:
            written.result()  # done after the flush; raises the refusal, if any

    async def _hand_over_all(self) -> None:
        open_batches, self._open = self._open, {}
        for partition, builder in open_batches.items():
            await self._hand_over(partition, builder)

    async def _hand_over(self, partition: int, builder: BatchBuilder) -> None:
        self._sent.append(await self._producer.send_batch(builder, self.topic, partition=partition))


class IngestProducer(IngestSession):
    """Puts partner data on ``fusion.ingest`` (key = partner id, partition by ingest id).

    It is itself the session of a sender that has the producer to itself (the CLI, a test);
    ``session()`` gives each of several concurrent senders one of its own.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            linger_ms=5,
            max_batch_size=1 << 20,
            max_request_size=16 << 20,
            enable_idempotence=True,
            acks="all",
        )
        super().__init__(producer, topic)

    def session(self) -> IngestSession:
        return IngestSession(self._producer, self.topic)

    async def __aenter__(self) -> IngestProducer:
        await self._producer.start()
        return self

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is None:
                await self.flush()
            else:  # what was sent still goes, as a producer's stop() would send it
                await self._hand_over_all()
        finally:
            await self._producer.stop()


async def ingest_partition_for(producer: AIOKafkaProducer, topic: str, ingest_id: str) -> int:
    """The partition of ``topic`` (fusion.ingest) a record goes to: ``ingest_partition``."""
    # The producer's metadata: a wait only on a topic it has not met yet.
    partitions: list[int] = sorted(await producer.partitions_for(topic))
    return partitions[ingest_partition(ingest_id, len(partitions))]


@dataclass(frozen=True, slots=True)
class TopicMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int


class TopicReader:
    """Reads topics from the beginning without a consumer group; ``poll`` waits at most a while.

    Without a group, subscribing assigns every partition of the topics (or of the topics
    matching ``pattern``, which includes ones created later).
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        topics: Iterable[str] = (),
        pattern: str | None = None,
        existing_only: bool = False,
    ) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            isolation_level="read_committed",
            metadata_max_age_ms=2000,
        )
        self._topics = list(topics)
        self._pattern = pattern
        # Reading what topics hold now, one that does not exist holds nothing: subscribing
        # to it would only wait out the assignment timeout and log that it was not found.
        self._existing_only = existing_only
        self._next_offset: dict[tuple[str, int], int] = {}

    async def __aenter__(self) -> TopicReader:
        await self._consumer.start()
        if self._pattern is not None:
            self._consumer.subscribe(pattern=self._pattern)
            return self
        if self._existing_only:
            present = await self._consumer.topics()
            self._topics = [t for t in self._topics if t in present]
        if self._topics:
            self._consumer.subscribe(topics=self._topics)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def to_end(self, *, assign_timeout_s: float) -> AsyncIterator[TopicMessage]:
        """The messages up to the end offsets the partitions have when assigned."""
        if self._pattern is None and not self._topics:
            return  # nothing to read: no topic named exists
        deadline = time.monotonic() + assign_timeout_s
        backlog: list[TopicMessage] = []
        while not self._consumer.assignment():
            if time.monotonic() > deadline:
                return
            backlog.extend(await self.poll(0.2))
        assigned = set(self._consumer.assignment())
        ends = await self._consumer.end_offsets(list(assigned))
        for message in backlog:
            yield message
        while True:
            positions = {tp: await self._consumer.position(tp) for tp in assigned}
            if all(positions[tp] >= end for tp, end in ends.items()):
                return
            for message in await self.poll(0.5):
                yield message

    async def poll(self, timeout_s: float) -> list[TopicMessage]:
        batch = await self._consumer.getmany(timeout_ms=int(timeout_s * 1000), max_records=5000)
        fresh = []
        for tp, messages in batch.items():
            # A pattern subscription without a group starts every partition over when a new
            # matching topic appears; skip what this reader has already returned.
            start = self._next_offset.get((tp.topic, tp.partition), 0)
            for m in messages:
                if m.offset < start:
                    continue
                fresh.append(
                    TopicMessage(
                        tp.topic, tp.partition, m.offset, m.key, m.value or b"", m.timestamp
                    )
                )
                self._next_offset[(tp.topic, tp.partition)] = m.offset + 1
        return fresh


async def read_topics(
    bootstrap: str,
    *,
    topics: Iterable[str] = (),
    pattern: str | None = None,
    idle_timeout_s: float = 2.0,
) -> AsyncIterator[TopicMessage]:
    """Every committed message the topics hold now, read to their end offsets.

    A named topic that does not exist reads as empty at once, and one whose partitions are
    not assigned within ``idle_timeout_s`` (or a pattern that matches nothing) after that
    wait; once assigned, reading goes on to the end however slow the broker is, so a loaded
    machine does not cut the listing short.
    """
    async with TopicReader(bootstrap, topics=topics, pattern=pattern, existing_only=True) as reader:
        async for message in reader.to_end(assign_timeout_s=idle_timeout_s):
            yield message


def topic_regex(prefix: str) -> str:
    return "^" + re.escape(prefix) + ".*"
