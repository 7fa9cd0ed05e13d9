"""The fast pattern recogniser and the grammar route agree, with each other and the corpus."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.stix import StixViolation, validate_pattern
from schemas.stix.pattern_grammar import validate_pattern_by_grammar
from schemas.stix.patterning import simple_comparisons
from tests.schemas.stix_corpus import CORPUS, Case

PATTERN_CASES = [
    case
    for case in CORPUS
    if isinstance(case.object, dict)
    and case.object.get("type") == "indicator"
    and case.object.get("pattern_type") == "stix"
    and isinstance(case.object.get("pattern"), str)
]


def pattern_verdict(check: object, pattern: str) -> str:
    try:
        check(pattern)  # type: ignore[operator]
    except StixViolation as defect:
        assert defect.property == "pattern"
        return defect.rule
    return "valid"


def expected(case: Case) -> str:
    return "invalid-pattern" if case.expect == "invalid-pattern" else "valid"


@pytest.mark.parametrize("case", PATTERN_CASES, ids=lambda case: case.id)
def test_dispatching_route_matches_corpus(case: Case) -> None:
    assert pattern_verdict(validate_pattern, case.object["pattern"]) == expected(case), case.spec


@pytest.mark.parametrize("case", PATTERN_CASES, ids=lambda case: case.id)
def test_grammar_route_matches_corpus(case: Case) -> None:
    verdict = pattern_verdict(validate_pattern_by_grammar, case.object["pattern"])

    assert verdict == expected(case), case.spec


def test_corpus_exercises_both_pattern_routes() -> None:
    recognised = [c for c in PATTERN_CASES if simple_comparisons(c.object["pattern"]) is not None]
    grammar_only = [c for c in PATTERN_CASES if simple_comparisons(c.object["pattern"]) is None]

    assert len(recognised) >= 60
    assert sum(expected(c) == "invalid-pattern" for c in recognised) >= 3
    assert sum(expected(c) == "invalid-pattern" for c in grammar_only) >= 5
    assert sum(expected(c) == "valid" for c in grammar_only) >= 5


TRICKY = [
    "[file:name = 'a AND file:name = b']",
    "[file:name = 'x\\\\']",
    "[file:name = 'it\\'s']",
    "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value != '5.6.7.8']",
    "[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'a.example' AND url:value = 'http://a.b/']",
    "[ipv4-addr:value = '01.2.3.4']",
    "[ipv6-addr:value = '2001:db8::1/64']",
    "[email-addr:value = 'a.b@c.example']",
    "[url:value = 'hxxp://evil[.]example/']",
    "[file:hashes.'SHA-512' = 'abc']",
    "[file:hashes.sha256 = '" + "a" * 64 + "']",
    "[file:hashes.'SHA-256' = '" + "g" * 64 + "']",
    "[file:parent_directory_ref.path = 'C:\\\\Windows']",
    "[mac-addr:value = '00:11:22:33:44:55']",
    "[mac-addr:value = '00:11:22:33:44']",
    "[ipv4-addr:value = '1.2.3.4']]",
    "[ipv4-addr:value = '1.2.3.4'] AND",
    "[]",
    "",
]


@pytest.mark.parametrize("pattern", TRICKY)
def test_routes_agree_on_tricky_patterns(pattern: str) -> None:
    assert pattern_verdict(validate_pattern, pattern) == pattern_verdict(
        validate_pattern_by_grammar, pattern
    )


def test_non_string_pattern_is_a_type_error() -> None:
    with pytest.raises(StixViolation) as raised:
        validate_pattern(42)  # type: ignore[arg-type]

    assert raised.value.rule == "invalid-type"


octets = st.integers(min_value=0, max_value=300)


@settings(max_examples=60, deadline=None)
@given(octets, octets, octets, octets, st.one_of(st.none(), st.integers(0, 40)))
def test_routes_agree_on_generated_ipv4_patterns(
    a: int, b: int, c: int, d: int, prefix: int | None
) -> None:
    value = f"{a}.{b}.{c}.{d}" + ("" if prefix is None else f"/{prefix}")
    pattern = f"[ipv4-addr:value = '{value}']"
    should_be_valid = max(a, b, c, d) <= 255 and (prefix is None or prefix <= 32)

    fast = pattern_verdict(validate_pattern, pattern)
    grammar = pattern_verdict(validate_pattern_by_grammar, pattern)

    assert fast == grammar == ("valid" if should_be_valid else "invalid-pattern")


labels = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(st.lists(labels, min_size=1, max_size=4))
def test_routes_agree_on_generated_domain_patterns(parts: list[str]) -> None:
    pattern = f"[domain-name:value = '{'.'.join(parts)}']"

    assert pattern_verdict(validate_pattern, pattern) == pattern_verdict(
        validate_pattern_by_grammar, pattern
    )
