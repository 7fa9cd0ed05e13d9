"""Delivering a connector run's records to ``fusion.ingest`` and keeping its checkpoint."""

from __future__ import annotations

from collections.abc import Callable

from connectors.base import JSON
from connectors.checkpoints import CheckpointStore
from hub.kafka_io import IngestSession
from schemas.envelopes import IngestRecord

Progress = Callable[[int, int | None], None]  # (records sent, records expected or None)


class IngestDelivery:
    """Sends through one ingest session; commits checkpoints to the store, if there is one.

    The CLI's one-off import has no store: it keeps no position in the feed.
    """

    def __init__(
        self,
        producer: IngestSession,
        *,
        checkpoints: CheckpointStore | None = None,
        key: str = "",
        progress: Progress | None = None,
    ) -> None:
        self.producer = producer
        self.checkpoints = checkpoints
        self.key = key
        self.progress = progress
        self.sent = 0
        self.total: int | None = None

    def expect(self, total: int | None) -> None:
        self.total = None if total is None else self.sent + total
        if self.progress is not None:
            self.progress(self.sent, self.total)

    async def send(self, record: IngestRecord) -> None:
        await self.producer.send(record)
        self.sent += 1
        if self.progress is not None:
            self.progress(self.sent, self.total)

    async def commit(self, checkpoint: JSON) -> None:
        await self.producer.flush()
        if self.checkpoints is not None:
            await self.checkpoints.put(self.producer, self.key, checkpoint)
