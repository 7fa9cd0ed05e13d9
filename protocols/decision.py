"""The one pure function that decides who may see which contribution.

Given a merged record and an audience it returns, per contribution, whether that audience
may see it and the rule that decided (DESIGN.md, "Sharing protocols"). Everything published
to an audience is built from the allowed contributions only.

Decisions are made as of the record's ``modified``, never the wall clock: an embargo is in
force while it ends after the version being published, and the correlate sweep cuts a new
version when it ends. So a replay of ``fusion.curated`` reproduces every decision.

The TLP table, per contribution (its strictest TLP marking, 1.0 or 2.0, decides):

=============  ==================  ===========================  ==========================
marking        hub analysts        partners                     liaison (per agency)
=============  ==================  ===========================  ==========================
CLEAR          yes                 yes                          yes
GREEN          yes                 if it receives the code      with consent for it
AMBER          yes                 if the contributor names it  with AMBER consent for it
AMBER+STRICT   yes                 no                           no
RED            with RED clearance  no                           no
=============  ==================  ===========================  ==========================

On top of the table, for every audience but the analysts: a contribution under embargo, or
from a partner without an agreement, goes nowhere; a partner receives only the crime codes
its agreement receives and nothing above its ``max_marking``. A partner always sees its own
contributions (it told the hub; echoing them back tells it nothing new, and shows it what
corroborates them) except while its own embargo holds, which keeps the rule "nothing but
the analysts before the embargo ends" without exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.timestamps import parse
from protocols.audience import Audience
from protocols.rules import Rule
from protocols.tlp import Tlp, tlp_of
from schemas.agreement import PartnerAgreement
from schemas.merge import MergeRecord, PartnerContribution


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one contribution reaches one audience, the rule that said so, and why."""

    partner: str
    allowed: bool
    rule: str
    detail: str = ""


def contribution_tlp(contribution: PartnerContribution) -> Tlp:
    # Admission gives every contribution a marking (the agreement's default), so None here
    # means a non-TLP marking only: treat it as the strictest level.
    level = tlp_of(contribution.markings)
    return Tlp.RED if level is None else level


def under_embargo(contribution: PartnerContribution, as_of: str) -> bool:
    """Whether the contributor's embargo still holds at ``as_of`` (a version's `modified`)."""
    if contribution.embargo_until is None:
        return False
    return not as_of or parse(contribution.embargo_until) > parse(as_of)


def decide(
    record: MergeRecord,
    audience: Audience,
    agreements: Mapping[str, PartnerAgreement],
) -> list[Decision]:
    """Per contribution of ``record`` (by partner id): may ``audience`` see it, and why."""
    return [
        decide_contribution(contribution, audience, agreements, as_of=record.modified)
        for _, contribution in sorted(record.contributions.items())
    ]


class DecisionMemo:
    """``decide`` for many records under one set of agreements, each verdict worked out once.

    A verdict depends only on the audience, the contributor, its markings and crime code
    and, while it is in force, its embargo against the version's `modified`; the agreements
    are fixed for the memo's life. Disseminate decides every version for every audience, and
    most contributions share these with thousands of others, so it asks this memo; a
    contribution under an embargo in force is decided afresh each time (one whose embargo
    has ended is decided as if it never had one).
    """

    def __init__(self, agreements: Mapping[str, PartnerAgreement]) -> None:
        self.agreements = agreements
        self._verdicts: dict[tuple[Audience, str, tuple[str, ...], str], Decision] = {}

    def decide(self, record: MergeRecord, audience: Audience) -> list[Decision]:
        """``decide(record, audience, self.agreements)``."""
        decisions = []
        for _, contribution in sorted(record.contributions.items()):
            if under_embargo(contribution, record.modified):
                decisions.append(
                    decide_contribution(
                        contribution, audience, self.agreements, as_of=record.modified
                    )
                )
                continue
            key = (
                audience,
                contribution.partner,
                tuple(contribution.markings),
                contribution.crime_code,
            )
            verdict = self._verdicts.get(key)
            if verdict is None:
                verdict = self._verdicts[key] = decide_contribution(
                    contribution, audience, self.agreements, as_of=record.modified
                )
            decisions.append(verdict)
        return decisions


