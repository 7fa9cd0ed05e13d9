"""What the serving process learns by reading the hub's topics: metrics, feed health, rejects.

One group-less consumer reads every topic of the namespace from the start (as ``fusionhub
tail`` does) and keeps Prometheus counters, each partner's feed health, and the rejected and
suppressed records (with whether they were replayed or released) for the dashboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from hub.kafka_io import topic_regex
from hub.suppressions import SuppressedEntry, suppression_id
from hub.timestamps import parse
from hub.topics import Topics
from schemas.envelopes import (
    NOT_CONNECTOR_CHANNELS,
    Contribution,
    IngestRecord,
    Rejection,
    Suppression,
)

T = TypeVar("T")
log = logging.getLogger(__name__)
_KEEP = 2000  # rejected/suppressed records kept for the dashboard, newest last
_LAG_EVERY_S = 5.0


@dataclass(slots=True)
class FeedHealth:
    """One partner's feed as the pipeline saw it."""

    partner: str
    records: int = 0
    rejected: int = 0
    suppressed: int = 0
    connector_errors: int = 0
    last_received: str | None = None

    @property
    def reject_rate(self) -> float:
        return self.rejected / self.records if self.records else 0.0


class PipelineMetrics:
    """The Prometheus series, in a registry of their own (one per server, so tests may run many)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.records = Counter(
            "fusionhub_records",
            "Records seen on the hub's topics, per pipeline stage and partner or audience",
            ["stage", "partner"],
            registry=self.registry,
        )
        self.rejects = Counter(
            "fusionhub_rejects",
            "Rejected records per partner and reason code",
            ["partner", "reason"],
            registry=self.registry,
        )
        self.suppressions = Counter(
            "fusionhub_suppressions",
            "Suppressed contributions per partner and warninglist",
            ["partner", "warninglist"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "fusionhub_consumer_lag",
            "Messages the worker group has yet to read, per topic",
            ["group", "topic"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fusionhub_admit_latency_seconds",
            "From the hub receiving a record to its contribution being admitted",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=self.registry,
        )


class PipelineWatch:
    def __init__(self, bootstrap: str, topics: Topics, *, worker_group: str) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.worker_group = worker_group
        self.metrics = PipelineMetrics()
        self.feeds: dict[str, FeedHealth] = {}
        self.rejections: OrderedDict[str, Rejection] = OrderedDict()
        self.replayed: set[str] = set()
        self.suppressions: OrderedDict[str, Suppression] = OrderedDict()
        self.released: set[str] = set()
        self.connected = False
        self._positions: dict[tuple[str, int], int] = {}

    def feed(self, partner: str) -> FeedHealth:
        return self.feeds.setdefault(partner, FeedHealth(partner))

    def suppressed_entries(self) -> list[SuppressedEntry]:
        return [
            SuppressedEntry(key, suppression, key in self.released)
            for key, suppression in self.suppressions.items()
        ]

    def observe(self, topic: str, value: bytes, timestamp_ms: int) -> None:
        """Count one message; unreadable messages are skipped (the worker reports those)."""
        t = self.topics
        try:
            if topic == t.ingest:
                record = IngestRecord.from_bytes(value)
                health = self.feed(record.partner)
                health.records += 1
                health.last_received = max(health.last_received or "", record.received)
                self.metrics.records.labels("ingest", record.partner).inc()
            elif topic == t.rejected:
                rejection = Rejection.from_bytes(value)
                health = self.feed(rejection.partner)
                health.rejected += 1
                if rejection.origin.channel not in NOT_CONNECTOR_CHANNELS:
                    health.connector_errors += 1
                self.metrics.rejects.labels(rejection.partner, rejection.reason.code).inc()
                _keep(self.rejections, rejection.rejection_id, rejection)
            elif topic == t.replayed:
                self.replayed.add(orjson.loads(value)["rejection_id"])
            elif topic == t.suppressed:
                suppression = Suppression.from_bytes(value)
                partner = suppression.contribution.partner
                self.feed(partner).suppressed += 1
                self.metrics.suppressions.labels(partner, suppression.warninglist).inc()
                _keep(self.suppressions, suppression_id(suppression), suppression)
            elif topic == t.released:
                self.released.add(orjson.loads(value)["suppression_id"])
            elif topic == t.admitted:
                body = orjson.loads(value)
                if "tick" in body:
                    return  # correlate's own time-based tick, not a partner's contribution
                contribution = Contribution.from_json(body)
                self.metrics.records.labels("admit", contribution.partner).inc()
                waited = timestamp_ms / 1000 - parse(contribution.received).timestamp()
                self.metrics.latency.observe(max(waited, 0.0))
            elif topic == t.curated:
                self.metrics.records.labels("correlate", "").inc()
            else:
                name = topic.removeprefix(t.namespace)
                kind, _, owner = name.partition(".")
                if kind in ("analysts", "partner", "liaison") and owner:
                    audience = "analysts" if kind == "analysts" else f"{kind}:{owner}"
                    self.metrics.records.labels("disseminate", audience).inc()
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("unreadable message on %s: %s", topic, exc)

    async def run(self) -> None:
        """Follow the topics until cancelled; reconnects when the broker goes away."""
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the dashboard must outlive a broker restart
                self.connected = False
                log.warning("pipeline watch lost the broker: %s", exc)
                await asyncio.sleep(2.0)

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            metadata_max_age_ms=2000,
        )
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await consumer.start()
        try:
            await admin.start()
            consumer.subscribe(pattern=topic_regex(self.topics.namespace or ""))
            next_lag = 0.0
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                self.connected = True
                for tp, messages in batch.items():
                    for message in messages:
                        # A pattern subscription without a group starts every partition over
                        # when a new topic appears (and so does a reconnect): count each once.
                        if message.offset <= self._positions.get((tp.topic, tp.partition), -1):
                            continue
                        self._positions[(tp.topic, tp.partition)] = message.offset
                        self.observe(tp.topic, message.value or b"", message.timestamp)
                if time.monotonic() >= next_lag:
                    next_lag = time.monotonic() + _LAG_EVERY_S
                    with contextlib.suppress(Exception):
                        await self._measure_lag(consumer, admin)
        finally:
            await consumer.stop()
            with contextlib.suppress(Exception):
                await admin.close()

    async def _measure_lag(self, consumer: AIOKafkaConsumer, admin: AIOKafkaAdminClient) -> None:
        committed = await admin.list_consumer_group_offsets(self.worker_group)
        ours = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
        if not ours:
            return
        ends = await consumer.end_offsets(list(ours))
        per_topic: dict[str, int] = {}
        for tp, offset in ours.items():
            per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(ends[tp] - offset, 0)
        for topic, lag in per_topic.items():
            self.metrics.lag.labels(self.worker_group, topic).set(lag)


def _keep(entries: OrderedDict[str, T], key: str, value: T) -> None:
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > _KEEP:
        entries.popitem(last=False)
