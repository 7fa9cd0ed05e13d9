"""``fusionhub lookup`` against a real broker and worker: an analyst's values from a case.

Three partners report: an ISP and an AV vendor the same C2 address (two curated versions),
the AV vendor a compound pattern that quotes it, the bank a public DNS resolver (held back as
known-benign). The analyst then looks up the address defanged, the resolver, an address nobody
reported, a value that is no observable, and the compound indicator by its id.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from hub.canonical import observable
from hub.kafka_io import IngestProducer, new_ingest_record
from schemas.envelopes import Origin
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.hub_process import SAMPLE_PARTNERS, HubProcess, collect

pytestmark = pytest.mark.integration

C2_ADDRESS = "91.215.85.201"
COMPOUND = f"[ipv4-addr:value = '{C2_ADDRESS}'] AND [domain-name:value = 'update-check.example']"


def indicator(n: int, pattern: str, *, labels: list[str], confidence: int) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd{n:02x}",
        "created": "2026-11-24T10:00:00.000Z",
        "modified": "2026-11-24T10:00:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-11-24T10:00:00.000Z",
        "confidence": confidence,
        "labels": labels,
    }


def lookup(hub: HubProcess, *args: str, columns: int = 250) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "lookup", *args],
        env={**hub.env, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def report(hub: HubProcess, partner: str, *objects: dict[str, Any]) -> None:
    async with IngestProducer(hub.bootstrap, hub.topics.ingest) as producer:
        for obj in objects:
            record = new_ingest_record(
                partner, orjson.dumps(obj), origin=Origin(channel="cli", name="case.json")
            )
            await producer.send(record)
        await producer.flush()


async def holds(hub: HubProcess, topic: str, count: int) -> None:
    """Wait until ``topic`` holds ``count`` messages."""
    await collect(
        hub.bootstrap,
        topics=[topic],
        until=lambda messages: len(messages) >= count,
        timeout_s=120,
        settle_s=0,
    )


@pytest.fixture(scope="module")
def reported(kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    workdir = tmp_path_factory.mktemp("lookup")
    partners = workdir / "partners"
    partners.mkdir()
    for name in ("isp-northnet", "bank-meridian", "av-sentinel"):
        shutil.copy(SAMPLE_PARTNERS / f"{name}.yaml", partners)
    hub = HubProcess(bootstrap=kafka_broker.bootstrap, workdir=workdir, partners_dir=partners)
    hub.prepare_topics()
    hub.start()
    try:
        c2 = f"[ipv4-addr:value = '{C2_ADDRESS}']"

        async def scenario() -> None:
            await report(hub, "isp-northnet", indicator(1, c2, labels=["c2"], confidence=60))
            await holds(hub, hub.topics.curated, 1)
            await report(
                hub,
                "av-sentinel",
                indicator(2, c2, labels=["c2"], confidence=80),
                indicator(3, COMPOUND, labels=["c2"], confidence=70),
            )
            resolver = "[ipv4-addr:value = '8.8.8.8']"
            await report(hub, "bank-meridian", indicator(4, resolver, labels=["c2"], confidence=50))
            await holds(hub, hub.topics.curated, 3)
            await holds(hub, hub.topics.suppressed, 1)

        asyncio.run(scenario())
    finally:
        hub.stop()
    yield hub


def test_a_defanged_address_finds_its_indicator_with_every_contribution_and_version(
    reported: HubProcess,
) -> None:
    found = lookup(reported, "--json", "91.215.85[.]201")
    assert found.returncode == 0, found.stderr
    (line,) = found.stdout.splitlines()
    answer = orjson.loads(line)
    assert answer["observable_type"] == "ipv4-addr"
    assert answer["observable_value"] == C2_ADDRESS
    assert answer["indicator_id"] == observable("ipv4-addr", C2_ADDRESS).indicator_id
    curated = answer["curated"]
    assert curated["version"] == 2
    assert curated["crime_code"].startswith("malicious-code/")
    assert not curated["revoked"]
    by_partner = {c["partner"]: c for c in curated["contributions"]}
    assert set(by_partner) == {"isp-northnet", "av-sentinel"}
    assert (by_partner["isp-northnet"]["confidence"], by_partner["av-sentinel"]["confidence"]) == (
        60,
        80,
    )
    assert [v["version"] for v in answer["versions"]] == [1, 2]
    assert answer["versions"][0]["changes"] == ["new-source"]
    # The compound pattern quotes it: the analyst learns of that indicator too.
    (mention,) = answer["mentioned_in"]
    assert mention["pattern"] == COMPOUND
    assert answer["suppressed"] == [] and answer["known_benign"] is None
    # As the sample agreements decide: the bank receives fraud codes only; INTERPOL gets
    # av-sentinel's contribution, which consents to it.
    assert answer["shared_with"] == [
        "analysts",
        "liaison:interpol",
        "liaison:nca",
        "partner:av-sentinel",
        "partner:isp-northnet",
    ]
    assert answer["withheld_from"] == ["partner:bank-meridian"]


def test_a_known_benign_value_shows_who_reported_it_and_which_list_held_it_back(
    reported: HubProcess,
) -> None:
    found = lookup(reported, "--json", "8.8.8.8")
    assert found.returncode == 0, found.stderr
    answer = orjson.loads(found.stdout)
    assert answer["curated"] is None and answer["versions"] == []
    (suppressed,) = answer["suppressed"]
    assert suppressed["partner"] == "bank-meridian"
    assert suppressed["warninglist"] == "List of known IPv4 public DNS resolvers"
    assert suppressed["matched"] == "8.8.8.8"
    assert suppressed["released"] is False
    assert answer["known_benign"]["warninglist"] == "List of known IPv4 public DNS resolvers"


def test_a_compound_indicator_is_found_by_its_id(reported: HubProcess) -> None:
    by_value = orjson.loads(lookup(reported, "--json", C2_ADDRESS).stdout)
    (mention,) = by_value["mentioned_in"]
    found = lookup(reported, "--json", mention["indicator_id"])
    assert found.returncode == 0, found.stderr
    answer = orjson.loads(found.stdout)
    assert answer["observable_type"] == "pattern"
    assert answer["curated"]["contributions"][0]["partner"] == "av-sentinel"
    assert [v["version"] for v in answer["versions"]] == [1]


def test_values_nobody_reported_or_that_are_no_observable_are_told_apart(
    reported: HubProcess, tmp_path: Path
) -> None:
    case = tmp_path / "case.txt"
    case.write_text("# from the victim's firewall log\n198.51.100.77\n\n999.1.1.1\n")
    found = lookup(reported, "--file", str(case))
    assert found.returncode == 1, found.stdout  # the hub knows of none of them
    text = " ".join(found.stdout.split())
    assert "198.51.100.77 → ipv4-addr 198.51.100.77" in text
    assert "not reported to the hub" in text
    assert "999.1.1.1: cannot read it: ipv4-addr value '999.1.1.1': Octet 999" in text
    assert "2 value(s): 0 curated, 0 otherwise known, 1 not reported, 1 unreadable" in text

    # Among known values, the unknown and unreadable ones are still reported, each in turn.
    # On an 80-column terminal, as an analyst's often is: lines wrap, nothing is cut short.
    mixed = lookup(reported, "hxxp://update-check[.]example/", C2_ADDRESS, "not-an-ioc", columns=80)
    assert mixed.returncode == 0, mixed.stderr
    text = " ".join(mixed.stdout.split())
    assert "hxxp://update-check[.]example/ → url http://update-check.example/" in text
    assert f"{C2_ADDRESS} → ipv4-addr {C2_ADDRESS}" in text
    assert "curated, valid: version 2" in text
    assert "isp-northnet: confidence 60, TLP:GREEN, malicious-code/c2-server" in text
    assert "av-sentinel: confidence 80, TLP:CLEAR" in text
    assert "withheld from: partner:bank-meridian" in text
    # Patterns are printed as they are, brackets and all.
    assert f": {COMPOUND}" in text
    assert "not-an-ioc: cannot read it:" in text
    assert "3 value(s): 1 curated, 0 otherwise known, 1 not reported, 1 unreadable" in text


def test_no_readable_value_is_an_error(reported: HubProcess) -> None:
    found = lookup(reported, "exa mple")
    assert found.returncode == 2
    nothing = lookup(reported)
    assert nothing.returncode == 2
    assert "no values to look up" in nothing.stderr
