"""The correlate stage: merges contributions in a table keyed by canonical key.

A sweep (every ``sweep_interval_s``) finds records due a time-based version - an embargo
that ended, every contribution expired - and sends a tick for each through
``fusion.admitted``, so the change is made by the worker that holds the record, in order
with its contributions, and survives restarts with the table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping
from typing import NamedTuple

import orjson
from aiokafka.structs import ConsumerRecord

from hub.context import HubContext
from hub.correlate.dues import DueIndex
from hub.correlate.merge import apply_tick, due_tick, merge
from hub.correlate.table import MergeTable
from hub.streams import Lane
from hub.timestamps import now_ms
from schemas.envelopes import Contribution, Tick
from schemas.merge import MergeRecord

log = logging.getLogger(__name__)


class Version(NamedTuple):
    """A curated version: the record, and its bytes as written to ``fusion.curated``."""

    encoded: bytes
    record: MergeRecord


def correlate_message(
    records: MutableMapping[bytes, bytes],
    key: bytes,
    offset: int,
    value: bytes,
    dues: DueIndex | None = None,
) -> Version | None:
    """Apply one fusion.admitted message to the table; the curated version to send, if any.

    ``dues`` learns when the changed record is next due a time-based version.
    """
    stored = records.get(key)
    record = MergeRecord.from_bytes(stored) if stored is not None else None
    if record is not None and offset <= record.applied_offset:
        # Re-delivered after a crash: the version it produced may not have left, so send the
        # current one again - an exact duplicate at worst, never a loss. The record is
        # written again too: its changelog write may not have left either.
        assert stored is not None
        records[key] = stored
        return Version(stored, record) if record.version else None
    body = orjson.loads(value)
    if "tick" in body:
        if record is None:
            return None
        ticked = apply_tick(record, body["tick"], body["now"])
        record, material = (ticked or record), ticked is not None
    else:
        record, material = merge(record, Contribution.from_json(body))
    record.applied_offset = offset
    encoded = record.to_bytes()
    records[key] = encoded
    if dues is not None:
        dues.note(key, record)
    return Version(encoded, record) if material else None


# How often the due index is rebuilt from the table even if no partition moved.
RESCAN_S = 600.0


class CorrelateStage:
    """Merges each consumed contribution (or tick) into the table; sends material changes."""

    def __init__(self, context: HubContext, lane: Lane, table: MergeTable) -> None:
        self.context = context
        self.lane = lane
        self.table = table
        # When each record is next due a tick; rebuilt when partitions move (``reindex``).
        self.dues = DueIndex()
        self._indexed_at = 0.0

    def handle(self, messages: list[ConsumerRecord[bytes, bytes]]) -> list[MergeRecord]:
        """Merge one partition's messages; the curated versions sent, for disseminate."""
        curated_topic = self.context.topics.curated
        records = self.table.partition(messages[0].partition)  # one partition per call
        versions = []
        for message in messages:
            if message.key is None or message.value is None:
                continue  # the hub writes every admitted message with its canonical key
            version = correlate_message(
                records, message.key, message.offset, message.value, self.dues
            )
            if version is not None:
                self.lane.send(curated_topic, message.key, version.encoded)
                versions.append(version.record)
        self.table.write_changelog(self.lane)
        return versions

    def reindex(self) -> None:
        """Rebuild the due index from the partitions held now."""
        self.dues.rebuild(self.table.items())
        self._indexed_at = time.monotonic()

    def sweep(self, ticks: Lane) -> None:
        """Put a tick on ``ticks`` for each record due a time-based version."""
        if time.monotonic() - self._indexed_at > RESCAN_S:
            self.reindex()  # a safety net: the index is kept up to date as records change
        admitted = self.context.topics.admitted
        now = now_ms()
        for key in self.dues.pop_due(now):
            found = self.table.get(key)
            if found is None:
                continue
            partition, stored = found
            tick = due_tick(MergeRecord.from_bytes(stored), now)
            if tick is not None:
                tick_message = Tick(key.decode(), tick, now).to_bytes()
                ticks.send(admitted, key, tick_message, partition=partition)

    def ticks_lost(self) -> None:
        """The last sweep's ticks were not written: they are found again next sweep."""
        log.warning("ticks not written; the next sweep retries them")
        self._indexed_at = 0.0
