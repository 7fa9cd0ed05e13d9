"""The one pure function that decides who may see which contribution.

Given a merged record and an audience it returns, per contribution, whether that audience
may see it and the rule that decided (DESIGN.md, "Sharing protocols"). Everything published
to an audience is built from the allowed contributions only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from protocols.audience import Audience
from protocols.tlp import Tlp, tlp_of
from schemas.agreement import PartnerAgreement
from schemas.merge import MergeRecord, PartnerContribution


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one contribution reaches one audience, and the rule that said so."""

    partner: str
    allowed: bool
    rule: str


def contribution_tlp(contribution: PartnerContribution) -> Tlp:
    # Admission gives every contribution a marking (the agreement's default), so None here
    # means a non-TLP marking only: treat it as the strictest shareable level.
    level = tlp_of(contribution.markings)
    return Tlp.RED if level is None else level


def decide(
    record: MergeRecord,
    audience: Audience,
    agreements: Mapping[str, PartnerAgreement],
) -> list[Decision]:
    """Per contribution of ``record``: may ``audience`` see it, and by which rule."""
    return [
        _decide_one(contribution, audience, agreements)
        for contribution in sorted(record.contributions.values(), key=lambda c: c.partner)
    ]


def _decide_one(
    contribution: PartnerContribution,
    audience: Audience,
    agreements: Mapping[str, PartnerAgreement],
) -> Decision:
    level = contribution_tlp(contribution)
    if audience.kind == "analysts":
        if level is Tlp.RED and audience.clearance < Tlp.RED:
            return Decision(contribution.partner, False, "tlp-red-needs-red-clearance")
        return Decision(contribution.partner, True, f"analysts-see-{level.name.lower()}")
    return Decision(contribution.partner, False, f"no-rule-for-{audience.kind}")


def allowed_contributions(
    record: MergeRecord, decisions: list[Decision]
) -> list[PartnerContribution]:
    allowed = {d.partner for d in decisions if d.allowed}
    return [c for p, c in sorted(record.contributions.items()) if p in allowed]
