"""The disseminate agent: ``fusion.curated`` -> per-audience topics and ``fusion.audit``."""

from __future__ import annotations

from typing import Any

import faust
import orjson

from hub.context import HubContext
from hub.disseminate.audiences import audiences_for, audit_records, publish
from hub.kafka_admin import ensure_topics
from hub.streams import event_batches, raw_topic
from hub.topics import Topics
from protocols.audience import Audience
from schemas.merge import MergeRecord


def audience_topic(topics: Topics, audience: Audience, crime_code: str) -> str:
    if audience.kind == "analysts":
        return topics.analysts(crime_code)
    if audience.kind == "partner":
        return topics.partner(audience.name)
    return topics.liaison(audience.name)


def register(app: faust.App, context: HubContext) -> Any:
    settings, topics = context.settings, context.topics
    curated = raw_topic(app, topics.curated, settings.partitions)
    audit = raw_topic(app, topics.audit, settings.partitions)
    outlets: dict[str, Any] = {}

    async def outlet(name: str) -> Any:
        if name not in outlets:
            # An audience can appear while the worker runs (a partner onboarded by a new
            # agreement file); its topic is created before the first send, which would
            # otherwise wait on metadata for a topic nobody creates.
            await ensure_topics(settings.broker, [name], settings.partitions)
            outlets[name] = raw_topic(app, name, settings.partitions)
        return outlets[name]

    @app.agent(curated, concurrency=1, name="disseminate")
    async def disseminate(stream: faust.StreamT[bytes]) -> None:
        async for events in event_batches(stream, settings):
            agreements = context.agreements.current()
            audiences = audiences_for(agreements)
            for event in events:
                record = MergeRecord.from_bytes(event.value)
                for publication in publish(
                    record, audiences, agreements, hub_identity=context.hub_identity
                ):
                    # Every decision is audited, also for an audience that gets nothing.
                    for entry in audit_records(record, publication):
                        await audit.send(key=entry.object_id.encode(), value=entry.to_bytes())
                    if publication.stix is None:
                        continue
                    topic = audience_topic(topics, publication.audience, publication.crime_code)
                    await (await outlet(topic)).send(
                        key=publication.stix["id"].encode(),
                        value=orjson.dumps(publication.stix, option=orjson.OPT_SORT_KEYS),
                    )

    return disseminate
