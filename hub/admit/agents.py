"""The admit agent: ``fusion.ingest`` -> admitted / rejected / suppressed / status."""

from __future__ import annotations

from typing import Any

import faust
import orjson

from hub.admit.admission import Admission, Admitter
from hub.context import HubContext
from hub.streams import event_batches, raw_topic
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


def register(app: faust.App, context: HubContext) -> Any:
    settings, topics = context.settings, context.topics
    ingest = raw_topic(app, topics.ingest, settings.partitions)
    admitted = raw_topic(app, topics.admitted, settings.partitions)
    rejected = raw_topic(app, topics.rejected, settings.partitions)
    suppressed = raw_topic(app, topics.suppressed, settings.partitions)
    status = raw_topic(app, topics.status, settings.partitions)

    def admitter() -> Admitter:
        return Admitter(agreements=context.agreements.current(), **context.admission_parts())

    @app.agent(ingest, concurrency=1, name="admit")
    async def admit(stream: faust.StreamT[bytes]) -> None:
        async for events in event_batches(stream, settings):
            admission_of = admitter()
            for event in events:
                record = IngestRecord.from_bytes(event.value)
                admission = admission_of.admit(record)
                for contribution in admission.contributions:
                    await admitted.send(
                        key=contribution.key.encode(), value=contribution.to_bytes()
                    )
                for rejection in admission.rejections:
                    await rejected.send(key=rejection.partner.encode(), value=rejection.to_bytes())
                for suppression in admission.suppressions:
                    await suppressed.send(
                        key=suppression.contribution.key.encode(), value=suppression.to_bytes()
                    )
                await status.send(
                    key=record.ingest_id.encode(), value=status_report(record, admission)
                )

    return admit
