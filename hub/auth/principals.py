"""Who is calling the hub's API: a partner, an analyst, a liaison officer or an operator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from protocols.tlp import Tlp

PrincipalKind = Literal["partner", "analyst", "liaison", "admin"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    ``name`` is the partner id for partners, the agency for liaison officers, the account
    name for analysts and admins; ``account`` names the person or system that logged in.
    ``clearance`` is the highest TLP level an analyst may read (None for everyone else).
    """

    kind: PrincipalKind
    name: str
    account: str = ""
    clearance: Tlp | None = None

    @property
    def label(self) -> str:
        """``partner:isp-northnet``, ``liaison:nca``, ``analyst:ana``, ``admin:ops``."""
        return f"{self.kind}:{self.name}"

    def is_partner(self, partner_id: str) -> bool:
        return self.kind == "partner" and self.name == partner_id
