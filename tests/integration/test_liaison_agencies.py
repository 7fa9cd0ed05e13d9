"""An agency the hub config names receives what the protocols allow it, from its topic."""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson
import pytest

from hub.kafka_io import IngestProducer, new_ingest_record, read_topics
from protocols.tlp import TLP2_IDS, Tlp
from schemas.envelopes import Origin
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.hub_process import HubProcess, collect

pytestmark = pytest.mark.integration


def indicator(address: str, level: Tlp) -> dict[str, object]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-11-20T08:00:00.000Z",
        "modified": "2026-11-20T08:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '{address}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-20T08:00:00.000Z",
        "object_marking_refs": [TLP2_IDS[level]],
    }


async def test_an_agency_named_only_in_the_hub_config_gets_clear_and_nothing_else(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("liaison_agencies: [nca, interpol, europol]\n", encoding="utf-8")
    hub = HubProcess(
        bootstrap=kafka_broker.bootstrap,
        workdir=tmp_path,
        extra_env={"FUSIONHUB_HUB_CONFIG": str(config)},
    )
    await hub.prepare_topics_async()
    hub.start()
    try:
        clear = indicator("91.216.7.10", Tlp.CLEAR)
        green = indicator("91.216.7.11", Tlp.GREEN)  # isp-northnet consents to nca only
        async with IngestProducer(hub.bootstrap, hub.topics.ingest) as producer:
            for obj in (clear, green):
                await producer.send(
                    new_ingest_record("isp-northnet", orjson.dumps(obj), origin=Origin("cli"))
                )
            await producer.flush()
        europol, nca = hub.topics.liaison("europol"), hub.topics.liaison("nca")
        messages = await collect(
            hub.bootstrap,
            topics=[europol, nca],
            until=lambda m: len({x.topic for x in m}) == 2 and len(m) >= 3,
            timeout_s=120,
        )
    finally:
        hub.stop()
    held: dict[str, set[str]] = {}
    for message in messages:
        held.setdefault(message.topic, set()).add(str(orjson.loads(message.value)["pattern"]))
    assert held.get(europol) == {clear["pattern"]}, hub.log_tail()
    assert held.get(nca) == {clear["pattern"], green["pattern"]}
    # And the worker created the agency's topic: it is there to read, not auto-created.
    assert [m async for m in read_topics(hub.bootstrap, topics=[europol])]
