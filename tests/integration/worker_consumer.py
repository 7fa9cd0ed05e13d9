"""A hub worker whose consumer is started on one partition, for tests of how it fetches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition

from hub.context import HubContext
from hub.settings import HubSettings
from hub.worker import HubWorker
from tests.integration.hub_process import SAMPLE_PARTNERS


@asynccontextmanager
async def worker_consumer(
    bootstrap: str, topic: str, data_dir: Path, *, from_end: bool = False, **settings: Any
) -> AsyncIterator[HubWorker]:
    """A worker (not run) with ``settings``, its consumer started and assigned ``topic``'s
    partition 0: from its start, or with ``from_end`` from what is written next.

    ``data_dir`` is the worker's own, and its name makes its consumer group's.
    """
    worker = HubWorker(
        HubContext.from_settings(
            HubSettings(
                broker=bootstrap,
                app_id=f"{topic}-{data_dir.name}",
                topic_namespace=f"{topic}.",
                data_dir=data_dir,
                partners_dir=SAMPLE_PARTNERS,
                **settings,
            )
        )
    )
    await worker.consumer.start()
    try:
        worker.consumer.assign([TopicPartition(topic, 0)])
        if from_end:
            await worker.consumer.seek_to_end()
        yield worker
    finally:
        await worker.consumer.stop()
        worker.table.close()
