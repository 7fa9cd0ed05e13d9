"""Checks for the STIX 2.1 common data types (§2) and common property rules (§3).

Each ``check_*`` takes a raw JSON value and the property path it sits at and
raises :class:`StixViolation` on the first defect. They use precompiled regular
expressions and exact ``type()`` tests (JSON has no subclasses; ``True`` is not
an integer here): the admit stage runs them on every property of every object.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, Final

from .spec import (
    KNOWN_TYPES,
    S_BOOLEAN,
    S_COMMON,
    S_CUSTOM_PROPERTIES,
    S_FLOAT,
    S_HEX,
    S_IDENTIFIER,
    S_INTEGER,
    S_LIST,
    S_PROPERTY_NAMES,
    S_STRING,
    S_TIMESTAMP,
)
from .types import PropertyCheck
from .violation import StixViolation

# §2.9: <object-type>--<RFC 4122 UUID>. Type names follow §3.1 / §11.2 (a-z,
# 0-9, '-', 3-250 characters, starting with a letter); OASIS's own 2.1 JSON
# schema for identifiers adds that the type ends with a letter or digit.
TYPE_NAME_RE: Final = re.compile(r"[a-z][a-z0-9-]{1,248}[a-z0-9]")
UUID_RE: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)
# §2.15: YYYY-MM-DDTHH:mm:ss[.s+]Z; the day-of-month and leap second are
# checked in code. Digits are ASCII 0-9 (RFC 3339 DIGIT): `\d` would also take "２０２４".
TIMESTAMP_RE: Final = re.compile(
    r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(?:\.([0-9]+))?Z"
)
# §11.1 custom property names, with §3.1's "begins with an alpha character".
PROPERTY_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]{2,249}")
# §2.3 dictionary keys (also §2.7 hash names): ASCII letters, digits, '-', '_'.
DICTIONARY_KEY_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,250}")
HASH_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]{3,250}")
HEX_RE: Final = re.compile(r"[0-9a-fA-F]+")
# RFC 5646 language tag, shape only: primary subtag then subtags.
LANGUAGE_TAG_RE: Final = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")

_DAYS_IN_MONTH: Final = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def violation(path: str | None, rule: str, detail: str) -> StixViolation:
    """Build a violation for the property at ``path`` (object id/type are added later)."""
    return StixViolation(rule=rule, detail=detail, property=path)


def json_type_name(value: Any) -> str:
    """Name a decoded JSON value's type the way the spec's tables do."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dictionary"
    return type(value).__name__


def wrong_type(path: str, value: Any, expected: str, section: str) -> StixViolation:
    """The violation for a value of the wrong JSON type (no coercion, unlike stix2)."""
    return violation(
        path,
        "invalid-type",
        f"'{path}' is {json_type_name(value)} {value!r}; STIX 2.1 {section} requires {expected}",
    )


# --- timestamps (§2.15) -----------------------------------------------------


def timestamp_defect(value: str) -> str | None:
    """Say what is wrong with a timestamp string, or None if it is a real RFC 3339 UTC instant."""
    match = TIMESTAMP_RE.fullmatch(value)
    if match is None:
        return "is not of the form YYYY-MM-DDTHH:mm:ss[.s+]Z (RFC 3339, UTC, 'Z')"
    day = match[3]
    if day > "28":
        year, month = int(match[1]), int(match[2])
        last = _DAYS_IN_MONTH[month]
        if month == 2 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
            last = 28
        if int(day) > last:
            return "is not a real date"
    if match[6] == "60" and (match[4] != "23" or match[5] != "59"):
        return "has second 60 outside a leap second (23:59:60)"
    return None


def check_timestamp(value: Any, path: str) -> None:
    """§2.15: an RFC 3339 timestamp in UTC with the 'Z' designator, on a real date."""
    if type(value) is not str:
        raise wrong_type(path, value, "a timestamp string", S_TIMESTAMP)
    defect = timestamp_defect(value)
    if defect is not None:
        raise violation(
            path,
            "invalid-timestamp",
            f"'{path}' is {value!r}, which {defect}; STIX 2.1 {S_TIMESTAMP} requires "
            "YYYY-MM-DDTHH:mm:ss[.s+]Z",
        )


def check_timestamp_ms(value: Any, path: str) -> None:
    """§3.2 created/modified: a §2.15 timestamp of at least millisecond precision."""
    check_timestamp(value, path)
    dot = value.find(".")
    if dot < 0 or len(value) - dot - 2 < 3:
        raise violation(
            path,
            "invalid-timestamp-precision",
            f"'{path}' is {value!r}; STIX 2.1 {S_COMMON} requires at least millisecond "
            "precision (three digits after the decimal point in seconds)",
        )


