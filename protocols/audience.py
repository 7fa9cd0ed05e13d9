"""Who receives curated intelligence: hub analysts, partners, liaison agencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from protocols.tlp import Tlp

AudienceKind = Literal["analysts", "partner", "liaison"]


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
