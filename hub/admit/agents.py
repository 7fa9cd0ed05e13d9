"""The admit agent: ``fusion.ingest`` -> admitted / rejected / suppressed / status."""

from __future__ import annotations

from typing import Any

import faust
import orjson

from hub.admit.admission import Admission, Admitter
from hub.context import HubContext
from hub.streams import Outbox, event_batches, raw_topic
from schemas.envelopes import IngestRecord


def status_report(record: IngestRecord, admission: Admission) -> bytes:
    """One message per ingest record saying what became of each of its objects."""
    return orjson.dumps(
        {
            "ingest_id": record.ingest_id,
            "partner": record.partner,
            "received": record.received,
            "origin": {"channel": record.origin.channel, "name": record.origin.name},
            "successes": [
                {"id": o.id, "version": o.version, "message": o.message}
                for o in admission.outcomes
                if o.admitted
            ],
            "failures": [
                {"id": o.id, "version": o.version, "message": o.message}
                for o in admission.outcomes
                if not o.admitted
            ],
        }
    )


async def send_admission(
    outbox: Outbox, context: HubContext, record: IngestRecord, admission: Admission
) -> None:
    topics = context.topics
    for contribution in admission.contributions:
        await outbox.send(topics.admitted, contribution.key.encode(), contribution.to_bytes())
    for rejection in admission.rejections:
        await outbox.send(topics.rejected, rejection.partner.encode(), rejection.to_bytes())
    for suppression in admission.suppressions:
        key = suppression.contribution.key.encode()
        await outbox.send(topics.suppressed, key, suppression.to_bytes())
    await outbox.send(topics.status, record.ingest_id.encode(), status_report(record, admission))


def register(app: faust.App, context: HubContext) -> Any:
    settings = context.settings
    ingest = raw_topic(app, context.topics.ingest, settings.partitions)
    outbox = Outbox(app, settings.partitions)

    @app.agent(ingest, concurrency=1, name="admit")
    async def admit(stream: faust.StreamT[bytes]) -> None:
        async for events in event_batches(stream, settings):
            admitter = Admitter(
                agreements=context.agreements.current(), **context.admission_parts()
            )
            for event in events:
                record = IngestRecord.from_bytes(event.value)
                await send_admission(outbox, context, record, admitter.admit(record))

    return admit
