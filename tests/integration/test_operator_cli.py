"""The operator's CLI against a real broker and worker: rejected list/replay, tail."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from hub.kafka_io import IngestProducer, new_ingest_record
from schemas.envelopes import Origin
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.hub_process import SAMPLE_PARTNERS, HubProcess, collect, latest_versions

pytestmark = pytest.mark.integration

C2 = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2026-11-24T10:00:00.000Z",
    "modified": "2026-11-24T10:00:00.000Z",
    "pattern": "[ipv4-addr:value = '91.215.85.201']",
    "pattern_type": "stix",
    "valid_from": "2026-11-24T10:00:00.000Z",
    "confidence": 70,
    "labels": ["c2"],
}


def fusionhub(hub: HubProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env={**hub.env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture
def hub(kafka_broker: KafkaBroker, tmp_path: Path):  # type: ignore[no-untyped-def]
    partners = tmp_path / "partners"
    partners.mkdir()
    # The AV vendor is not onboarded yet: its data is rejected until its agreement exists.
    for name in ("isp-northnet", "bank-meridian"):
        shutil.copy(SAMPLE_PARTNERS / f"{name}.yaml", partners)
    process = HubProcess(bootstrap=kafka_broker.bootstrap, workdir=tmp_path, partners_dir=partners)
    process.prepare_topics()
    process.start()
    yield process
    process.stop()


async def test_rejected_records_are_listed_and_replayed_after_the_fix(hub: HubProcess) -> None:
    async with IngestProducer(hub.bootstrap, hub.topics.ingest) as producer:
        record = new_ingest_record(
            "av-sentinel", orjson.dumps(C2), origin=Origin(channel="cli", name="c2.json")
        )
        await producer.send(record)
        await producer.flush()
    await collect(
        hub.bootstrap,
        topics=[hub.topics.rejected],
        until=lambda messages: len(messages) >= 1,
        timeout_s=120,
        settle_s=0,
    )
    listing = await asyncio.to_thread(fusionhub, hub, "rejected", "list", "--pending")
    assert "unknown-partner" in listing.stdout
    assert "av-sentinel" in listing.stdout
    assert "1 rejected record(s)" in listing.stdout

    # The fix: onboard the partner. The worker reloads agreements without a restart.
    shutil.copy(SAMPLE_PARTNERS / "av-sentinel.yaml", hub.partners_dir)
    await asyncio.sleep(3)
    replay = await asyncio.to_thread(
        fusionhub, hub, "rejected", "replay", "--reason", "unknown-partner"
    )
    assert (
        f"replayed 1 rejected record(s): 1 into {hub.topics.ingest}, 0 into "
        f"{hub.topics.admitted}" in " ".join(replay.stdout.split())
    )

    curated = await collect(
        hub.bootstrap,
        prefix=hub.topics.analysts_prefix(),
        until=lambda messages: len(messages) >= 1,
        timeout_s=120,
    )
    (indicator,) = latest_versions(curated).values()
    assert indicator["pattern"] == "[ipv4-addr:value = '91.215.85.201']"
    pending = await asyncio.to_thread(fusionhub, hub, "rejected", "list", "--pending")
    assert "0 rejected record(s)" in pending.stdout
    # A second replay finds nothing left to replay.
    again = await asyncio.to_thread(fusionhub, hub, "rejected", "replay", "--all")
    assert "replayed 0 rejected record(s)" in again.stdout

    tail = await asyncio.to_thread(
        fusionhub, hub, "tail", "analysts", "--no-follow", "--crime-code", "malicious-code"
    )
    assert "91.215.85.201" in tail.stdout
    assert "1 message(s)" in tail.stdout
