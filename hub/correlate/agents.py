"""The correlate agent: merges contributions in a table keyed by canonical key.

A sweep (timer) finds records due a time-based version - an embargo that ended, every
contribution expired - and sends a tick for each through ``fusion.admitted``, so the
change is made by the agent that owns the record, and survives restarts with the table.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, cast

import faust
import orjson

from hub.context import HubContext
from hub.correlate.merge import apply_tick, due_tick, merge
from hub.streams import Outbox, raw_topic
from hub.timestamps import now_ms
from schemas.envelopes import Contribution, Tick
from schemas.merge import MergeRecord


def correlate_message(
    records: MutableMapping[bytes, bytes], key: bytes, offset: int, value: bytes
) -> bytes | None:
    """Apply one fusion.admitted message to the table; the curated message to send, if any."""
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
    return encoded if material else None


def register(app: faust.App, context: HubContext) -> Any:
    settings, topics = context.settings, context.topics
    admitted = raw_topic(app, topics.admitted, settings.partitions)
    outbox = Outbox(app, settings.partitions)
    records = app.Table(
        "merge",
        key_type=bytes,  # bytes -> Faust's "raw" serializer: the hub encodes JSON itself
        value_type=bytes,
        partitions=settings.partitions,
        default=None,
    )

    # concurrency=1: only one actor writes the table (Faust guide). Event by event, not in
    # batches: the table takes its changelog and RocksDB partition from the current event.
    @app.agent(admitted, concurrency=1, name="correlate")
    async def correlate(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            key = cast(bytes, event.key)  # fusion.admitted is keyed by canonical key
            curated_value = correlate_message(records, key, event.message.offset, event.value)
            if curated_value is not None:
                await outbox.send(topics.curated, key, curated_value)

    @app.timer(interval=settings.sweep_interval_s)  # type: ignore[untyped-decorator]
    async def sweep() -> None:
        now = now_ms()
        for key, stored in list(records.items()):
            tick = due_tick(MergeRecord.from_bytes(stored), now)
            if tick is not None:
                await outbox.send(topics.admitted, key, Tick(key.decode(), tick, now).to_bytes())

    return correlate
