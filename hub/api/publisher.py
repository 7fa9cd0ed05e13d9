"""Handing POSTed envelopes to the pipeline: one ingest record each on ``fusion.ingest``."""

from __future__ import annotations

import asyncio
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from hub.kafka_io import ingest_partition_for
from schemas.envelopes import IngestRecord

# Records up to this size go as they are; larger ones (a few thousand indicators in one POST)
# go gzip-compressed, which JSON shrinks ten-fold, to stay under the broker's default 1 MiB
# message limit. Compressing every record would cost more time than sending it.
COMPRESS_ABOVE = 900 * 1024
_START_TIMEOUT_S = 15.0


class PublishError(Exception):
    """The record did not reach the broker; ``too_large`` when the broker refused its size."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


class IngestPublisher(Protocol):
    async def publish(self, record: IngestRecord) -> None:
        """Return once the broker has the record; raise PublishError if it does not."""


def _producer(bootstrap: str, compression: str | None) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        compression_type=compression,
        max_request_size=64 << 20,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
    )


class KafkaIngestPublisher:
    """Publishes to ``fusion.ingest`` (key = partner id, partition by ingest id: see
    ``hub.partitioner.ingest_partition``); starts on first use if not before.

    Two producers, plain and gzip, so only the records that need compressing pay for it. A
    POST is answered after its own record is acknowledged.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self._producers: tuple[AIOKafkaProducer, AIOKafkaProducer] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> tuple[AIOKafkaProducer, AIOKafkaProducer]:
        async with self._lock:
            if self._producers is not None:
                return self._producers
            plain, packed = _producer(self.bootstrap, None), _producer(self.bootstrap, "gzip")
            try:
                for producer in (plain, packed):
                    await asyncio.wait_for(producer.start(), _START_TIMEOUT_S)
                    # Learn the topic's partitions now rather than on the first POST.
                    await asyncio.wait_for(producer.partitions_for(self.topic), _START_TIMEOUT_S)
            except (KafkaError, OSError, TimeoutError) as exc:
                await plain.stop()
                await packed.stop()
                raise PublishError(
                    f"the pipeline's broker at {self.bootstrap} is unreachable: {exc!r}"
                ) from None
            self._producers = (plain, packed)
            return self._producers

    async def stop(self) -> None:
        async with self._lock:
            if self._producers is not None:
                for producer in self._producers:
                    await producer.stop()
                self._producers = None

    async def publish(self, record: IngestRecord) -> None:
        plain, packed = self._producers or await self.start()
        value = record.to_bytes()
        producer = packed if len(value) > COMPRESS_ABOVE else plain
        try:
            await producer.send_and_wait(
                self.topic,
                value,
                key=record.partner.encode(),
                partition=await ingest_partition_for(producer, self.topic, record.ingest_id),
            )
        except MessageSizeTooLargeError:
            raise PublishError(
                f"the envelope is too large for the broker's message limit on {self.topic} "
                "even compressed; post fewer objects per request",
                too_large=True,
            ) from None
        except KafkaError as exc:
            raise PublishError(f"the broker did not take the record: {exc!r}") from None
