"""Rules that span several properties of one object, shared by every validation route.

They run after each property has been checked on its own, so they may assume
well-formed values (timestamps are strings of the §2.15 form, and so on).
"""

from __future__ import annotations

import re
from typing import Any, Final

from .observables import VALUE_RULES
from .patterning import validate_pattern
from .primitives import (
    check_string,
    timestamp_order_key,
    violation,
    wrong_type,
)
from .spec import (
    S_COMMON,
    S_FILE,
    S_INDICATOR,
    S_MARKING_DEFINITION,
    S_OBSERVED_DATA,
    S_RELATIONSHIP,
    S_SIGHTING,
    S_TLP,
    TLP1_CREATED,
    TLP1_MARKINGS,
    TLP2_CREATED,
    TLP2_EXTENSION_ID,
    TLP2_MARKINGS,
)
from .types import ObjectRule, PropertyCheck, StixObject

_RELATIONSHIP_TYPE_RE: Final = re.compile(r"[a-z0-9-]+")


def _not_before(obj: StixObject, earlier: str, later: str, *, strict: bool) -> bool:
    """True unless both properties are present and ``later`` precedes (or equals) ``earlier``."""
    first, second = obj.get(earlier), obj.get(later)
    if first is None or second is None:
        return True
    first_key, second_key = timestamp_order_key(first), timestamp_order_key(second)
    return second_key > first_key if strict else second_key >= first_key


def modified_not_before_created(obj: StixObject) -> None:
    """§3.2: modified MUST be later than or equal to created."""
    if not _not_before(obj, "created", "modified", strict=False):
        raise violation(
            "modified",
            "modified-before-created",
            f"'modified' is {obj['modified']}, earlier than 'created' {obj['created']}; "
            f"STIX 2.1 {S_COMMON} requires modified >= created",
        )


def indicator_validity(obj: StixObject) -> None:
    """§4.7: valid_until MUST be later than valid_from; a 'stix' pattern MUST be valid."""
    if not _not_before(obj, "valid_from", "valid_until", strict=True):
        raise violation(
            "valid_until",
            "valid-until-not-after-valid-from",
            f"'valid_until' is {obj['valid_until']}, not later than 'valid_from' "
            f"{obj['valid_from']}; STIX 2.1 {S_INDICATOR} requires valid_until > valid_from",
        )
    if obj.get("pattern_type") == "stix":
        validate_pattern(obj["pattern"])


def sighting_window(obj: StixObject) -> None:
    """§5.2: last_seen MUST be greater than or equal to first_seen."""
    if not _not_before(obj, "first_seen", "last_seen", strict=False):
        raise violation(
            "last_seen",
            "last-seen-before-first-seen",
            f"'last_seen' is {obj['last_seen']}, earlier than 'first_seen' {obj['first_seen']}; "
            f"STIX 2.1 {S_SIGHTING} requires last_seen >= first_seen",
        )


def relationship_window(obj: StixObject) -> None:
    """§5.1: stop_time MUST be later than start_time."""
    if not _not_before(obj, "start_time", "stop_time", strict=True):
        raise violation(
            "stop_time",
            "stop-time-not-after-start-time",
            f"'stop_time' is {obj['stop_time']}, not later than 'start_time' "
            f"{obj['start_time']}; STIX 2.1 {S_RELATIONSHIP} requires stop_time > start_time",
        )


def observation_window(obj: StixObject) -> None:
    """§4.14: last_observed MUST be greater than or equal to first_observed."""
    if not _not_before(obj, "first_observed", "last_observed", strict=False):
        raise violation(
            "last_observed",
            "last-observed-before-first-observed",
            f"'last_observed' is {obj['last_observed']}, earlier than 'first_observed' "
            f"{obj['first_observed']}; STIX 2.1 {S_OBSERVED_DATA} requires last >= first",
        )


def file_identified(obj: StixObject) -> None:
    """§6.7: a File MUST contain at least one of hashes or name."""
    if "hashes" not in obj and "name" not in obj:
        raise violation(
            None,
            "at-least-one-property-required",
            f"file has neither 'hashes' nor 'name'; STIX 2.1 {S_FILE} requires one of them",
        )


