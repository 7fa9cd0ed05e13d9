"""The fast route: hand-written kinds for the objects the hub sees most.

Indicators, the SCOs they are about, identities, sightings, relationships and
marking definitions make up nearly all shared intelligence. Their property
tables are spelled out here, once, from the spec's property tables, so that
judging one costs a few dictionary look-ups and precompiled regular
expressions instead of stix2's object construction.
"""

from __future__ import annotations

from typing import Any, Final

from .kinds import ObjectKind, checked_by_envelope
from .primitives import (
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
    integer_check,
    reference_check,
    reference_list_check,
)
from .reference import check_sco_extensions
from .rules import (
    RULES_BY_TYPE,
    check_relationship_type,
    modified_not_before_created,
    sco_value_check,
)
from .spec import (
    MARKING_COMMON_REQUIRED,
    NOT_RELATABLE_TYPES,
    REQUIRED_PROPERTIES,
    S_DOMAIN_NAME,
    S_EMAIL_ADDR,
    S_FILE,
    S_IDENTITY,
    S_INDICATOR,
    S_IPV4,
    S_IPV6,
    S_MARKING_DEFINITION,
    S_RELATIONSHIP,
    S_SIGHTING,
    S_URL,
    SDO_SRO_COMMON_REQUIRED,
    SDO_TYPES,
)
from .structures import (
    check_dictionary,
    check_extensions,
    check_external_references,
    check_granular_markings,
    check_hashes,
    check_kill_chain_phases,
)
from .types import PropertyCheck


def _check_relatable(value: Any, path: str) -> None:
    """§5.1: source_ref / target_ref point at an SDO or SCO."""
    check_reference(value, path, None, NOT_RELATABLE_TYPES)


def _check_sighting_of_ref(value: Any, path: str) -> None:
    """§5.2: sighting_of_ref points at an SDO (custom SDOs included)."""
    check_reference(value, path, SDO_TYPES, custom_allowed=True)


ENVELOPE: Final[dict[str, PropertyCheck]] = {
    "type": checked_by_envelope,
    "spec_version": checked_by_envelope,
    "id": checked_by_envelope,
}
#: §3.2 common properties of SDOs and SROs.
SDO_SRO_COMMON: Final[dict[str, PropertyCheck]] = {
    **ENVELOPE,
    "created_by_ref": reference_check("identity"),
    "created": check_timestamp_ms,
    "modified": check_timestamp_ms,
    "revoked": check_boolean,
    "labels": check_string_list,
    "confidence": check_confidence,
    "lang": check_language_tag,
    "external_references": check_external_references,
    "object_marking_refs": check_marking_refs,
    "granular_markings": check_granular_markings,
    "extensions": check_extensions,
}
#: §3.2 common properties of SCOs.
SCO_COMMON: Final[dict[str, PropertyCheck]] = {
    **ENVELOPE,
    "object_marking_refs": check_marking_refs,
    "granular_markings": check_granular_markings,
    "defanged": check_boolean,
    "extensions": check_sco_extensions,
}


def _beyond_envelope(required: tuple[str, ...]) -> tuple[str, ...]:
    """The required properties left once the envelope has judged type, spec_version and id."""
    return tuple(name for name in required if name not in ENVELOPE)


def _sdo(type_name: str, section: str, checks: dict[str, PropertyCheck]) -> ObjectKind:
    return ObjectKind(
        type_name=type_name,
        checks={**SDO_SRO_COMMON, **checks},
        required=_beyond_envelope(SDO_SRO_COMMON_REQUIRED) + REQUIRED_PROPERTIES[type_name],
        rules=(modified_not_before_created, *RULES_BY_TYPE.get(type_name, ())),
        section=section,
    )


