"""The reference route: stix2's own declarations, made strict, then ``stix2.parse``.

For the object types the fast route does not spell out (malware, report,
observed-data, network-traffic …), the property tables come from stix2 3.0.2's
class declarations, each property's type turned into a strict check (stix2
would coerce ``"50"`` to 50 and ``"true"`` to True). The object must pass those
checks, the spec's required properties (looked for *before* stix2 could fill
in id, created, modified or valid_from) and the shared cross-property rules;
then ``stix2.parse`` applies what else it knows (vocabularies, reference
types, property dependencies), its exceptions mapped to violations.
"""

from __future__ import annotations

import warnings
from typing import Any, Final

import stix2
from stix2 import exceptions as stix2_errors
from stix2 import properties as p
from stix2.registry import STIX2_OBJ_MAPS
from stix2.utils import STIXTypeClass
from stix2.v21.common import MarkingProperty

from .kinds import ObjectKind, checked_by_envelope
from .observables import VALUE_RULES
from .primitives import (
    TIMESTAMP_RE,
    check_boolean,
    check_confidence,
    check_hex,
    check_language_tag,
    check_marking_refs,
    check_reference,
    check_string,
    check_string_list,
    check_timestamp,
    check_timestamp_ms,
    enum_check,
    float_check,
    integer_check,
    non_empty_list,
    violation,
    wrong_type,
)
from .rules import (
    RULES_BY_TYPE,
    check_relationship_type,
    modified_not_before_created,
    sco_value_check,
)
from .spec import (
    MARKING_COMMON_REQUIRED,
    REQUIRED_PROPERTIES,
    S_COMMON,
    SCO_COMMON_REQUIRED,
    SCO_TYPES,
    SDO_SRO_COMMON_REQUIRED,
    SDO_TYPES,
    SRO_TYPES,
    TYPE_SECTIONS,
)
from .structures import (
    check_dictionary,
    check_extensions,
    check_external_references,
    check_granular_markings,
    check_hashes,
    check_kill_chain_phases,
)
from .types import PropertyCheck, StixObject
from .violation import StixViolation

_CLASS_TYPES: Final = {
    STIXTypeClass.SDO: SDO_TYPES,
    STIXTypeClass.SCO: SCO_TYPES,
    STIXTypeClass.SRO: SRO_TYPES,
}

#: Checks that replace the derived one wherever the property appears: the spec
#: says more about these than stix2's declaration does.
STRICT_PROPERTIES: Final[dict[str, PropertyCheck]] = {
    "created": check_timestamp_ms,
    "modified": check_timestamp_ms,
    "confidence": check_confidence,
    "lang": check_language_tag,
    "labels": check_string_list,
    "external_references": check_external_references,
    "object_marking_refs": check_marking_refs,
    "granular_markings": check_granular_markings,
    "extensions": check_extensions,
    "kill_chain_phases": check_kill_chain_phases,
    "relationship_type": check_relationship_type,
}
_ENVELOPE: Final = frozenset({"type", "id", "spec_version"})


def _reference_check(prop: p.ReferenceProperty) -> PropertyCheck:
    types: set[str] = set(prop.specifics)
    for generic in prop.generics:
        types |= _CLASS_TYPES[generic]
    if prop.auth_type == prop._WHITELIST:
        allowed, forbidden = frozenset(types), frozenset[str]()
        custom_allowed = bool(prop.generics)
    else:
        allowed, forbidden, custom_allowed = None, frozenset(types), False

    def check(value: Any, path: str) -> None:
        check_reference(value, path, allowed, forbidden, custom_allowed=custom_allowed)

    return check


