"""STIX 2.1 patterning (§9): a fast recogniser for simple patterns, the grammar for the rest.

Most shared indicators carry one observation of one or a few ``=``
comparisons (``[ipv4-addr:value = '198.51.100.7']``). Those are recognised by
a tokeniser of three precompiled regular expressions and judged here in a
couple of microseconds. Anything
else goes to the OASIS ANTLR grammar (``stix2patterns``), followed by the
checks that grammar leaves out: qualifiers that make no sense (``WITHIN 0
SECONDS``, ``REPEATS 0 TIMES``, ``START`` not before ``STOP``), timestamp
literals that are not real instants, malformed object type names, and
constants that cannot be what the path compares them with
(``ipv4-addr:value = 'not-an-ip'``, a 3-digit SHA-256). Both routes reach the
same verdict; the tests hold them to the same labelled corpus. The grammar's route is in
``pattern_grammar``: its listener subclasses the grammar's, which mypyc cannot compile.
"""

from __future__ import annotations

import re
from typing import Any, Final

from .observables import VALUE_RULES
from .primitives import (
    wrong_type,
)
from .spec import HASH_HEX_LENGTHS, S_INDICATOR, S_PATTERNING
from .structures import (
    digest_defect,
)
from .types import Comparison
from .violation import StixViolation

__all__ = ["check_constant", "invalid_pattern", "simple_comparisons", "validate_pattern"]

_WS: Final = r"[ \t\r\n]"
# A quoted literal, escapes \' and \\ only; written as an unrolled loop for speed.
_STRING: Final = r"'[^'\\]*(?:\\['\\][^'\\]*)*'"
_SCO: Final = r"ipv4-addr|ipv6-addr|domain-name|url|email-addr|file|mac-addr|mutex|directory"
_NAME: Final = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH: Final = rf"{_NAME}(?:\.(?:{_NAME}|{_STRING})|\[(?:[0-9]+|\*)\])*"
_COMPARISON: Final = rf"({_SCO}):({_PATH}){_WS}*(!?=){_WS}*({_STRING})"
#: One equality comparison of an SCO property with a string: ``url:value = '…'``.
COMPARISON_RE: Final = re.compile(_COMPARISON)
# A simple pattern is one observation of such comparisons joined by AND / OR.
_OPEN_RE: Final = re.compile(rf"\[{_WS}*")
_JOIN_RE: Final = re.compile(rf"{_WS}+(?:AND|OR){_WS}+")
_CLOSE_RE: Final = re.compile(rf"{_WS}*\]")
_PATH_STEP_RE: Final = re.compile(rf"{_STRING}|{_NAME}|\[(?:[0-9]+|\*)\]")
_ESCAPE_RE: Final = re.compile(r"\\(.)")


def invalid_pattern(pattern: str, reason: str) -> StixViolation:
    return StixViolation(
        rule="invalid-pattern",
        property="pattern",
        detail=f"pattern {pattern!r} {reason} (STIX 2.1 {S_PATTERNING})",
    )


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return _ESCAPE_RE.sub(r"\1", body) if "\\" in body else body


def simple_comparisons(pattern: str) -> list[Comparison] | None:
    """The comparisons of a simple pattern, or None if the fast recogniser does not cover it."""
    opened = _OPEN_RE.match(pattern)
    if opened is None:
        return None
    comparisons: list[Comparison] = []
    position = opened.end()
    while True:
        found = COMPARISON_RE.match(pattern, position)
        if found is None:
            return None
        steps = _steps(found[2])
        # Hash names the grammar route judges differently stay with the grammar.
        if "hashes" in steps and _hash_key(steps[-1]) not in HASH_HEX_LENGTHS:
            return None
        comparisons.append((found[1], steps, found[3], found[4]))
        position = found.end()
        joined = _JOIN_RE.match(pattern, position)
        if joined is None:
            break
        position = joined.end()
    if _CLOSE_RE.fullmatch(pattern, position) is None:
        return None
    return comparisons


def _steps(path: str) -> list[str]:
    if path.isidentifier():
        return [path]
    if path.startswith("hashes.") and path.count(".") == 1:
        key = path[7:]
        return ["hashes", _unquote(key) if key[0] == "'" else key]
    return [_unquote(step) if step[0] == "'" else step for step in _PATH_STEP_RE.findall(path)]


def _hash_key(name: str) -> str:
    return name.upper().replace("-", "").replace("_", "")


def check_constant(pattern: str, object_type: str, steps: list[Any], literal: str) -> None:
    """Reject a constant that the compared property can never hold (equality tests only)."""
    if steps == ["value"] and object_type in VALUE_RULES:
        if not literal.startswith("'"):
            raise invalid_pattern(
                pattern, f"compares {object_type}:value with non-string {literal}"
            )
        defect = VALUE_RULES[object_type][1](_unquote(literal))
        if defect is not None:
            raise invalid_pattern(
                pattern, f"compares {object_type}:value with a bad constant: {defect}"
            )
    elif (
        len(steps) >= 2
        and steps[-2] == "hashes"
        and isinstance(steps[-1], str)
        and literal.startswith("'")
    ):
        defect = digest_defect(steps[-1], _unquote(literal))
        if defect is not None:
            raise invalid_pattern(
                pattern, f"compares {object_type}:hashes with a bad constant: {defect}"
            )


def validate_pattern(pattern: object) -> None:
    """Raise StixViolation(rule="invalid-pattern") unless ``pattern`` is valid STIX 2.1."""
    if type(pattern) is not str:
        raise wrong_type("pattern", pattern, "a string", S_INDICATOR)
    comparisons = simple_comparisons(pattern)
    if comparisons is None:
        # The grammar's route is a module of its own, left uncompiled (hub/native.py); it
        # is imported here, on the rare pattern that needs it, as it imports this module.
        from .pattern_grammar import validate_pattern_by_grammar

        validate_pattern_by_grammar(pattern)
        return
    for object_type, steps, _, literal in comparisons:
        check_constant(pattern, object_type, steps, literal)
