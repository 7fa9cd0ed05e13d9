"""The hub's own configuration file: its TAXII identity and the accounts that are not partners.

Partners authenticate with the credentials in their agreement files (schemas/agreement.py);
the hub's analysts, the liaison officers and the operators are listed here. Like agreements,
errors name the file, the field and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from protocols.audience import DEFAULT_LIAISON_AGENCIES
from protocols.tlp import Tlp, level_named
from schemas.agreement import Credential

_NAME = r"^[a-z0-9][a-z0-9._-]{0,62}$"


class AnalystAccount(BaseModel):
    """One of the hub's tactical analysts; ``clearance`` caps the TLP level they may read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME)
    clearance: str = Field(default="TLP:AMBER+STRICT", description="TLP:RED to read RED")
    credentials: list[Credential] = Field(min_length=1)

    @field_validator("clearance")
    @classmethod
    def _tlp_name(cls, value: str) -> str:
        return level_named(value).label

    @property
    def clearance_level(self) -> Tlp:
        return level_named(self.clearance)


class LiaisonAccount(BaseModel):
    """A law-enforcement liaison officer; reads the curated export of ``agency`` only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME)
    agency: str = Field(pattern=_NAME, description="e.g. nca, interpol")
    credentials: list[Credential] = Field(min_length=1)


class AdminAccount(BaseModel):
    """A hub operator: sees every collection and status, reads no intelligence over TAXII."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME)
    credentials: list[Credential] = Field(min_length=1)


class HubConfig(BaseModel):
    """``hub.yaml``: what the TAXII server calls itself and who may use it besides partners."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = "Fusion Hub"
    description: str = "Curated e-crime intelligence shared between industry and law enforcement"
    contact: str | None = None
    liaison_agencies: list[str] = Field(
        default_factory=list, description="agencies that get a collection even without accounts"
    )
    analysts: list[AnalystAccount] = Field(default_factory=list)
    liaison: list[LiaisonAccount] = Field(default_factory=list)
    admins: list[AdminAccount] = Field(default_factory=list)

    @field_validator("liaison_agencies")
    @classmethod
    def _agency_names(cls, value: list[str]) -> list[str]:
        for agency in value:
            if not _valid_name(agency):
                raise ValueError(f"agency {agency!r} must match {_NAME}")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> HubConfig:
        seen: set[str] = set()
        accounts: list[AnalystAccount | LiaisonAccount | AdminAccount] = [
            *self.analysts,
            *self.liaison,
            *self.admins,
        ]
        for account in accounts:
            for credential in account.credentials:
                if credential.kind == "basic" and not credential.username:
                    raise ValueError(
                        f"account {account.name!r}: a basic credential needs a username"
                    )
                if credential.kind == "basic" and credential.username:
                    if credential.username in seen:
                        raise ValueError(f"username {credential.username!r} is used twice")
                    seen.add(credential.username)
        return self

    @property
    def agencies(self) -> list[str]:
        """Every agency with a liaison collection: listed ones and those with accounts."""
        return sorted({*self.liaison_agencies, *(account.agency for account in self.liaison)})

    @property
    def published_agencies(self) -> tuple[str, ...]:
        """The default agencies and this config's: the hub publishes to each of them."""
        return tuple(sorted({*DEFAULT_LIAISON_AGENCIES, *self.agencies}))


def _valid_name(value: str) -> bool:
    return re.fullmatch(_NAME, value) is not None


class HubConfigError(ValueError):
    """A hub config file that does not validate; says which file, field and why."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


def load_hub_config(path: Path) -> HubConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubConfigError(path, ["no such file"]) from None
    except yaml.YAMLError as exc:
        raise HubConfigError(path, [f"not valid YAML: {exc}"]) from None
    if not isinstance(raw, Mapping):
        raise HubConfigError(path, ["the file must hold one mapping (the hub config)"])
    try:
        return HubConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"field '{'.'.join(str(p) for p in err['loc']) or '(top)'}': {err['msg']}"
            for err in exc.errors()
        ]
        raise HubConfigError(path, problems) from None
