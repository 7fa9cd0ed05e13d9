"""A worker fetches as much of a partition per request as ``fetch_bytes`` allows."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from hub.settings import HubSettings
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.worker_consumer import worker_consumer

pytestmark = pytest.mark.integration

MESSAGE = b"x" * 1000
BACKLOG = 3000  # about 3 MB in one partition


async def first_fetch(bootstrap: str, topic: str, tmp_path: Path, fetch_bytes: int) -> int:
    """How many messages of the backlog the worker's consumer gets from its first fetch."""
    async with worker_consumer(
        bootstrap,
        topic,
        tmp_path / str(fetch_bytes),
        batch_size=100_000,  # the batch never caps what one fetch brought
        fetch_bytes=fetch_bytes,
    ) as worker:
        batch: dict[TopicPartition, list[object]] = {}
        while not batch:
            batch = await worker.consumer.getmany(timeout_ms=5000)
        return sum(len(messages) for messages in batch.values())


async def test_a_backlog_comes_in_fetches_of_fetch_bytes(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    topic = f"fetch-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, linger_ms=5)
    await producer.start()
    try:
        for _ in range(BACKLOG):
            await producer.send(topic, MESSAGE, partition=0)
        await producer.flush()
    finally:
        await producer.stop()
    # The default fetches the whole backlog at once; Kafka's client default (1 MiB) a third.
    default = HubSettings().fetch_bytes
    whole = await first_fetch(kafka_broker.bootstrap, topic, tmp_path, default)
    third = await first_fetch(kafka_broker.bootstrap, topic, tmp_path, 1 << 20)
    assert whole == BACKLOG
    assert 0 < third < BACKLOG / 2
