"""A worker handles only what it holds: records of partitions a rebalance took are left alone."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from hub.context import HubContext
from hub.kafka_admin import ensure_topics, pipeline_topics, table_changelogs
from hub.settings import HubSettings
from hub.worker import HubWorker
from tests.hub.test_merge import contribution
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.hub_process import SAMPLE_PARTNERS

pytestmark = pytest.mark.integration


def admitted_record(topic: str, partition: int, offset: int) -> ConsumerRecord[bytes, bytes]:
    value = contribution("isp-northnet").to_bytes()
    key = b"ipv4-addr|198.51.100.7"
    now = int(time.time() * 1000)
    return ConsumerRecord(
        topic, partition, offset, now, 0, key, value, None, len(key), len(value), ()
    )


async def test_records_of_a_partition_taken_away_are_not_handled_or_committed(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    name = f"w{uuid.uuid4().hex[:8]}"
    settings = HubSettings(
        broker=kafka_broker.bootstrap,
        app_id=f"{name}-hub",
        topic_namespace=f"{name}.",
        data_dir=tmp_path,
        partners_dir=SAMPLE_PARTNERS,
    )
    context = HubContext.from_settings(settings)
    changelogs = table_changelogs(settings.app_id)
    await ensure_topics(
        settings.broker,
        [*pipeline_topics(context.topics), *changelogs],
        settings.partitions,
        compacted=frozenset(changelogs),
    )
    worker = HubWorker(context)
    admitted = context.topics.admitted
    kept, taken = TopicPartition(admitted, 0), TopicPartition(admitted, 1)
    await worker.table.restore([0])
    worker.held = {kept}  # partition 1 went to another worker between fetch and lock
    try:
        # Without the check, the table (which no longer holds partition 1) would raise.
        await worker.handle_batch(
            {kept: [admitted_record(admitted, 0, 5)], taken: [admitted_record(admitted, 1, 9)]}
        )
        await worker.settle()
        merged = dict(worker.table.partition(0).items())  # its records
    finally:
        await worker.outbox.stop()
        worker.table.close()
    assert list(merged) == [b"ipv4-addr|198.51.100.7"]  # the record it holds was merged
    assert worker.handled == {kept: 6}  # nothing of the partition taken away is committed
