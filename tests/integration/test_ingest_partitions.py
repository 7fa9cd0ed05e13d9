"""The hub's ingest producer on the real broker: where records land, and what it refuses."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.errors import KafkaError

from hub.kafka_admin import ensure_topics
from hub.kafka_io import IngestProducer, new_ingest_record, read_topics
from hub.partitioner import ingest_partition
from schemas.envelopes import IngestRecord, Origin
from tests.integration.broker_fixture import KafkaBroker

pytestmark = pytest.mark.integration


async def test_one_partners_records_spread_over_every_partition_keyed_by_the_partner(
    kafka_broker: KafkaBroker,
) -> None:
    # One partner's 100,000-row report must be admitted by every worker, not the one that
    # holds the partner's partition; the key still names the partner (an unreadable
    # record is attributed by it), and a record sent again lands where it landed before.
    topic = f"ingest-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 4)
    records = [
        new_ingest_record(
            "isp-northnet",
            b'{"type": "bundle"}',
            origin=Origin(channel="csv", name="report.csv", line=n),
            ingest_id=f"row-{n}",
        )
        for n in range(200)
    ]
    async with IngestProducer(kafka_broker.bootstrap, topic) as producer:
        for record in [*records, records[0]]:
            await producer.send(record)
        await producer.flush()
    landed = [m async for m in read_topics(kafka_broker.bootstrap, topics=[topic])]
    assert len(landed) == 201
    assert {m.key for m in landed} == {b"isp-northnet"}
    by_partition = {p: sum(m.partition == p for m in landed) for p in range(4)}
    assert all(count >= 20 for count in by_partition.values()), by_partition
    for message in landed:
        ingest_id = IngestRecord.from_bytes(message.value).ingest_id
        assert message.partition == ingest_partition(ingest_id, 4), ingest_id
    again = [m.partition for m in landed if IngestRecord.from_bytes(m.value).ingest_id == "row-0"]
    assert len(again) == 2 and again[0] == again[1]


def too_large_record() -> IngestRecord:
    return new_ingest_record(
        "isp-northnet",
        b"x" * (2 << 20),  # above the broker's 1 MiB message limit
        origin=Origin(channel="csv", name="huge.csv", line=1),
    )


async def test_a_record_the_broker_refuses_fails_the_flush(kafka_broker: KafkaBroker) -> None:
    # A connector keeps its checkpoint only after flush returns: a refused record must make
    # the flush fail, or the checkpoint would move on past a record that was never written.
    topic = f"ingest-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 4)
    too_large = too_large_record()
    async with IngestProducer(kafka_broker.bootstrap, topic) as producer:
        await producer.send(too_large)
        with pytest.raises(KafkaError):
            await producer.flush()
        # The producer goes on: what is sent after the refusal is written.
        fine = new_ingest_record(
            "isp-northnet", b"{}", origin=Origin(channel="csv", name="ok.csv", line=1)
        )
        await producer.send(fine)
        await producer.flush()
    landed = [m async for m in read_topics(kafka_broker.bootstrap, topics=[topic])]
    assert [IngestRecord.from_bytes(m.value).ingest_id for m in landed] == [fine.ingest_id]


async def test_a_refusal_fails_the_session_that_sent_the_record(
    kafka_broker: KafkaBroker,
) -> None:
    # Connector runs share the worker's producer, a session each: the run whose record was
    # refused must not commit its checkpoint, and another run's flush must not fail for it.
    topic = f"ingest-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_broker.bootstrap, [topic], 4)
    huge = too_large_record()
    fine = new_ingest_record("bank-meridian", b"{}", origin=Origin(channel="misp", name="e"))
    async with IngestProducer(kafka_broker.bootstrap, topic) as producer:
        refused_run, other_run = producer.session(), producer.session()
        await refused_run.send(huge)
        await other_run.send(fine)
        await other_run.send_to(topic + "-checkpoints", b"bank-meridian/misp", b'{"page": 2}')
        await other_run.flush()  # its own records and checkpoint: written
        with pytest.raises(KafkaError):
            await refused_run.flush()
    landed = [m async for m in read_topics(kafka_broker.bootstrap, topics=[topic])]
    assert [IngestRecord.from_bytes(m.value).ingest_id for m in landed] == [fine.ingest_id]