def decide_contribution(
    contribution: PartnerContribution,
    audience: Audience,
    agreements: Mapping[str, PartnerAgreement],
    *,
    as_of: str,
) -> Decision:
    level = contribution_tlp(contribution)
    if audience.kind == "analysts":
        return _for_analysts(contribution, level, audience)
    partner = contribution.partner

    def deny(rule: Rule, detail: str) -> Decision:
        return Decision(partner, False, rule, detail)

    contributor = agreements.get(partner)
    if audience.kind == "partner" and audience.name not in agreements:
        return deny(Rule.RECIPIENT_WITHOUT_AGREEMENT, f"{audience.name} has no agreement")
    if contributor is None:
        return deny(Rule.CONTRIBUTOR_WITHOUT_AGREEMENT, f"{partner} has no agreement")
    if under_embargo(contribution, as_of):
        return deny(Rule.EMBARGO_IN_FORCE, f"embargoed until {contribution.embargo_until}")
    if audience.kind == "partner":
        return _for_partner(contribution, level, contributor, agreements[audience.name])
    return _for_liaison(partner, level, contributor, audience.name)


def _for_analysts(contribution: PartnerContribution, level: Tlp, audience: Audience) -> Decision:
    if level is Tlp.RED and audience.clearance < Tlp.RED:
        return Decision(
            contribution.partner,
            False,
            Rule.RED_NEEDS_RED_CLEARANCE,
            f"TLP:RED; clearance {audience.clearance.label}",
        )
    return Decision(contribution.partner, True, Rule.ANALYSTS_WITHIN_CLEARANCE, level.label)


def _stays_in_hub(level: Tlp) -> Rule | None:
    if level is Tlp.RED:
        return Rule.RED_STAYS_IN_HUB
    if level is Tlp.AMBER_STRICT:
        return Rule.AMBER_STRICT_STAYS_IN_HUB
    return None


def _for_partner(
    contribution: PartnerContribution,
    level: Tlp,
    contributor: PartnerAgreement,
    recipient: PartnerAgreement,
) -> Decision:
    partner = contribution.partner
    if partner == recipient.id:
        return Decision(partner, True, Rule.OWN_CONTRIBUTION, f"{level.label}, its own")
    stays = _stays_in_hub(level)
    if stays is not None:
        return Decision(partner, False, stays, f"{level.label} is for the hub only")
    if level > recipient.max_tlp:
        detail = f"{level.label} above {recipient.id}'s max {recipient.max_tlp.label}"
        return Decision(partner, False, Rule.ABOVE_MAX_MARKING, detail)
    code = contribution.crime_code
    if not recipient.receives_crime_code(code):
        detail = f"{recipient.id} does not receive {code}"
        return Decision(partner, False, Rule.CRIME_CODE_NOT_RECEIVED, detail)
    if level is Tlp.CLEAR:
        return Decision(partner, True, Rule.CLEAR, f"TLP:CLEAR, {code} received")
    if level is Tlp.GREEN:
        return Decision(partner, True, Rule.GREEN_CRIME_CODE_RECEIVED, f"{code} received")
    if recipient.id in contributor.amber_recipients:
        return Decision(partner, True, Rule.AMBER_NAMED_RECIPIENT, f"{partner} names it")
    detail = f"{partner} does not name {recipient.id} for AMBER"
    return Decision(partner, False, Rule.AMBER_NOT_NAMED, detail)


def _for_liaison(partner: str, level: Tlp, contributor: PartnerAgreement, agency: str) -> Decision:
    stays = _stays_in_hub(level)
    if stays is not None:
        return Decision(partner, False, stays, f"{level.label} is for the hub only")
    if level is Tlp.CLEAR:
        return Decision(partner, True, Rule.CLEAR, "TLP:CLEAR needs no consent")
    ceiling = contributor.liaison_ceiling(agency)
    if ceiling is None:
        detail = f"{partner} gives no consent for {agency}"
        return Decision(partner, False, Rule.NO_LIAISON_CONSENT, detail)
    if level > ceiling:
        detail = f"{partner} consents to {agency} up to {ceiling.label}, not {level.label}"
        return Decision(partner, False, Rule.CONSENT_BELOW_MARKING, detail)
    rule = Rule.GREEN_LIAISON_CONSENT if level is Tlp.GREEN else Rule.AMBER_LIAISON_CONSENT
    return Decision(partner, True, rule, f"{partner} consents to {agency} up to {ceiling.label}")


def allowed_contributions(
    record: MergeRecord, decisions: list[Decision]
) -> list[PartnerContribution]:
    allowed = {d.partner for d in decisions if d.allowed}
    return [c for p, c in sorted(record.contributions.items()) if p in allowed]
