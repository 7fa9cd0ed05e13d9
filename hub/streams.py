"""How the stages write Kafka: raw bytes out, JSON done by the hub, a batch at a time."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, NoReturn

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub.kafka_codec import use_fast_lz4
from hub.partitioner import key_hash
from hub.record_batches import GZIP_CODEC, OutboxBatch
from hub.settings import HubSettings

log = logging.getLogger(__name__)


class OutboxError(Exception):
    """A message the outbox could not write; the batch that produced it must not be acked."""


class Outbox:
    """The stages' output: one aiokafka producer, messages written a batch at a time.

    aiokafka's ``send`` makes a future (and a loop callback) per message, which costs about
    as much as the hub's own work on a record. The stages append their output to record
    batches, one per partition, on a lane, and flush the lane once per consumed batch,
    before that batch's offsets are committed: at-least-once holds, with one wait per
    batch instead of one per message.
    """

    def __init__(self, settings: HubSettings) -> None:
        use_fast_lz4()
        self._bootstrap = settings.broker
        self._client_id = f"{settings.app_id}-outbox"
        self._producers: dict[str, AIOKafkaProducer] = {}
        self._starting = asyncio.Lock()
        self._partitions: dict[str, list[int]] = {}
        self._last_key, self._last_hash = b"", key_hash(b"")

    async def producer(self) -> AIOKafkaProducer:
        """The producer of the lanes' batches."""
        return await self._started(
            "batches",
            # The lanes build whole batches and flush them at once: waiting for more
            # messages would only add latency.
            linger_ms=0,
            max_batch_size=MAX_BATCH_BYTES,
            # The size limits count uncompressed bytes: a batch stays under the broker's
            # limit even if it does not compress (LZ4 adds a fraction of a percent then).
            compression_type="lz4",
        )

    async def _started(self, name: str, **config: Any) -> AIOKafkaProducer:
        if name not in self._producers:
            async with self._starting:
                if name not in self._producers:
                    producer = AIOKafkaProducer(
                        bootstrap_servers=self._bootstrap,
                        client_id=f"{self._client_id}-{name}",
                        acks="all",
                        **config,
                    )
                    await producer.start()
                    self._producers[name] = producer
        return self._producers[name]

    def started_producer(self) -> AIOKafkaProducer | None:
        """The lanes' producer if started (``producer`` starts it, with a wait)."""
        return self._producers.get("batches")

    def known_partition(self, topic: str, key: bytes) -> int | None:
        """``partition`` without a wait, once the topic's partitions are known (else None)."""
        partitions = self._partitions.get(topic)
        if partitions is None:
            return None
        if key is not self._last_key:
            # A version's views and audit go out under one key, one after the other.
            self._last_key, self._last_hash = key, key_hash(key)
        return partitions[self._last_hash % len(partitions)]

    async def partition(self, topic: str, key: bytes) -> int:
        """The partition Kafka's default partitioner picks for ``key`` (as the Java client's)."""
        if topic not in self._partitions:
            producer = await self.producer()
            self._partitions[topic] = sorted(await producer.partitions_for(topic))
        partition = self.known_partition(topic, key)
        assert partition is not None  # just learnt
        return partition

    def lane(self) -> Lane:
        return Lane(self)

    async def stop(self) -> None:
        producers, self._producers = list(self._producers.values()), {}
        for producer in producers:
            await producer.stop()  # stop() flushes what is still queued


# One produce request carries many messages; well under the broker's 1 MiB default.
MAX_BATCH_BYTES = 512 * 1024
# A message above this goes gzip-compressed in a batch of its own. The API takes envelopes up
# to the broker's limit *compressed*, so a rejection that copies one whole is as large
# uncompressed. The batches' fast LZ4 cannot be counted on to bring it under the limit; gzip
# shrinks JSON further, and at its cost only for these rare messages. The batch goes on the
# same producer, in its place among the partition's batches: on a producer of its own it
# could overtake, or be overtaken by, the messages sent beside it (in a compacted changelog
# the older of two records of a key would then be the one kept).
COMPRESS_ABOVE = 256 * 1024


