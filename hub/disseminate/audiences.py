"""Publishing one curated record to every audience, as the protocols decide."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.admit.crime_codes import UNDETERMINED
from hub.disseminate.views import indicator_view, partner_identity_id
from protocols.audience import HUB_ANALYSTS, Audience
from protocols.decision import Decision, allowed_contributions, decide
from schemas.agreement import PartnerAgreement
from schemas.merge import MergeRecord, PartnerContribution


@dataclass(slots=True)
class Publication:
    """What one audience gets of one record (``stix`` None: nothing), and why."""

    audience: Audience
    decisions: list[Decision]
    stix: dict[str, Any] | None
    crime_code: str


def crime_code_of(visible: list[PartnerContribution]) -> str:
    """The code most visible contributions agree on; a determined code beats undetermined."""
    counts = Counter(c.crime_code for c in visible if c.crime_code != UNDETERMINED)
    if not counts:
        return UNDETERMINED
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


def audiences_for(agreements: Mapping[str, PartnerAgreement]) -> list[Audience]:
    """Every audience the hub publishes to. Partners and liaison follow in protocols/."""
    return [HUB_ANALYSTS]


def publish(
    record: MergeRecord,
    audiences: list[Audience],
    agreements: Mapping[str, PartnerAgreement],
    *,
    hub_identity: str,
) -> list[Publication]:
    publications = []
    for audience in audiences:
        decisions = decide(record, audience, agreements)
        visible = allowed_contributions(record, decisions)
        crime_code = crime_code_of(visible)
        stix = indicator_view(
            record,
            visible,
            hub_identity=hub_identity,
            crime_code=crime_code,
            # The hub's own analysts see who said what; other audiences follow attribution.
            contributor_refs={c.partner: partner_identity_id(c.partner) for c in visible},
        )
        publications.append(Publication(audience, decisions, stix, crime_code))
    return publications
