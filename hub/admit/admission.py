"""Admission of one ingest record: decode, validate strictly, apply the inbound protocol.

Pure apart from its collaborators (agreements, decoders, suppression list); the admit stage
calls it for every record on ``fusion.ingest``. One bad object never sinks its siblings:
each object is admitted or rejected on its own, with a specific reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from hub.admit.crime_codes import crime_code_for
from hub.canonical import (
    CanonicalError,
    Observable,
    observable_from_pattern,
    observable_from_sco,
    stix_uuid5,
)
from hub.timestamps import format_ms, parse
from protocols.tlp import tlp_of
from schemas.agreement import PartnerAgreement
from schemas.envelopes import (
    Contribution,
    IngestRecord,
    Reason,
    Rejection,
    Suppression,
    encode_payload,
)
from schemas.stix import StixViolation, validate_object

# Observable SCOs a partner may send bare; each becomes a contribution like an indicator.
OBSERVABLE_TYPES = frozenset({"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file"})

StixObject = dict[str, Any]


class DecodeError(ValueError):
    """A feed line or payload that cannot be turned into STIX; ``code`` names why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


log = logging.getLogger(__name__)

# The reason code of a record or object the hub itself failed on (a bug, not bad input).
ADMISSION_FAILED = "admission-failed"

# What a decoder returns is checked object by object (a bundle may hold anything).
Decoder = Callable[[IngestRecord], Sequence[object]]
# Known-benign check: the list's name and what matched, or None.
Suppressor = Callable[[Observable], tuple[str, str] | None]
# Inbound redaction of one object under the partner's agreement (may raise DecodeError).
Redactor = Callable[[StixObject, PartnerAgreement], StixObject]


# Both write their ``__init__`` out because mypyc compiles it (schemas/envelopes.py says why).


@dataclass(slots=True, init=False)
class ObjectOutcome:
    """What became of one object: for the TAXII status resource."""

    id: str | None
    version: str | None
    admitted: bool
    message: str = ""

    def __init__(
        self, id: str | None, version: str | None, admitted: bool, message: str = ""
    ) -> None:
        self.id = id
        self.version = version
        self.admitted = admitted
        self.message = message


@dataclass(slots=True, init=False)
class Admission:
    """Everything one ingest record turned into."""

    contributions: list[Contribution] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    outcomes: list[ObjectOutcome] = field(default_factory=list)

    def __init__(
        self,
        contributions: list[Contribution] | None = None,
        rejections: list[Rejection] | None = None,
        suppressions: list[Suppression] | None = None,
        outcomes: list[ObjectOutcome] | None = None,
    ) -> None:
        self.contributions = [] if contributions is None else contributions
        self.rejections = [] if rejections is None else rejections
        self.suppressions = [] if suppressions is None else suppressions
        self.outcomes = [] if outcomes is None else outcomes


def decode_stix(record: IngestRecord) -> list[object]:
    """The objects of a STIX bundle, a TAXII envelope, a list, or a single object."""
    try:
        content = orjson.loads(record.raw())
    except orjson.JSONDecodeError as exc:
        raise DecodeError("unparsable-json", f"not JSON: {exc}") from None
    if isinstance(content, dict):
        if content.get("type") == "bundle" or ("objects" in content and "type" not in content):
            objects = content.get("objects", [])
            if not isinstance(objects, list):
                raise DecodeError("not-stix-content", "'objects' must be a list of STIX objects")
            return objects
        if "type" in content:
            return [content]
    if isinstance(content, list):
        return content
    raise DecodeError(
        "not-stix-content",
        "expected a STIX bundle, a TAXII envelope, a list of objects or one object",
    )


