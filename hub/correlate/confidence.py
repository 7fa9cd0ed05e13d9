"""Combined confidence of independent sources."""

from __future__ import annotations

from collections.abc import Iterable


def noisy_or(confidences: Iterable[int]) -> int:
    """Noisy-OR of 0-100 confidences: the chance that at least one source is right.

    Independent sources corroborate each other, so two partners at 60 give 84, more than
    either alone; a single source keeps its own value. The result is rounded to an integer
    (STIX confidence is an integer 0-100, §3.2).
    """
    doubt = 1.0
    seen = False
    for confidence in confidences:
        doubt *= 1.0 - confidence / 100.0
        seen = True
    if not seen:
        return 0
    return round(100.0 * (1.0 - doubt))
