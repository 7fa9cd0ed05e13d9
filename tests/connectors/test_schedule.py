"""The connector schedule inside `fusionhub run`: who runs when, and backing off on errors."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectorError
from connectors.schedule import Backoff, ConnectorSchedule
from hub.context import HubContext
from hub.settings import HubSettings

AGREEMENT = """id: cert-west
name: CERT West
sector: cert
connectors:
  - {kind: taxii, url: "https://taxii.cert-west.example/api/collections/c1/", interval: PT1M}
  - {kind: misp, name: events, path: events.json}
"""


def test_backoff_doubles_from_a_short_first_retry_up_to_the_cap() -> None:
    backoff = Backoff(interval_s=3600.0, max_backoff_s=600.0)
    assert [backoff.after_failure() for _ in range(6)] == [30.0, 60.0, 120.0, 240.0, 480.0, 600.0]
    assert backoff.after_success() == 3600.0 and backoff.failures == 0
    fast = Backoff(interval_s=2.0, max_backoff_s=60.0)
    assert [fast.after_failure() for _ in range(3)] == [2.0, 4.0, 8.0]


@dataclass
class FakeConnector:
    outcomes: list[Exception | None]
    runs: int = 0
    checkpoints: list[object] = field(default_factory=list)

    async def collect(self, delivery: Any, checkpoint: object, **_: Any) -> None:
        self.runs += 1
        self.checkpoints.append(checkpoint)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome


@pytest.fixture
def schedule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ConnectorSchedule:
    (tmp_path / "cert-west.yaml").write_text(AGREEMENT, "utf-8")
    context = HubContext.from_settings(HubSettings(partners_dir=tmp_path, data_dir=tmp_path))
    service = ConnectorSchedule(context, is_leader=lambda: True)

    class Checkpoints:
        def get(self, key: str) -> dict[str, str]:
            return {"at": key}

    class Producer:  # the fake connectors never send
        def session(self) -> object:
            return object()

    async def ready() -> None:
        service._producer = Producer()  # type: ignore[assignment]
        service._checkpoints = Checkpoints()  # type: ignore[assignment]

    monkeypatch.setattr(service, "_ready", ready)
    return service


async def settle(schedule: ConnectorSchedule) -> None:
    for job in schedule.jobs.values():
        if job.task is not None:
            await job.task


async def test_only_connectors_with_an_interval_run_and_a_failure_backs_off(
    schedule: ConnectorSchedule, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeConnector([ConnectorError("cert-west/taxii", "HTTP 503"), None])
    monkeypatch.setattr("connectors.schedule.connector_for", lambda *a, **k: fake)
    await schedule.start_due()
    assert list(schedule.jobs) == ["cert-west/taxii"]  # the MISP one runs only from the CLI
    await settle(schedule)
    job = schedule.jobs["cert-west/taxii"]
    assert fake.runs == 1 and job.backoff.failures == 1
    assert fake.checkpoints == [{"at": "cert-west/taxii"}]  # resumes from its checkpoint

    await schedule.start_due()  # not due yet: backing off
    assert fake.runs == 1
    job.due = 0.0
    await schedule.start_due()
    await settle(schedule)
    assert fake.runs == 2 and job.backoff.failures == 0


async def test_a_worker_that_does_not_lead_runs_nothing(
    schedule: ConnectorSchedule, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeConnector([])
    monkeypatch.setattr("connectors.schedule.connector_for", lambda *a, **k: fake)
    schedule.is_leader = lambda: False
    await schedule.start_due()
    await asyncio.sleep(0)
    assert schedule.jobs == {} and fake.runs == 0


async def test_an_edited_connector_runs_with_its_new_settings(
    schedule: ConnectorSchedule, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = FakeConnector([])
    monkeypatch.setattr("connectors.schedule.connector_for", lambda *a, **k: fake)
    await schedule.start_due()
    await settle(schedule)
    schedule.context.agreements.check_every_s = 0
    (tmp_path / "cert-west.yaml").write_text(AGREEMENT.replace("PT1M", "PT5M"), "utf-8")
    os.utime(tmp_path / "cert-west.yaml", ns=(1, 1))  # a new fingerprint, however fast
    await schedule.start_due()
    await settle(schedule)
    assert fake.runs == 2
    assert schedule.jobs["cert-west/taxii"].backoff.interval_s == 300.0
