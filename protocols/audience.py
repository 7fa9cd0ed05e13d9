"""Who receives curated intelligence: hub analysts, partners, liaison agencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from protocols.tlp import Tlp

AudienceKind = Literal["analysts", "partner", "liaison"]

# Liaison agencies the hub always exports to, besides those named in partners' consents.
DEFAULT_LIAISON_AGENCIES = ("nca", "interpol")


@dataclass(frozen=True, slots=True)
class Audience:
    """One audience of disseminate; ``name`` is the partner id or the agency."""

    kind: AudienceKind
    name: str = ""
    clearance: Tlp = Tlp.AMBER_STRICT  # analysts only: RED needs RED clearance

    @property
    def label(self) -> str:
        return self.kind if self.kind == "analysts" else f"{self.kind}:{self.name}"


HUB_ANALYSTS = Audience("analysts", clearance=Tlp.RED)


class AudienceError(ValueError):
    """An audience label that names no audience."""

    def __init__(self, label: str) -> None:
        super().__init__(
            f"{label!r} is not an audience; use 'analysts', 'partner:<id>' or 'liaison:<agency>'"
        )
        self.label = label


def audience_named(label: str) -> Audience:
    """``analysts``, ``partner:bank-meridian``, ``liaison:nca`` -> the audience (as audited)."""
    if label == "analysts":
        return HUB_ANALYSTS
    kind, _, name = label.partition(":")
    if kind == "partner" and name:
        return Audience("partner", name)
    if kind == "liaison" and name:
        return Audience("liaison", name)
    raise AudienceError(label)
