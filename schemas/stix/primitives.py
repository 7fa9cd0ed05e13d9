"""Checks for the STIX 2.1 common data types (§2) and common property rules (§3).

Each ``check_*`` takes a raw JSON value and the property path it sits at and
raises :class:`StixViolation` on the first defect. They use precompiled regular
expressions and plain ``type()`` tests: the admit stage runs them on every
object, so they stay allocation-free on the happy path.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, Final

from .spec import (
    S_BOOLEAN,
    S_COMMON,
    S_DICTIONARY,
    S_FLOAT,
    S_HEX,
    S_CUSTOM_PROPERTIES,
    S_EXTERNAL_REFERENCE,
    S_GRANULAR_MARKING,
    S_HASHES,
    S_IDENTIFIER,
    S_INTEGER,
    S_KILL_CHAIN_PHASE,
    S_LIST,
    S_PROPERTY_NAMES,
    S_STRING,
    S_TIMESTAMP,
    HASH_HEX_LENGTHS,
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
IDENTIFIER_RE: Final = re.compile(
    r"([a-z][a-z0-9-]{1,248}[a-z0-9])--([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}"
    r"-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})"
)
# §2.15: YYYY-MM-DDTHH:mm:ss[.s+]Z; the day-of-month and leap second are
# checked in code.
TIMESTAMP_RE: Final = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)"
    r"(?:\.(\d+))?Z"
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


def identifier_defect(value: str) -> str | None:
    """Say what is wrong with an identifier's shape, or None if it is <type>--<UUID>."""
    if IDENTIFIER_RE.fullmatch(value) is not None:
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
    match = IDENTIFIER_RE.fullmatch(value)
    if match is None:
        raise violation(
            path,
            "invalid-identifier",
            f"'{path}' is {value!r}, which {identifier_defect(value)}; STIX 2.1 "
            f"{S_IDENTIFIER} requires <object-type>--<UUID>",
        )
    target = match[1]
    if target in forbidden or (
        allowed is not None and target not in allowed and not (custom_allowed and _is_custom(target))
    ):
        expected = (
            "any type but " + ", ".join(sorted(forbidden))
            if allowed is None
            else " or ".join(sorted(allowed)) if len(allowed) <= 4 else "a different kind of object"
        )
        raise violation(
            path,
            "invalid-reference-type",
            f"'{path}' refers to a {target}; STIX 2.1 {S_COMMON} requires it to refer to {expected}",
        )


def _is_custom(type_name: str) -> bool:
    from .spec import KNOWN_TYPES

    return type_name not in KNOWN_TYPES


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
            path, "invalid-hex", f"'{path}' is {value!r}; STIX 2.1 {S_HEX} requires pairs of hex digits"
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


def list_check(item: PropertyCheck) -> PropertyCheck:
    """Make a check for a non-empty list whose items all pass ``item``."""

    def check_list(value: Any, path: str) -> None:
        for index, entry in enumerate(non_empty_list(value, path)):
            item(entry, f"{path}[{index}]")

    return check_list


def check_string_list(value: Any, path: str) -> None:
    """A non-empty list of strings (e.g. labels, §3.2)."""
    for entry in non_empty_list(value, path):
        if type(entry) is not str:
            index = value.index(entry)
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
                match = IDENTIFIER_RE.fullmatch(ref)
                if match is not None and (allowed_set is None or match[1] in allowed_set):
                    if match[1] not in forbidden_set:
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


# --- dictionaries, hashes (§2.3, §2.7) --------------------------------------


def check_dictionary(value: Any, path: str) -> None:
    """§2.3: a JSON object with keys of 1-250 ASCII letters, digits, '-' or '_'."""
    if type(value) is not dict:
        raise wrong_type(path, value, "a dictionary", S_DICTIONARY)
    for key in value:
        if DICTIONARY_KEY_RE.fullmatch(key) is None:
            raise violation(
                f"{path}.{key}",
                "invalid-dictionary-key",
                f"key {key!r} of '{path}' breaks STIX 2.1 {S_DICTIONARY} (1-250 of a-z A-Z 0-9 - _)",
            )


def check_hashes(value: Any, path: str) -> None:
    """§2.7 hashes: algorithm name -> hex digest of that algorithm's length."""
    if type(value) is not dict:
        raise wrong_type(path, value, "a hashes dictionary", S_HASHES)
    if not value:
        raise violation(path, "empty-hashes", f"'{path}' is empty; STIX 2.1 {S_HASHES} needs one")
    for name, digest in value.items():
        where = f"{path}.{name}"
        if HASH_NAME_RE.fullmatch(name) is None:
            raise violation(
                where,
                "invalid-hash-name",
                f"hash algorithm name {name!r} breaks STIX 2.1 {S_HASHES} "
                "(3-250 of a-z A-Z 0-9 - _)",
            )
        if type(digest) is not str:
            raise wrong_type(where, digest, "a string", S_HASHES)
        hash_defect = digest_defect(name, digest)
        if hash_defect is not None:
            raise violation(where, "invalid-hash", hash_defect)


