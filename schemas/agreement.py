"""Partner agreements: one YAML file per partner, validated here.

The agreement is the partner's sharing protocol with the hub (DESIGN.md, "Sharing
protocols"); errors name the file, the field and the reason. What one file cannot say on
its own (an AMBER recipient that is no partner, a crime code RSIT does not define) is found
by ``agreement_problems`` over the whole directory, for ``fusionhub partners check``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from protocols.tlp import Tlp, level_named
from schemas.connectors import AnyConnectorSettings, unique_names

Sector = Literal["isp", "bank", "av-vendor", "cert", "telecom", "payments", "other"]
Attribution = Literal["named", "sector", "anonymous"]
PiiClass = Literal["email", "account-number", "card-number", "person-name", "user-account"]
PartnerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Agency = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]
# An RSIT code (`fraud/phishing`), a whole category (`fraud/*`) or everything (`*`).
CrimeCodePattern = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z0-9-]+/(\*|[a-z0-9-]+))$")]
# Liaison may receive GREEN and AMBER with consent; CLEAR needs none, stricter never leaves.
_CONSENTABLE = (Tlp.GREEN, Tlp.AMBER)


class Credential(BaseModel):
    """A way the partner authenticates to the hub's API: stored hashed (argon2), never plain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["basic", "token"]
    username: str | None = None
    hash: str = Field(description="argon2 hash of the password or token")


class PartnerAgreement(BaseModel):
    """One partner's agreement with the hub."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: PartnerId
    name: str
    sector: Sector
    credentials: list[Credential] = Field(default_factory=list)
    default_marking: str = "TLP:AMBER"
    default_confidence: int = Field(default=50, ge=0, le=100)
    attribution: Attribution = "named"
    redact: list[PiiClass] = Field(default_factory=list)
    embargo: timedelta = timedelta(0)
    receives: list[CrimeCodePattern] = Field(
        default_factory=list,
        description="crime codes it receives from others ('fraud/*', '*'); empty: none",
    )
    max_marking: str = "TLP:AMBER"
    amber_recipients: list[PartnerId] = Field(
        default_factory=list, description="partners that may receive its AMBER contributions"
    )
    liaison_consent: dict[Agency, str] = Field(
        default_factory=dict,
        description=(
            "agencies it consents to share GREEN/AMBER with: a list ([nca, interpol], up to "
            "AMBER) or a mapping to the highest marking consented ({interpol: TLP:GREEN})"
        ),
    )
    connectors: list[AnyConnectorSettings] = Field(
        default_factory=list, description="feeds the hub fetches for it (schemas/connectors.py)"
    )

    @field_validator("connectors")
    @classmethod
    def _distinct_connector_names(
        cls, value: list[AnyConnectorSettings]
    ) -> list[AnyConnectorSettings]:
        return unique_names(value)

    @field_validator("default_marking", "max_marking")
    @classmethod
    def _tlp_name(cls, value: str) -> str:
        return level_named(value).label

    @field_validator("embargo")
    @classmethod
    def _embargo_not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("an embargo cannot be negative")
        return value

    @field_validator("liaison_consent", mode="before")
    @classmethod
    def _consent_list(cls, value: object) -> object:
        # The short form [nca, interpol] consents to everything liaison may receive.
        if isinstance(value, list) and all(isinstance(agency, str) for agency in value):
            return {agency: Tlp.AMBER.label for agency in value}
        return value

    @field_validator("liaison_consent")
    @classmethod
    def _consent_levels(cls, value: dict[str, str]) -> dict[str, str]:
        consents = {}
        for agency, marking in value.items():
            level = level_named(marking)
            if level not in _CONSENTABLE:
                raise ValueError(
                    f"consent for {agency!r} is {level.label}: consent covers TLP:GREEN or "
                    "TLP:AMBER (CLEAR needs none; AMBER+STRICT and RED never go to liaison)"
                )
            consents[agency] = level.label
        return consents

    @property
    def default_tlp(self) -> Tlp:
        return level_named(self.default_marking)

    @property
    def max_tlp(self) -> Tlp:
        return level_named(self.max_marking)

    def receives_crime_code(self, crime_code: str) -> bool:
        return any(fnmatch.fnmatchcase(crime_code, pattern) for pattern in self.receives)

    def liaison_ceiling(self, agency: str) -> Tlp | None:
        """The highest marking the partner consents to share with ``agency``, if any."""
        marking = self.liaison_consent.get(agency)
        return None if marking is None else level_named(marking)


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


@dataclass(frozen=True, slots=True)
class AgreementProblem:
    """Something wrong across agreements; ``fatal`` ones fail ``fusionhub partners check``."""

    partner: str
    field: str
    reason: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.partner}: field '{self.field}': {self.reason}"


def agreement_problems(
    agreements: Mapping[str, PartnerAgreement],
    *,
    crime_codes: Iterable[str],
    agencies: Iterable[str],
) -> list[AgreementProblem]:
    """What each file validates alone but the set does not: references that lead nowhere.

    ``crime_codes`` are the codes the hub assigns (RSIT); ``agencies`` the liaison agencies
    the hub is configured for. A consent for another agency is allowed (it creates that
    agency's feed) but reported, since it is usually a typo.
    """
    codes = set(crime_codes)
    categories = {code.split("/", 1)[0] for code in codes}
    known_agencies = set(agencies)
    problems = []
    for partner_id, agreement in sorted(agreements.items()):
        for index, recipient in enumerate(agreement.amber_recipients):
            if recipient == partner_id:
                problems.append(
                    AgreementProblem(
                        partner_id,
                        f"amber_recipients.{index}",
                        "a partner always sees its own contributions; do not name itself",
                        fatal=False,
                    )
                )
            elif recipient not in agreements:
                problems.append(
                    AgreementProblem(
                        partner_id,
                        f"amber_recipients.{index}",
                        f"{recipient!r} is not a partner (no {recipient}.yaml)",
                    )
                )
        for index, pattern in enumerate(agreement.receives):
            category, _, code = pattern.partition("/")
            known = pattern == "*" or (code == "*" and category in categories) or pattern in codes
            if not known:
                problems.append(
                    AgreementProblem(
                        partner_id,
                        f"receives.{index}",
                        f"{pattern!r} matches no RSIT crime code",
                    )
                )
        for agency in agreement.liaison_consent:
            if agency not in known_agencies:
                problems.append(
                    AgreementProblem(
                        partner_id,
                        f"liaison_consent.{agency}",
                        f"{agency!r} is not a configured liaison agency "
                        f"({', '.join(sorted(known_agencies))}); its feed is created anyway",
                        fatal=False,
                    )
                )
    return problems
