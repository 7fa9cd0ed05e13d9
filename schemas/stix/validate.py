"""``validate_object``: the admit stage's verdict on one STIX 2.1 object.

Dispatch by type: the fast route for the common types (``fast.py``), the
reference route for every other type the spec defines (``reference.py``),
and the common-property checks alone for custom objects (§11.2) and objects
of types defined through extension definitions (§7.3). Nothing is mutated or
filled in.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from .fast import FAST_KINDS, SCO_COMMON, SDO_SRO_COMMON
from .kinds import ObjectKind, judge
from .primitives import TYPE_NAME_RE, violation, wrong_type
from .reference import REFERENCE_KINDS, parse_with_stix2
from .rules import modified_not_before_created
from .spec import S_BUNDLE, S_COMMON, S_CUSTOM_OBJECTS, S_EXTENSIONS
from .violation import StixViolation

__all__ = ["validate_object", "validate_with_reference"]

# §11.2 custom objects and §7.3 new-sdo / new-sro objects carry the SDO common
# properties; new-sco objects carry the SCO ones. type_name is set per object.
_CUSTOM_OBJECT: Final = ObjectKind(
    type_name="",
    checks=SDO_SRO_COMMON,
    required=("created", "modified"),
    rules=(modified_not_before_created,),
    section=S_CUSTOM_OBJECTS,
)
_NEW_SCO: Final = ObjectKind(
    type_name="",
    checks=SCO_COMMON,
    required=(),
    spec_version_optional=True,
    section=S_EXTENSIONS,
)


def validate_object(obj: object) -> None:
    """Raise :class:`StixViolation` for the first defect of ``obj`` under STIX 2.1; else return.

    The verdict follows the OASIS STIX 2.1 specification, not stix2's leniency:
    no property is filled in, coerced or ignored.
    """
    _validate(obj, fast=True)


def validate_with_reference(obj: object) -> None:
    """Judge ``obj`` by the reference route whatever its type (for tests and the benchmark)."""
    _validate(obj, fast=False)


def _validate(obj: object, *, fast: bool) -> None:
    try:
        if type(obj) is not dict:
            raise violation(
                None, "not-an-object", f"a STIX object is a JSON object, not {type(obj).__name__}"
            )
        object_type = _object_type(obj)
        kind = FAST_KINDS.get(object_type) if fast else None
        if kind is not None:
            judge(obj, kind)
            return
        kind = REFERENCE_KINDS.get(object_type)
        if kind is not None:
            judge(obj, kind)
            parse_with_stix2(obj, kind.section)
            return
        judge(obj, _custom_kind(obj, object_type))
    except StixViolation as defect:
        if isinstance(obj, dict):
            defect.locate(obj)
        raise


def _object_type(obj: dict[str, Any]) -> str:
    object_type = obj.get("type")
    if object_type is None:
        raise violation(
            "type", "required-property-missing", f"no 'type'; STIX 2.1 {S_COMMON} requires one"
        )
    if type(object_type) is not str:
        raise wrong_type("type", object_type, "a string", S_COMMON)
    if TYPE_NAME_RE.fullmatch(object_type) is None or "--" in object_type:
        raise violation(
            "type",
            "invalid-object-type",
            f"'type' is {object_type!r}; STIX 2.1 {S_COMMON} requires 3-250 characters of "
            "a-z, 0-9 and '-', starting with a letter",
        )
    return object_type


def _custom_kind(obj: dict[str, Any], object_type: str) -> ObjectKind:
    """The kind for a type the spec does not define, if it may exist at all."""
    if object_type == "bundle":
        raise violation(
            "type",
            "unknown-object-type",
            f"a bundle is a container, not a STIX object (STIX 2.1 {S_BUNDLE}); "
            "validate each of its objects",
        )
    extension_types = _extension_types(obj)
    if "new-sco" in extension_types:
        return replace(_NEW_SCO, type_name=object_type)
    if extension_types & {"new-sdo", "new-sro"} or object_type.startswith("x-"):
        return replace(_CUSTOM_OBJECT, type_name=object_type)
    raise violation(
        "type",
        "unknown-object-type",
        f"'type' is {object_type!r}, which STIX 2.1 does not define; custom objects "
        f"({S_CUSTOM_OBJECTS}) are admitted with an 'x-' type, and new object types with "
        f"an extension definition of extension_type new-sdo, new-sco or new-sro ({S_EXTENSIONS})",
    )


def _extension_types(obj: dict[str, Any]) -> set[Any]:
    """The extension_type values declared in ``obj``'s extensions (§7.3)."""
    extensions = obj.get("extensions")
    if type(extensions) is not dict:
        return set()
    return {
        extension.get("extension_type")
        for extension in extensions.values()
        if type(extension) is dict
    }