def digest_defect(algorithm: str, digest: str) -> str | None:
    """Say what is wrong with ``digest`` as a hash by ``algorithm``, or None."""
    known = HASH_HEX_LENGTHS.get(algorithm.upper().replace("-", "").replace("_", ""))
    if known is None:
        return None
    label, length = known
    if len(digest) != length or HEX_RE.fullmatch(digest) is None:
        return (
            f"{digest!r} is not a {label} hash; STIX 2.1 {S_HASHES} (hash-algorithm-ov) "
            f"requires {length} hex digits"
        )
    return None


# --- embedded types (§2.5, §2.11, §7.2.3, §7.3) -----------------------------


def check_external_references(value: Any, path: str) -> None:
    """§2.5: each entry has a source_name and one of description, url or external_id."""
    for index, ref in enumerate(non_empty_list(value, path)):
        where = f"{path}[{index}]"
        if type(ref) is not dict:
            raise wrong_type(where, ref, "an external-reference object", S_EXTERNAL_REFERENCE)
        if "source_name" not in ref:
            raise violation(
                f"{where}.source_name",
                "required-property-missing",
                f"'{where}' has no source_name; STIX 2.1 {S_EXTERNAL_REFERENCE} requires it",
            )
        for key, item in ref.items():
            if key == "hashes":
                check_hashes(item, f"{where}.hashes")
            elif key in ("source_name", "description", "url", "external_id"):
                check_string(item, f"{where}.{key}")
        if "description" not in ref and "url" not in ref and "external_id" not in ref:
            raise violation(
                where,
                "at-least-one-property-required",
                f"'{where}' has only a source_name; STIX 2.1 {S_EXTERNAL_REFERENCE} requires "
                "at least one of description, url or external_id",
            )


def check_kill_chain_phases(value: Any, path: str) -> None:
    """§2.11: each phase has string kill_chain_name and phase_name."""
    for index, phase in enumerate(non_empty_list(value, path)):
        where = f"{path}[{index}]"
        if type(phase) is not dict:
            raise wrong_type(where, phase, "a kill-chain-phase object", S_KILL_CHAIN_PHASE)
        for key in ("kill_chain_name", "phase_name"):
            if key not in phase:
                raise violation(
                    f"{where}.{key}",
                    "required-property-missing",
                    f"'{where}' has no {key}; STIX 2.1 {S_KILL_CHAIN_PHASE} requires it",
                )
            check_string(phase[key], f"{where}.{key}")


def check_granular_markings(value: Any, path: str) -> None:
    """§7.2.3: selectors plus exactly one of marking_ref or lang."""
    for index, marking in enumerate(non_empty_list(value, path)):
        where = f"{path}[{index}]"
        if type(marking) is not dict:
            raise wrong_type(where, marking, "a granular-marking object", S_GRANULAR_MARKING)
        if "selectors" not in marking:
            raise violation(
                f"{where}.selectors",
                "required-property-missing",
                f"'{where}' has no selectors; STIX 2.1 {S_GRANULAR_MARKING} requires them",
            )
        check_string_list(marking["selectors"], f"{where}.selectors")
        has_ref, has_lang = "marking_ref" in marking, "lang" in marking
        if has_ref == has_lang:
            raise violation(
                where,
                "mutually-exclusive-properties",
                f"'{where}' must have exactly one of marking_ref or lang "
                f"(STIX 2.1 {S_GRANULAR_MARKING})",
            )
        if has_ref:
            check_reference(marking["marking_ref"], f"{where}.marking_ref", ("marking-definition",))
        else:
            check_language_tag(marking["lang"], f"{where}.lang")


def check_extensions(value: Any, path: str) -> None:
    """§7.3: extension-definition id (or predefined extension name) -> extension object."""
    from .spec import EXTENSION_TYPES, S_EXTENSIONS

    if type(value) is not dict:
        raise wrong_type(path, value, "a dictionary of extensions", S_EXTENSIONS)
    if not value:
        raise violation(path, "empty-extensions", f"'{path}' is empty; STIX 2.1 {S_EXTENSIONS}")
    for key, extension in value.items():
        where = f"{path}.{key}"
        if key.startswith("extension-definition--"):
            check_reference(key, where, ("extension-definition",))
        elif DICTIONARY_KEY_RE.fullmatch(key) is None:
            raise violation(
                where,
                "invalid-extension-name",
                f"extension key {key!r} is neither an extension-definition id nor a "
                f"valid extension name (STIX 2.1 {S_EXTENSIONS})",
            )
        if type(extension) is not dict:
            raise wrong_type(where, extension, "an extension object", S_EXTENSIONS)
        if "extension_type" in extension and extension["extension_type"] not in EXTENSION_TYPES:
            raise violation(
                f"{where}.extension_type",
                "invalid-enum-value",
                f"extension_type is {extension['extension_type']!r}; STIX 2.1 {S_EXTENSIONS} "
                "allows " + ", ".join(sorted(EXTENSION_TYPES)),
            )


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
