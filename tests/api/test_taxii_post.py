"""POSTing to an inbox hands one ingest record to the pipeline and returns a status resource."""

from __future__ import annotations

import httpx
import orjson

from hub.api.publisher import PublishError
from hub.store import Store
from tests.api.conftest import (
    MERIDIAN,
    NORTHNET,
    NORTHNET_INBOX,
    ROOT,
    TAXII,
    RecordingPublisher,
    assert_taxii_error,
    basic,
)
from tests.store.stix import indicator, indicator_id

INBOX = f"{ROOT}/collections/{NORTHNET_INBOX}/objects/"
HEADERS = {**basic(NORTHNET), "Content-Type": TAXII}


async def test_a_post_becomes_one_ingest_record_of_the_authenticated_partner(
    client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    # The envelope claims to come from the bank; the hub believes the credentials instead.
    envelope = {"objects": [indicator(1), indicator(2)], "x_partner": MERIDIAN[0]}
    body = orjson.dumps(envelope)
    response = await client.post(INBOX, headers=HEADERS, content=body)
    assert response.status_code == 202 and response.headers["content-type"] == TAXII
    status = response.json()
    assert status["status"] == "pending"
    assert (status["total_count"], status["pending_count"], status["success_count"]) == (2, 2, 0)
    (record,) = publisher.records
    assert record.partner == "isp-northnet"
    assert record.ingest_id == status["id"]
    assert (record.origin.channel, record.origin.name) == ("taxii-push", NORTHNET_INBOX)
    assert record.raw() == body


async def test_the_status_completes_when_the_pipeline_reports(
    client: httpx.AsyncClient, store: Store
) -> None:
    objects = [indicator(1), indicator(2), {**indicator(3), "confidence": 150}]
    status = (
        await client.post(INBOX, headers=HEADERS, content=orjson.dumps({"objects": objects}))
    ).json()
    version = "2026-11-20T08:00:00.000Z"
    reason = "confidence-range: 'confidence' must be 0..100, not 150"
    await store.settle_statuses(
        [
            {
                "ingest_id": status["id"],
                "successes": [{"id": indicator_id(n), "version": version} for n in (1, 2)],
                "failures": [{"id": indicator_id(3), "version": version, "message": reason}],
            }
        ]
    )
    done = (await client.get(f"{ROOT}/status/{status['id']}/", headers=basic(NORTHNET))).json()
    assert done["status"] == "complete"
    assert (done["success_count"], done["failure_count"], done["pending_count"]) == (2, 1, 0)
    assert done["failures"] == [{"id": indicator_id(3), "version": version, "message": reason}]
    assert [s["id"] for s in done["successes"]] == [indicator_id(1), indicator_id(2)]


async def test_posting_the_same_object_twice_is_accepted_twice(
    client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    body = orjson.dumps({"objects": [indicator(1)]})
    first = await client.post(INBOX, headers=HEADERS, content=body)
    second = await client.post(INBOX, headers=HEADERS, content=body)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] != second.json()["id"]
    assert len(publisher.records) == 2


async def test_an_empty_envelope_is_complete_at_once_and_sends_nothing(
    client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    response = await client.post(INBOX, headers=HEADERS, content=b'{"objects": []}')
    assert response.status_code == 202
    assert response.json()["status"] == "complete" and response.json()["total_count"] == 0
    assert publisher.records == []


async def test_objects_without_id_are_still_counted(client: httpx.AsyncClient) -> None:
    body = orjson.dumps({"objects": [indicator(1), "not an object", {"type": "indicator"}]})
    status = (await client.post(INBOX, headers=HEADERS, content=body)).json()
    assert status["total_count"] == 3
    assert [p["id"] for p in status["pendings"]] == [indicator_id(1), "", ""]


async def test_an_unreachable_pipeline_is_503_and_leaves_no_status(
    client: httpx.AsyncClient, publisher: RecordingPublisher, store: Store
) -> None:
    publisher.failure = PublishError("the pipeline's broker at 127.0.0.1:1 is unreachable")
    response = await client.post(INBOX, headers=HEADERS, content=b'{"objects": [{}]}')
    assert "unreachable" in str(assert_taxii_error(response, 503)["description"])
    publisher.failure = PublishError("too large for the broker", too_large=True)
    response = await client.post(INBOX, headers=HEADERS, content=b'{"objects": [{}]}')
    assert_taxii_error(response, 413)
