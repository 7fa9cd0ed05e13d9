"""Delivery from the receiving side, against the real broker, worker and ``fusionhub serve``.

One worker and one server for the module: kcat (a non-Python client) reads the analysts
topics; ``/stream`` serves each principal its own view and resumes across a restart of the
server; a liaison export holds exactly what the agency may receive and verifies; the
operations endpoints answer.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import stix2

from hub.disseminate.views import partner_identity_id, sector_identity_id
from hub.store.collections import analysts_collection, feed_collection, liaison_collection
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.delivery_stack import Sent, delivery_stack, held, send, wait_held
from tests.integration.hub_process import REPO, HubProcess
from tests.integration.taxii_server import TaxiiServer

pytestmark = pytest.mark.integration

ANA = ("ana", "ana-demo")
AV = ("av-sentinel", "sentinel-demo")
NORTHNET = ("isp-northnet", "northnet-demo")

SENT = [
    Sent("av-sentinel", "[ipv4-addr:value = '45.155.205.10']", "c2", 80),
    Sent("isp-northnet", "[domain-name:value = 'phish-a.delivery.test']", "phishing", 50),
    Sent("isp-northnet", "[ipv4-addr:value = '45.155.205.20']", "c2", 40),
    Sent("bank-meridian", "[domain-name:value = 'bank-phish.delivery.test']", "phishing", 90),
    Sent("av-sentinel", "[url:value = 'http://drop.delivery.test/x.exe']", "malware", 70),
]
ALL_IDS = {s.curated_id for s in SENT}


@dataclass
class Stack:
    hub: HubProcess
    server: TaxiiServer

    @property
    def base(self) -> str:
        return self.server.url.removesuffix("/taxii2/")


@pytest.fixture(scope="module")
async def stack(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    workdir = tmp_path_factory.mktemp("delivery")
    async with delivery_stack(kafka_broker.bootstrap, workdir) as (hub, server):
        await send(hub, SENT)
        await wait_held(server.store_url, analysts_collection(), ALL_IDS)
        await wait_held(server.store_url, liaison_collection("interpol"), {SENT[0].curated_id})
        yield Stack(hub, server)


async def stream(
    base: str, who: tuple[str, str], n: int, *, last_event_id: str | None = None, **params: Any
) -> list[tuple[str, dict[str, Any]]]:
    """The first ``n`` events (ids and objects) of a principal's stream over real HTTP."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    found: list[tuple[str, dict[str, Any]]] = []
    async with (
        httpx.AsyncClient(auth=who, timeout=30) as http,
        http.stream("GET", f"{base}/stream", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200
        event: dict[str, str] = {}
        async for line in response.aiter_lines():
            if not line:
                if "id" in event:
                    found.append((event["id"], orjson.loads(event["data"])))
                    if len(found) == n:
                        return found
                event = {}
            elif not line.startswith(":") and ": " in line:
                key, value = line.split(": ", 1)
                event[key] = value
    return found


def test_kcat_reads_the_analysts_topics_as_stix(stack: Stack) -> None:
    kcat = shutil.which("kcat")
    if kcat is None:
        pytest.skip("kcat is not installed (scripts/system-deps installs it)")
    listing = subprocess.run(
        [kcat, "-b", stack.hub.bootstrap, "-L", "-J"], capture_output=True, timeout=60, check=True
    )
    prefix = stack.hub.topics.analysts_prefix()
    topics = sorted(
        t["topic"] for t in orjson.loads(listing.stdout)["topics"] if t["topic"].startswith(prefix)
    )
    assert topics, "no analysts.* topics"
    seen: set[str] = set()
    for topic in topics:
        out = subprocess.run(
            [
                kcat,
                "-b",
                stack.hub.bootstrap,
                "-C",
                "-t",
                topic,
                "-o",
                "beginning",
                "-e",
                "-J",
                "-q",
            ],
            capture_output=True,
            timeout=60,
            check=True,
        )
        for line in out.stdout.decode().splitlines():
            envelope = orjson.loads(line)
            obj = stix2.parse(envelope["payload"], allow_custom=True)
            assert obj.type == "indicator" and obj.spec_version == "2.1"
            assert envelope["key"] == obj.id  # the key is the deterministic id
            assert topic == stack.hub.topics.analysts(obj.x_fusion_crime_code)
            seen.add(obj.id)
    assert seen >= ALL_IDS


async def test_stream_resumes_across_a_server_restart(stack: Stack) -> None:
    everything = await stream(stack.base, ANA, len(SENT))
    assert {obj["id"] for _, obj in everything} == ALL_IDS
    first = everything[:2]
    stack.server.stop()
    await asyncio.to_thread(stack.server.start)
    rest = await stream(stack.base, ANA, len(SENT) - 2, last_event_id=first[-1][0])
    assert [e for e, _ in first + rest] == [e for e, _ in everything]  # no gap, no repeat
    # Filters on the real data: one crime code, and a confidence floor.
    phishing = await stream(stack.base, ANA, 2, crime_code="fraud/phishing")
    assert {o["id"] for _, o in phishing} == {SENT[1].curated_id, SENT[3].curated_id}
    sure = await stream(stack.base, ANA, 2, min_confidence=75)
    assert {o["id"] for _, o in sure} == {SENT[0].curated_id, SENT[3].curated_id}


async def test_a_partner_stream_shows_only_its_own_view(stack: Stack) -> None:
    feed = await held(stack.server.store_url, feed_collection("av-sentinel"))
    events = await stream(stack.base, AV, len(feed))
    assert {o["id"] for _, o in events} == set(feed)
    assert all(e.startswith(feed_collection("av-sentinel").id + ":") for e, _ in events)
    ids = {o["id"] for _, o in events}
    # av-sentinel receives malicious-code only: the phishing domains are not its to see.
    assert SENT[1].curated_id not in ids and SENT[3].curated_id not in ids
    # NorthNet's C2 reaches it attributed to NorthNet's sector, as the analysts never see it.
    northnet_c2 = [o for _, o in events if o["id"] == SENT[2].curated_id]
    analysts = await held(stack.server.store_url, analysts_collection())
    assert northnet_c2 and northnet_c2[-1] != analysts[SENT[2].curated_id]
    for obj in northnet_c2:
        refs = {c["source_ref"] for c in obj["x_fusion_contributors"]}
        assert refs == {sector_identity_id("isp")}
        assert partner_identity_id("isp-northnet") not in orjson.dumps(obj).decode()
    async with httpx.AsyncClient(auth=AV, timeout=10) as http:
        other = await http.get(
            f"{stack.base}/stream",
            headers={"Last-Event-ID": f"{analysts_collection().id}:0"},
            params={"max_events": 1},
        )
    assert other.status_code == 400


def fusionhub(stack: Stack, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **stack.hub.env,
        "FUSIONHUB_DATA_DIR": str(state),
        "FUSIONHUB_STORE_URL": stack.server.store_url,
        "COLUMNS": "400",
    }
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_liaison_export_holds_only_consented_contributions(
    stack: Stack, tmp_path: Path
) -> None:
    state = tmp_path / "hub-state"
    out = tmp_path / "interpol"
    made = fusionhub(stack, state, "export", "--to", "interpol", "--out", str(out))
    assert made.returncode == 0, made.stderr
    bundle = stix2.parse((out / "bundle.json").read_text(), allow_custom=True)
    ids = {o.id for o in bundle.objects}
    # The same content as the agency's collection (what its TAXII collection serves).
    assert ids == set(await held(stack.server.store_url, liaison_collection("interpol")))
    assert SENT[0].curated_id in ids  # av-sentinel consents to INTERPOL
    assert SENT[1].curated_id not in ids and SENT[2].curated_id not in ids  # NorthNet: NCA only
    assert SENT[3].curated_id not in ids  # the bank: NCA only
    pub = tmp_path / "hub.pub"
    pub.write_text(fusionhub(stack, state, "export-key").stdout)
    assert (
        fusionhub(stack, tmp_path / "agency", "verify", str(out), "--key", str(pub)).returncode == 0
    )
    wrong = fusionhub(stack, tmp_path / "other", "verify", str(out))  # another hub's key
    assert wrong.returncode == 1 and "wrong key" in wrong.stderr


async def test_metrics_health_and_readiness(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(f"{stack.base}/healthz")).json() == {"status": "ok"}
        for _ in range(60):
            ready = await http.get(f"{stack.base}/readyz")
            metrics = (await http.get(f"{stack.base}/metrics")).text
            if ready.status_code == 200 and 'stage="disseminate"' in metrics:
                break
            await asyncio.sleep(0.5)
    assert ready.status_code == 200, ready.text
    assert 'fusionhub_records_total{partner="av-sentinel",stage="ingest"}' in metrics
    assert 'stage="admit"' in metrics and 'stage="disseminate"' in metrics
    assert "fusionhub_admit_latency_seconds_bucket" in metrics
