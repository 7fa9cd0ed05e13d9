"""Type aliases shared by the STIX validator's modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

#: A STIX object as decoded from JSON: never mutated by the validator.
StixObject: TypeAlias = dict[str, Any]

#: Checks one property value; raises StixViolation naming ``path`` if it is wrong.
PropertyCheck: TypeAlias = Callable[[Any, str], None]

#: Checks a rule spanning several properties of one object (e.g. modified >= created).
ObjectRule: TypeAlias = Callable[[StixObject], None]

#: One comparison of a pattern: object type, path steps, operator, literal as written.
Comparison: TypeAlias = tuple[str, list[str], str, str]
