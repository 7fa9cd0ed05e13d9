"""TAXII 2.1 pull from a real medallion 3.0.0 server into a real hub, across a restart.

The partner CERT West publishes on its own TAXII server; the hub's agreement with it has
a ``taxii`` connector polling every second inside ``fusionhub run``. Objects arrive in
three batches - one while the hub is down - and each is ingested exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator

import orjson
import pytest

from connectors.checkpoints import CheckpointStore
from hub.admit.warninglists import shipped_index
from hub.canonical import observable_from_pattern
from hub.cli.demo_partner import PartnerTaxiiServer
from hub.kafka_io import TopicMessage
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.connector_hub import (
    CONNECTOR_DATA,
    curated,
    import_file,
    ingested,
    partners_dir,
)
from tests.integration.hub_process import HubProcess, collect, latest_versions

pytestmark = pytest.mark.integration

PASSWORD_ENV = "CERT_WEST_TAXII_PASSWORD"
PHISHING_DOMAIN = "meridian-secure-login.example"


def cert_west(url: str) -> str:
    return f"""id: cert-west
name: CERT West
sector: cert
default_marking: TLP:GREEN
default_confidence: 70
receives: ["*"]
connectors:
  - kind: taxii
    url: {url}
    interval: PT1S
    page_size: 3
    credentials: {{username: hub, password_env: {PASSWORD_ENV}}}
"""


def indicator(pattern: str, label: str) -> dict[str, object]:
    ts = "2026-11-20T06:00:00.000Z"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, 'cert-west' + pattern)}",
        "created": ts,
        "modified": ts,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": ts,
        "labels": [label],
    }


def c2_batch(batch: int) -> list[dict[str, object]]:
    objects = [
        indicator(f"[ipv4-addr:value = '45.137.21.{100 + batch * 10 + n}']", "c2") for n in range(5)
    ]
    # Real C2 space: no known-benign list may swallow them, or "exactly once" proves nothing.
    assert not any(
        shipped_index().match(observable_from_pattern(str(o["pattern"]))) for o in objects
    )
    return objects


@pytest.fixture(scope="module")
def taxii_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PartnerTaxiiServer]:
    server = PartnerTaxiiServer(tmp_path_factory.mktemp("medallion"), api_root="cert-west")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hub(
    kafka_broker: KafkaBroker,
    taxii_server: PartnerTaxiiServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[HubProcess]:
    workdir = tmp_path_factory.mktemp("taxii-hub")
    process = HubProcess(
        bootstrap=kafka_broker.bootstrap,
        workdir=workdir,
        partners_dir=partners_dir(workdir / "partners", {"cert-west": cert_west(taxii_server.url)}),
        extra_env={PASSWORD_ENV: taxii_server.password},
    )
    process.prepare_topics()
    asyncio.run(CheckpointStore(process.bootstrap, process.topics.checkpoints).ensure_topic())
    process.start()
    yield process
    process.stop()


def pulled_ids(messages: list[TopicMessage]) -> list[str]:
    """Object ids in the TAXII-pulled ingest records, one entry per delivery."""
    return [
        str(obj["id"])
        for record in ingested(messages)
        if record.origin.channel == "taxii-pull"
        for obj in orjson.loads(record.raw())["objects"]
    ]


async def until_ingested(hub: HubProcess, ids: set[str]) -> None:
    await collect(
        hub.bootstrap,
        topics=[hub.topics.ingest],
        until=lambda messages: ids <= set(pulled_ids(messages)),
        timeout_s=120,
        settle_s=0,
    )


async def until_checkpointed(hub: HubProcess, count: int) -> None:
    """Until the connector's checkpoint covers ``count`` objects of the latest instant."""

    def covered(messages: list[TopicMessage]) -> bool:
        latest = [orjson.loads(m.value) for m in messages if m.key == b"cert-west/taxii"]
        return bool(latest) and len(latest[-1]["seen"]) >= count

    await collect(
        hub.bootstrap, topics=[hub.topics.checkpoints], until=covered, timeout_s=60, settle_s=0
    )


async def test_each_object_is_ingested_exactly_once_across_a_restart(
    hub: HubProcess, taxii_server: PartnerTaxiiServer
) -> None:
    batches = [c2_batch(n) for n in range(3)]
    ids = [{str(o["id"]) for o in batch} for batch in batches]
    every = ids[0] | ids[1] | ids[2]

    taxii_server.add(batches[0])
    await until_ingested(hub, ids[0])
    await until_checkpointed(hub, len(batches[0]))
    hub.stop()
    taxii_server.add(batches[1])  # added while the hub is down
    hub.start()
    await until_ingested(hub, ids[0] | ids[1])
    taxii_server.add(batches[2])
    # Then several more polls (settle): nothing may come a second time.
    messages = await collect(
        hub.bootstrap,
        topics=[hub.topics.ingest],
        until=lambda m: every <= set(pulled_ids(m)),
        timeout_s=120,
        settle_s=6.0,
    )
    assert Counter(pulled_ids(messages)) == dict.fromkeys(every, 1), hub.log_tail()
    keys = {
        observable_from_pattern(str(o["pattern"])).key: {"cert-west"}
        for batch in batches
        for o in batch
    }
    records = await curated(hub, keys)
    assert all(records[key].version == 1 for key in keys)  # one curated version each


async def test_a_phishing_domain_from_a_misp_event_and_a_taxii_feed_is_one_indicator(
    hub: HubProcess, taxii_server: PartnerTaxiiServer
) -> None:
    taxii_server.add([indicator(f"[domain-name:value = '{PHISHING_DOMAIN.upper()}.']", "phishing")])
    await import_file(hub, "bank-meridian", "misp", CONNECTOR_DATA / "misp-events.json")

    key = f"domain-name|{PHISHING_DOMAIN}"
    records = await curated(hub, {key: {"bank-meridian", "cert-west"}})
    record = records[key]
    assert set(record.contributions) == {"bank-meridian", "cert-west"}, hub.log_tail()
    assert {c.crime_code for c in record.contributions.values()} == {"fraud/phishing"}

    analysts = await collect(
        hub.bootstrap,
        prefix=hub.topics.analysts_prefix(),
        until=lambda m: record.indicator_id in latest_versions(m),
        timeout_s=60,
        settle_s=1.0,
    )
    published = latest_versions(analysts)[record.indicator_id]
    assert published["pattern"] == f"[domain-name:value = '{PHISHING_DOMAIN}']"
    contributors = published["x_fusion_contributors"]
    assert isinstance(contributors, list) and len(contributors) == 2
