"""Partner agreements: one YAML file per partner, validated here.

The agreement is the partner's sharing protocol with the hub (DESIGN.md, "Sharing
protocols"); errors name the file, the field and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from protocols.tlp import Tlp, level_named

Sector = Literal["isp", "bank", "av-vendor", "cert", "telecom", "payments", "other"]
Attribution = Literal["named", "sector", "anonymous"]
PiiClass = Literal["email", "account-number", "card-number", "person-name", "user-account"]


class Credential(BaseModel):
    """A way the partner authenticates to the hub's API: stored hashed (argon2), never plain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["basic", "token"]
    username: str | None = None
    hash: str = Field(description="argon2 hash of the password or token")


class PartnerAgreement(BaseModel):
    """One partner's agreement with the hub."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str
    sector: Sector
    credentials: list[Credential] = Field(default_factory=list)
    default_marking: str = "TLP:AMBER"
    default_confidence: int = Field(default=50, ge=0, le=100)
    attribution: Attribution = "named"
    redact: list[PiiClass] = Field(default_factory=list)
    embargo: timedelta = timedelta(0)
    receives: list[str] = Field(default_factory=list, description="crime codes, 'fraud/*' ok")
    max_marking: str = "TLP:AMBER"
    amber_recipients: list[str] = Field(default_factory=list)
    liaison_consent: list[str] = Field(default_factory=list, description="agencies, e.g. nca")
    connectors: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("default_marking", "max_marking")
    @classmethod
    def _tlp_name(cls, value: str) -> str:
        return level_named(value).label

    @property
    def default_tlp(self) -> Tlp:
        return level_named(self.default_marking)

    @property
    def max_tlp(self) -> Tlp:
        return level_named(self.max_marking)


class AgreementError(ValueError):
    """An agreement file that does not validate; says which file, field and why."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


def load_agreement(path: Path) -> PartnerAgreement:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AgreementError(path, [f"not valid YAML: {exc}"]) from None
    if not isinstance(raw, Mapping):
        raise AgreementError(path, ["the file must hold one mapping (an agreement)"])
    try:
        agreement = PartnerAgreement.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"field '{'.'.join(str(p) for p in err['loc'])}': {err['msg']}" for err in exc.errors()
        ]
        raise AgreementError(path, problems) from None
    if agreement.id != path.stem:
        raise AgreementError(path, [f"field 'id': {agreement.id!r} must match the file name"])
    return agreement


def load_agreements(directory: Path) -> dict[str, PartnerAgreement]:
    """Every ``*.yaml`` agreement in a directory, keyed by partner id."""
    agreements: dict[str, PartnerAgreement] = {}
    for path in sorted(directory.glob("*.yaml")):
        agreement = load_agreement(path)
        agreements[agreement.id] = agreement
    return agreements
