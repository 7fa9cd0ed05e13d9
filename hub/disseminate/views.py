"""Building the STIX 2.1 indicator an audience receives from the contributions it may see.

Everything in the object that depends on contributions (confidence, seen times, validity,
types, labels, marking, crime code, attribution) is computed from the visible ones alone,
so a contribution an audience may not see leaves no trace in what it receives. Only the
version stamps (``created``, ``modified``) are the curated record's: every audience must
see one increasing version history per id.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hub.canonical import stix_uuid5
from hub.correlate.confidence import noisy_or
from hub.timestamps import later_by_ms, max_ts, parse
from protocols.tlp import tlp_of
from schemas.agreement import PartnerAgreement
from schemas.merge import MergeRecord, PartnerContribution


# Cached: a uuid5 costs more than building the rest of a view, and there are few partners.
@lru_cache(maxsize=4096)
def hub_identity_id(name: str) -> str:
    return f"identity--{stix_uuid5('fusionhub:' + name)}"


@lru_cache(maxsize=4096)
def partner_identity_id(partner: str) -> str:
    return f"identity--{stix_uuid5('fusionhub:partner:' + partner)}"


@lru_cache(maxsize=4096)
def sector_identity_id(sector: str) -> str:
    """The identity that stands for every partner of a sector ("a bank")."""
    return f"identity--{stix_uuid5('fusionhub:sector:' + sector)}"


def attribution_ref(partner: str, agreement: PartnerAgreement | None, *, hub_identity: str) -> str:
    """How ``partner`` is named to audiences outside the hub, as its agreement chooses.

    Without an agreement nothing of the partner is shown: it stands as the hub.
    """
    if agreement is None or agreement.attribution == "anonymous":
        return hub_identity
    if agreement.attribution == "sector":
        return sector_identity_id(agreement.sector)
    return partner_identity_id(partner)


def _min_ts(values: list[str]) -> str:
    if len(values) == 1:  # most indicators have one contributor: no key to work out
        return values[0]
    return min(values, key=parse)


def indicator_view(
    record: MergeRecord,
    visible: list[PartnerContribution],
    *,
    hub_identity: str,
    crime_code: str,
    contributor_refs: dict[str, str],
) -> dict[str, Any] | None:
    """The indicator built only from ``visible``; None if the audience may see nothing.

    ``contributor_refs`` maps each visible partner to how it is attributed for this audience
    (its own identity, its sector's, or the hub's), so nothing of an anonymous contributor
    leaves in the object. ``created_by_ref`` is the one identity all visible contributions
    are attributed to, or the hub's when they are several (the hub merged them).
    """
    if not visible:
        return None
    unattributed = unattributed_view(record, visible, crime_code=crime_code)
    return attributed(unattributed, visible, hub_identity=hub_identity, refs=contributor_refs)


def unattributed_view(
    record: MergeRecord, visible: list[PartnerContribution], *, crime_code: str
) -> dict[str, Any]:
    """``indicator_view`` without who is named: what audiences that see the same
    contributions under the same crime code share, whoever they see them attributed to.
    ``visible`` holds at least one contribution.

    The attribution's keys are placeholders here, so every view keeps one key order.
    """
    live = [c for c in visible if not c.revoked]
    indicator: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": record.indicator_id,
        "created_by_ref": None,
        "created": record.created,
        "modified": record.modified,
        "name": f"{crime_code} {record.observable_type} {record.observable_value}"[:256],
        "pattern": record.pattern,
        "pattern_type": "stix",
        "valid_from": _min_ts([c.valid_from for c in visible]),
        "confidence": noisy_or(c.confidence for c in live),
        "x_fusion_crime_code": crime_code,
        "x_fusion_first_seen": _min_ts([c.first_seen for c in visible]),
        "x_fusion_last_seen": max_ts([c.last_seen for c in visible]),
        "x_fusion_contributors": None,
    }
    if not live:
        indicator["revoked"] = True
    untils = [c.valid_until for c in visible if c.valid_until is not None]
    if untils and len(untils) == len(visible):
        until = max_ts(untils)
        if parse(until) > parse(indicator["valid_from"]):
            indicator["valid_until"] = until
    indicator_types = sorted({t for c in visible for t in c.indicator_types})
    if indicator_types:
        indicator["indicator_types"] = indicator_types
    labels = sorted({label for c in visible for label in c.labels})
    if labels:
        indicator["labels"] = labels
    level = tlp_of([m for c in visible for m in c.markings])
    if level is not None:
        indicator["object_marking_refs"] = [level.marking_id]
    families = sorted({c.malware_family for c in visible if c.malware_family})
    if families:
        indicator["x_fusion_malware_families"] = families
    return indicator


def withdrawn(view: dict[str, Any], modified: str) -> dict[str, Any]:
    """The last version of ``view`` an audience gets when it may no longer see any of the
    contributions it was built from (a contributor marked its statement stricter, say).

    It holds what the audience held, stamped ``modified`` and valid until then: an
    indicator no longer to be acted on. Not ``revoked``: STIX makes a revocation permanent
    for the id, and the audience may be allowed to see the indicator again.
    """
    last = view.copy()
    last["modified"] = modified
    # Valid only from later on: valid for a moment at most.
    until = (
        modified if parse(modified) > parse(last["valid_from"]) else later_by_ms(last["valid_from"])
    )
    if "valid_until" not in last or parse(until) < parse(last["valid_until"]):
        last["valid_until"] = until
    return last


def attributed(
    unattributed: dict[str, Any],
    visible: list[PartnerContribution],
    *,
    hub_identity: str,
    refs: dict[str, str],
) -> dict[str, Any]:
    """A copy of ``unattributed`` (built from ``visible``) naming the contributors by
    ``refs``. The copy is shallow: views are never changed once built."""
    creators = {refs[c.partner] for c in visible}
    indicator = unattributed.copy()
    indicator["created_by_ref"] = creators.pop() if len(creators) == 1 else hub_identity
    indicator["x_fusion_contributors"] = [
        {
            "source_ref": refs[c.partner],
            "first_seen": c.first_seen,
            "last_seen": c.last_seen,
            "confidence": c.confidence,
        }
        for c in visible
    ]
    return indicator
