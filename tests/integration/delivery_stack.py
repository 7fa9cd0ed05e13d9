"""A worker and ``fusionhub serve`` on the real broker for the delivery tests, with data.

The sample partners (they carry the demo credentials): av-sentinel consents to NCA and
INTERPOL, isp-northnet to NCA only, bank-meridian (AMBER by default) to NCA only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from hub.canonical import observable_from_pattern
from hub.kafka_io import IngestProducer, new_ingest_record
from hub.store import ObjectFilter, Store
from hub.store.collections import CollectionSpec
from schemas.envelopes import Origin
from tests.integration.feeds import indicator
from tests.integration.hub_process import HubProcess
from tests.integration.sharing_scenario import broker_settled
from tests.integration.taxii_server import TaxiiServer


@dataclass(frozen=True)
class Sent:
    partner: str
    pattern: str
    label: str
    confidence: int = 60

    @property
    def curated_id(self) -> str:
        return observable_from_pattern(self.pattern).indicator_id

    def raw(self) -> bytes:
        obj = indicator(self.partner, self.pattern, self.label, confidence=self.confidence)
        return orjson.dumps(obj)


async def send(hub: HubProcess, items: list[Sent], *, garbage: tuple[str, ...] = ()) -> None:
    """Put the items (and unparsable payloads, to be rejected) on fusion.ingest."""
    async with IngestProducer(hub.bootstrap, hub.topics.ingest) as producer:
        for item in items:
            origin = Origin(channel="taxii-push")
            await producer.send(new_ingest_record(item.partner, item.raw(), origin=origin))
        for payload in garbage:
            record = new_ingest_record(
                "isp-northnet", payload.encode(), origin=Origin(channel="cli", name="broken.json")
            )
            await producer.send(record)
        await producer.flush()


async def held(store_url: str, spec: CollectionSpec) -> dict[str, dict[str, object]]:
    """The latest version of every object in a collection, by id."""
    store = await Store.open(store_url, upgrade=False)
    try:
        page = await store.page_objects(spec.id, ObjectFilter(), 10_000)
    finally:
        await store.close()
    return {obj["id"]: obj for obj in (orjson.loads(i.body) for i in page.items)}


async def wait_held(
    store_url: str, spec: CollectionSpec, ids: set[str], *, timeout_s: float = 180
) -> dict[str, dict[str, object]]:
    deadline = time.monotonic() + timeout_s
    while True:
        objects = await held(store_url, spec)
        if ids <= set(objects):
            return objects
        if time.monotonic() > deadline:
            raise TimeoutError(f"{spec.kind}:{spec.owner} holds {set(objects)}, not all of {ids}")
        await asyncio.sleep(1.0)


@asynccontextmanager
async def delivery_stack(
    bootstrap: str, workdir: Path
) -> AsyncIterator[tuple[HubProcess, TaxiiServer]]:
    hub = HubProcess(bootstrap=bootstrap, workdir=workdir)
    await hub.prepare_topics_async()
    await broker_settled(bootstrap, hub.topics)
    server = TaxiiServer(hub=hub, workdir=workdir)
    hub.start()
    try:
        await asyncio.to_thread(server.start)
        yield hub, server
    finally:
        server.stop()
        hub.stop()