def timestamp_order_key(value: str) -> tuple[str, str]:
    """Sort key for a validated timestamp: whole seconds, then the fraction without trailing 0s."""
    if len(value) == 20:
        return value[:19], ""
    return value[:19], value[20:-1].rstrip("0")


# --- identifiers (§2.9) -----------------------------------------------------


def identifier_type(value: str) -> str | None:
    """The object type an identifier names, or None if it is not <type>--<RFC 4122 UUID>."""
    type_part, dashes, uuid_part = value.partition("--")
    if not dashes or UUID_RE.fullmatch(uuid_part) is None:
        return None
    if type_part in KNOWN_TYPES or TYPE_NAME_RE.fullmatch(type_part) is not None:
        return type_part
    return None


def identifier_defect(value: str) -> str | None:
    """Say what is wrong with an identifier's shape, or None if it is <type>--<UUID>."""
    if identifier_type(value) is not None:
        return None
    type_part, dashes, uuid_part = value.partition("--")
    if not dashes:
        return "has no '--' between object type and UUID"
    if TYPE_NAME_RE.fullmatch(type_part) is None or "--" in type_part:
        return f"has {type_part!r} as object type, which is not a valid type name"
    return (
        f"has {uuid_part!r} as UUID, which is not an RFC 4122 UUID "
        "(8-4-4-4-12 hex digits with hyphens, version 1-5, RFC 4122 variant)"
    )


def check_reference(
    value: Any,
    path: str,
    allowed: Collection[str] | None = None,
    forbidden: Collection[str] = (),
    *,
    custom_allowed: bool = False,
) -> None:
    """§2.9 identifier pointing at an object whose type is in ``allowed`` (None: any type).

    With ``custom_allowed``, types the spec does not define (custom objects,
    §11.2) also pass, since their category cannot be known.
    """
    if type(value) is not str:
        raise wrong_type(path, value, "an identifier string", S_IDENTIFIER)
    target = identifier_type(value)
    if target is None:
        raise violation(
            path,
            "invalid-identifier",
            f"'{path}' is {value!r}, which {identifier_defect(value)}; STIX 2.1 "
            f"{S_IDENTIFIER} requires <object-type>--<UUID>",
        )
    if target in forbidden or (
        allowed is not None
        and target not in allowed
        and not (custom_allowed and _is_custom(target))
    ):
        raise violation(
            path,
            "invalid-reference-type",
            f"'{path}' refers to a {target}; STIX 2.1 {S_COMMON} requires a reference to "
            f"{_describe_targets(allowed, forbidden)}",
        )


def reference_check(*types: str) -> PropertyCheck:
    """Make a check for an identifier referring to an object of one of ``types``."""
    allowed = frozenset(types)

    def check_typed_reference(value: Any, path: str) -> None:
        check_reference(value, path, allowed)

    return check_typed_reference


def _is_custom(type_name: str) -> bool:
    return type_name not in KNOWN_TYPES


def _describe_targets(allowed: Collection[str] | None, forbidden: Collection[str]) -> str:
    if allowed is None:
        return "any type but " + ", ".join(sorted(forbidden))
    if len(allowed) <= 4:
        return " or ".join(sorted(allowed))
    return "a different kind of object"


# --- scalars ----------------------------------------------------------------


def check_string(value: Any, path: str) -> None:
    """§2.14: a JSON string."""
    if type(value) is not str:
        raise wrong_type(path, value, "a string", S_STRING)


def check_boolean(value: Any, path: str) -> None:
    """§2.2: JSON true or false (not "true", not 1)."""
    if type(value) is not bool:
        raise wrong_type(path, value, "a boolean (true or false)", S_BOOLEAN)


def integer_check(
    minimum: int | None = None,
    maximum: int | None = None,
    *,
    rule: str = "value-out-of-range",
    section: str = S_INTEGER,
) -> PropertyCheck:
    """Make a check for a §2.10 integer within [minimum, maximum]."""

    def check_integer(value: Any, path: str) -> None:
        if type(value) is not int:
            raise wrong_type(path, value, "an integer", section)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            low = "" if minimum is None else f" >= {minimum}"
            high = "" if maximum is None else f" <= {maximum}"
            joined = f"{low} and{high}" if low and high else low or high
            raise violation(
                path, rule, f"'{path}' is {value}; STIX 2.1 {section} requires an integer{joined}"
            )

    return check_integer


