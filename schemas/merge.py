"""The merge record: everything the hub knows about one canonical observable.

It is the value of the correlate table and the message on ``fusion.curated``; the
per-audience STIX objects are built from it (DESIGN.md, "Canonical keys and identity").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson


@dataclass(slots=True)
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


@dataclass(slots=True)
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

    def to_bytes(self) -> bytes:
        return orjson.dumps(self)  # orjson serialises dataclasses natively, fast

    @classmethod
    def from_bytes(cls, raw: bytes) -> MergeRecord:
        data = orjson.loads(raw)
        contributions = {
            partner: PartnerContribution(**value)
            for partner, value in data.pop("contributions").items()
        }
        return cls(contributions=contributions, **data)
