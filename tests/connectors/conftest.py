"""Connectors without a broker: their records, admitted by the real admit stage in process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from connectors.base import JSON, Connector
from connectors.registry import decoders
from hub.admit.admission import Admission, Admitter
from hub.admit.warninglists import KnownBenign
from schemas.agreement import PartnerAgreement, load_agreements
from schemas.envelopes import IngestRecord

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_PARTNERS = Path(__file__).resolve().parents[2] / "deploy" / "samples" / "partners"
RECEIVED = "2026-11-20T09:00:00.000Z"


@dataclass
class RecordingDelivery:
    """A Delivery that keeps what a run sends and commits, in order."""

    records: list[IngestRecord] = field(default_factory=list)
    checkpoints: list[JSON] = field(default_factory=list)
    expected: list[int | None] = field(default_factory=list)

    def expect(self, total: int | None) -> None:
        self.expected.append(total)

    async def send(self, record: IngestRecord) -> None:
        self.records.append(record)

    async def commit(self, checkpoint: JSON) -> None:
        self.checkpoints.append(checkpoint)

    @property
    def checkpoint(self) -> JSON | None:
        return self.checkpoints[-1] if self.checkpoints else None


def file_records(connector: Connector[Any], name: str) -> list[IngestRecord]:
    """The records a file connector makes of one sample file."""
    raw = (DATA / name).read_bytes()
    return list(connector.records(raw, name=name, digest="sample", received=RECEIVED))  # type: ignore[attr-defined]


@dataclass
class Admitted:
    """What the admit stage made of a file's records, by line."""

    by_line: dict[int, Admission]

    def rejected(self) -> dict[int, str]:
        return {
            line: a.rejections[0].reason.code for line, a in self.by_line.items() if a.rejections
        }

    def values(self) -> dict[int, list[str]]:
        return {
            line: [c.observable_value for c in a.contributions]
            for line, a in self.by_line.items()
            if a.contributions
        }


@pytest.fixture(scope="session")
def agreements() -> dict[str, PartnerAgreement]:
    return load_agreements(SAMPLE_PARTNERS)


@pytest.fixture(scope="session")
def admitter(agreements: dict[str, PartnerAgreement]) -> Admitter:
    return Admitter(agreements=agreements, decoders=decoders(), suppressor=KnownBenign())


def admit_all(admitter: Admitter, records: list[IngestRecord]) -> Admitted:
    by_line: dict[int, Admission] = {}
    for record in records:
        assert record.origin.line is not None
        by_line[record.origin.line] = admitter.admit(record)
    return Admitted(by_line)
