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


@given(st.lists(st.sampled_from(CODES), min_size=1, max_size=8))
def test_the_prevailing_code_is_the_most_agreed_determined_one(codes: list[str]) -> None:
    counts = Counter(code for code in codes if code != UNDETERMINED)
    if not counts:
        assert prevailing_code(codes) == UNDETERMINED
        return
    most = max(counts.values())
    assert prevailing_code(codes) == min(code for code, n in counts.items() if n == most)


def test_a_tie_goes_to_the_first_code_in_order() -> None:
    assert prevailing_code(["malicious-code/c2-server", "fraud/phishing"]) == "fraud/phishing"
    assert prevailing_code([UNDETERMINED, "malicious-code/c2-server"]) == "malicious-code/c2-server"