def _embedded_check(cls: Any) -> PropertyCheck:
    """Check a JSON object against an embedded stix2 type (external reference, PE section …)."""
    checks = {name: strict_check(prop) for name, prop in cls._properties.items()}
    required = tuple(name for name, prop in cls._properties.items() if prop.required)

    def check(value: Any, path: str) -> None:
        if type(value) is not dict:
            raise wrong_type(path, value, f"a {cls.__name__} object", S_COMMON)
        for name in required:
            if name not in value:
                raise violation(
                    f"{path}.{name}",
                    "required-property-missing",
                    f"'{path}' has no '{name}', which a {cls.__name__} requires",
                )
        for name, item in value.items():
            item_check = checks.get(name)
            if item_check is not None:
                item_check(item, f"{path}.{name}")

    return check


def _list_check(prop: p.ListProperty) -> PropertyCheck:
    contained = prop.contained
    item = (
        strict_check(contained) if isinstance(contained, p.Property) else _embedded_check(contained)
    )

    def check(value: Any, path: str) -> None:
        for index, entry in enumerate(non_empty_list(value, path)):
            item(entry, f"{path}[{index}]")

    return check


def strict_check(prop: p.Property) -> PropertyCheck:
    """Turn one stix2 property declaration into a check that does not coerce."""
    if isinstance(prop, p.TypeProperty | p.IDProperty):
        return checked_by_envelope
    if isinstance(prop, p.EnumProperty):
        return enum_check(prop.allowed, S_COMMON)
    if isinstance(prop, p.StringProperty | p.SelectorProperty):
        return check_string
    if isinstance(prop, p.BooleanProperty):
        return check_boolean
    if isinstance(prop, p.IntegerProperty):
        return integer_check(prop.min, prop.max)
    if isinstance(prop, p.FloatProperty):
        return float_check(prop.min, prop.max)
    if isinstance(prop, p.TimestampProperty):
        return check_timestamp
    if isinstance(prop, p.ReferenceProperty):
        return _reference_check(prop)
    if isinstance(prop, p.ListProperty):
        return _list_check(prop)
    if isinstance(prop, p.HashesProperty):
        return check_hashes
    if isinstance(prop, p.ExtensionsProperty):
        return check_extensions
    if isinstance(prop, p.DictionaryProperty):
        return check_dictionary
    if isinstance(prop, p.HexProperty):
        return check_hex
    if isinstance(prop, p.BinaryProperty):
        return check_string
    if isinstance(prop, p.EmbeddedObjectProperty):
        return _embedded_check(prop.type)
    if isinstance(prop, p.ObservableProperty | MarkingProperty | p.STIXObjectProperty):
        return check_dictionary
    raise TypeError(f"no strict check for stix2 property {type(prop).__name__}")


def _predefined_extensions_check() -> PropertyCheck:
    """§7.3 extensions, with the §6 predefined SCO extensions (ntfs-ext …) checked inside."""
    embedded = {
        name: _embedded_check(cls) for name, cls in STIX2_OBJ_MAPS["2.1"]["extensions"].items()
    }

    def check(value: Any, path: str) -> None:
        check_extensions(value, path)
        for name, extension in value.items():
            extension_check = embedded.get(name)
            if extension_check is not None:
                extension_check(extension, f"{path}.{name}")

    return check


#: The extensions check for SCOs, whose predefined extensions have declared properties.
check_sco_extensions: Final = _predefined_extensions_check()


def _derive_kind(type_name: str, cls: Any, observable: bool) -> ObjectKind:
    checks: dict[str, PropertyCheck] = {}
    for name, prop in cls._properties.items():
        checks[name] = STRICT_PROPERTIES.get(name) or strict_check(prop)
    if type_name in VALUE_RULES:
        checks["value"] = sco_value_check(type_name)
    if observable:
        checks["extensions"] = check_sco_extensions
    if observable:
        common: tuple[str, ...] = SCO_COMMON_REQUIRED
    elif type_name == "marking-definition":
        common = MARKING_COMMON_REQUIRED
    else:
        common = SDO_SRO_COMMON_REQUIRED
    required = tuple(
        name for name in (*common, *REQUIRED_PROPERTIES.get(type_name, ())) if name not in _ENVELOPE
    )
    rules = RULES_BY_TYPE.get(type_name, ())
    if "modified" in checks:
        rules = (modified_not_before_created, *rules)
    return ObjectKind(
        type_name=type_name,
        checks=checks,
        required=required,
        rules=rules,
        spec_version_optional=observable,
        section=TYPE_SECTIONS[type_name],
    )


