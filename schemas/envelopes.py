"""Kafka message envelopes of the data flow.

Each stage's messages are plain JSON (orjson) so consumers in any language can read them;
these dataclasses are the one place their fields are named. Every message carries the
partner id and the time the hub received the data.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import orjson

JSON = dict[str, Any]
T = TypeVar("T")


def encode_payload(raw: bytes) -> tuple[str, bool]:
    """Original bytes as JSON text: UTF-8 as is, anything else base64 (never lossy)."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def decode_payload(text: str, is_base64: bool) -> bytes:
    return base64.b64decode(text) if is_base64 else text.encode("utf-8")


# The channel of envelopes POSTed to the hub's TAXII API: the one channel with status
# resources, so the only one the admit stage writes fusion.status reports for.
TAXII_PUSH = "taxii-push"
# Files given to ``fusionhub import``.
CLI_IMPORT = "cli"
# Rejected records re-ingested by ``fusionhub rejected replay``.
REPLAY = "replay"
# What correlate or disseminate quarantined (hub/quarantine.py): the hub's own messages.
PIPELINE = "pipeline"
# The channels no connector runs behind: their rejections are no feed's errors.
NOT_CONNECTOR_CHANNELS = frozenset({TAXII_PUSH, CLI_IMPORT, REPLAY, PIPELINE})


# The hot envelopes (one or more of each per indicator) write their ``__init__`` out
# (``init=False``): mypyc compiles it, where the one dataclasses generates stays interpreted
# at about fifteen times the cost. tests/hub/test_written_out_inits.py holds each to its fields.
# Read back, they are built from positional arguments when the JSON holds every field in
# order, as orjson writes a dataclass: keyword arguments cost seven times more to match up.
# Written, their fields go to orjson as a dict (``as_json``): orjson reads a compiled class's
# fields one ``getattr`` at a time, four times slower than it writes the same dict.


_field_names: dict[type, tuple[str, ...]] = {}


