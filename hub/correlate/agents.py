"""The correlate agent: merges contributions in a table keyed by canonical key."""

from __future__ import annotations

from typing import Any

import faust

from hub.context import HubContext
from hub.correlate.merge import merge
from hub.streams import raw_topic
from schemas.envelopes import Contribution
from schemas.merge import MergeRecord


def register(app: faust.App, context: HubContext) -> Any:
    settings, topics = context.settings, context.topics
    admitted = raw_topic(app, topics.admitted, settings.partitions)
    curated = raw_topic(app, topics.curated, settings.partitions)
    records = app.Table(
        "merge",
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
        default=None,
    )

    # concurrency=1: only one actor writes the table (Faust guide).
    @app.agent(admitted, concurrency=1, name="correlate")
    async def correlate(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(settings.batch_size, settings.batch_within_s):
            for event in events:
                key = event.key
                offset = event.message.offset
                contribution = Contribution.from_bytes(event.value)
                stored = records.get(key)
                record = MergeRecord.from_bytes(stored) if stored is not None else None
                if record is not None and offset <= record.applied_offset:
                    # Re-delivered after a crash: the version this produced may not have
                    # left, so send the current one again (an exact duplicate at worst).
                    if record.version:
                        await curated.send(key=key, value=record.to_bytes())
                    continue
                record, material = merge(record, contribution)
                record.applied_offset = offset
                records[key] = record.to_bytes()
                if material:
                    await curated.send(key=key, value=record.to_bytes())

    return correlate