def _derive_kinds() -> dict[str, ObjectKind]:
    registry = STIX2_OBJ_MAPS["2.1"]
    kinds = {
        name: _derive_kind(name, cls, observable=False)
        for name, cls in registry["objects"].items()
        if name != "bundle"
    }
    kinds.update(
        (name, _derive_kind(name, cls, observable=True))
        for name, cls in registry["observables"].items()
    )
    return kinds


#: Every STIX 2.1 object type, derived from stix2's declarations.
REFERENCE_KINDS: Final[dict[str, ObjectKind]] = _derive_kinds()


def _digestible(obj: StixObject) -> StixObject:
    """``obj``, or a shallow copy whose timestamps Python's datetime (and so stix2) can hold.

    RFC 3339 allows a leap second (:60) and any number of sub-second digits;
    datetime allows neither, so stix2 rejects valid timestamps. Both were judged
    already; stix2 gets a stand-in (:59.999999, microseconds) instead.
    """
    adapted: StixObject | None = None
    for name, value in obj.items():
        if type(value) is not str or len(value) < 20 or value[-1] != "Z":
            continue
        match = TIMESTAMP_RE.fullmatch(value)
        if match is None or (match[6] != "60" and len(match[7] or "") <= 6):
            continue
        if adapted is None:
            adapted = dict(obj)
        if match[6] == "60":
            adapted[name] = value[:17] + "59.999999Z"
        else:
            adapted[name] = value[:20] + match[7][:6] + "Z"
    return obj if adapted is None else adapted


def parse_with_stix2(obj: StixObject, section: str) -> None:
    """Run ``stix2.parse`` (with custom content allowed) and map its complaint to a violation."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stix2_errors.STIXDeprecationWarning)
            stix2.parse(_digestible(obj), allow_custom=True, version="2.1")
    except Exception as error:  # stix2 raises STIXError, ValueError, TypeError …
        raise stix2_violation(error, section) from error


_PRESENCE_RULES: Final[dict[type[Exception], str]] = {
    stix2_errors.MissingPropertiesError: "required-property-missing",
    stix2_errors.AtLeastOnePropertyError: "at-least-one-property-required",
    stix2_errors.MutuallyExclusivePropertiesError: "mutually-exclusive-properties",
    stix2_errors.DependentPropertiesError: "property-dependency",
    stix2_errors.ExtraPropertiesError: "unknown-property",
    stix2_errors.DictionaryKeyError: "invalid-dictionary-key",
    stix2_errors.TLPMarkingDefinitionError: "non-standard-tlp-marking",
    stix2_errors.PropertyPresenceError: "required-property-missing",
}


def stix2_violation(error: Exception, section: str) -> StixViolation:
    """Translate a stix2 exception into the violation it stands for."""
    prop: str | None = None
    rule = "invalid-object"
    for error_type, mapped in _PRESENCE_RULES.items():
        if isinstance(error, error_type):
            rule = mapped
            break
    if isinstance(error, stix2_errors.InvalidValueError):
        prop = error.prop_name
        reason = str(error.reason)
        if "type-specifying prefix" in reason:
            rule = "invalid-reference-type"
        elif "not a valid STIX identifier" in reason:
            rule = "invalid-identifier"
        else:
            rule = "invalid-property-value"
        detail = f"'{prop}': {reason} (STIX 2.1 {section}, as checked by stix2)"
    else:
        properties = getattr(error, "properties", None)
        if isinstance(properties, list | tuple) and properties:
            prop = ", ".join(str(name) for name in properties)
        detail = f"{error} (STIX 2.1 {section}, as checked by stix2)"
    return violation(prop, rule, detail)
