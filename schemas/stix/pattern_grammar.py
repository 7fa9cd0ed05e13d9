"""STIX 2.1 patterning's slow route: the OASIS ANTLR grammar plus the checks it leaves out.

``patterning.validate_pattern`` sends here what its fast recogniser does not take. Kept apart
and uncompiled: the listener below subclasses the grammar's, which mypyc compiles wrongly
(hub/native.py).
"""

from __future__ import annotations

from typing import Any

from antlr4.tree.Tree import TerminalNode
from stix2patterns.exceptions import ParseException
from stix2patterns.inspector import INDEX_STAR
from stix2patterns.v21.grammars.STIXPatternListener import STIXPatternListener
from stix2patterns.v21.grammars.STIXPatternParser import STIXPatternParser
from stix2patterns.v21.pattern import Pattern
from stix2patterns.validator import run_validator

from .patterning import check_constant, invalid_pattern
from .primitives import TYPE_NAME_RE, timestamp_defect, timestamp_order_key, wrong_type
from .spec import S_INDICATOR

__all__ = ["validate_pattern_by_grammar"]


class _QualifierAudit(STIXPatternListener):  # type: ignore[misc]
    """Collects what the grammar accepts but the spec does not (qualifiers, timestamps)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def visitTerminal(self, node: TerminalNode) -> None:
        if node.symbol.type == STIXPatternParser.TimestampLiteral:
            text = node.getText()[2:-1]
            defect = timestamp_defect(text)
            if defect is not None:
                raise invalid_pattern(self.pattern, f"has timestamp t'{text}', which {defect}")

    def exitWithinQualifier(self, ctx: Any) -> None:
        number = (ctx.IntPosLiteral() or ctx.FloatPosLiteral()).getText()
        if float(number) <= 0:
            raise invalid_pattern(
                self.pattern, f"has WITHIN {number} SECONDS; the window must be > 0"
            )

    def exitRepeatedQualifier(self, ctx: Any) -> None:
        count = ctx.IntPosLiteral().getText()
        if int(count) <= 0:
            raise invalid_pattern(
                self.pattern, f"has REPEATS {count} TIMES; the count must be >= 1"
            )

    def exitStartStopQualifier(self, ctx: Any) -> None:
        start = ctx.TimestampLiteral(0).getText()[2:-1]
        stop = ctx.TimestampLiteral(1).getText()[2:-1]
        for text in (start, stop):
            defect = timestamp_defect(text)
            if defect is not None:
                raise invalid_pattern(self.pattern, f"has timestamp t'{text}', which {defect}")
        if timestamp_order_key(stop) <= timestamp_order_key(start):
            raise invalid_pattern(self.pattern, f"has STOP {stop} not later than START {start}")


def validate_pattern_by_grammar(pattern: object) -> None:
    """Judge ``pattern`` with the OASIS grammar plus the spec's extra rules (the slow route)."""
    if type(pattern) is not str:
        raise wrong_type("pattern", pattern, "a string", S_INDICATOR)
    try:
        errors = run_validator(pattern, stix_version="2.1")
        parsed = None if errors else Pattern(pattern)
    except ParseException as error:
        raise invalid_pattern(pattern, f"is not valid patterning: {error}") from error
    except Exception as error:  # stix2patterns trips over some inputs, e.g. ""
        raise invalid_pattern(pattern, f"could not be parsed ({type(error).__name__})") from error
    if parsed is None:
        raise invalid_pattern(pattern, f"is not valid patterning: {errors[0]}")
    parsed.walk(_QualifierAudit(pattern))
    for object_type, comparisons in parsed.inspect().comparisons.items():
        if TYPE_NAME_RE.fullmatch(object_type) is None or "--" in object_type:
            raise invalid_pattern(
                pattern, f"names object type {object_type!r}, which is not a valid type name"
            )
        for steps, operator, literal in comparisons:
            if operator in ("=", "!=", "NOT =", "NOT !=") and INDEX_STAR not in steps[-1:]:
                check_constant(pattern, object_type, steps, literal)
