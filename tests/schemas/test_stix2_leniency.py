"""stix2 3.0.2 accepts corpus objects the STIX 2.1 spec rejects: the leniency schemas.stix corrects.

Each test asserts what stix2 does today, concretely; if stix2 changes, the
test fails and the note on why the hub validates on its own needs revisiting.
"""

from __future__ import annotations

from typing import Any

import stix2
from stix2patterns.validator import run_validator

from schemas.stix import StixViolation, validate_object
from tests.schemas.stix_corpus import CORPUS


def case_object(name: str) -> dict[str, Any]:
    obj = next(case.object for case in CORPUS if case.name == name)
    assert isinstance(obj, dict)
    return obj


def parsed(name: str) -> Any:
    """stix2's result for the named corpus object, which the hub rejects."""
    obj = case_object(name)
    try:
        validate_object(obj)
    except StixViolation:
        pass
    else:
        raise AssertionError(f"the hub accepts {name!r}, so it shows no leniency")
    return stix2.parse(obj, allow_custom=True)


def test_stix2_fills_in_a_missing_id() -> None:
    result = parsed("missing id")

    assert result.id.startswith("indicator--")


def test_stix2_fills_in_missing_created_modified_and_valid_from() -> None:
    assert parsed("missing created").created > parsed("missing created").modified
    assert parsed("missing modified").modified > parsed("missing modified").created
    result = parsed("missing valid_from")
    assert result.valid_from > result.created


def test_stix2_keeps_confidence_outside_0_to_100() -> None:
    assert parsed("confidence 150").confidence == 150
    assert parsed("confidence -1").confidence == -1


def test_stix2_coerces_values_of_the_wrong_type() -> None:
    assert parsed("confidence as string").confidence == 50
    assert parsed("confidence as float").confidence == 50
    assert parsed("revoked as string").revoked is True
    assert parsed("file size as string").size == 100


def test_stix2_accepts_modified_before_created() -> None:
    result = parsed("modified before created")

    assert result.modified < result.created


def test_stix2_accepts_malformed_identifiers() -> None:
    assert parsed("id without hyphens").id == "indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f"
    assert parsed("id in braces").id == "indicator--{8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f}"


def test_stix2_accepts_sco_values_that_are_not_what_they_claim() -> None:
    assert parsed("ipv4 not-an-ip").value == "not-an-ip"
    assert parsed("ipv4 prefix /33").value == "10.0.0.0/33"
    assert parsed("ipv6 garbage").value == "zz::1"
    assert parsed("domain with spaces").value == "not a domain!"
    assert parsed("url with spaces").value == "not a url"
    assert parsed("email without domain").value == "nobody"


def test_stix2_and_its_pattern_validator_accept_meaningless_patterns() -> None:
    for name in ("WITHIN 0 SECONDS", "START after STOP", "REPEATS 0 TIMES", "not-an-ip in pattern"):
        result = parsed(name)
        assert run_validator(result.pattern, stix_version="2.1") == [], name


def test_stix2_accepts_empty_lists_and_bad_custom_names() -> None:
    assert parsed("labels empty").get("labels") is None
    assert parsed("custom property with hyphen")["x-foo"] == "a"
    assert parsed("custom property too short")["ab"] == "a"


def test_stix2_accepts_created_without_milliseconds() -> None:
    assert parsed("created without milliseconds").created.microsecond == 0
