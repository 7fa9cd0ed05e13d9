"""A hub worker: the three stages on one Kafka consumer, one outbox and the merge table.

The worker consumes ``fusion.ingest`` (admit) and ``fusion.admitted`` (correlate, then
disseminate of the versions it cut) as one member of the consumer group ``app_id``; more
workers share the partitions. Each consumed batch is handled stage by stage, its output
(the table's changelog writes included) is written, and only then are its offsets due for
commit: at-least-once, with a re-delivery an exact duplicate (README, "Delivery guarantee").
``fusion.curated`` is written for the store, the API and `fusionhub policy`; disseminate
takes the same versions in-process (hub/disseminate/stage.py says why).

It used Faust agents until the pipeline benchmark showed Faust's per-message machinery
taking about 70 % of the worker's CPU (py-spy, issue 2's note); the stages' own code is
unchanged.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from connectors.schedule import ConnectorSchedule
from hub import native
from hub.admit.stage import AdmitStage
from hub.context import HubContext
from hub.correlate.stage import CorrelateStage
from hub.correlate.table import MergeTable
from hub.disseminate.audiences import audiences_for
from hub.disseminate.sharing import Sharing
from hub.disseminate.stage import DisseminateStage, audience_topic
from hub.fetch_pacing import IDLE_WAIT_MS, FetchPacing
from hub.kafka_admin import ensure_topics, pipeline_topics, table_changelogs
from hub.logs import configure_logging
from hub.settings import HubSettings
from hub.streams import Dispatched, Outbox, OutboxError, exit_at_once, written_before_ack

log = logging.getLogger(__name__)

# The worker's exit status when a partition it was given could not be restored (EX_TEMPFAIL).
EXIT_RESTORE_FAILED = 75

# How often handled offsets are committed (and when the worker stops or gives partitions
# up). A crash re-delivers at most this much, as exact duplicates.
COMMIT_INTERVAL_S = 1.0


def worker_topics(context: HubContext) -> list[str]:
    """The pipeline's topics and each known partner's and agency's, created up front.

    A topic first met by a producer is auto-created while the producer waits and logs.
    """
    audiences = [
        audience_topic(context.topics, audience, "")
        for audience in audiences_for(context.agreements.current(), context.liaison_agencies)
        if audience.kind != "analysts"  # analysts topics are per crime code, already listed
    ]
    return [*pipeline_topics(context.topics), *audiences]


class HubWorker:
    def __init__(self, context: HubContext) -> None:
        settings = context.settings
        self.context = context
        self.outbox = Outbox(settings)
        self.lane, self.ticks = self.outbox.lane(), self.outbox.lane()
        self.table = MergeTable(
            bootstrap=settings.broker,
            changelog=table_changelogs(settings.app_id)[0],
            store_url=settings.table_store,
            data_dir=settings.data_dir,
        )
        self.admit = AdmitStage(context, self.lane)
        self.correlate = CorrelateStage(context, self.lane, self.table)
        sharing = Sharing(context, self.table, kept=settings.data_dir / "sharing" / "in-force.json")
        self.disseminate = DisseminateStage(context, self.lane, sharing)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.broker,
            group_id=settings.app_id,
            client_id=f"{settings.app_id}-worker",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # Short session timeouts: a killed worker's partitions move quickly.
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            max_poll_records=settings.batch_size,
            # The client fetches again only once the records already fetched are handed
            # out, and the worker waits a round trip for them: larger fetches, fewer waits.
            max_partition_fetch_bytes=settings.fetch_bytes,
            # Long polls until records flow; then FetchPacing lets fetches gather.
            fetch_min_bytes=1,
            fetch_max_wait_ms=IDLE_WAIT_MS,
            # A partition assigned is first restored from the changelog, inside the rebalance
            # callback; a large table takes minutes, and a worker that does not poll for
            # max_poll_interval is dropped from the group (and its partitions moved again).
            max_poll_interval_ms=30 * 60_000,
        )
        self.pacing = FetchPacing(self.consumer, busy_wait_ms=settings.fetch_wait_ms)
        self.schedule = ConnectorSchedule(context, is_leader=self.is_leader)
        # Held while a batch is handled, so a rebalance waits until its output is flushed.
        self.lock = asyncio.Lock()
        self.held: set[TopicPartition] = set()  # assigned, and for the table restored
        self.handled: dict[TopicPartition, int] = {}  # next offset to commit
        # The last batch's output, handed to the producer, and its input's next offsets.
        self._in_flight: tuple[Dispatched, dict[TopicPartition, int]] | None = None
        self.stopping = asyncio.Event()

    def is_leader(self) -> bool:
        """The worker holding ingest partition 0 runs the connectors (one fetch per feed)."""
        return TopicPartition(self.context.topics.ingest, 0) in self.consumer.assignment()

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        await self.consumer.start()
        topics = self.context.topics
        self.consumer.subscribe([topics.ingest, topics.admitted], listener=_Rebalance(self))
        await self.schedule.start()
        sweeper = asyncio.create_task(self._sweep_forever(), name="sweep")
        committed = time.monotonic()
        try:
            while not self.stopping.is_set():
                polled = time.monotonic()
                batch = await self.consumer.getmany(
                    timeout_ms=self.pacing.poll_timeout_ms(200),
                    max_records=self.context.settings.batch_size,
                )
                self.pacing.note(records_came=bool(batch), waited_s=time.monotonic() - polled)
                if batch:
                    await self.handle_batch(batch)
                else:
                    async with self.lock:
                        await self.settle()
                if time.monotonic() - committed >= COMMIT_INTERVAL_S:
                    async with self.lock:
                        await self.settle()
                        await self.commit()
                    committed = time.monotonic()
        finally:
            sweeper.cancel()
            await self.schedule.stop()
            async with self.lock:
                await self.settle()
                await self.commit()
            await self.consumer.stop()
            await self.outbox.stop()
            self.table.close()

    async def handle_batch(
        self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        async with self.lock:
            # A rebalance may have taken partitions between the fetch and the lock: their
            # records are left to the new holder (this worker commits none of them).
            batch = {tp: messages for tp, messages in batch.items() if tp in self.held}
            # Changed agreements take effect here, before any of the batch is correlated.
            await self.disseminate.sharing.follow(self.ticks)
            ingest = self.context.topics.ingest
            # What admit writes in a batch is correlated in a later one.
            for tp, messages in batch.items():
                if tp.topic == ingest and messages:
                    self.admit.handle(messages)
            for tp, messages in batch.items():
                if tp.topic != ingest and messages:
                    await self.disseminate.handle(self.correlate.handle(messages))
            output = await self.lane.dispatch()
            # While this batch's output is in flight, the last one's is waited for: the
            # worker handles a batch during the broker's round trip instead of idling.
            await self.settle()
            self._in_flight = (output, {tp: m[-1].offset + 1 for tp, m in batch.items() if m})

    async def settle(self) -> None:
        """Wait for the output in flight; then its input's offsets may be committed."""
        if self._in_flight is None:
            return
        output, offsets = self._in_flight
        self._in_flight = None
        self.table.written(await written_before_ack(output))
        self.handled.update(offsets)

    async def commit(self) -> None:
        """Commit the offsets handled so far, of the partitions still held."""
        assigned = self.consumer.assignment()
        offsets = {tp: offset for tp, offset in self.handled.items() if tp in assigned}
        self.handled.clear()
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except KafkaError as exc:
            # The group moved on (a rebalance): the new holder re-reads from the last
            # commit, so these messages come again - duplicates, never a loss.
            log.warning("offsets not committed (%s); they will be re-delivered", exc)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.context.settings.sweep_interval_s)
            try:
                async with self.lock:
                    self.correlate.sweep(self.ticks)
                    await self.disseminate.sharing.follow(self.ticks)  # without traffic too
                await self.ticks.flush()
            except OutboxError:
                self.correlate.ticks_lost()
            except Exception:  # the next sweep tries again; the worker keeps running
                log.exception("sweep failed")


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Commits before partitions leave; restores the table before new ones are read."""

    def __init__(self, worker: HubWorker) -> None:
        self.worker = worker

    def _merge_partitions(self, tps: list[TopicPartition]) -> list[int]:
        admitted = self.worker.context.topics.admitted
        return sorted(tp.partition for tp in tps if tp.topic == admitted)

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        worker = self.worker
        async with worker.lock:  # the batch in hand is handled and written first
            worker.held.difference_update(revoked)
            await worker.settle()
            await worker.commit()
            worker.table.release(self._merge_partitions(list(revoked)))
            worker.correlate.reindex()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        worker = self.worker
        async with worker.lock:
            partitions = self._merge_partitions(list(assigned))
            try:
                await worker.table.restore(partitions)
            except Exception:
                # aiokafka would log this and carry on, and the partitions would never be
                # handled: a restart (and a new rebalance) retries the restore instead.
                log.critical("merge partitions %s not restored; exiting", partitions, exc_info=True)
                exit_at_once(EXIT_RESTORE_FAILED)
            worker.correlate.reindex()
            worker.held.update(assigned)


def _tune_garbage_collector() -> None:
    """Keep Python's cycle collector off the hot path.

    Handling an indicator allocates a few hundred short-lived containers, which reference
    counting frees; the collector's default (a scan every 700 allocations) keeps scanning
    them, and each full collection walks everything loaded at start (warninglist index,
    STIX libraries) for 20-30 ms. So what exists once the worker is set up is frozen out of
    collection, and young objects are scanned ten times less often. Measured in-process on
    the three stages: 5-10 % less CPU per indicator.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


async def _serve(context: HubContext) -> None:
    settings = context.settings
    changelogs = table_changelogs(settings.app_id)
    await ensure_topics(
        settings.broker,
        [*worker_topics(context), *changelogs],
        settings.partitions,
        compacted=frozenset(changelogs),
    )
    worker = HubWorker(context)
    _tune_garbage_collector()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)
    await worker.run()


def run_worker(settings: HubSettings, *, loglevel: str = "INFO") -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(logging.getLevelName(loglevel.upper()))
    # aiokafka logs each rebalance step and retry at INFO; the hub's own lines are enough.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    log.info(native.describe())  # an operator sees whether the worker runs compiled
    asyncio.run(_serve(HubContext.from_settings(settings)))
