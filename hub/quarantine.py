"""Quarantine: what correlate or disseminate could not handle goes to ``fusion.rejected``.

Admit keeps bad partner input from the later stages, but a message on ``fusion.admitted``
can still be one the worker cannot take: written by hand or by another version of the hub,
or one on which the hub itself fails (a bug). Raising would stop the worker before it
commits, and its restart would take the same message again: the partition stalls for good.
Instead the message (or the curated version) is kept on ``fusion.rejected`` with its
reason, the worker's log has the traceback, and the rest of the partition goes on.
``fusionhub rejected replay`` puts it back once fixed (``hub/rejects.py``): an admitted
message onto ``fusion.admitted`` under its key, a version as a ``republish`` tick, upon
which correlate hands the record's current version to disseminate again.

Rare by design, so plain Python: the compiled stages only call in here when they failed.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from aiokafka.structs import ConsumerRecord

from hub.admit.admission import str_or_none
from hub.admit.stage import message_position
from hub.canonical import stix_uuid5
from schemas.envelopes import PIPELINE, Origin, Reason, Rejection, encode_payload
from schemas.merge import MergeRecord

# Reason codes.
UNREADABLE_ADMITTED = "unreadable-admitted-record"  # not a contribution or tick of this hub
CORRELATION_FAILED = "correlation-failed"  # the hub failed merging it (a bug)
DISSEMINATION_FAILED = "dissemination-failed"  # the hub failed publishing a version (a bug)

# Rejection formats: what a replay does with the payload.
ADMITTED_FORMAT = "admitted"  # back onto fusion.admitted under the context's key
CURATED_FORMAT = "curated"  # a republish tick for the context's key

# The tick a replayed version becomes: correlate sends the record's current version again.
REPUBLISH = "republish"


class UnreadableChange(ValueError):
    """A fusion.admitted message that is not a contribution or tick this hub can apply."""


def key_context(key: bytes) -> dict[str, Any]:
    """The message key as the replay needs it back: text if UTF-8, else base64."""
    try:
        return {"key": key.decode("utf-8")}
    except UnicodeDecodeError:
        return {"key_base64": base64.b64encode(key).decode("ascii")}


def context_key(context: dict[str, Any] | None) -> bytes:
    """The key ``key_context`` kept; a clear error if the rejection has none."""
    if context and isinstance(context.get("key"), str):
        return str(context["key"]).encode("utf-8")
    if context and isinstance(context.get("key_base64"), str):
        return base64.b64decode(str(context["key_base64"]))
    raise ValueError("the rejection keeps no message key to replay it under")


def admitted_rejection(message: ConsumerRecord[bytes, bytes], code: str, detail: str) -> Rejection:
    """The rejection of one fusion.admitted message, the same on every re-delivery."""
    position, received = message_position(message)
    raw = message.value or b""
    body = _json_object(raw)
    payload, is_base64 = encode_payload(raw)
    return Rejection(
        rejection_id=stix_uuid5(f"admitted:{position}"),
        ingest_id=str_or_none(body.get("ingest_id")) or f"admitted:{position}",
        partner=str_or_none(body.get("partner")) or "unknown",
        received=received,
        reason=Reason(
            code,
            f"message at {position}: {detail}",
            object_id=str_or_none(body.get("object_id")),
            object_type=str_or_none(body.get("object_type")),
        ),
        payload=payload,
        payload_base64=is_base64,
        format=ADMITTED_FORMAT,
        origin=Origin(channel=PIPELINE, name=message.topic),
        context={**key_context(message.key or b""), "position": position},
    )


def version_rejection(record: MergeRecord, offset: int, detail: str, topic: str) -> Rejection:
    """The rejection of a curated version disseminate failed on.

    Attributed to the contributor last heard from, whose contribution most likely made the
    version; the payload is the curated record as written to ``topic`` (fusion.curated).
    ``offset`` (of the fusion.admitted message that sent the version out) makes the id the
    same on a re-delivery, and another when a replay fails again, so that failure is not
    taken for the one already replayed.
    """
    latest = max(record.contributions.values(), key=lambda c: c.last_seen, default=None)
    return Rejection(
        rejection_id=stix_uuid5(f"dissemination:{record.key}:{record.version}:{offset}"),
        ingest_id=f"curated:{record.indicator_id}:{record.version}",
        partner=latest.partner if latest is not None else "unknown",
        received=record.modified,
        reason=Reason(
            DISSEMINATION_FAILED,
            f"curated version {record.version} of {record.key}: {detail}",
            object_id=record.indicator_id,
            object_type="indicator",
        ),
        payload=record.to_bytes().decode("utf-8"),
        format=CURATED_FORMAT,
        origin=Origin(channel=PIPELINE, name=topic),
        context={"key": record.key, "version": record.version},
    )


def failure_detail(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}