class Lane:
    """One stage's (or the sweep's) pending output on the shared producer; its ``flush`` waits
    for its own.

    ``send`` only adds, without a wait (a stage sends about eight messages an indicator, and
    an ``await`` each went through a coroutine's send protocol); ``dispatch`` writes. A
    message ``send`` cannot place at once - its topic's partitions not yet known, or the
    producer not yet started - is held, in order, until ``dispatch``.
    """

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self._open: dict[tuple[str, int], OutboxBatch] = {}
        self._full: list[tuple[str, int, OutboxBatch]] = []  # filled, in the order they filled
        # (topic, key, value, partition or None): what send could not place.
        self._held: list[tuple[str, bytes, bytes, int | None]] = []
        # A topic with a message held takes its next ones behind it, so order holds.
        self._held_topics: set[str] = set()
        # (topic, partition, records, future of the write's RecordMetadata)
        self._sent: list[tuple[str, int, int, asyncio.Future[Any]]] = []

    def send(self, topic: str, key: bytes, value: bytes, *, partition: int | None = None) -> None:
        """Add one message; the next ``dispatch`` writes it.

        Without ``partition`` the message goes where Kafka's default partitioner puts its key.
        """
        producer = self._outbox.started_producer()
        if partition is None:
            partition = self._outbox.known_partition(topic, key)
        if producer is None or partition is None or topic in self._held_topics:
            self._held.append((topic, key, value, partition))
            self._held_topics.add(topic)
            return
        self._append(topic, partition, key, value)

    def _append(self, topic: str, partition: int, key: bytes, value: bytes) -> None:
        if len(value) > COMPRESS_ABOVE:
            self._append_alone(topic, partition, key, value)
            return
        batch = self._open.get((topic, partition))
        if batch is None:
            batch = self._open[(topic, partition)] = OutboxBatch(MAX_BATCH_BYTES)
        if not batch.add(key, value):  # the batch is full
            self._full.append((topic, partition, batch))
            # A fresh batch takes any first message, however large; the broker judges it.
            batch = self._open[(topic, partition)] = OutboxBatch(MAX_BATCH_BYTES)
            batch.add(key, value)

    def _append_alone(self, topic: str, partition: int, key: bytes, value: bytes) -> None:
        """A large message in a gzip batch of its own, after what the partition has so far
        and before what comes next (``COMPRESS_ABOVE``)."""
        before = self._open.pop((topic, partition), None)
        if before is not None:
            self._full.append((topic, partition, before))
        alone = OutboxBatch(MAX_BATCH_BYTES, GZIP_CODEC)
        alone.add(key, value)
        self._full.append((topic, partition, alone))

    async def _place_held(self) -> None:
        held, self._held, self._held_topics = self._held, [], set()
        for topic, key, value, partition in held:
            if partition is None:
                partition = await self._outbox.partition(topic, key)
            await self._outbox.producer()  # started before its batches are sent
            self._append(topic, partition, key, value)

    async def _send(self, topic: str, partition: int, batch: OutboxBatch) -> None:
        producer = await self._outbox.producer()
        try:
            records = batch.record_count()
            future = await producer.send_batch(batch, topic, partition=partition)
            self._sent.append((topic, partition, records, future))
        except KafkaError as exc:
            raise OutboxError(f"a batch for {topic}/{partition} was refused: {exc!r}") from exc

    async def _send_full(self) -> None:
        full, self._full = self._full, []
        for topic, partition, batch in full:
            await self._send(topic, partition, batch)

    async def dispatch(self) -> Dispatched:
        """Hand every message added so far to the producer; the result says when written.

        The caller may go on adding (a next batch's output) while these are in flight: the
        producer keeps one request in flight per broker, so order per partition holds.
        """
        # Filled batches first: they hold a partition's earliest messages.
        await self._send_full()
        await self._place_held()
        await self._send_full()  # any the held messages filled
        open_batches, self._open = self._open, {}
        for (topic, partition), batch in open_batches.items():
            await self._send(topic, partition, batch)
        sent, self._sent = self._sent, []
        return Dispatched(sent)

    async def flush(self) -> dict[tuple[str, int], int]:
        """Write every message added on this lane; raise if any was not written.

        Returns the offset of the last message written to each (topic, partition).
        """
        return await (await self.dispatch()).written()


class Dispatched:
    """A lane's output handed to the producer, not yet known to be written."""

    def __init__(self, sent: list[tuple[str, int, int, asyncio.Future[Any]]]) -> None:
        self._sent = sent

    async def written(self) -> dict[tuple[str, int], int]:
        """Wait until the broker took it all; raise ``OutboxError`` if any was refused.

        Returns the offset of the last message written to each (topic, partition).
        """
        sent = self._sent
        if not sent:
            return {}
        results = await asyncio.gather(*(future for *_, future in sent), return_exceptions=True)
        failures = [
            f"{topic}/{partition}: {result!r}"
            for (topic, partition, _, _), result in zip(sent, results, strict=True)
            if isinstance(result, BaseException)
        ]
        if failures:
            raise OutboxError(
                f"{len(failures)} of {len(sent)} batches not written; first {failures[0]}"
            )
        last: dict[tuple[str, int], int] = {}
        for (topic, partition, records, _), metadata in zip(sent, results, strict=True):
            assert not isinstance(metadata, BaseException)  # failures raised above
            end = metadata.offset + records - 1  # the batch's base offset + its records
            last[(topic, partition)] = max(end, last.get((topic, partition), -1))
        return last


# The worker's exit status when a batch's output could not be written (EX_SOFTWARE).
EXIT_OUTPUT_UNWRITTEN = 70


async def written_before_ack(output: Dispatched) -> dict[tuple[str, int], int]:
    """Wait until ``output`` is written before its input is committed - or end the worker.

    If the output cannot be written, nothing the process still holds can be trusted to be
    in Kafka (the merge table's changelog included). Ending the process at once means the
    restarted worker (Compose, Kubernetes and systemd restart it) takes the batch again from
    the last commit: a broker outage costs a restart, never data.
    """
    try:
        return await output.written()
    except OutboxError:
        log.critical("output not written; exiting before the batch is acked", exc_info=True)
        exit_at_once(EXIT_OUTPUT_UNWRITTEN)


def exit_at_once(status: int) -> NoReturn:
    """End the worker now - no cleanup that could commit offsets - with its log written."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(status)