class Admitter:
    """Admits ingest records under the partners' agreements."""

    def __init__(
        self,
        *,
        agreements: Mapping[str, PartnerAgreement],
        decoders: Mapping[str, Decoder] | None = None,
        suppressor: Suppressor | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.agreements = agreements
        self.decoders: dict[str, Decoder] = {"stix": decode_stix, **(decoders or {})}
        self.suppressor = suppressor
        self.redactor = redactor

    def admit(self, record: IngestRecord) -> Admission:
        result = Admission()
        agreement = self.agreements.get(record.partner)
        if agreement is None:
            self._reject_record(
                result, record, "unknown-partner", f"no agreement for partner {record.partner!r}"
            )
            return result
        decoder = self.decoders.get(record.format)
        if decoder is None:
            self._reject_record(
                result, record, "unknown-format", f"no decoder for format {record.format!r}"
            )
            return result
        try:
            objects = decoder(record)
        # Each `except ... as` name is distinct: mypyc gives a name one type in a function.
        except DecodeError as refused:
            self._reject_record(result, record, refused.code, refused.detail)
            return result
        except Exception as exc:
            # A fault of the hub's, not the partner's: the record is kept for replay once it
            # is fixed, and the partner's later records are not held up behind it.
            log.exception("decoding ingest record %s failed", record.ingest_id)
            detail = f"the {record.format} decoder failed ({exc!r}); replay once fixed"
            self._reject_record(result, record, ADMISSION_FAILED, detail)
            return result
        for index, obj in enumerate(objects):
            try:
                self._admit_object(result, record, agreement, index, obj)
            except Exception as fault:  # likewise, for one object: its siblings go on
                log.exception("admitting object %d of %s failed", index, record.ingest_id)
                reason = Reason(
                    ADMISSION_FAILED,
                    f"the hub failed on this object ({fault!r}); replay once fixed",
                    object_id=str_or_none(obj.get("id")) if isinstance(obj, dict) else None,
                    index=index,
                )
                self._reject_object(result, record, index, obj, reason)
        return result

    def _admit_object(
        self,
        result: Admission,
        record: IngestRecord,
        agreement: PartnerAgreement,
        index: int,
        obj: object,
    ) -> None:
        if not isinstance(obj, dict):
            reason = Reason("not-an-object", f"item {index} is not a JSON object", index=index)
            self._reject_object(result, record, index, obj, reason)
            return
        try:
            # Redact first: an object that then fails validation is kept on fusion.rejected,
            # and personal data must not be kept there either.
            if self.redactor is not None:
                obj = self.redactor(obj, agreement)
            validate_object(obj)
            contribution = self._contribution(record, agreement, obj)
        except StixViolation as exc:
            reason = Reason(
                exc.rule,
                exc.detail,
                object_id=exc.object_id,
                object_type=exc.object_type,
                property=exc.property,
                index=index,
            )
            self._reject_object(result, record, index, obj, reason)
            return
        except (CanonicalError, DecodeError) as exc:
            code = exc.code if isinstance(exc, DecodeError) else "invalid-observable"
            reason = Reason(
                code,
                str(exc),
                object_id=str_or_none(obj.get("id")),
                object_type=str_or_none(obj.get("type")),
                index=index,
            )
            self._reject_object(result, record, index, obj, reason)
            return
        version = str_or_none(obj.get("modified"))
        if contribution is not None and self.suppressor is not None:
            hit = self.suppressor(
                Observable(contribution.observable_type, contribution.observable_value)
            )
            if hit is not None:
                listname, matched = hit
                result.suppressions.append(Suppression(contribution, listname, matched))
                result.outcomes.append(
                    ObjectOutcome(contribution.object_id, version, True, f"suppressed: {listname}")
                )
                return
        if contribution is not None:
            result.contributions.append(contribution)
        result.outcomes.append(ObjectOutcome(str_or_none(obj.get("id")), version, True))

    def _contribution(
        self, record: IngestRecord, agreement: PartnerAgreement, obj: StixObject
    ) -> Contribution | None:
        object_type = obj["type"]
        if object_type == "indicator":
            if obj.get("pattern_type") != "stix":
                return None  # kept as context; only STIX patterns are keyed and merged
            observable = observable_from_pattern(obj["pattern"])
        elif object_type in OBSERVABLE_TYPES:
            observable = observable_from_sco(obj)
        else:
            return None
        markings = list(obj.get("object_marking_refs", []))
        if tlp_of(markings) is None:
            markings.append(agreement.default_tlp.marking_id)
        indicator_types = list(obj.get("indicator_types", []))
        labels = list(obj.get("labels", []))
        name = obj.get("name")
        return Contribution(
            key=observable.key,
            partner=record.partner,
            received=record.received,
            ingest_id=record.ingest_id,
            object_id=obj["id"],
            object_type=object_type,
            created=obj.get("created", record.received),
            modified=obj.get("modified", record.received),
            observable_type=observable.type,
            observable_value=observable.value,
            pattern=observable.pattern,
            crime_code=crime_code_for(
                hint=obj.get("x_fusion_crime_code"),
                indicator_types=indicator_types,
                labels=labels,
                name=name,
            ),
            confidence=obj.get("confidence", agreement.default_confidence),
            markings=markings,
            valid_from=obj.get("valid_from", record.received),
            valid_until=obj.get("valid_until"),
            revoked=bool(obj.get("revoked", False)),
            indicator_types=indicator_types,
            labels=labels,
            name=name,
            description=obj.get("description"),
            malware_family=obj.get("x_fusion_malware_family"),
            embargo_until=(
                format_ms(parse(record.received) + agreement.embargo) if agreement.embargo else None
            ),
        )

    def _reject_record(
        self, result: Admission, record: IngestRecord, code: str, detail: str
    ) -> None:
        result.rejections.append(
            Rejection(
                rejection_id=_rejection_id(record.ingest_id, -1),
                ingest_id=record.ingest_id,
                partner=record.partner,
                received=record.received,
                reason=Reason(code, detail),
                payload=record.payload,
                payload_base64=record.payload_base64,
                format=record.format,
                origin=record.origin,
                context=record.context,
            )
        )
        result.outcomes.append(ObjectOutcome(None, None, False, f"{code}: {detail}"))

    def _reject_object(
        self, result: Admission, record: IngestRecord, index: int, obj: object, reason: Reason
    ) -> None:
        payload, is_base64 = encode_payload(orjson.dumps(obj))
        result.rejections.append(
            Rejection(
                rejection_id=_rejection_id(record.ingest_id, index),
                ingest_id=record.ingest_id,
                partner=record.partner,
                received=record.received,
                reason=reason,
                payload=payload,
                payload_base64=is_base64,
                format="stix",
                origin=record.origin,
                context=None,
            )
        )
        version = str_or_none(obj.get("modified")) if isinstance(obj, dict) else None
        result.outcomes.append(
            ObjectOutcome(reason.object_id, version, False, f"{reason.code}: {reason.detail}")
        )


def read_ingest_record(
    raw: bytes | None, *, key: bytes | None, where: Callable[[], tuple[str, str]]
) -> IngestRecord | Rejection:
    """The ingest record in a ``fusion.ingest`` message, or its rejection if unreadable.

    Something other than the hub's envelope on the topic (a hand-written message, a client
    of another version) is kept whole on ``fusion.rejected`` rather than stopping the admit
    stage. ``where`` gives the message's position (topic/partition/offset), which makes its
    rejection id the same on every re-delivery, and its time; both are worked out only for
    an unreadable message, not for every record.
    """
    try:
        return IngestRecord.from_bytes(raw or b"")
    except (orjson.JSONDecodeError, TypeError, KeyError, AttributeError, ValueError) as exc:
        position, received = where()
        payload, is_base64 = encode_payload(raw or b"")
        partner = (key or b"").decode("utf-8", errors="replace") or "unknown"
        return Rejection(
            rejection_id=stix_uuid5(f"unreadable:{position}"),
            ingest_id=f"unreadable:{position}",
            partner=partner,
            received=received,
            reason=Reason(
                "unreadable-ingest-record",
                f"message at {position} is not a fusion.ingest envelope: {exc}",
            ),
            payload=payload,
            payload_base64=is_base64,
        )


def _rejection_id(ingest_id: str, index: int) -> str:
    # Deterministic, so a re-delivered ingest record yields the same rejection ids.
    return stix_uuid5(f"rejection:{ingest_id}:{index}")


def str_or_none(value: object) -> str | None:
    """A JSON value if it is text: what a rejection names of a record it cannot read."""
    return value if isinstance(value, str) else None
