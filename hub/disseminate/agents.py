"""The disseminate agent: ``fusion.curated`` -> per-audience topics and ``fusion.audit``."""

from __future__ import annotations

from typing import Any

import faust
import orjson

from hub.context import HubContext
from hub.disseminate.audiences import audiences_for, publish, version_audit
from hub.kafka_admin import ensure_topics
from hub.streams import Outbox, event_batches, flush_before_ack, raw_topic
from hub.topics import Topics
from protocols.audience import Audience
from schemas.merge import MergeRecord


def audience_topic(topics: Topics, audience: Audience, crime_code: str) -> str:
    if audience.kind == "analysts":
        return topics.analysts(crime_code)
    if audience.kind == "partner":
        return topics.partner(audience.name)
    return topics.liaison(audience.name)


def register(app: faust.App, context: HubContext, outbox: Outbox) -> Any:
    settings, topics = context.settings, context.topics
    curated = raw_topic(app, topics.curated, settings.partitions)
    lane = outbox.lane()
    known_topics: set[str] = set()

    async def ensure_topic(name: str) -> None:
        if name not in known_topics:
            # An audience can appear while the worker runs (a partner onboarded by a new
            # agreement file); its topic is created before the first send, which would
            # otherwise wait on metadata for a topic nobody creates.
            await ensure_topics(settings.broker, [name], settings.partitions)
            known_topics.add(name)

    @app.agent(curated, concurrency=1, name="disseminate")
    async def disseminate(stream: faust.StreamT[bytes]) -> None:
        async for events in event_batches(stream, settings):
            agreements = context.agreements.current()
            audiences = audiences_for(agreements, context.liaison_agencies)
            for event in events:
                record = MergeRecord.from_bytes(event.value)
                publications = publish(
                    record, audiences, agreements, hub_identity=context.hub_identity
                )
                for publication in publications:
                    if publication.stix is None:
                        continue
                    topic = audience_topic(topics, publication.audience, publication.crime_code)
                    await ensure_topic(topic)
                    await lane.send(
                        topic,
                        publication.stix["id"].encode(),
                        orjson.dumps(publication.stix, option=orjson.OPT_SORT_KEYS),
                    )
                # Every decision is audited, also for an audience that gets nothing.
                audit = version_audit(record, publications)
                await lane.send(topics.audit, audit.object_id.encode(), audit.to_bytes())
            await flush_before_ack(lane)

    return disseminate