def _sco(type_name: str, section: str, checks: dict[str, PropertyCheck]) -> ObjectKind:
    return ObjectKind(
        type_name=type_name,
        checks={**SCO_COMMON, **checks},
        required=REQUIRED_PROPERTIES.get(type_name, ()),
        rules=RULES_BY_TYPE.get(type_name, ()),
        spec_version_optional=True,
        section=section,
    )


def _address(type_name: str, section: str) -> ObjectKind:
    return _sco(
        type_name,
        section,
        {
            "value": sco_value_check(type_name),
            "resolves_to_refs": reference_list_check(("mac-addr",)),
            "belongs_to_refs": reference_list_check(("autonomous-system",)),
        },
    )


FAST_KINDS: Final[dict[str, ObjectKind]] = {
    kind.type_name: kind
    for kind in (
        _sdo(
            "indicator",
            S_INDICATOR,
            {
                "name": check_string,
                "description": check_string,
                "indicator_types": check_string_list,
                "pattern": check_string,
                "pattern_type": check_string,
                "pattern_version": check_string,
                "valid_from": check_timestamp,
                "valid_until": check_timestamp,
                "kill_chain_phases": check_kill_chain_phases,
            },
        ),
        _sdo(
            "identity",
            S_IDENTITY,
            {
                "name": check_string,
                "description": check_string,
                "roles": check_string_list,
                "identity_class": check_string,
                "sectors": check_string_list,
                "contact_information": check_string,
            },
        ),
        _sdo(
            "relationship",
            S_RELATIONSHIP,
            {
                "relationship_type": check_relationship_type,
                "description": check_string,
                "source_ref": _check_relatable,
                "target_ref": _check_relatable,
                "start_time": check_timestamp,
                "stop_time": check_timestamp,
            },
        ),
        _sdo(
            "sighting",
            S_SIGHTING,
            {
                "description": check_string,
                "first_seen": check_timestamp,
                "last_seen": check_timestamp,
                "count": integer_check(0, 999_999_999, section=S_SIGHTING),
                "sighting_of_ref": _check_sighting_of_ref,
                "observed_data_refs": reference_list_check(("observed-data",)),
                "where_sighted_refs": reference_list_check(("identity", "location")),
                "summary": check_boolean,
            },
        ),
        ObjectKind(
            type_name="marking-definition",
            checks={
                **ENVELOPE,
                "created_by_ref": reference_check("identity"),
                "created": check_timestamp_ms,
                "external_references": check_external_references,
                "object_marking_refs": check_marking_refs,
                "granular_markings": check_granular_markings,
                "extensions": check_extensions,
                "name": check_string,
                "definition_type": check_string,
                "definition": check_dictionary,
            },
            required=_beyond_envelope(MARKING_COMMON_REQUIRED),
            rules=RULES_BY_TYPE["marking-definition"],
            section=S_MARKING_DEFINITION,
        ),
        _address("ipv4-addr", S_IPV4),
        _address("ipv6-addr", S_IPV6),
        _sco(
            "domain-name",
            S_DOMAIN_NAME,
            {
                "value": sco_value_check("domain-name"),
                "resolves_to_refs": reference_list_check(("ipv4-addr", "ipv6-addr", "domain-name")),
            },
        ),
        _sco("url", S_URL, {"value": sco_value_check("url")}),
        _sco(
            "email-addr",
            S_EMAIL_ADDR,
            {
                "value": sco_value_check("email-addr"),
                "display_name": check_string,
                "belongs_to_ref": reference_check("user-account"),
            },
        ),
        _sco(
            "file",
            S_FILE,
            {
                "hashes": check_hashes,
                "size": integer_check(0, section=S_FILE),
                "name": check_string,
                "name_enc": check_string,
                "magic_number_hex": check_hex,
                "mime_type": check_string,
                "ctime": check_timestamp,
                "mtime": check_timestamp,
                "atime": check_timestamp,
                "parent_directory_ref": reference_check("directory"),
                "contains_refs": reference_list_check(),
                "content_ref": reference_check("artifact"),
            },
        ),
    )
}
