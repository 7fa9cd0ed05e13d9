"""The decision function against the DESIGN TLP table, row by row and audience by audience."""

from __future__ import annotations

from typing import Any

import pytest

from protocols.audience import HUB_ANALYSTS, Audience
from protocols.decision import Decision, decide, decide_contribution
from protocols.rules import ALLOWING, Rule
from protocols.tlp import TLP1_IDS, TLP2_IDS, Tlp
from tests.protocols.builders import AGREEMENTS, MODIFIED, contribution, record

ANALYSTS_AMBER_STRICT = Audience("analysts", clearance=Tlp.AMBER_STRICT)
BANK, AV, CERT = (
    Audience("partner", "bank-a"),
    Audience("partner", "av-c"),
    Audience("partner", "cert-d"),
)
NCA, INTERPOL, EUROPOL = (Audience("liaison", a) for a in ("nca", "interpol", "europol"))
AUDIENCES = [HUB_ANALYSTS, ANALYSTS_AMBER_STRICT, BANK, AV, CERT, NCA, INTERPOL, EUROPOL]

# One fraud/phishing contribution of isp-b per marking. isp-b names bank-a for AMBER and
# consents to nca up to AMBER, to interpol up to GREEN, not to europol; bank-a and cert-d
# receive fraud codes, av-c does not (and takes nothing above GREEN).
TABLE = {
    Tlp.CLEAR: [
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        Rule.CLEAR,
        Rule.CRIME_CODE_NOT_RECEIVED,
        Rule.CLEAR,
        Rule.CLEAR,
        Rule.CLEAR,
        Rule.CLEAR,
    ],
    Tlp.GREEN: [
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        Rule.GREEN_CRIME_CODE_RECEIVED,
        Rule.CRIME_CODE_NOT_RECEIVED,
        Rule.GREEN_CRIME_CODE_RECEIVED,
        Rule.GREEN_LIAISON_CONSENT,
        Rule.GREEN_LIAISON_CONSENT,
        Rule.NO_LIAISON_CONSENT,
    ],
    Tlp.AMBER: [
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        Rule.AMBER_NAMED_RECIPIENT,
        Rule.ABOVE_MAX_MARKING,
        Rule.AMBER_NOT_NAMED,
        Rule.AMBER_LIAISON_CONSENT,
        Rule.CONSENT_BELOW_MARKING,
        Rule.NO_LIAISON_CONSENT,
    ],
    Tlp.AMBER_STRICT: [
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        *[Rule.AMBER_STRICT_STAYS_IN_HUB] * 6,
    ],
    Tlp.RED: [
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        Rule.RED_NEEDS_RED_CLEARANCE,
        *[Rule.RED_STAYS_IN_HUB] * 6,
    ],
}


def _decision(markings: list[str], audience: Audience, **changes: Any) -> Decision:
    c = contribution("isp-b", None, markings=markings, **changes)
    return decide_contribution(c, audience, AGREEMENTS, as_of=MODIFIED)


# Both generations of marking ids (TLP 1.0 has no AMBER+STRICT).
MARKINGS = [(level, ids[level]) for ids in (TLP2_IDS, TLP1_IDS) for level in TABLE if level in ids]


@pytest.mark.parametrize(("level", "marking"), MARKINGS)
def test_tlp_table_row(level: Tlp, marking: str) -> None:
    for audience, rule in zip(AUDIENCES, TABLE[level], strict=True):
        decision = _decision([marking], audience)
        assert (decision.rule, decision.allowed) == (rule, rule in ALLOWING), audience.label
        assert decision.partner == "isp-b"
        assert decision.detail


def test_the_stricter_marking_wins_across_generations() -> None:
    # TLP 1.0 GREEN beside TLP 2.0 AMBER: AMBER decides; cert-d is not named for AMBER.
    both = [TLP1_IDS[Tlp.GREEN], TLP2_IDS[Tlp.AMBER]]
    assert _decision(both, CERT).rule == Rule.AMBER_NOT_NAMED
    white_and_red = [TLP1_IDS[Tlp.CLEAR], TLP1_IDS[Tlp.RED]]
    assert _decision(white_and_red, NCA).rule == Rule.RED_STAYS_IN_HUB


def test_white_is_clear_and_an_unknown_marking_alone_is_red() -> None:
    assert _decision([TLP1_IDS[Tlp.CLEAR]], EUROPOL).rule == Rule.CLEAR
    statement = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b83"
    assert _decision([statement], CERT).rule == Rule.RED_STAYS_IN_HUB


def test_a_partner_receives_only_its_crime_codes_even_when_clear() -> None:
    decision = _decision([TLP2_IDS[Tlp.CLEAR]], BANK, crime_code="malicious-code/c2-server")
    assert decision.rule == Rule.CRIME_CODE_NOT_RECEIVED


def test_a_partner_always_sees_its_own_contribution() -> None:
    own = Audience("partner", "isp-b")
    for level in Tlp:
        decision = _decision([TLP2_IDS[level]], own, crime_code="other/undetermined")
        assert (decision.allowed, decision.rule) == (True, Rule.OWN_CONTRIBUTION)


def test_an_embargo_holds_for_everyone_but_the_analysts_until_the_version_after_it() -> None:
    embargoed = contribution("isp-b", Tlp.CLEAR, embargo_until="2026-11-20T10:00:00.001Z")
    for audience in AUDIENCES:
        [decision] = decide(record(embargoed), audience, AGREEMENTS)
        expected = (
            Rule.ANALYSTS_WITHIN_CLEARANCE
            if audience.kind == "analysts"
            else (Rule.EMBARGO_IN_FORCE)
        )
        assert decision.rule == expected
    # Its own contributor too: nothing but the analysts before the embargo ends.
    [own] = decide(record(embargoed), Audience("partner", "isp-b"), AGREEMENTS)
    assert own.rule == Rule.EMBARGO_IN_FORCE
    # The version cut when it ends (modified = the embargo's end) releases it.
    released = record(embargoed, modified="2026-11-20T10:00:00.001Z")
    assert all(d.allowed for d in decide(released, NCA, AGREEMENTS))


def test_unknown_partners_see_nothing_and_are_shown_nowhere() -> None:
    stranger = contribution("gone-e", Tlp.CLEAR)
    assert decide(record(stranger), HUB_ANALYSTS, AGREEMENTS)[0].allowed
    for audience in (BANK, NCA):
        assert decide(record(stranger), audience, AGREEMENTS)[0].rule == (
            Rule.CONTRIBUTOR_WITHOUT_AGREEMENT
        )
    nobody = Audience("partner", "gone-e")
    assert decide(record(contribution("isp-b", Tlp.CLEAR)), nobody, AGREEMENTS)[0].rule == (
        Rule.RECIPIENT_WITHOUT_AGREEMENT
    )


def test_decisions_cover_every_contribution_in_partner_order() -> None:
    merged = record(
        contribution("isp-b", Tlp.GREEN),
        contribution("bank-a", Tlp.AMBER),
        contribution("av-c", Tlp.RED),
    )
    decisions = decide(merged, CERT, AGREEMENTS)
    assert [(d.partner, d.allowed) for d in decisions] == [
        ("av-c", False),
        ("bank-a", False),
        ("isp-b", True),
    ]
