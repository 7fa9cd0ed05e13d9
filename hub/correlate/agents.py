"""The correlate agent: merges contributions in a table keyed by canonical key.

A sweep (timer) finds records due a time-based version - an embargo that ended, every
contribution expired - and sends a tick for each through ``fusion.admitted``, so the
change is made by the agent that owns the record, and survives restarts with the table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping
from typing import Any, cast

import faust
import orjson

from hub.context import HubContext
from hub.correlate.dues import DueIndex
from hub.correlate.merge import apply_tick, due_tick, merge
from hub.streams import (
    Outbox,
    OutboxError,
    event_batches,
    flush_before_ack,
    make_current,
    raw_topic,
)
from hub.timestamps import now_ms
from schemas.envelopes import Contribution, Tick
from schemas.merge import MergeRecord

log = logging.getLogger(__name__)


def correlate_message(
    records: MutableMapping[bytes, bytes],
    key: bytes,
    offset: int,
    value: bytes,
    dues: DueIndex | None = None,
) -> bytes | None:
    """Apply one fusion.admitted message to the table; the curated message to send, if any.

    ``dues`` learns when the changed record is next due a time-based version.
    """
    stored = records.get(key)
    record = MergeRecord.from_bytes(stored) if stored is not None else None
    if record is not None and offset <= record.applied_offset:
        # Re-delivered after a crash: the version it produced may not have left, so send the
        # current one again - an exact duplicate at worst, never a loss.
        return record.to_bytes() if record.version else None
    body = orjson.loads(value)
    if "tick" in body:
        if record is None:
            return None
        ticked = apply_tick(record, body["tick"], body["now"])
        record, material = (ticked or record), ticked is not None
    else:
        record, material = merge(record, Contribution(**body))
    record.applied_offset = offset
    encoded = record.to_bytes()
    records[key] = encoded
    if dues is not None:
        dues.note(key, record)
    return encoded if material else None


async def changelog_written(app: faust.App) -> None:
    """Wait until the table's changelog writes so far are acknowledged by the broker.

    Faust sends them through its own producer and commits input offsets without waiting
    for them; the agent waits here, before its batch is acked, so a committed contribution
    is in the changelog too and a worker that takes the partition over rebuilds it.
    """
    producer = app.producer
    while producer.buffer.size:
        await producer.buffer.flush()
    await producer.flush()


# How often the due index is rebuilt from the table even if no partition moved.
RESCAN_S = 600.0


def register(app: faust.App, context: HubContext, outbox: Outbox) -> Any:
    settings, topics = context.settings, context.topics
    admitted = raw_topic(app, topics.admitted, settings.partitions)
    lane, ticks = outbox.lane(), outbox.lane()
    records = app.Table(
        "merge",
        key_type=bytes,  # bytes -> Faust's "raw" serializer: the hub encodes JSON itself
        value_type=bytes,
        partitions=settings.partitions,
        default=None,
    )

    # When each record is next due a tick, and when the index was last built from the table.
    dues = DueIndex()
    scanned: dict[str, Any] = {"assignment": None, "at": 0.0}

    # concurrency=1: only one actor writes the table (Faust guide).
    @app.agent(admitted, concurrency=1, name="correlate")
    async def correlate(stream: faust.StreamT[bytes]) -> None:
        async for events in event_batches(stream, settings):
            for event in events:
                # The table takes its changelog and RocksDB partition from the current event.
                make_current(event)
                key = cast(bytes, event.key)  # fusion.admitted is keyed by canonical key
                offset = event.message.offset
                curated = correlate_message(records, key, offset, event.value, dues)
                if curated is not None:
                    await lane.send(topics.curated, key, curated)
            await flush_before_ack(lane)
            await changelog_written(app)

    @app.timer(interval=settings.sweep_interval_s)  # type: ignore[untyped-decorator]
    async def sweep() -> None:
        """Send a tick for each record due a time-based version (ended embargo, expiry)."""
        assignment = frozenset(app.consumer.assignment())
        if assignment != scanned["assignment"] or time.monotonic() - scanned["at"] > RESCAN_S:
            # Partitions moved (or a long while passed): the index is rebuilt from the
            # table this worker now holds.
            dues.rebuild(list(records.items()))
            scanned.update(assignment=assignment, at=time.monotonic())
        now = now_ms()
        for key in dues.pop_due(now):
            stored = records.get(key)
            if stored is None:
                continue
            tick = due_tick(MergeRecord.from_bytes(stored), now)
            if tick is not None:
                await ticks.send(topics.admitted, key, Tick(key.decode(), tick, now).to_bytes())
        try:
            await ticks.flush()
        except OutboxError:
            # The ticks are derived again from the table: rebuild the index next sweep.
            log.warning("ticks not written; the next sweep retries them", exc_info=True)
            scanned["at"] = 0.0

    return correlate
