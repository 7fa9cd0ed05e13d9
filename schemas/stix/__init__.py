"""Strict, fast STIX 2.1 object validation for the admit stage.

``validate_object(obj)`` raises :class:`StixViolation` for the first defect
the STIX 2.1 specification (OASIS Standard, 2021) finds in ``obj`` and
returns None if it is valid; ``validate_pattern(pattern)`` does the same for
a STIX pattern. Neither mutates or fills in anything.
"""

from __future__ import annotations

from .patterning import validate_pattern
from .validate import validate_object
from .violation import StixViolation

__all__ = ["StixViolation", "validate_object", "validate_pattern"]
