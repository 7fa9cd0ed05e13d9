"""``read_topics`` against the real broker: what topics hold now, a missing one as empty.

Operators' commands read topics that exist only once something happened (``fusion.released``
after a first release, ``fusion.replayed`` after a first replay). A topic that does not
exist is read as empty without subscribing to it: before, the reader subscribed, waited
out its assignment timeout and aiokafka logged "Topic ... not found in cluster metadata"
on the operator's terminal.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from hub.kafka_admin import ensure_topics
from hub.kafka_io import read_topics
from tests.integration.broker_fixture import KafkaBroker

pytestmark = pytest.mark.integration


async def test_a_missing_topic_reads_as_empty_beside_one_that_holds_messages(
    kafka_broker: KafkaBroker, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"reader-{uuid.uuid4().hex[:8]}"
    held, missing = f"{name}.held", f"{name}.missing"
    await ensure_topics(kafka_broker.bootstrap, [held], 2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(held, f"m{n}".encode(), key=str(n).encode())
    finally:
        await producer.stop()

    caplog.set_level(logging.WARNING)
    both = [
        m.value
        async for m in read_topics(
            kafka_broker.bootstrap, topics=[held, missing], idle_timeout_s=30
        )
    ]
    alone = [
        m async for m in read_topics(kafka_broker.bootstrap, topics=[missing], idle_timeout_s=30)
    ]
    assert sorted(both) == [f"m{n}".encode() for n in range(5)]
    assert alone == []
    assert not [r for r in caplog.records if missing in r.getMessage()]
