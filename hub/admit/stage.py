"""The admit stage: ``fusion.ingest`` -> admitted / rejected / suppressed / status."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from functools import partial

import orjson
from aiokafka.structs import ConsumerRecord

from hub.admit.admission import Admission, Admitter, read_ingest_record
from hub.context import HubContext
from hub.streams import Lane
from hub.timestamps import format_ms
from schemas.envelopes import TAXII_PUSH, IngestRecord, Rejection

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


def send_admission(
    outbox: Lane, context: HubContext, record: IngestRecord, admission: Admission
) -> None:
    topics = context.topics
    for contribution in admission.contributions:
        outbox.send(topics.admitted, contribution.key.encode(), contribution.to_bytes())
    for rejection in admission.rejections:
        outbox.send(topics.rejected, rejection.partner.encode(), rejection.to_bytes())
    for suppression in admission.suppressions:
        key = suppression.contribution.key.encode()
        outbox.send(topics.suppressed, key, suppression.to_bytes())
    if record.origin.channel == TAXII_PUSH:
        # Only a TAXII POST has a status resource to complete; for files, pulled feeds and
        # the CLI a report would be written for nobody (rejections are on fusion.rejected).
        outbox.send(topics.status, record.ingest_id.encode(), status_report(record, admission))


class AdmitStage:
    """Admits each consumed ingest record and writes what became of it to the lane."""

    def __init__(self, context: HubContext, lane: Lane) -> None:
        self.context = context
        self.lane = lane

    def handle(self, messages: list[ConsumerRecord[bytes, bytes]]) -> None:
        context = self.context
        admitter = Admitter(agreements=context.agreements.current(), **context.admission_parts())
        for message in messages:
            record = read_ingest_record(
                message.value or b"", key=message.key, where=partial(message_position, message)
            )
            if isinstance(record, Rejection):
                self.lane.send(context.topics.rejected, record.partner.encode(), record.to_bytes())
                continue
            send_admission(self.lane, context, record, admitter.admit(record))


def message_position(message: ConsumerRecord[bytes, bytes]) -> tuple[str, str]:
    """A message's position, and its own time: a re-delivery yields the identical rejection."""
    position = f"{message.topic}/{message.partition}/{message.offset}"
    return position, format_ms(datetime.fromtimestamp(message.timestamp / 1000, UTC))
