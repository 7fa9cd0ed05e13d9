"""Checks for the STIX 2.1 types with inner structure (§2.3, §2.5, §2.7, §2.11, §7.2.3, §7.3).

Dictionaries, hashes, external references, kill-chain phases, granular
markings and extensions: each check raises :class:`StixViolation` naming the
path inside the property (``external_references[0].source_name``).
"""

from __future__ import annotations

from typing import Any

from .primitives import (
    DICTIONARY_KEY_RE,
    HASH_NAME_RE,
    HEX_RE,
    check_language_tag,
    check_reference,
    check_string,
    check_string_list,
    non_empty_list,
    violation,
    wrong_type,
)
from .spec import (
    EXTENSION_TYPES,
    HASH_HEX_LENGTHS,
    S_DICTIONARY,
    S_EXTENSIONS,
    S_EXTERNAL_REFERENCE,
    S_GRANULAR_MARKING,
    S_HASHES,
    S_KILL_CHAIN_PHASE,
)

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
                f"key {key!r} of '{path}' breaks STIX 2.1 {S_DICTIONARY} "
                "(1-250 of a-z A-Z 0-9 - _)",
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
