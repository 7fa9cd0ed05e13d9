"""RSIT crime codes from hints, machine tags, words and malware families; never a guess."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.admit.crime_codes import (
    UNDETERMINED,
    code_from_machine_tag,
    crime_code_for,
    prevailing_code,
)
from schemas.merge import PartnerContribution
from tests.protocols import builders


def code(**evidence: object) -> str:
    defaults: dict[str, object] = {"hint": None, "indicator_types": [], "labels": [], "name": None}
    return crime_code_for(**{**defaults, **evidence})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        ({"hint": "fraud/phishing"}, "fraud/phishing"),
        ({"hint": "infected"}, "malicious-code/infected-system"),  # a connector's report type
        ({"hint": "c2"}, "malicious-code/c2-server"),
        ({"labels": ['rsit:fraud="phishing"']}, "fraud/phishing"),
        ({"labels": ['ecsirt:malicious-code="botnet-drone"']}, "malicious-code/infected-system"),
        ({"labels": ['ecsirt:malicious-code="c&c"']}, "malicious-code/c2-server"),
        (
            {"labels": ['ecsirt:fraud="unauthorized-use-of-resources"']},
            "fraud/unauthorised-use-of-resources",
        ),
        ({"labels": ["c2"]}, "malicious-code/c2-server"),
        ({"indicator_types": ["compromised"]}, "intrusions/system-compromise"),
        ({"name": "Phishing kit impersonating Meridian"}, "fraud/phishing"),
        (
            {"malware_family": "Emotet", "observable_type": "file"},
            "malicious-code/malware-distribution",
        ),
        # A family alone says nothing of an address' role: C2, victim or download site.
        ({"malware_family": "Emotet", "observable_type": "ipv4-addr"}, UNDETERMINED),
        ({"indicator_types": ["malicious-activity"]}, UNDETERMINED),
        ({"hint": "not-a-code", "labels": ['misp:type="ip-dst"']}, UNDETERMINED),
        ({"labels": ['rsit:fraud="not-in-rsit"']}, UNDETERMINED),
    ],
)
def test_the_most_explicit_evidence_decides(evidence: dict[str, object], expected: str) -> None:
    assert code(**evidence) == expected


def test_the_hint_outranks_words() -> None:
    assert code(hint="malicious-code/c2-server", labels=["phishing"]) == "malicious-code/c2-server"


def test_machine_tags_are_read_case_insensitively_and_only_when_rsit_defines_them() -> None:
    assert code_from_machine_tag('RSIT:Availability="DDoS"') == "availability/ddos"
    assert code_from_machine_tag('ecsirt:other="unknown"') == UNDETERMINED
    assert code_from_machine_tag("tlp:amber") is None


CODES = ["fraud/phishing", "malicious-code/c2-server", "vulnerable/system", UNDETERMINED]
PARTNERS = ["bank-a", "isp-b", "av-c", "cert-d", "isp-e", "bank-f", "av-g", "isp-h"]
MOMENTS = ["2026-11-20T08:00:00.000Z", "2026-11-20T08:00:00Z", "2026-11-20T09:30:00.250Z"]


def told(partner: str, code: str, first_seen: str) -> PartnerContribution:
    return builders.contribution(partner, crime_code=code, first_seen=first_seen)


@given(
    st.lists(
        st.tuples(st.sampled_from(CODES), st.sampled_from(MOMENTS)), min_size=1, max_size=8
    ).map(lambda told_as: [told(p, c, t) for p, (c, t) in zip(PARTNERS, told_as, strict=False)])
)
def test_the_prevailing_code_is_the_most_agreed_determined_one(
    contributions: list[PartnerContribution],
) -> None:
    counts = Counter(c.crime_code for c in contributions if c.crime_code != UNDETERMINED)
    code = prevailing_code(contributions)
    assert code == prevailing_code(list(reversed(contributions)))  # the order given is no rule
    if not counts:
        assert code == UNDETERMINED
        return
    most = max(counts.values())
    assert counts[code] == most
    # Of the codes tied at the top, the one of the contribution told first (by time, then
    # by partner: the second moment is the first's, written without milliseconds).
    leaders = [c for c in contributions if counts.get(c.crime_code) == most]
    first = min(leaders, key=lambda c: (c.first_seen.replace(".000Z", "Z"), c.partner))
    assert code == first.crime_code


def test_a_tie_keeps_the_code_told_first() -> None:
    c2 = told("sigma-av", "malicious-code/c2-server", "2026-11-20T08:00:00.000Z")
    phishing = told("zeta-bank", "fraud/phishing", "2026-11-20T09:00:00.000Z")
    assert prevailing_code([c2, phishing]) == "malicious-code/c2-server"
    assert prevailing_code([phishing, c2]) == "malicious-code/c2-server"
    # ...until more partners disagree with it than agree.
    another = told("bank-b", "fraud/phishing", "2026-11-20T10:00:00.000Z")
    assert prevailing_code([c2, phishing, another]) == "fraud/phishing"
    # A determined code beats undetermined, whenever it was told.
    unknown = told("isp-a", UNDETERMINED, "2026-11-20T07:00:00.000Z")
    assert prevailing_code([unknown, phishing]) == "fraud/phishing"
    assert prevailing_code([unknown]) == UNDETERMINED
