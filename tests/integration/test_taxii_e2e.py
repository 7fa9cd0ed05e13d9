"""Partners post over TAXII; analysts page the curated result back, every object once.

Real pieces only: the broker, a hub worker (admit, correlate, disseminate), ``fusionhub
serve`` on a free port, and OASIS's taxii2-client (v21) as both partner and analyst.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
from taxii2client.v21 import ApiRoot, Collection, Server, Status, as_pages

from hub.canonical import observable_from_pattern
from hub.store.collections import analysts_collection, inbox_collection
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.feeds import indicator
from tests.integration.hub_process import HubProcess
from tests.integration.taxii_server import TaxiiServer

pytestmark = pytest.mark.integration

PARTNER = ("isp-northnet", "northnet-demo")
ANALYST = ("ana", "ana-demo")


@pytest.fixture(scope="module")
def server(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TaxiiServer]:
    workdir = tmp_path_factory.mktemp("taxii-e2e")
    hub = HubProcess(bootstrap=kafka_broker.bootstrap, workdir=workdir)
    hub.prepare_topics()
    hub.start()
    api = TaxiiServer(hub=hub, workdir=workdir)
    try:
        api.start()
        yield api
    finally:
        api.stop()
        hub.stop()


def phishing_domain(tag: str, n: int) -> dict[str, object]:
    pattern = f"[domain-name:value = 'login-{tag}-{n}.phish.example']"
    return indicator(PARTNER[0], pattern, "phishing", confidence=70)


def curated_id(obj: dict[str, object]) -> str:
    return observable_from_pattern(str(obj["pattern"])).indicator_id


def collection(server: TaxiiServer, who: tuple[str, str], collection_id: str) -> Collection:
    root: ApiRoot = Server(server.url, user=who[0], password=who[1]).default
    (found,) = [c for c in root.collections if c.id == collection_id]
    return found


def post(server: TaxiiServer, objects: list[dict[str, object]]) -> Status:
    inbox = collection(server, PARTNER, inbox_collection(PARTNER[0]).id)
    return inbox.add_objects(
        {"objects": objects}, wait_for_completion=True, poll_interval=0.5, timeout=240
    )


def read_back(server: TaxiiServer, wanted: set[str], *, timeout_s: float) -> Counter[str]:
    """Once every wanted id is in the analysts' collection, page it all with as_pages."""
    analysts = collection(server, ANALYST, analysts_collection().id)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        present = {
            entry["id"]
            for page in as_pages(analysts.get_manifest, per_request=1000)
            for entry in page.get("objects", [])
        }
        if wanted <= present:
            break
        time.sleep(1.0)
    pages = list(as_pages(analysts.get_objects, per_request=100))
    assert all(len(page.get("objects", [])) <= 100 for page in pages)
    return Counter(obj["id"] for page in pages for obj in page.get("objects", []))


def test_posted_envelopes_reach_the_analysts_once_each_with_status_reasons(
    server: TaxiiServer,
) -> None:
    batches = [[phishing_domain(f"b{b}", n) for n in range(120)] for b in range(3)]
    bad = {**phishing_domain("bad", 0), "confidence": 150}
    batches[1].append(bad)
    batches[2].append(batches[0][0])  # the same object again, in a later envelope
    statuses = [post(server, batch) for batch in batches]
    for status, batch in zip(statuses, batches, strict=True):
        assert status.status == "complete", server.log_tail()
        assert status.total_count == len(batch)
    assert (statuses[0].success_count, statuses[0].failure_count) == (120, 0)
    assert (statuses[1].success_count, statuses[1].failure_count) == (120, 1)
    (failure,) = statuses[1].failures
    assert failure["id"] == bad["id"] and "confidence" in failure["message"]
    assert statuses[2].success_count == 121  # posting the same object twice is no error

    wanted = {curated_id(obj) for batch in batches for obj in batch if obj is not bad}
    counts = read_back(server, wanted, timeout_s=180)
    assert set(counts) >= wanted, server.log_tail()
    assert set(counts.values()) == {1}


def test_five_thousand_objects_in_one_post_page_back_exactly_once(server: TaxiiServer) -> None:
    objects = [phishing_domain("bulk", n) for n in range(5000)]
    status = post(server, objects)
    assert status.status == "complete", server.log_tail()
    assert (status.total_count, status.success_count, status.failure_count) == (5000, 5000, 0)
    wanted = {curated_id(obj) for obj in objects}
    counts = read_back(server, wanted, timeout_s=300)
    assert wanted <= set(counts), server.log_tail()
    assert set(counts.values()) == {1}
