"""A worker's fetches gather records while they flow, and long-poll again once none come."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from hub.fetch_pacing import FLOWING_WITHIN, FetchPacing
from hub.worker import HubWorker
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.worker_consumer import worker_consumer

pytestmark = pytest.mark.integration

TRICKLE = 150  # records, each sent and acknowledged, then a millisecond's pause


async def polls_for_a_trickle(bootstrap: str, topic: str, worker: HubWorker) -> int:
    """How many polls with records it takes the worker to receive a trickle of records."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()

    async def trickle() -> None:
        for n in range(TRICKLE):
            await producer.send_and_wait(topic, b"%d" % n, partition=0)
            await asyncio.sleep(0.001)

    sending = asyncio.create_task(trickle())
    try:
        received = polls = 0
        while received < TRICKLE:
            polled = time.monotonic()
            batch = await worker.consumer.getmany(timeout_ms=5000)
            assert batch, f"only {received} of {TRICKLE} records came"
            # As the worker's loop does.
            worker.pacing.note(records_came=True, waited_s=time.monotonic() - polled)
            received += sum(len(records) for records in batch.values())
            polls += 1
        return polls
    finally:
        await sending
        await producer.stop()


async def test_a_trickle_comes_in_fewer_fuller_polls(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    topic = f"pacing-{uuid.uuid4().hex[:8]}"
    bootstrap = kafka_broker.bootstrap
    unpaced_dir, paced_dir = tmp_path / "unpaced", tmp_path / "paced"
    async with worker_consumer(
        bootstrap, topic, unpaced_dir, from_end=True, fetch_wait_ms=0
    ) as unpaced:
        each_at_once = await polls_for_a_trickle(bootstrap, topic, unpaced)
    async with worker_consumer(
        bootstrap, topic, paced_dir, from_end=True, fetch_wait_ms=20
    ) as paced:
        gathered = await polls_for_a_trickle(bootstrap, topic, paced)
        # Still busy: a poll gives up after three gathering waits without records.
        assert paced.pacing.poll_timeout_ms(200) == FLOWING_WITHIN * 20
    # Unpaced, a fetch comes back with the first record there: about one poll per record.
    # Paced, a fetch gathers what comes in 20 ms: several records (the sends take 2-3 ms each).
    assert each_at_once > TRICKLE / 2
    assert gathered < each_at_once / 3


BUSY_WAIT_MS = 1500  # a busy fetch holds a lone record up to this long


@pytest.mark.parametrize(
    ("what_ended_the_flow", "records_came", "waited_s"),
    [
        ("a poll found nothing", False, 0.2),
        # A sparse trickle: a gathering fetch would come back empty again and again.
        ("a poll waited long for its record", True, FLOWING_WITHIN * BUSY_WAIT_MS / 1000 + 0.1),
    ],
)
async def test_a_worker_long_polls_again_once_records_stop_flowing(
    kafka_broker: KafkaBroker,
    tmp_path: Path,
    what_ended_the_flow: str,
    records_came: bool,
    waited_s: float,
) -> None:
    topic = f"pacing-idle-{uuid.uuid4().hex[:8]}"
    bootstrap = kafka_broker.bootstrap
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()

    async def seconds_to_arrive(worker: HubWorker) -> float:
        sent = time.monotonic()
        await producer.send_and_wait(topic, b"lone", partition=0)
        while not await worker.consumer.getmany(timeout_ms=10_000):
            pass
        return time.monotonic() - sent

    try:
        async with worker_consumer(bootstrap, topic, tmp_path, from_end=True) as worker:
            # Longer than the settings allow, to tell a held record from a prompt one.
            worker.pacing = FetchPacing(worker.consumer, busy_wait_ms=BUSY_WAIT_MS)
            worker.pacing.note(records_came=True, waited_s=0.001)  # records flow
            # The fetch in flight was made idle; the one after it gathers.
            assert await worker.consumer.getmany(timeout_ms=700) == {}
            held = await seconds_to_arrive(worker)
            worker.pacing.note(records_came=records_came, waited_s=waited_s)
            # The gathering fetch in flight runs out; the one after it long-polls.
            assert await worker.consumer.getmany(timeout_ms=BUSY_WAIT_MS + 500) == {}
            at_once = await seconds_to_arrive(worker)
    finally:
        await producer.stop()
    # The busy fetch was sent about 0.2 s before the record, and kept open for its wait.
    assert held > BUSY_WAIT_MS / 2000
    assert at_once < BUSY_WAIT_MS / 4000, f"still gathering after {what_ended_the_flow}"
