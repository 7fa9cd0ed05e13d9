"""The merge record: everything the hub knows about one canonical observable.

It is the value of the correlate table and the message on ``fusion.curated``; the
per-audience STIX objects are built from it (DESIGN.md, "Canonical keys and identity").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from schemas.envelopes import read_fields

# Both classes write their ``__init__`` and ``as_json`` out and are read back from positional
# arguments, as schemas/envelopes.py says why.


@dataclass(slots=True, init=False)
class PartnerContribution:
    """What one partner has said about the observable, kept per partner."""

    partner: str
    first_seen: str  # received time of the partner's first report
    last_seen: str  # received time of its latest report
    object_id: str
    created: str
    modified: str
    confidence: int
    markings: list[str]
    crime_code: str
    valid_from: str
    valid_until: str | None = None
    revoked: bool = False
    indicator_types: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    name: str | None = None
    description: str | None = None
    malware_family: str | None = None
    embargo_until: str | None = None

    def __init__(
        self,
        partner: str,
        first_seen: str,
        last_seen: str,
        object_id: str,
        created: str,
        modified: str,
        confidence: int,
        markings: list[str],
        crime_code: str,
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
        self.partner = partner
        self.first_seen = first_seen
        self.last_seen = last_seen
        self.object_id = object_id
        self.created = created
        self.modified = modified
        self.confidence = confidence
        self.markings = markings
        self.crime_code = crime_code
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.revoked = revoked
        self.indicator_types = [] if indicator_types is None else indicator_types
        self.labels = [] if labels is None else labels
        self.name = name
        self.description = description
        self.malware_family = malware_family
        self.embargo_until = embargo_until

    def as_json(self) -> dict[str, Any]:
        """Every field, in order: what orjson writes for the dataclass."""
        return {
            "partner": self.partner,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "object_id": self.object_id,
            "created": self.created,
            "modified": self.modified,
            "confidence": self.confidence,
            "markings": self.markings,
            "crime_code": self.crime_code,
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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PartnerContribution:
        return read_fields(cls, data)


@dataclass(slots=True, init=False)
class MergeRecord:
    """One curated observable with all its contributions and its current version."""

    key: str
    observable_type: str
    observable_value: str
    pattern: str
    indicator_id: str
    contributions: dict[str, PartnerContribution]
    version: int = 0  # number of curated versions published so far
    created: str = ""  # `modified` of the first curated version
    modified: str = ""  # `modified` of the current curated version
    confidence: int = 0  # combined over live (non-revoked) contributions
    revoked: bool = False
    expired: bool = False
    changes: list[str] = field(default_factory=list)  # why the current version was published
    # Offset (in its fusion.admitted partition) of the last contribution applied: a message
    # at or below it is a re-delivery after a crash, answered by re-sending this version.
    applied_offset: int = -1
    # While an update is under embargo: by audience label, the view it held before the
    # update hid it (``{"crime_code", "stix"}``), withdrawn when the embargo ends if it may
    # see nothing then (an ``embargo-hold`` tick from disseminate; hub/correlate/merge.py).
    held_until_release: dict[str, Any] | None = None
    # What a re-send of the current version after a crash needs to go where it first went
    # and nowhere else: the version before where it differs, and the held views the version
    # was sent with (``hub/correlate/merge.py``, ``cut_from``). None for a first version.
    cut_from: dict[str, Any] | None = None
    # Every crime code the record has been classed under (the one most of its contributions
    # agree on, as the analysts see them), sorted. The analysts get each version on every
    # one of those codes' topics: a subscriber of a code the indicator has left still gets
    # its later versions, its revocation too (hub/disseminate/stage.py).
    crime_codes: list[str] = field(default_factory=list)
    # By partner, a contribution as the current version was cut, for one reported again since
    # without a material change (a later ``last_seen``, a new ``modified`` or description):
    # a re-send after a crash rebuilds the version as it went out (``merge.as_cut``). None
    # when no contribution moved since the cut.
    as_cut: dict[str, Any] | None = None

    def __init__(
        self,
        key: str,
        observable_type: str,
        observable_value: str,
        pattern: str,
        indicator_id: str,
        contributions: dict[str, PartnerContribution],
        version: int = 0,
        created: str = "",
        modified: str = "",
        confidence: int = 0,
        revoked: bool = False,
        expired: bool = False,
        changes: list[str] | None = None,
        applied_offset: int = -1,
        held_until_release: dict[str, Any] | None = None,
        cut_from: dict[str, Any] | None = None,
        crime_codes: list[str] | None = None,
        as_cut: dict[str, Any] | None = None,
    ) -> None:
        self.key = key
        self.observable_type = observable_type
        self.observable_value = observable_value
        self.pattern = pattern
        self.indicator_id = indicator_id
        self.contributions = contributions
        self.version = version
        self.created = created
        self.modified = modified
        self.confidence = confidence
        self.revoked = revoked
        self.expired = expired
        self.changes = [] if changes is None else changes
        self.applied_offset = applied_offset
        self.held_until_release = held_until_release
        self.cut_from = cut_from
        self.crime_codes = [] if crime_codes is None else crime_codes
        self.as_cut = as_cut

    def copy(self) -> MergeRecord:
        """A shallow copy, for the next version: ``dataclasses.replace`` costs ten times more."""
        return MergeRecord(
            self.key,
            self.observable_type,
            self.observable_value,
            self.pattern,
            self.indicator_id,
            self.contributions,
            self.version,
            self.created,
            self.modified,
            self.confidence,
            self.revoked,
            self.expired,
            self.changes,
            self.applied_offset,
            self.held_until_release,
            self.cut_from,
            self.crime_codes,
            self.as_cut,
        )

    def as_json(self) -> dict[str, Any]:
        """Every field, in order: what orjson writes for the dataclass."""
        return {
            "key": self.key,
            "observable_type": self.observable_type,
            "observable_value": self.observable_value,
            "pattern": self.pattern,
            "indicator_id": self.indicator_id,
            "contributions": {p: c.as_json() for p, c in self.contributions.items()},
            "version": self.version,
            "created": self.created,
            "modified": self.modified,
            "confidence": self.confidence,
            "revoked": self.revoked,
            "expired": self.expired,
            "changes": self.changes,
            "applied_offset": self.applied_offset,
            "held_until_release": self.held_until_release,
            "cut_from": self.cut_from,
            "crime_codes": self.crime_codes,
            "as_cut": self.as_cut,
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.as_json())

    @classmethod
    def from_bytes(cls, raw: bytes) -> MergeRecord:
        data = orjson.loads(raw)
        data["contributions"] = {
            partner: PartnerContribution.from_json(value)
            for partner, value in data["contributions"].items()
        }
        return read_fields(cls, data)
