"""Filling the store from Kafka: curated objects into collections, reports, audit records.

One consumer (a group, so several servers sharing a PostgreSQL store share the work) follows,
by pattern:

| topic | goes to |
|---|---|
| ``analysts.<crime-code>`` | the analysts' collection, every crime code |
| ``partner.<id>`` | that partner's feed collection |
| ``liaison.<agency>`` | that agency's collection |
| ``fusion.status`` | completes the status resource of a TAXII POST |
| ``fusion.audit`` | the audit trail |

Offsets are committed only after the store has committed, and every write is idempotent
(a version already held, a status already complete, an audit record already kept), so a
crash re-delivers and nothing is lost or doubled.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from hub.store.collections import (
    CollectionSpec,
    analysts_collection,
    feed_collection,
    liaison_collection,
)
from hub.store.errors import BadObjectError
from hub.store.store import Store
from hub.store.versions import ObjectVersion
from hub.topics import Topics
from schemas.envelopes import AuditRecord, audit_records_of

log = logging.getLogger(__name__)
_RETRY_S = (1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class SinkRoutes:
    """Which topic feeds what, under the hub's topic namespace."""

    topics: Topics

    def pattern(self) -> str:
        namespace = re.escape(self.topics.namespace)
        return (
            f"^{namespace}(fusion\\.status|fusion\\.audit|analysts\\..+|partner\\..+|liaison\\..+)$"
        )

    def route(self, topic: str) -> str | CollectionSpec | None:
        """``"status"``, ``"audit"``, the collection the topic's objects belong in, or None."""
        if topic == self.topics.status:
            return "status"
        if topic == self.topics.audit:
            return "audit"
        name = topic.removeprefix(self.topics.namespace)
        if len(name) == len(topic) and self.topics.namespace:
            return None
        kind, _, owner = name.partition(".")
        if not owner:
            return None
        if kind == "analysts":
            return analysts_collection()
        if kind == "partner":
            return feed_collection(owner)
        if kind == "liaison":
            return liaison_collection(owner)
        return None


@dataclass(slots=True)
class Absorbed:
    """What one batch of messages became."""

    versions: int = 0
    reports: int = 0
    audit_records: int = 0
    unreadable: list[str] = field(default_factory=list)


class Absorber:
    """Writes batches of messages into the store (no Kafka here: tests feed it directly)."""

    def __init__(self, store: Store, routes: SinkRoutes) -> None:
        self.store = store
        self.routes = routes
        self._ensured: set[str] = set()

    async def absorb(self, messages: Iterable[tuple[str, bytes]]) -> Absorbed:
        """Store ``(topic, value)`` messages; unreadable ones are logged and skipped."""
        result = Absorbed()
        versions: dict[str, list[ObjectVersion]] = {}
        specs: dict[str, CollectionSpec] = {}
        reports: list[dict[str, Any]] = []
        audit: list[AuditRecord] = []
        for topic, value in messages:
            route = self.routes.route(topic)
            try:
                if route == "status":
                    report = orjson.loads(value)
                    if not isinstance(report, dict):
                        raise ValueError("a status report must be a JSON object")
                    reports.append(report)
                elif route == "audit":
                    audit.extend(audit_records_of(value))
                elif isinstance(route, CollectionSpec):
                    specs[route.id] = route
                    versions.setdefault(route.id, []).append(ObjectVersion.from_json(value))
            except (BadObjectError, ValueError, TypeError, KeyError) as exc:
                log.warning("skipping an unreadable message on %s: %s", topic, exc)
                result.unreadable.append(f"{topic}: {exc}")
        missing = [spec for spec_id, spec in specs.items() if spec_id not in self._ensured]
        if missing:
            await self.store.ensure_collections(missing)
            self._ensured.update(spec.id for spec in missing)
        if versions:
            result.versions = await self.store.add_versions(versions)
        if reports:
            result.reports = await self.store.settle_statuses(reports)
        if audit:
            await self.store.add_audit(audit)
            result.audit_records = len(audit)
        return result


class StoreSinks:
    """The consumer loop around an Absorber; runs until cancelled, reconnecting after errors."""

    def __init__(
        self,
        store: Store,
        *,
        bootstrap: str,
        topics: Topics,
        group_id: str,
        max_records: int = 5000,
    ) -> None:
        self.absorber = Absorber(store, SinkRoutes(topics))
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.max_records = max_records
        self.batches = 0

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                delay = _RETRY_S[min(failures, len(_RETRY_S) - 1)]
                failures += 1
                log.exception("the store sinks failed; reconnecting in %.0f s", delay)
                await asyncio.sleep(delay)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            # New analysts.<crime-code> topics appear as codes are first used: look often.
            metadata_max_age_ms=2000,
            max_poll_records=self.max_records,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
        )
        await consumer.start()
        try:
            consumer.subscribe(pattern=self.absorber.routes.pattern())
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
                records: list[ConsumerRecord[bytes, bytes]] = [
                    record for records in batch.values() for record in records
                ]
                if not records:
                    continue
                await self.absorber.absorb((r.topic, r.value or b"") for r in records)
                await consumer.commit()
                self.batches += 1
        finally:
            await consumer.stop()
