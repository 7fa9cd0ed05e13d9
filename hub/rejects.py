"""Rejected records: listing them with their reasons and replaying them after a fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from hub.kafka_io import IngestProducer, new_ingest_record, read_topics
from hub.quarantine import ADMITTED_FORMAT, CURATED_FORMAT, REPUBLISH, context_key
from hub.timestamps import now_ms
from hub.topics import Topics
from schemas.envelopes import REPLAY, IngestRecord, Origin, Rejection, Tick, decode_payload


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


@dataclass(frozen=True, slots=True)
class Replayed:
    """How many rejections a replay sent where: re-ingested, or back onto fusion.admitted."""

    ingested: int = 0
    admitted: int = 0

    @property
    def total(self) -> int:
        return self.ingested + self.admitted


async def replay(bootstrap: str, topics: Topics, rejections: Iterable[Rejection]) -> Replayed:
    """Put rejected records back where they were refused; each is marked replayed once.

    A partner's record is re-ingested as it was received. What correlate or disseminate
    quarantined (``hub/quarantine.py``) goes back onto ``fusion.admitted``: the message
    itself under its key, or, for a curated version, a tick asking correlate to publish the
    record's current version again.
    """
    ingested = admitted = 0
    async with IngestProducer(bootstrap, topics.ingest) as producer:
        for rejection in rejections:
            if rejection.format in (ADMITTED_FORMAT, CURATED_FORMAT):
                key = context_key(rejection.context)
                if rejection.format == ADMITTED_FORMAT:
                    payload = decode_payload(rejection.payload, rejection.payload_base64)
                else:
                    # Stamped with the failed version's `modified` (the rejection's
                    # `received`): correlate sees whether it is still the current one.
                    republish = Tick(key.decode("utf-8"), REPUBLISH, rejection.received)
                    payload = republish.to_bytes()
                await producer.send_to(topics.admitted, key, payload)
                replayed_as = rejection.ingest_id
                admitted += 1
            else:
                record = _ingest_again(rejection)
                replayed_as = record.ingest_id
                await producer.send(record)
                ingested += 1
            marker = {
                "rejection_id": rejection.rejection_id,
                "ingest_id": replayed_as,
                "replayed_at": now_ms(),
            }
            await producer.send_to(
                topics.replayed, rejection.rejection_id.encode(), orjson.dumps(marker)
            )
        await producer.flush()
    return Replayed(ingested, admitted)


def _ingest_again(rejection: Rejection) -> IngestRecord:
    return new_ingest_record(
        rejection.partner,
        decode_payload(rejection.payload, rejection.payload_base64),
        origin=Origin(channel=REPLAY, name=rejection.origin.name, line=rejection.origin.line),
        format=rejection.format,
        context=rejection.context,
        replay_of=rejection.rejection_id,
    )