def sco_value_check(object_type: str) -> PropertyCheck:
    """Make the check for the ``value`` property of an ipv4-addr, url, … (§6)."""
    rule, defect_of = VALUE_RULES[object_type]

    def check_value(value: Any, path: str) -> None:
        check_string(value, path)
        defect = defect_of(value)
        if defect is not None:
            raise violation(path, rule, f"'{path}' is {defect}")

    return check_value


def check_relationship_type(value: Any, path: str) -> None:
    """§5.1: relationship_type is limited to ASCII a-z, 0-9 and hyphen."""
    check_string(value, path)
    if _RELATIONSHIP_TYPE_RE.fullmatch(value) is None:
        raise violation(
            path,
            "invalid-relationship-type",
            f"'{path}' is {value!r}; STIX 2.1 {S_RELATIONSHIP} allows only a-z, 0-9 and '-'",
        )


def marking_definition_shape(obj: StixObject) -> None:
    """§7.2.1: a definition_type/definition pair or extensions; TLP markings only as published."""
    definition_type = obj.get("definition_type")
    extensions = obj.get("extensions")
    if extensions is None:
        for name in ("definition_type", "definition"):
            if name not in obj:
                raise violation(
                    name,
                    "required-property-missing",
                    f"marking-definition has no '{name}' and no 'extensions'; STIX 2.1 "
                    f"{S_MARKING_DEFINITION} requires definition_type and definition then",
                )
    if "definition" in obj:
        definition = obj["definition"]
        if type(definition) is not dict:
            raise wrong_type("definition", definition, "a marking object", S_MARKING_DEFINITION)
        if definition_type == "tlp":
            _check_tlp1(obj, definition)
        elif definition_type == "statement":
            if "statement" not in definition:
                raise violation(
                    "definition.statement",
                    "required-property-missing",
                    f"statement marking has no 'statement'; STIX 2.1 {S_MARKING_DEFINITION}",
                )
            check_string(definition["statement"], "definition.statement")
    if type(extensions) is dict and TLP2_EXTENSION_ID in extensions:
        _check_tlp2(obj, extensions[TLP2_EXTENSION_ID])


def _check_tlp1(obj: StixObject, definition: dict[str, Any]) -> None:
    colour = definition.get("tlp")
    standard_id = TLP1_MARKINGS.get(colour) if type(colour) is str else None
    if colour is None or standard_id is None:
        raise violation(
            "definition.tlp",
            "non-standard-tlp-marking",
            f"TLP level {colour!r} is not white, green, amber or red (STIX 2.1 {S_TLP})",
        )
    _check_published(obj, standard_id, TLP1_CREATED, f"TLP:{colour.upper()}", "TLP 1.0")


def _check_tlp2(obj: StixObject, extension: Any) -> None:
    where = f"extensions.{TLP2_EXTENSION_ID}"
    level = extension.get("tlp_2_0") if type(extension) is dict else None
    standard_id = TLP2_MARKINGS.get(level) if type(level) is str else None
    if level is None or standard_id is None:
        raise violation(
            f"{where}.tlp_2_0",
            "non-standard-tlp-marking",
            f"TLP 2.0 level {level!r} is not one of " + ", ".join(TLP2_MARKINGS),
        )
    if extension.get("extension_type") != "property-extension":
        raise violation(
            f"{where}.extension_type",
            "non-standard-tlp-marking",
            "the TLP 2.0 extension's extension_type must be 'property-extension'",
        )
    _check_published(obj, standard_id, TLP2_CREATED, f"TLP:{level.upper()}", "TLP 2.0")


def _check_published(obj: StixObject, standard_id: str, created: str, name: str, kind: str) -> None:
    """A TLP marking must be the published object: its id, created and name."""
    for prop, expected in (("id", standard_id), ("created", created), ("name", name)):
        actual = obj.get(prop, expected if prop == "name" else None)
        if actual != expected:
            raise violation(
                prop,
                "non-standard-tlp-marking",
                f"this {kind} {name} marking has {prop} {actual!r}, but only the published "
                f"marking-definition ({prop} {expected!r}) may be used (STIX 2.1 {S_TLP})",
            )


#: Cross-property rules by object type (the versioning rule applies to all that version).
RULES_BY_TYPE: Final[dict[str, tuple[ObjectRule, ...]]] = {
    "indicator": (indicator_validity,),
    "sighting": (sighting_window,),
    "relationship": (relationship_window,),
    "observed-data": (observation_window,),
    "file": (file_identified,),
    "marking-definition": (marking_definition_shape,),
}
