"""Publishing one curated record to every audience, as the protocols decide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.admit.crime_codes import UNDETERMINED
from hub.disseminate.views import attribution_ref, indicator_view, partner_identity_id
from protocols.audience import DEFAULT_LIAISON_AGENCIES, HUB_ANALYSTS, Audience
from protocols.decision import Decision, DecisionMemo, allowed_contributions
from schemas.agreement import PartnerAgreement
from schemas.envelopes import AuditedDecision, VersionAudit
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
    counts: dict[str, int] = {}
    for c in visible:
        if c.crime_code != UNDETERMINED:
            counts[c.crime_code] = counts.get(c.crime_code, 0) + 1
    if not counts:
        return UNDETERMINED
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def audiences_for(
    agreements: Mapping[str, PartnerAgreement],
    agencies: Iterable[str] = DEFAULT_LIAISON_AGENCIES,
) -> list[Audience]:
    """Every audience the hub publishes to: its analysts, each partner, each liaison agency."""
    return [
        HUB_ANALYSTS,
        *(Audience("partner", partner) for partner in sorted(agreements)),
        *(Audience("liaison", agency) for agency in liaison_agencies(agreements, agencies)),
    ]


def liaison_agencies(
    agreements: Mapping[str, PartnerAgreement], configured: Iterable[str]
) -> list[str]:
    """The configured agencies and any a partner consents to share with, sorted."""
    consented = {agency for a in agreements.values() for agency in a.liaison_consent}
    return sorted({*configured, *consented})


def contributor_refs(
    audience: Audience,
    visible: list[PartnerContribution],
    agreements: Mapping[str, PartnerAgreement],
    *,
    hub_identity: str,
) -> dict[str, str]:
    """How each visible contributor is named to ``audience``.

    The hub's analysts are its own cell and see who said what; a partner sees itself
    named; everyone else sees each contributor as its agreement's attribution chooses.
    """
    refs = {}
    for c in visible:
        if audience.kind == "analysts" or (
            audience.kind == "partner" and c.partner == audience.name
        ):
            refs[c.partner] = partner_identity_id(c.partner)
        else:
            refs[c.partner] = attribution_ref(
                c.partner, agreements.get(c.partner), hub_identity=hub_identity
            )
    return refs


def publish(
    record: MergeRecord,
    audiences: list[Audience],
    agreements: Mapping[str, PartnerAgreement],
    *,
    hub_identity: str,
    memo: DecisionMemo | None = None,
) -> list[Publication]:
    """What each of ``audiences`` gets of ``record``.

    ``memo`` (made for these ``agreements``) spares deciding again what it decided before.
    """
    if memo is None:
        memo = DecisionMemo(agreements)
    publications = []
    # Audiences often see the same contributions named the same way (the analysts and the
    # partner that alone contributed, say): each distinct view is built once per version,
    # and those audiences' publications share it, so a view is never changed after this.
    views: dict[tuple[object, ...], dict[str, Any] | None] = {}
    for audience in audiences:
        decisions = memo.decide(record, audience)
        visible = allowed_contributions(record, decisions)
        crime_code = crime_code_of(visible)
        refs = contributor_refs(audience, visible, agreements, hub_identity=hub_identity)
        shape = (crime_code, *(id(c) for c in visible), *refs.items())
        if shape not in views:
            views[shape] = indicator_view(
                record,
                visible,
                hub_identity=hub_identity,
                crime_code=crime_code,
                contributor_refs=refs,
            )
        publications.append(Publication(audience, decisions, views[shape], crime_code))
    return publications


def version_audit(record: MergeRecord, publications: list[Publication]) -> VersionAudit:
    """Every decision of one version's publications, for ``fusion.audit``.

    Stamped with the version's `modified`, not the wall clock, so a replay reproduces the
    trail exactly (and re-deliveries are exact duplicates). Audiences that get nothing are
    in it too: a refusal is a decision.
    """
    return VersionAudit(
        object_id=record.indicator_id,
        version=record.modified,
        decided_at=record.modified,
        decisions=[
            AuditedDecision(
                audience=publication.audience.label,
                partner=decision.partner,
                allowed=decision.allowed,
                rule=str(decision.rule),
            )
            for publication in publications
            for decision in publication.decisions
        ],
    )
