"""What the stages of one running hub share: settings, topic names, agreements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.registry import decoders as connector_decoders
from hub.admit.admission import Decoder, Redactor, Suppressor
from hub.admit.warninglists import KnownBenign
from hub.agreements import AgreementBook
from hub.disseminate.views import hub_identity_id
from hub.settings import HubSettings
from hub.topics import Topics
from protocols.audience import DEFAULT_LIAISON_AGENCIES
from protocols.redaction import Redaction, redaction_secret
from schemas.hub_config import load_hub_config


def configured_agencies(hub_config: Path) -> tuple[str, ...]:
    """The default agencies and those of the hub config (which names their collections).

    An agency listed only in the config used to get a TAXII collection but never a topic,
    so not even TLP:CLEAR intelligence reached it. A config that does not validate stops
    the worker with the file, field and reason; a missing one leaves the defaults.
    """
    if not hub_config.exists():
        return DEFAULT_LIAISON_AGENCIES
    return load_hub_config(hub_config).published_agencies


@dataclass(slots=True)
class HubContext:
    settings: HubSettings
    topics: Topics
    agreements: AgreementBook
    # Inbound-protocol parts contributed by connectors/ and protocols/.
    decoders: Mapping[str, Decoder] = field(default_factory=dict)
    suppressor: Suppressor | None = None
    redactor: Redactor | None = None
    # Every liaison agency the hub publishes to (protocols decide what each may get).
    liaison_agencies: tuple[str, ...] = DEFAULT_LIAISON_AGENCIES
    hub_identity: str = field(init=False)

    def __post_init__(self) -> None:
        self.hub_identity = hub_identity_id(self.settings.hub_identity_name)

    def admission_parts(self) -> dict[str, Any]:
        return {
            "decoders": self.decoders,
            "suppressor": self.suppressor,
            "redactor": self.redactor,
        }

    @classmethod
    def from_settings(cls, settings: HubSettings) -> HubContext:
        return cls(
            settings=settings,
            topics=Topics(settings.topic_namespace),
            agreements=AgreementBook(settings.partners_dir),
            liaison_agencies=configured_agencies(settings.hub_config),
            decoders=connector_decoders(),
            suppressor=KnownBenign(),
            redactor=Redaction(
                redaction_secret(
                    settings.redaction_secret.get_secret_value()
                    if settings.redaction_secret
                    else None,
                    settings.data_dir / "redaction.secret",
                )
            ),
        )
