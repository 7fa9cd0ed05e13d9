"""The hub's API in process (httpx over ASGI) on a SQLite store, with the sample config.

POSTs go to a publisher that records ingest records instead of a broker; the Kafka path is
tested in tests/integration/test_taxii_*.py.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from hub.api import ApiServices, ServeSettings, create_api, open_services
from hub.api.publisher import PublishError
from hub.settings import HubSettings
from hub.store import Store
from hub.store.collections import (
    analysts_collection,
    feed_collection,
    inbox_collection,
    liaison_collection,
)
from schemas.envelopes import IngestRecord

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "deploy" / "samples"
TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/fusion"

# The demo credentials of deploy/samples (README, "TAXII 2.1 API").
NORTHNET = ("isp-northnet", "northnet-demo")
MERIDIAN = ("bank-meridian", "meridian-demo")
ANA = ("ana", "ana-demo")  # analyst, RED clearance
BEN = ("ben", "ben-demo")  # analyst, AMBER+STRICT
NCA = ("nca-liaison", "nca-demo")
OPS = ("ops", "ops-demo")

ANALYSTS = analysts_collection().id
NORTHNET_INBOX = inbox_collection("isp-northnet").id
NORTHNET_FEED = feed_collection("isp-northnet").id
MERIDIAN_INBOX = inbox_collection("bank-meridian").id
MERIDIAN_FEED = feed_collection("bank-meridian").id
NCA_EXPORT = liaison_collection("nca").id
INTERPOL_EXPORT = liaison_collection("interpol").id


@dataclass
class RecordingPublisher:
    records: list[IngestRecord] = field(default_factory=list)
    failure: PublishError | None = None

    async def publish(self, record: IngestRecord) -> None:
        if self.failure is not None:
            raise self.failure
        self.records.append(record)


def basic(credentials: tuple[str, str]) -> dict[str, str]:
    token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Accept": TAXII}


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def services(tmp_path: Path, publisher: RecordingPublisher) -> AsyncIterator[ApiServices]:
    opened = await open_services(
        HubSettings(partners_dir=SAMPLES / "partners"),
        ServeSettings(hub_config=SAMPLES / "hub.yaml", max_content_length=64 * 1024),
        store_url=f"sqlite+aiosqlite:///{tmp_path / 'store.db'}",
        publisher=publisher,
    )
    try:
        yield opened
    finally:
        await opened.store.close()


@pytest.fixture
async def client(services: ApiServices) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


def assert_taxii_error(response: httpx.Response, status: int) -> dict[str, object]:
    """The response is a TAXII error message with this status, in the TAXII media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII
    body = response.json()
    assert isinstance(body, dict)
    assert body["http_status"] == str(status)
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["description"], str) and body["description"]
    return body


@pytest.fixture
def store(services: ApiServices) -> Store:
    return services.store