def read_fields(cls: type[T], data: JSON) -> T:
    """``cls(**data)``, from positional arguments when ``data`` holds every field in order."""
    names = _field_names.get(cls)
    if names is None:
        names = _field_names[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    if len(data) != len(names):
        return cls(**data)
    for position, key in enumerate(data):  # compiled: cheaper than tuple(data) == names
        if key != names[position]:
            return cls(**data)
    return cls(*data.values())


@dataclass(slots=True, init=False)
class Origin:
    """Where a record came from inside a partner's delivery (file and line, TAXII request)."""

    channel: str  # taxii-push | taxii-pull | csv | misp | av-hashes | cli | replay | pipeline
    name: str | None = None  # file name, URL or collection id
    line: int | None = None  # 1-based line number in a file feed

    def __init__(self, channel: str, name: str | None = None, line: int | None = None) -> None:
        self.channel = channel
        self.name = name
        self.line = line

    def as_json(self) -> JSON:
        """Every field, in order: what orjson writes for the dataclass."""
        return {
            "channel": self.channel,
            "name": self.name,
            "line": self.line,
        }

    @classmethod
    def from_json(cls, data: JSON) -> Origin:
        return read_fields(cls, data)


@dataclass(slots=True, init=False)
class IngestRecord:
    """One raw delivery from a partner on ``fusion.ingest`` (key = partner id).

    ``payload`` is the original bytes: a STIX bundle, a TAXII envelope, a single object,
    or (``format`` other than ``stix``) a raw feed line that a connector's decoder turns
    into STIX at admission.
    """

    ingest_id: str
    partner: str
    received: str  # RFC 3339 UTC, set when the hub received the data
    payload: str
    payload_base64: bool = False
    format: str = "stix"
    origin: Origin = field(default_factory=lambda: Origin(channel=CLI_IMPORT))
    context: JSON | None = None  # decoder settings of the feed (e.g. CSV column mapping)
    replay_of: str | None = None  # rejection id when an operator replays a rejected record

    def __init__(
        self,
        ingest_id: str,
        partner: str,
        received: str,
        payload: str,
        payload_base64: bool = False,
        format: str = "stix",
        origin: Origin | None = None,
        context: JSON | None = None,
        replay_of: str | None = None,
    ) -> None:
        self.ingest_id = ingest_id
        self.partner = partner
        self.received = received
        self.payload = payload
        self.payload_base64 = payload_base64
        self.format = format
        self.origin = Origin(channel=CLI_IMPORT) if origin is None else origin
        self.context = context
        self.replay_of = replay_of

    @classmethod
    def from_bytes(cls, raw: bytes) -> IngestRecord:
        data = orjson.loads(raw)
        if isinstance(data, dict) and isinstance(data.get("origin"), dict):
            data["origin"] = Origin.from_json(data["origin"])  # in its place: order holds
            return read_fields(cls, data)
        origin = data.pop("origin", None) or {"channel": CLI_IMPORT}
        return cls(origin=Origin(**origin), **data)

    def as_json(self) -> JSON:
        """Every field, in order: what orjson writes for the dataclass."""
        return {
            "ingest_id": self.ingest_id,
            "partner": self.partner,
            "received": self.received,
            "payload": self.payload,
            "payload_base64": self.payload_base64,
            "format": self.format,
            "origin": self.origin.as_json(),
            "context": self.context,
            "replay_of": self.replay_of,
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.as_json())

    def raw(self) -> bytes:
        return decode_payload(self.payload, self.payload_base64)


@dataclass(slots=True)
class Reason:
    """Why something was rejected: which object, which property, which rule, and why."""

    code: str
    detail: str
    object_id: str | None = None
    object_type: str | None = None
    property: str | None = None
    index: int | None = None  # position of the object in its envelope/bundle


@dataclass(slots=True)
class Rejection:
    """A record or object the hub refused, on ``fusion.rejected`` (key = partner id).

    Keeps the original bytes so the operator can replay it after a fix; nothing is dropped.
    """

    rejection_id: str
    ingest_id: str
    partner: str
    received: str
    reason: Reason
    payload: str
    payload_base64: bool = False
    format: str = "stix"
    origin: Origin = field(default_factory=lambda: Origin(channel=CLI_IMPORT))
    context: JSON | None = None

    @classmethod
    def from_bytes(cls, raw: bytes) -> Rejection:
        data = orjson.loads(raw)
        return cls(
            reason=Reason(**data.pop("reason")),
            origin=Origin(**data.pop("origin")),
            **data,
        )

    def to_bytes(self) -> bytes:
        return orjson.dumps(self)


@dataclass(slots=True, init=False)
class Contribution:
    """One partner's admitted statement about one observable, on ``fusion.admitted``.

    Keyed by the canonical key, so every statement about the same thing meets in the same
    partition of the correlate table.
    """

    key: str
    partner: str
    received: str
    ingest_id: str
    object_id: str
    object_type: str
    created: str
    modified: str
    observable_type: str
    observable_value: str
    pattern: str
    crime_code: str
    confidence: int
    markings: list[str]
    valid_from: str
    valid_until: str | None = None
    revoked: bool = False
    indicator_types: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    name: str | None = None
    description: str | None = None
    malware_family: str | None = None
    # When the contributor's embargo ends (received + the agreement's embargo), if it has one.
    embargo_until: str | None = None

    def __init__(
        self,
        key: str,
        partner: str,
        received: str,
        ingest_id: str,
        object_id: str,
        object_type: str,
        created: str,
        modified: str,
        observable_type: str,
        observable_value: str,
        pattern: str,
        crime_code: str,
        confidence: int,
        markings: list[str],
        valid_from: str,
        valid_until: str | None = None,
        revoked: bool = False,
        indicator_types: list[str] | None = None,
        labels: list[str] | None = None,
        name: str | None = None,
        description: str | None = None,
        malware_family: str | None = None,
        embargo_until: str | None = None,
    ) -> None:
        self.key = key
        self.partner = partner
        self.received = received
        self.ingest_id = ingest_id
        self.object_id = object_id
        self.object_type = object_type
        self.created = created
        self.modified = modified
        self.observable_type = observable_type
        self.observable_value = observable_value
        self.pattern = pattern
        self.crime_code = crime_code
        self.confidence = confidence
        self.markings = markings
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.revoked = revoked
        self.indicator_types = [] if indicator_types is None else indicator_types
        self.labels = [] if labels is None else labels
        self.name = name
        self.description = description
        self.malware_family = malware_family
        self.embargo_until = embargo_until

    @classmethod
    def from_json(cls, data: JSON) -> Contribution:
        return read_fields(cls, data)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Contribution:
        return cls.from_json(orjson.loads(raw))

    def as_json(self) -> JSON:
        """Every field, in order: what orjson writes for the dataclass."""
        return {
            "key": self.key,
            "partner": self.partner,
            "received": self.received,
            "ingest_id": self.ingest_id,
            "object_id": self.object_id,
            "object_type": self.object_type,
            "created": self.created,
            "modified": self.modified,
            "observable_type": self.observable_type,
            "observable_value": self.observable_value,
            "pattern": self.pattern,
            "crime_code": self.crime_code,
            "confidence": self.confidence,
            "markings": self.markings,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "revoked": self.revoked,
            "indicator_types": self.indicator_types,
            "labels": self.labels,
            "name": self.name,
            "description": self.description,
            "malware_family": self.malware_family,
            "embargo_until": self.embargo_until,
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.as_json())


@dataclass(slots=True)
class Tick:
    """A change for one record that no contribution makes, on ``fusion.admitted`` beside
    contributions, so it is made by the worker holding the record, in order with them.

    The correlate sweep sends one when an embargo ends or every contribution has expired; a
    change of the partners' agreements sends a ``sharing`` tick for each record whose views
    it changes (hub/disseminate/sharing.py), with ``held``: for each audience whose view
    changed, ``{"crime_code", "stix"}`` of the view it held if it may see nothing now, or
    None if its new view goes to it. Disseminate sends an ``embargo-hold`` tick, with the
    views an update under embargo hid (``held``, never None), to be withdrawn at its end.
    A replayed dissemination failure is a ``republish`` tick, its ``now`` the ``modified``
    of the version that failed (hub/rejects.py).
    """

    key: str
    tick: str  # expiry | embargo-release | republish | sharing | embargo-hold
    now: str
    held: dict[str, Any] | None = None

    def to_bytes(self) -> bytes:
        body: JSON = {"key": self.key, "tick": self.tick, "now": self.now}
        if self.held is not None:
            body["held"] = self.held
        return orjson.dumps(body)


# The tick that carries a change of the agreements to the audiences it concerns.
SHARING_TICK = "sharing"
# The tick by which disseminate has correlate keep, until an embargo ends, the views an
# embargoed update hid from audiences (``MergeRecord.held_until_release``).
EMBARGO_HOLD_TICK = "embargo-hold"


@dataclass(slots=True)
class Suppression:
    """A contribution that matched a known-benign list, on ``fusion.suppressed``."""

    contribution: Contribution
    warninglist: str
    matched: str

    def to_bytes(self) -> bytes:
        return orjson.dumps(self)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Suppression:
        data = orjson.loads(raw)
        return cls(contribution=Contribution(**data.pop("contribution")), **data)


@dataclass(slots=True)
class AuditRecord:
    """One sharing decision, on ``fusion.audit`` (key = object id) and in the store.

    ``rule`` names the rule of protocols/ that decided; ``partner`` is the contributor whose
    contribution the decision is about.
    """

    object_id: str
    version: str  # the curated object's `modified`
    audience: str  # analysts | partner:<id> | liaison:<agency>
    partner: str
    allowed: bool
    rule: str
    decided_at: str  # the curated version's `modified`: replays reproduce the trail

    def to_bytes(self) -> bytes:
        return orjson.dumps(self)

    @classmethod
    def from_bytes(cls, raw: bytes) -> AuditRecord:
        return cls(**orjson.loads(raw))


@dataclass(slots=True)
class AuditedDecision:
    """One decision of a version's audit: who (audience) may see whose contribution, why."""

    audience: str
    partner: str
    allowed: bool
    rule: str


@dataclass(slots=True)
class VersionAudit:
    """Every sharing decision about one curated version: one message on ``fusion.audit``.

    Key = object id. One message per version, not per decision: each version is decided for
    every audience and contributor at once, and a message per decision made the audit topic
    ten times the size of the curated one (and most of the pipeline's sends).
    """

    object_id: str
    version: str  # the curated object's `modified`
    decided_at: str  # the same `modified`: replays reproduce the trail
    decisions: list[AuditedDecision]

    def records(self) -> list[AuditRecord]:
        return [
            AuditRecord(
                object_id=self.object_id,
                version=self.version,
                audience=d.audience,
                partner=d.partner,
                allowed=d.allowed,
                rule=d.rule,
                decided_at=self.decided_at,
            )
            for d in self.decisions
        ]

    def to_bytes(self) -> bytes:
        return audit_message(
            self.object_id, self.version, self.decided_at, orjson.dumps(self.decisions)
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> VersionAudit:
        data = orjson.loads(raw)
        decisions = [AuditedDecision(**d) for d in data.pop("decisions")]
        return cls(decisions=decisions, **data)


def audit_message(object_id: str, version: str, decided_at: str, decisions: bytes) -> bytes:
    """A ``VersionAudit``'s message from its decisions already encoded (a JSON array).

    The versions of one sharing shape share their decisions (hub/disseminate/audiences.py):
    encoding them once per shape instead of once per version saves most of the audit's cost.
    """
    dumps = orjson.dumps
    return b'{"object_id":%b,"version":%b,"decided_at":%b,"decisions":%b}' % (
        dumps(object_id),
        dumps(version),
        dumps(decided_at),
        decisions,
    )


def audit_records_of(raw: bytes) -> list[AuditRecord]:
    """The decisions one ``fusion.audit`` message holds."""
    return VersionAudit.from_bytes(raw).records()
