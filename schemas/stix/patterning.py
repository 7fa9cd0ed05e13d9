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
same verdict; the tests hold them to the same labelled corpus.
"""

from __future__ import annotations

import re
from typing import Any, Final

from antlr4.tree.Tree import TerminalNode
from stix2patterns.exceptions import ParseException
from stix2patterns.inspector import INDEX_STAR
from stix2patterns.v21.grammars.STIXPatternListener import STIXPatternListener
from stix2patterns.v21.grammars.STIXPatternParser import STIXPatternParser
from stix2patterns.v21.pattern import Pattern
from stix2patterns.validator import run_validator

from .observables import VALUE_RULES
from .primitives import (
    TYPE_NAME_RE,
    timestamp_defect,
    timestamp_order_key,
    wrong_type,
)
from .spec import HASH_HEX_LENGTHS, S_INDICATOR, S_PATTERNING
from .structures import (
    digest_defect,
)
from .types import Comparison
from .violation import StixViolation

__all__ = ["simple_comparisons", "validate_pattern", "validate_pattern_by_grammar"]

_WS: Final = r"[ \t\r\n]"
# A quoted literal, escapes \' and \\ only; written as an unrolled loop for speed.
_STRING: Final = r"'[^'\\]*(?:\\['\\][^'\\]*)*'"
_SCO: Final = r"ipv4-addr|ipv6-addr|domain-name|url|email-addr|file|mac-addr|mutex|directory"
_NAME: Final = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH: Final = rf"{_NAME}(?:\.(?:{_NAME}|{_STRING})|\[(?:\d+|\*)\])*"
_COMPARISON: Final = rf"({_SCO}):({_PATH}){_WS}*(!?=){_WS}*({_STRING})"
#: One equality comparison of an SCO property with a string: ``url:value = '…'``.
COMPARISON_RE: Final = re.compile(_COMPARISON)
# A simple pattern is one observation of such comparisons joined by AND / OR.
_OPEN_RE: Final = re.compile(rf"\[{_WS}*")
_JOIN_RE: Final = re.compile(rf"{_WS}+(?:AND|OR){_WS}+")
_CLOSE_RE: Final = re.compile(rf"{_WS}*\]")
_PATH_STEP_RE: Final = re.compile(rf"{_STRING}|{_NAME}|\[(?:\d+|\*)\]")
_ESCAPE_RE: Final = re.compile(r"\\(.)")


def _invalid(pattern: str, reason: str) -> StixViolation:
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


def _check_constant(pattern: str, object_type: str, steps: list[Any], literal: str) -> None:
    """Reject a constant that the compared property can never hold (equality tests only)."""
    if steps == ["value"] and object_type in VALUE_RULES:
        if not literal.startswith("'"):
            raise _invalid(pattern, f"compares {object_type}:value with non-string {literal}")
        defect = VALUE_RULES[object_type][1](_unquote(literal))
        if defect is not None:
            raise _invalid(pattern, f"compares {object_type}:value with a bad constant: {defect}")
    elif (
        len(steps) >= 2
        and steps[-2] == "hashes"
        and isinstance(steps[-1], str)
        and literal.startswith("'")
    ):
        defect = digest_defect(steps[-1], _unquote(literal))
        if defect is not None:
            raise _invalid(pattern, f"compares {object_type}:hashes with a bad constant: {defect}")


def validate_pattern(pattern: str) -> None:
    """Raise StixViolation(rule="invalid-pattern") unless ``pattern`` is valid STIX 2.1."""
    if type(pattern) is not str:
        raise wrong_type("pattern", pattern, "a string", S_INDICATOR)
    comparisons = simple_comparisons(pattern)
    if comparisons is None:
        validate_pattern_by_grammar(pattern)
        return
    for object_type, steps, _, literal in comparisons:
        _check_constant(pattern, object_type, steps, literal)


class _QualifierAudit(STIXPatternListener):  # type: ignore[misc]
    """Collects what the grammar accepts but the spec does not (qualifiers, timestamps)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def visitTerminal(self, node: TerminalNode) -> None:
        if node.symbol.type == STIXPatternParser.TimestampLiteral:
            text = node.getText()[2:-1]
            defect = timestamp_defect(text)
            if defect is not None:
                raise _invalid(self.pattern, f"has timestamp t'{text}', which {defect}")

    def exitWithinQualifier(self, ctx: Any) -> None:
        number = (ctx.IntPosLiteral() or ctx.FloatPosLiteral()).getText()
        if float(number) <= 0:
            raise _invalid(self.pattern, f"has WITHIN {number} SECONDS; the window must be > 0")

    def exitRepeatedQualifier(self, ctx: Any) -> None:
        count = ctx.IntPosLiteral().getText()
        if int(count) <= 0:
            raise _invalid(self.pattern, f"has REPEATS {count} TIMES; the count must be >= 1")

    def exitStartStopQualifier(self, ctx: Any) -> None:
        start = ctx.TimestampLiteral(0).getText()[2:-1]
        stop = ctx.TimestampLiteral(1).getText()[2:-1]
        for text in (start, stop):
            defect = timestamp_defect(text)
            if defect is not None:
                raise _invalid(self.pattern, f"has timestamp t'{text}', which {defect}")
        if timestamp_order_key(stop) <= timestamp_order_key(start):
            raise _invalid(self.pattern, f"has STOP {stop} not later than START {start}")


def validate_pattern_by_grammar(pattern: str) -> None:
    """Judge ``pattern`` with the OASIS grammar plus the spec's extra rules (the slow route)."""
    if type(pattern) is not str:
        raise wrong_type("pattern", pattern, "a string", S_INDICATOR)
    try:
        errors = run_validator(pattern, stix_version="2.1")
        parsed = None if errors else Pattern(pattern)
    except ParseException as error:
        raise _invalid(pattern, f"is not valid patterning: {error}") from error
    except Exception as error:  # stix2patterns trips over some inputs, e.g. ""
        raise _invalid(pattern, f"could not be parsed ({type(error).__name__})") from error
    if parsed is None:
        raise _invalid(pattern, f"is not valid patterning: {errors[0]}")
    parsed.walk(_QualifierAudit(pattern))
    for object_type, comparisons in parsed.inspect().comparisons.items():
        if TYPE_NAME_RE.fullmatch(object_type) is None or "--" in object_type:
            raise _invalid(
                pattern, f"names object type {object_type!r}, which is not a valid type name"
            )
        for steps, operator, literal in comparisons:
            if operator in ("=", "!=", "NOT =", "NOT !=") and INDEX_STAR not in steps[-1:]:
                _check_constant(pattern, object_type, steps, literal)
