"""What the agents of one running hub share: settings, topic names, agreements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.registry import decoders as connector_decoders
from hub.admit.admission import Decoder, Redactor, Suppressor
from hub.admit.warninglists import KnownBenign
from hub.agreements import AgreementBook
from hub.disseminate.views import hub_identity_id
from hub.settings import HubSettings
from hub.topics import Topics
from protocols.redaction import Redaction, redaction_secret


@dataclass(slots=True)
class HubContext:
    settings: HubSettings
    topics: Topics
    agreements: AgreementBook
    # Inbound-protocol parts contributed by connectors/ and protocols/.
    decoders: Mapping[str, Decoder] = field(default_factory=dict)
    suppressor: Suppressor | None = None
    redactor: Redactor | None = None
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
