"""Rejected records: listing them with their reasons and replaying them after a fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from hub.kafka_io import IngestProducer, new_ingest_record, read_topics
from hub.timestamps import now_ms
from hub.topics import Topics
from schemas.envelopes import Origin, Rejection, decode_payload


@dataclass(slots=True)
class RejectedEntry:
    rejection: Rejection
    replayed: bool


async def list_rejected(
    bootstrap: str,
    topics: Topics,
    *,
    partner: str | None = None,
    reason: str | None = None,
    include_replayed: bool = True,
) -> list[RejectedEntry]:
    replayed = {
        orjson.loads(message.value)["rejection_id"]
        async for message in read_topics(bootstrap, topics=[topics.replayed], idle_timeout_s=1.0)
    }
    entries = []
    async for message in read_topics(bootstrap, topics=[topics.rejected], idle_timeout_s=1.0):
        rejection = Rejection.from_bytes(message.value)
        if partner is not None and rejection.partner != partner:
            continue
        if reason is not None and rejection.reason.code != reason:
            continue
        done = rejection.rejection_id in replayed
        if done and not include_replayed:
            continue
        entries.append(RejectedEntry(rejection, done))
    return entries


async def replay(bootstrap: str, topics: Topics, rejections: Iterable[Rejection]) -> int:
    """Re-ingest rejected records as they were received; each is marked replayed once."""
    count = 0
    async with IngestProducer(bootstrap, topics.ingest) as producer:
        for rejection in rejections:
            record = new_ingest_record(
                rejection.partner,
                decode_payload(rejection.payload, rejection.payload_base64),
                origin=Origin(
                    channel="replay",
                    name=rejection.origin.name,
                    line=rejection.origin.line,
                ),
                format=rejection.format,
                context=rejection.context,
                replay_of=rejection.rejection_id,
            )
            await producer.send(record)
            marker = {
                "rejection_id": rejection.rejection_id,
                "ingest_id": record.ingest_id,
                "replayed_at": now_ms(),
            }
            await producer.send_to(
                topics.replayed, rejection.rejection_id.encode(), orjson.dumps(marker)
            )
            count += 1
        await producer.flush()
    return count
