"""Topic names of the data flow (DESIGN.md, "Data flow")."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOPIC_CHARS = re.compile(r"[^a-zA-Z0-9._-]")


def crime_code_topic_part(crime_code: str) -> str:
    """``fraud/phishing`` -> ``fraud.phishing``: topic names take only [a-zA-Z0-9._-]."""
    return _TOPIC_CHARS.sub("-", crime_code.replace("/", "."))


@dataclass(frozen=True, slots=True)
class Topics:
    """Every topic name the hub uses, under one optional namespace prefix."""

    namespace: str = ""

    def _name(self, name: str) -> str:
        return f"{self.namespace}{name}"

    @property
    def ingest(self) -> str:
        return self._name("fusion.ingest")

    @property
    def rejected(self) -> str:
        return self._name("fusion.rejected")

    @property
    def replayed(self) -> str:
        """Ids of rejections an operator has replayed, so a rejection is replayed once."""
        return self._name("fusion.replayed")

    @property
    def status(self) -> str:
        """One admission report per ingest record: which objects succeeded or failed."""
        return self._name("fusion.status")

    @property
    def suppressed(self) -> str:
        return self._name("fusion.suppressed")

    @property
    def released(self) -> str:
        """Suppressed contributions an operator released to fusion.admitted, each once."""
        return self._name("fusion.released")

    @property
    def checkpoints(self) -> str:
        """Each connector's position in its feed (compacted; key = partner/connector)."""
        return self._name("fusion.checkpoints")

    @property
    def admitted(self) -> str:
        return self._name("fusion.admitted")

    @property
    def curated(self) -> str:
        return self._name("fusion.curated")

    @property
    def audit(self) -> str:
        return self._name("fusion.audit")

    def analysts(self, crime_code: str) -> str:
        return self._name(f"analysts.{crime_code_topic_part(crime_code)}")

    def analysts_prefix(self) -> str:
        return self._name("analysts.")

    def partner(self, partner_id: str) -> str:
        return self._name(f"partner.{_TOPIC_CHARS.sub('-', partner_id)}")

    def liaison(self, agency: str) -> str:
        return self._name(f"liaison.{_TOPIC_CHARS.sub('-', agency)}")

    def resolve(self, short: str) -> str:
        """A user's short name (``analysts``, ``rejected``, ``fusion.curated``) as a topic."""
        aliases = {
            "ingest": self.ingest,
            "rejected": self.rejected,
            "suppressed": self.suppressed,
            "admitted": self.admitted,
            "curated": self.curated,
            "audit": self.audit,
            "status": self.status,
        }
        if short in aliases:
            return aliases[short]
        return self._name(short)
