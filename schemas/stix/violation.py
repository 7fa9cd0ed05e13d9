"""The one exception the STIX validator raises: a single defect of a single object."""

from __future__ import annotations

from typing import Any

__all__ = ["StixViolation"]


class StixViolation(Exception):
    """One defect of one STIX object, as judged against the STIX 2.1 specification.

    ``rule`` is a short, stable reason code (``"invalid-timestamp"``,
    ``"confidence-out-of-range"`` …) that callers and tests can switch on;
    ``detail`` is a sentence for people that names the property, the offending
    value and the spec section that decides it.
    """

    object_id: str | None
    object_type: str | None
    property: str | None
    rule: str
    detail: str

    def __init__(
        self,
        *,
        rule: str,
        detail: str,
        property: str | None = None,
        object_id: str | None = None,
        object_type: str | None = None,
    ) -> None:
        super().__init__(rule, detail)
        self.rule = rule
        self.detail = detail
        self.property = property
        self.object_id = object_id
        self.object_type = object_type

    def locate(self, obj: dict[str, Any]) -> StixViolation:
        """Attach the id and type of the object the defect was found in, if not yet known."""
        if self.object_id is None:
            object_id = obj.get("id")
            if object_id is not None:
                self.object_id = object_id if isinstance(object_id, str) else repr(object_id)
        if self.object_type is None:
            object_type = obj.get("type")
            if object_type is not None:
                self.object_type = (
                    object_type if isinstance(object_type, str) else repr(object_type)
                )
        return self

    def __str__(self) -> str:
        where = self.object_id or self.object_type or "object"
        if self.property is not None:
            where = f"{where} {self.property}"
        return f"{where}: {self.rule}: {self.detail}"

    def __repr__(self) -> str:
        return (
            f"StixViolation(rule={self.rule!r}, property={self.property!r}, "
            f"object_id={self.object_id!r}, detail={self.detail!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only construction: teach pickle/copy how to rebuild us.
        return (
            _rebuild,
            (self.rule, self.detail, self.property, self.object_id, self.object_type),
        )


def _rebuild(
    rule: str,
    detail: str,
    property: str | None,
    object_id: str | None,
    object_type: str | None,
) -> StixViolation:
    return StixViolation(
        rule=rule,
        detail=detail,
        property=property,
        object_id=object_id,
        object_type=object_type,
    )
