"""How one object type is judged: its property checks, required properties and rules.

An :class:`ObjectKind` is plain data; :func:`judge` applies one to an object.
The fast route's kinds are written by hand (``fast.py``); the reference
route's are derived from stix2's declarations (``reference.py``). Both share
the envelope (type, id, spec_version) and the cross-property rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .primitives import (
    UUID_RE,
    check_custom_property_name,
    identifier_defect,
    violation,
    wrong_type,
)
from .spec import S_COMMON, S_IDENTIFIER, SDO_SRO_COMMON_REQUIRED, SPEC_VERSION
from .types import ObjectRule, PropertyCheck, StixObject


@dataclass(frozen=True, slots=True)
class ObjectKind:
    """The rules for one object type (``"indicator"``, ``"ipv4-addr"`` …)."""

    type_name: str
    #: Check for each property the spec defines for this type; others must be custom (§11.1).
    checks: Mapping[str, PropertyCheck]
    #: Properties that must be present, in the order they are looked for.
    required: tuple[str, ...]
    #: Rules spanning several properties, run after every property passed.
    rules: tuple[ObjectRule, ...] = ()
    #: SCOs (§6) may omit spec_version; everything else must say "2.1".
    spec_version_optional: bool = False
    #: The spec section defining this type, quoted in violation details.
    section: str = S_COMMON


_COMMON_REQUIRED = frozenset(SDO_SRO_COMMON_REQUIRED)


def checked_by_envelope(value: Any, path: str) -> None:
    """Placeholder check for type, id and spec_version, which :func:`check_envelope` judges."""


def check_envelope(obj: StixObject, kind: ObjectKind) -> None:
    """§2.9 / §3.2: the id names this type and is a UUID; spec_version is "2.1"."""
    if "id" not in obj:
        raise violation(
            "id", "required-property-missing", f"no 'id'; STIX 2.1 {S_COMMON} requires one"
        )
    object_id = obj["id"]
    if type(object_id) is not str:
        raise wrong_type("id", object_id, "an identifier string", S_IDENTIFIER)
    prefix_length = len(kind.type_name) + 2
    if not (
        object_id.startswith(kind.type_name)
        and object_id[prefix_length - 2 : prefix_length] == "--"
        and UUID_RE.fullmatch(object_id, prefix_length) is not None
    ):
        defect = identifier_defect(object_id)
        if defect is None:
            raise violation(
                "id",
                "identifier-type-mismatch",
                f"'id' is {object_id!r} but 'type' is {kind.type_name!r}; STIX 2.1 "
                f"{S_IDENTIFIER} requires the id to start with '{kind.type_name}--'",
            )
        raise violation(
            "id",
            "invalid-identifier",
            f"'id' is {object_id!r}, which {defect}; STIX 2.1 {S_IDENTIFIER} requires "
            "<object-type>--<UUID>",
        )
    spec_version = obj.get("spec_version")
    if spec_version is None and not kind.spec_version_optional:
        raise violation(
            "spec_version",
            "required-property-missing",
            f"no 'spec_version'; STIX 2.1 {S_COMMON} requires \"2.1\" on this object",
        )
    if spec_version is not None and spec_version != SPEC_VERSION:
        raise violation(
            "spec_version",
            "invalid-spec-version",
            f"'spec_version' is {spec_version!r}; STIX 2.1 {S_COMMON} requires \"2.1\"",
        )


def judge(obj: StixObject, kind: ObjectKind) -> None:
    """Raise the first defect of ``obj`` under ``kind``; the caller has matched its type."""
    check_envelope(obj, kind)
    for name in kind.required:
        if name not in obj:
            section = S_COMMON if name in _COMMON_REQUIRED else kind.section
            raise violation(
                name,
                "required-property-missing",
                f"no '{name}'; STIX 2.1 {section} requires it on every {kind.type_name}",
            )
    checks = kind.checks
    for name, value in obj.items():
        check = checks.get(name)
        if check is None:
            check_custom_property_name(name)
        else:
            check(value, name)
    for rule in kind.rules:
        rule(obj)
