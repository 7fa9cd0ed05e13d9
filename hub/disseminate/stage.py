"""The disseminate stage: curated versions -> per-audience topics and ``fusion.audit``.

It takes each version from correlate in the same batch, the record correlate has just
written to ``fusion.curated``, instead of reading it back from that topic: a round trip
through the broker and a decode per version, for the same bytes (issue 2's bench). The
batch's input offsets are committed only once the audience views are written too, so a
crash re-delivers the contribution, correlate re-sends its version and it is published again.
"""

from __future__ import annotations

import logging

import orjson

from hub.context import HubContext
from hub.correlate.stage import Version
from hub.disseminate.audiences import PublicationPlans, Published
from hub.disseminate.sharing import Sharing
from hub.kafka_admin import ensure_topics
from hub.quarantine import failure_detail, version_rejection
from hub.streams import Lane
from hub.topics import Topics
from protocols.audience import Audience
from schemas.envelopes import EMBARGO_HOLD_TICK, Tick

log = logging.getLogger(__name__)


def audience_topic(topics: Topics, audience: Audience, crime_code: str) -> str:
    if audience.kind == "analysts":
        return topics.analysts(crime_code)
    if audience.kind == "partner":
        return topics.partner(audience.name)
    return topics.liaison(audience.name)


class DisseminateStage:
    """Publishes each curated version to every audience it decides for, and audits."""

    def __init__(self, context: HubContext, lane: Lane, sharing: Sharing | None = None) -> None:
        self.context = context
        self.lane = lane
        # The agreements it publishes under, switched by the worker (``Sharing.follow``);
        # by default those on disk when it starts, for good.
        self.sharing = sharing if sharing is not None else Sharing(context)
        # (audience kind, audience name, crime code) -> topic: strings hash in C, where the
        # frozen Audience's generated __hash__ runs as Python, once per view.
        self._topics: dict[tuple[str, str, str], str] = {}

    async def _new_topic(self, audience: Audience, crime_code: str) -> str:
        """The audience's topic for ``crime_code``, created before its first send.

        An audience can appear while the worker runs (a partner onboarded by a new agreement
        file); a topic first met by a producer would wait on metadata for a topic nobody
        creates. The topic is then remembered in ``_topics``, looked up for every view.
        """
        topic = audience_topic(self.context.topics, audience, crime_code)
        settings = self.context.settings
        await ensure_topics(settings.broker, [topic], settings.partitions)
        self._topics[(audience.kind, audience.name, crime_code)] = topic
        return topic

    async def handle(self, versions: list[Version]) -> None:
        topics = self.context.topics
        plans = self.sharing.plans
        lane, audit_topic = self.lane, topics.audit
        for version in versions:
            record = version.record
            try:
                published = self._publish(plans, version)
                views = _views(published, record.crime_codes)
            except Exception as exc:  # a hub bug: the version is kept, the batch goes on
                log.exception("disseminate failed on %s version %s", record.key, record.version)
                rejection = version_rejection(
                    record, version.offset, failure_detail(exc), topics.curated
                )
                lane.send(topics.rejected, rejection.partner.encode(), rejection.to_bytes())
                continue
            key = record.indicator_id.encode()  # every view has the curated object's id
            for audience, crime_code, view in views:
                topic = self._topics.get((audience.kind, audience.name, crime_code))
                if topic is None:
                    topic = await self._new_topic(audience, crime_code)
                lane.send(topic, key, view)
            # Every decision is audited, also for an audience that gets nothing.
            lane.send(audit_topic, key, published.audit_message)
            if published.held_for_release:
                # Kept with the record (in its partition, by its key) until the embargo ends.
                hold = Tick(
                    record.key, EMBARGO_HOLD_TICK, record.modified, published.held_for_release
                )
                lane.send(topics.admitted, record.key.encode(), hold.to_bytes())

    @staticmethod
    def _publish(plans: PublicationPlans, version: Version) -> Published:
        """The version's publications, held against the version before when there is one.

        A version before that cannot be published (a record another hub version wrote, a
        bug's) must not keep the new one back too, or the record could never heal: the
        version goes out as a first one would, to every audience that may see something.
        A version sent again after a crash comes with the version it was cut from, so it goes
        where it first went (``MergeRecord.cut_from``).
        """
        try:
            return plans.publish_audited(version.record, version.previous, version.held)
        except Exception:
            if version.previous is None:
                raise
            log.warning(
                "%s version %s: the version before could not be published; sent as a first",
                version.record.key,
                version.record.version,
                exc_info=True,
            )
            return plans.publish_audited(version.record)


def _views(published: Published, crime_codes: list[str]) -> list[tuple[Audience, str, bytes]]:
    """Each audience's view of a version, encoded: all of them before any is sent, so a
    failure publishes nothing rather than part of a version. Audiences sharing a view share
    its bytes.

    The analysts' view goes to the topic of its crime code and, the same bytes, to that of
    every code the indicator was classed under before (``crime_codes``): an analyst who
    subscribed to one of those is not left holding it valid there when it is revoked."""
    encoded: dict[int, bytes] = {}
    views = []
    for publication in published.publications:
        if publication.stix is None or publication.unchanged:
            continue
        view = encoded.get(id(publication.stix))
        if view is None:
            view = encoded[id(publication.stix)] = orjson.dumps(
                publication.stix, option=orjson.OPT_SORT_KEYS
            )
        views.append((publication.audience, publication.crime_code, view))
        if publication.audience.kind == "analysts":
            for former in crime_codes:
                if former != publication.crime_code:
                    views.append((publication.audience, former, view))
    return views