def float_check(minimum: float | None = None, maximum: float | None = None) -> PropertyCheck:
    """Make a check for a §2.6 float within [minimum, maximum]."""

    def check_float(value: Any, path: str) -> None:
        if type(value) is not float and type(value) is not int:
            raise wrong_type(path, value, "a number", S_FLOAT)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise violation(
                path,
                "value-out-of-range",
                f"'{path}' is {value}; STIX 2.1 {S_FLOAT} requires a number in "
                f"[{minimum}, {maximum}]",
            )

    return check_float


#: §3.2 confidence: an integer 0-100.
check_confidence: Final = integer_check(0, 100, rule="confidence-out-of-range", section=S_COMMON)


def enum_check(allowed: Collection[str], section: str) -> PropertyCheck:
    """Make a check for a closed vocabulary (enumeration, §2.4)."""
    choices = frozenset(allowed)

    def check_enum(value: Any, path: str) -> None:
        if type(value) is not str:
            raise wrong_type(path, value, "a string", section)
        if value not in choices:
            raise violation(
                path,
                "invalid-enum-value",
                f"'{path}' is {value!r}; STIX 2.1 {section} allows only "
                + ", ".join(repr(c) for c in sorted(choices)),
            )

    return check_enum


def check_hex(value: Any, path: str) -> None:
    """§2.8 hex: a string of hexadecimal digit pairs."""
    if type(value) is not str:
        raise wrong_type(path, value, "a hex string", S_HEX)
    if HEX_RE.fullmatch(value) is None or len(value) % 2:
        raise violation(
            path,
            "invalid-hex",
            f"'{path}' is {value!r}; STIX 2.1 {S_HEX} requires pairs of hex digits",
        )


def check_language_tag(value: Any, path: str) -> None:
    """§3.2 lang: an RFC 5646 language tag."""
    if type(value) is not str:
        raise wrong_type(path, value, "an RFC 5646 language tag string", S_COMMON)
    if LANGUAGE_TAG_RE.fullmatch(value) is None:
        raise violation(
            path,
            "invalid-language-tag",
            f"'{path}' is {value!r}; STIX 2.1 {S_COMMON} requires an RFC 5646 language tag",
        )


# --- lists (§2.12) ----------------------------------------------------------


def non_empty_list(value: Any, path: str) -> list[Any]:
    """Return ``value`` if it is a non-empty JSON list (§2.12), else raise."""
    if type(value) is not list:
        raise wrong_type(path, value, "a list", S_LIST)
    if not value:
        raise violation(path, "empty-list", f"'{path}' is an empty list; STIX 2.1 {S_LIST} forbids")
    return value


def check_string_list(value: Any, path: str) -> None:
    """A non-empty list of strings (e.g. labels, §3.2)."""
    for index, entry in enumerate(non_empty_list(value, path)):
        if type(entry) is not str:
            raise wrong_type(f"{path}[{index}]", entry, "a string", S_STRING)


def reference_list_check(
    allowed: Collection[str] | None = None,
    forbidden: Collection[str] = (),
    *,
    custom_allowed: bool = False,
) -> PropertyCheck:
    """Make a check for a non-empty list of identifiers to objects of the ``allowed`` types."""
    allowed_set = None if allowed is None else frozenset(allowed)
    forbidden_set = frozenset(forbidden)

    def check_reference_list(value: Any, path: str) -> None:
        for index, ref in enumerate(non_empty_list(value, path)):
            # Fast accept for the common case, full check (and message) otherwise.
            if type(ref) is str:
                target = identifier_type(ref)
                if (
                    target is not None
                    and (allowed_set is None or target in allowed_set)
                    and target not in forbidden_set
                ):
                    continue
            check_reference(
                ref,
                f"{path}[{index}]",
                allowed_set,
                forbidden_set,
                custom_allowed=custom_allowed,
            )

    return check_reference_list


#: §3.2 object_marking_refs: marking-definition identifiers.
check_marking_refs: Final = reference_list_check(("marking-definition",))


# --- property names (§3.1, §11.1) -------------------------------------------


def check_custom_property_name(name: str) -> None:
    """§11.1: a property the spec does not define must have a valid custom name."""
    if type(name) is not str or PROPERTY_NAME_RE.fullmatch(name) is None:
        raise violation(
            str(name),
            "invalid-custom-property-name",
            f"property name {name!r} is not a STIX 2.1 name: {S_CUSTOM_PROPERTIES} and "
            f"{S_PROPERTY_NAMES} require 3-250 characters of a-z, 0-9 and '_', starting "
            "with a letter (and custom names SHOULD start with x_)",
        )
