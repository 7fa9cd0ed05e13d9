"""Per-partner connector settings: the ``connectors:`` list of a partner agreement.

Each entry names a feed the hub fetches for that partner (``kind``), where it lives (``url``
or ``path``), how to authenticate, how often to fetch it, and how to read it (column and
field mappings). The hub runs a connector with an ``interval`` inside ``fusionhub run`` on
that schedule; one without runs only from ``fusionhub import``. Secrets never sit in the
agreement file: credentials name the environment variables that hold them.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_NAME = r"^[a-z0-9][a-z0-9-]{0,62}$"


class ConnectorCredentials(BaseModel):
    """How a connector authenticates to the partner's server; secrets come from env vars.

    - ``username`` with ``password_env``: HTTP basic authentication.
    - ``token_env``: ``Authorization: Bearer <token>`` (TAXII) or the MISP API key.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str | None = None
    password_env: str | None = None
    token_env: str | None = None

    @model_validator(mode="after")
    def _one_scheme(self) -> ConnectorCredentials:
        if self.password_env and self.token_env:
            raise ValueError("give password_env (with username) or token_env, not both")
        if self.password_env and not self.username:
            raise ValueError("password_env needs a username")
        return self

    def secret(self, variable: str | None) -> str | None:
        """The value of the named environment variable; a clear error when it is unset."""
        if variable is None:
            return None
        value = os.environ.get(variable)
        if value is None:
            raise KeyError(f"credential variable {variable!r} is not set in the environment")
        return value


class ConnectorSettings(BaseModel):
    """What every connector has: a name, a schedule, credentials and how it backs off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(
        default=None,
        pattern=_NAME,
        description="unique within the partner; defaults to the kind; keys the checkpoint",
    )
    interval: timedelta | None = Field(
        default=None,
        description="how often `fusionhub run` fetches it (ISO 8601, e.g. PT15M); none: "
        "only `fusionhub import` runs it",
    )
    max_backoff: timedelta = Field(
        default=timedelta(hours=1),
        description="the longest wait after repeated errors (the wait doubles per failure)",
    )
    credentials: ConnectorCredentials = ConnectorCredentials()

    @field_validator("interval")
    @classmethod
    def _positive_interval(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(seconds=1):
            raise ValueError("interval must be at least one second")
        return value

    @property
    def label(self) -> str:
        """The connector's name within its partner (its kind unless named)."""
        return self.name or str(getattr(self, "kind", "connector"))


class FileFeedSettings(ConnectorSettings):
    """A feed published as files: a local path (glob allowed) or an http(s) URL.

    A relative ``path`` is taken from the partners directory, where the agreement lives.
    """

    path: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")

    @model_validator(mode="after")
    def _one_location(self) -> FileFeedSettings:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of path or url")
        return self

    @property
    def location(self) -> str:
        return self.url if self.url is not None else str(self.path)


class TaxiiPullSettings(ConnectorSettings):
    """Polls one collection of the partner's TAXII 2.1 server (``kind: taxii``)."""

    kind: Literal["taxii"]
    url: str = Field(pattern=r"^https?://", description="the collection's URL")
    page_size: int = Field(default=500, ge=1, le=10_000, description="objects per request")
    added_after: datetime | None = Field(
        default=None, description="where the first poll starts; later polls resume"
    )
    verify_tls: bool = True


class CsvColumns(BaseModel):
    """Which column of the partner's CSV holds each field (shadowserver names by default).

    ``timestamp`` and ``ip`` are required; set any other to null when the report lacks it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: str = "timestamp"
    ip: str = "ip"
    port: str | None = "port"
    asn: str | None = "asn"
    geo: str | None = "geo"
    hostname: str | None = "hostname"
    malware_family: str | None = "infection"
    # The C2 server an infected host talked to (drone/sinkhole reports): becomes an indicator.
    c2_ip: str | None = None
    c2_port: str | None = None
    count: str | None = None

    def mapped(self) -> dict[str, str]:
        """Field -> column name, for the columns the report has."""
        return {field: column for field, column in self.model_dump().items() if column}


class IspCsvSettings(FileFeedSettings):
    """An ISP / sinkhole CSV report with a header row (``kind: isp-csv``).

    ``report: infected`` rows are hosts seen infected (observed-data); ``report: c2`` rows
    are command-and-control servers (indicators).
    """

    kind: Literal["isp-csv"]
    report: Literal["infected", "c2"] = "infected"
    columns: CsvColumns = CsvColumns()
    delimiter: str = Field(default=",", min_length=1, max_length=1)


class MispSettings(FileFeedSettings):
    """MISP events as MISP exports them as JSON (``kind: misp``)."""

    kind: Literal["misp"]


class AvHashFields(BaseModel):
    """Which key of each JSON line holds each field; a list tries each name in turn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    md5: list[str] = ["md5"]
    sha1: list[str] = ["sha1", "sha-1"]
    sha256: list[str] = ["sha256", "sha-256"]
    malware_family: list[str] = ["malware_family", "family"]
    detection_name: list[str] = ["detection_name", "detection", "signature"]
    first_seen: list[str] = ["first_seen", "timestamp"]
    file_name: list[str] = ["file_name", "filename"]


class AvHashSettings(FileFeedSettings):
    """An anti-virus vendor's hash feed as JSON lines (``kind: av-hashes``)."""

    kind: Literal["av-hashes"]
    fields: AvHashFields = AvHashFields()


AnyConnectorSettings = Annotated[
    TaxiiPullSettings | IspCsvSettings | MispSettings | AvHashSettings,
    Field(discriminator="kind"),
]


def unique_names(connectors: list[AnyConnectorSettings]) -> list[AnyConnectorSettings]:
    """The list itself, if no two connectors share a name (their checkpoints would clash)."""
    seen: set[str] = set()
    for settings in connectors:
        if settings.label in seen:
            raise ValueError(
                f"two connectors are named {settings.label!r}; give each a distinct 'name'"
            )
        seen.add(settings.label)
    return connectors
