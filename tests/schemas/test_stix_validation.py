"""Every validation route of schemas.stix reaches the corpus's spec verdicts."""

from __future__ import annotations

import copy
import pickle
from collections import Counter
from typing import Any

import pytest

import schemas.stix.validate as validate_module
from schemas.stix import StixViolation, validate_object
from schemas.stix.fast import FAST_KINDS
from schemas.stix.validate import validate_with_reference
from tests.schemas.stix_corpus import CORPUS, Case


def verdict(check: Any, obj: Any) -> str:
    try:
        check(obj)
    except StixViolation as defect:
        return defect.rule
    return "valid"


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.id)
def test_validate_object_matches_label(case: Case) -> None:
    before = copy.deepcopy(case.object)

    assert verdict(validate_object, case.object) == case.expect, case.spec
    assert case.object == before  # nothing filled in, nothing coerced


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.id)
def test_reference_route_matches_label(case: Case) -> None:
    before = copy.deepcopy(case.object)

    assert verdict(validate_with_reference, case.object) == case.expect, case.spec
    assert case.object == before


def test_fast_types_never_reach_stix2(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(obj: Any, section: str) -> None:
        raise AssertionError(f"stix2 called for {obj.get('type')}")

    monkeypatch.setattr(validate_module, "parse_with_stix2", refuse)
    fast_cases = [
        case
        for case in CORPUS
        if isinstance(case.object, dict) and case.object.get("type") in FAST_KINDS
    ]

    assert len(fast_cases) > 100
    for case in fast_cases:
        assert verdict(validate_object, case.object) == case.expect, case.id


def test_corpus_is_large_and_covers_every_route() -> None:
    types = Counter(case.object.get("type") for case in CORPUS if isinstance(case.object, dict))
    slow_types = {t for t in types if isinstance(t, str)} - set(FAST_KINDS)

    assert len(CORPUS) >= 120
    assert set(FAST_KINDS) <= set(types)
    assert len(slow_types & {"malware", "report", "observed-data", "campaign", "location"}) == 5
    assert sum(case.valid for case in CORPUS) >= 60
    assert sum(not case.valid for case in CORPUS) >= 60
    assert all(case.spec.strip() for case in CORPUS)


def test_corpus_covers_the_defects_the_issue_names() -> None:
    rules = {case.expect for case in CORPUS}

    assert {
        "required-property-missing",
        "invalid-timestamp",
        "invalid-timestamp-precision",
        "confidence-out-of-range",
        "modified-before-created",
        "valid-until-not-after-valid-from",
        "invalid-identifier",
        "identifier-type-mismatch",
        "invalid-type",
        "invalid-pattern",
        "invalid-ipv4-value",
        "invalid-ipv6-value",
        "invalid-domain-name-value",
        "invalid-url-value",
        "invalid-email-addr-value",
        "invalid-hash",
        "invalid-custom-property-name",
        "invalid-spec-version",
        "empty-list",
        "invalid-reference-type",
        "non-standard-tlp-marking",
        "unknown-object-type",
    } <= rules


def _case(name: str) -> Case:
    return next(case for case in CORPUS if case.name == name)


def test_violation_names_object_property_and_spec_section() -> None:
    with pytest.raises(StixViolation) as raised:
        validate_object(_case("confidence 150").object)

    defect = raised.value
    assert defect.rule == "confidence-out-of-range"
    assert defect.property == "confidence"
    assert defect.object_id == "indicator--00000003-1111-4222-8333-000000000003"
    assert defect.object_type == "indicator"
    assert "150" in defect.detail
    assert "§3.2" in defect.detail


def test_violation_points_into_lists() -> None:
    with pytest.raises(StixViolation) as raised:
        validate_object(_case("object_marking_refs malformed entry").object)

    assert raised.value.property == "object_marking_refs[1]"
    assert "§2.9" in raised.value.detail


def test_violation_keeps_a_malformed_id() -> None:
    with pytest.raises(StixViolation) as raised:
        validate_object(_case("id in braces").object)

    assert raised.value.object_id == "indicator--{8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f}"
    assert raised.value.property == "id"


def test_violation_without_id_or_type() -> None:
    with pytest.raises(StixViolation) as raised:
        validate_object(_case("JSON list instead of object").object)

    assert raised.value.object_id is None
    assert raised.value.object_type is None


def test_stix2_complaints_are_mapped_with_the_property() -> None:
    with pytest.raises(StixViolation) as raised:
        validate_object(_case("opinion outside its enumeration").object)

    assert raised.value.property == "opinion"
    assert "§" in raised.value.detail


def test_violation_survives_pickling() -> None:
    with pytest.raises(StixViolation) as raised:
        validate_object(_case("ipv4 not-an-ip").object)

    copied = pickle.loads(pickle.dumps(raised.value))

    assert (copied.rule, copied.property, copied.object_id, copied.detail) == (
        raised.value.rule,
        raised.value.property,
        raised.value.object_id,
        raised.value.detail,
    )
    assert "invalid-ipv4-value" in str(copied)


ODD_VALUES: list[Any] = [None, 1, -5, 1.5, True, "", "x", [], [None], [{}], {}, {"a": {"b": []}}]


@pytest.mark.parametrize("check", [validate_object, validate_with_reference])
def test_odd_values_give_violations_not_crashes(check: Any) -> None:
    """Every property of every corpus object, replaced by odd JSON: a verdict, never a crash."""
    for case in CORPUS:
        if not isinstance(case.object, dict):
            continue
        for name in case.object:
            for odd in ODD_VALUES:
                mutated = {**case.object, name: odd}
                try:
                    check(mutated)
                except StixViolation as defect:
                    assert defect.rule and defect.detail
