"""Plain aiokafka clients for the CLI, connectors and tests: send ingest records, read topics."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

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


class IngestProducer:
    """Puts partner data on ``fusion.ingest`` (key = partner id)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            linger_ms=5,
            max_batch_size=1 << 20,
            max_request_size=16 << 20,
            enable_idempotence=True,
            acks="all",
        )

    async def __aenter__(self) -> IngestProducer:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def send(self, record: IngestRecord) -> None:
        await self._producer.send(self.topic, record.to_bytes(), key=record.partner.encode())

    async def send_to(self, topic: str, key: bytes, value: bytes) -> None:
        await self._producer.send(topic, value, key=key)

    async def flush(self) -> None:
        await self._producer.flush()


@dataclass(frozen=True, slots=True)
class TopicMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int


async def read_topics(
    bootstrap: str,
    *,
    topics: Iterable[str] = (),
    pattern: str | None = None,
    follow: bool = False,
    idle_timeout_s: float = 2.0,
) -> AsyncIterator[TopicMessage]:
    """Every committed message of the topics from the beginning; with ``follow``, then wait.

    Without ``follow`` it stops once no message has arrived for ``idle_timeout_s``.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        isolation_level="read_committed",
        metadata_max_age_ms=2000,
    )
    await consumer.start()
    try:
        if pattern is not None:
            consumer.subscribe(pattern=pattern)
        else:
            names = list(topics)
            existing = await consumer.topics()
            partitions = [
                TopicPartition(name, p)
                for name in names
                if name in existing
                for p in sorted(consumer.partitions_for_topic(name) or ())
            ]
            if not partitions:
                return
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
        while True:
            batch = await consumer.getmany(timeout_ms=int(idle_timeout_s * 1000), max_records=5000)
            if not batch and not follow:
                return
            for tp, messages in batch.items():
                for message in messages:
                    yield TopicMessage(
                        tp.topic,
                        tp.partition,
                        message.offset,
                        message.key,
                        message.value or b"",
                        message.timestamp,
                    )
    finally:
        await consumer.stop()


def topic_regex(prefix: str) -> str:
    return "^" + re.escape(prefix) + ".*"
