"""The disseminate stage: curated versions -> per-audience topics and ``fusion.audit``.

It takes each version from correlate in the same batch, the record correlate has just
written to ``fusion.curated``, instead of reading it back from that topic: a round trip
through the broker and a decode per version, for the same bytes (issue 2's bench). The
batch's input offsets are committed only once the audience views are written too, so a
crash re-delivers the contribution, correlate re-sends its version and it is published again.
"""

from __future__ import annotations

import orjson

from hub.context import HubContext
from hub.disseminate.audiences import audiences_for, publish, version_audit
from hub.kafka_admin import ensure_topics
from hub.streams import Lane
from hub.topics import Topics
from protocols.audience import Audience
from protocols.decision import DecisionMemo
from schemas.merge import MergeRecord


def audience_topic(topics: Topics, audience: Audience, crime_code: str) -> str:
    if audience.kind == "analysts":
        return topics.analysts(crime_code)
    if audience.kind == "partner":
        return topics.partner(audience.name)
    return topics.liaison(audience.name)


class DisseminateStage:
    """Publishes each curated version to every audience it decides for, and audits."""

    def __init__(self, context: HubContext, lane: Lane) -> None:
        self.context = context
        self.lane = lane
        self._known_topics: set[str] = set()
        self._memo: DecisionMemo | None = None

    async def _ensure_topic(self, name: str) -> None:
        if name not in self._known_topics:
            # An audience can appear while the worker runs (a partner onboarded by a new
            # agreement file); its topic is created before the first send, which would
            # otherwise wait on metadata for a topic nobody creates.
            settings = self.context.settings
            await ensure_topics(settings.broker, [name], settings.partitions)
            self._known_topics.add(name)

    async def handle(self, versions: list[MergeRecord]) -> None:
        context, topics = self.context, self.context.topics
        agreements = context.agreements.current()
        audiences = audiences_for(agreements, context.liaison_agencies)
        if self._memo is None or self._memo.agreements is not agreements:
            self._memo = DecisionMemo(agreements)  # agreements (re)loaded: decide anew
        for record in versions:
            publications = publish(
                record, audiences, agreements, hub_identity=context.hub_identity, memo=self._memo
            )
            encoded: dict[int, bytes] = {}  # audiences sharing a view share its bytes
            for publication in publications:
                if publication.stix is None:
                    continue
                topic = audience_topic(topics, publication.audience, publication.crime_code)
                await self._ensure_topic(topic)
                view = encoded.get(id(publication.stix))
                if view is None:
                    view = encoded[id(publication.stix)] = orjson.dumps(
                        publication.stix, option=orjson.OPT_SORT_KEYS
                    )
                await self.lane.send(topic, publication.stix["id"].encode(), view)
            # Every decision is audited, also for an audience that gets nothing.
            audit = version_audit(record, publications)
            await self.lane.send(topics.audit, audit.object_id.encode(), audit.to_bytes())
