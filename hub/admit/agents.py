"""The admit agent: ``fusion.ingest`` -> admitted / rejected / suppressed / status."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

import faust
import orjson

from hub.admit.admission import Admission, Admitter, read_ingest_record
from hub.context import HubContext
from hub.streams import Lane, Outbox, event_batches, flush_before_ack, raw_topic
from hub.timestamps import format_ms
from schemas.envelopes import IngestRecord, Rejection

# Under the broker's 1 MiB message limit with room to spare. A report lists every object:
# one of a few thousand objects is larger than that, but goes out gzip-compressed (the
# outbox compresses large messages), which it survives; an envelope of tiny invalid items
# (`[1, 1, 1, ...]`) makes a report forty times its own size, which it may not.
STATUS_LIMIT = 768 * 1024


def _fits(report: bytes) -> bool:
    # zlib at level 1 is a conservative stand-in for the producer's gzip.
    return len(report) <= STATUS_LIMIT or len(zlib.compress(report, 1)) <= STATUS_LIMIT


def status_report(record: IngestRecord, admission: Admission) -> bytes:
    """One message per ingest record saying what became of each of its objects.

    A report too large to write whole names no object: it says how many were admitted and
    rejected, and the TAXII status fails every posted object with that sentence (each
    rejection, with its reason, is on fusion.rejected).
    """
    header = {
        "ingest_id": record.ingest_id,
        "partner": record.partner,
        "received": record.received,
        "origin": {"channel": record.origin.channel, "name": record.origin.name},
    }
    successes = [o for o in admission.outcomes if o.admitted]
    failures = [o for o in admission.outcomes if not o.admitted]
    report = orjson.dumps(
        {
            **header,
            "successes": [
                {"id": o.id, "version": o.version, "message": o.message} for o in successes
            ],
            "failures": [
                {"id": o.id, "version": o.version, "message": o.message} for o in failures
            ],
        }
    )
    if _fits(report):
        return report
    summary = (
        f"the admission report of {len(admission.outcomes)} objects is too large to itemise: "
        f"{len(successes)} admitted, {len(failures)} rejected; fusion.rejected holds each "
        "rejection with its reason"
    )
    return orjson.dumps(
        {
            **header,
            "successes": [],
            "failures": [{"id": None, "version": None, "message": summary}],
            "truncated": True,
        }
    )


async def send_admission(
    outbox: Lane, context: HubContext, record: IngestRecord, admission: Admission
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


def register(app: faust.App, context: HubContext, outbox: Outbox) -> Any:
    settings = context.settings
    ingest = raw_topic(app, context.topics.ingest, settings.partitions)
    lane = outbox.lane()

    @app.agent(ingest, concurrency=1, name="admit")
    async def admit(stream: faust.StreamT[bytes]) -> None:
        async for events in event_batches(stream, settings):
            admitter = Admitter(
                agreements=context.agreements.current(), **context.admission_parts()
            )
            for event in events:
                message = event.message
                record = read_ingest_record(
                    event.value,
                    key=message.key,
                    position=f"{message.topic}/{message.partition}/{message.offset}",
                    # The message's own time: a re-delivery yields the identical rejection.
                    received=format_ms(datetime.fromtimestamp(message.timestamp, UTC)),
                )
                if isinstance(record, Rejection):
                    await lane.send(
                        context.topics.rejected, record.partner.encode(), record.to_bytes()
                    )
                    continue
                await send_admission(lane, context, record, admitter.admit(record))
            await flush_before_ack(lane)

    return admit
