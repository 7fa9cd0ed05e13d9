"""Status resources start pending and settle from the pipeline's report, counts adding up."""

from __future__ import annotations

import uuid

from hub.store import Detail, Store, status_detail
from tests.store.stix import indicator_id

V = "2026-11-20T08:00:00.000Z"


def posted(count: int) -> list[Detail]:
    return [status_detail(indicator_id(n), V) for n in range(count)]


async def new_status(store: Store, count: int) -> str:
    status_id = str(uuid.uuid4())
    await store.create_status(
        status_id=status_id, collection_id="inbox", partner="isp-northnet", posted=posted(count)
    )
    return status_id


def report(status_id: str, ok: list[int], bad: dict[int, str]) -> dict[str, object]:
    return {
        "ingest_id": status_id,
        "partner": "isp-northnet",
        "successes": [{"id": indicator_id(n), "version": V, "message": ""} for n in ok],
        "failures": [{"id": indicator_id(n), "version": V, "message": m} for n, m in bad.items()],
    }


async def test_a_new_status_is_pending_for_every_posted_object(store: Store) -> None:
    status_id = await new_status(store, 3)
    resource = await store.get_status(status_id)
    assert resource is not None
    taxii = resource.to_taxii()
    assert taxii["status"] == "pending"
    assert (taxii["total_count"], taxii["pending_count"], taxii["success_count"]) == (3, 3, 0)
    assert [p["id"] for p in taxii["pendings"]] == [indicator_id(n) for n in range(3)]


async def test_the_report_completes_it_with_each_reason(store: Store) -> None:
    status_id = await new_status(store, 3)
    reason = "confidence-range: confidence 150 is not in 0..100"
    assert await store.settle_statuses([report(status_id, [0, 2], {1: reason})]) == 1
    resource = await store.get_status(status_id)
    assert resource is not None
    taxii = resource.to_taxii()
    assert taxii["status"] == "complete"
    assert (taxii["success_count"], taxii["failure_count"], taxii["pending_count"]) == (2, 1, 0)
    assert taxii["failures"] == [{"id": indicator_id(1), "version": V, "message": reason}]
    assert "pendings" not in taxii


async def test_a_whole_record_rejection_fails_every_posted_object(store: Store) -> None:
    status_id = await new_status(store, 4)
    whole = {
        "ingest_id": status_id,
        "successes": [],
        "failures": [{"id": None, "version": None, "message": "unparsable-json: not JSON"}],
    }
    await store.settle_statuses([whole])
    resource = await store.get_status(status_id)
    assert resource is not None
    assert len(resource.failures) == resource.total_count == 4
    assert {f["message"] for f in resource.failures} == {"unparsable-json: not JSON"}


async def test_a_redelivered_report_and_reports_of_other_records_change_nothing(
    store: Store,
) -> None:
    status_id = await new_status(store, 2)
    await store.settle_statuses([report(status_id, [0, 1], {})])
    again = report(status_id, [], {0: "late", 1: "late"})
    other = report(str(uuid.uuid4()), [0], {})
    assert await store.settle_statuses([again, other]) == 0
    resource = await store.get_status(status_id)
    assert resource is not None and len(resource.successes) == 2


async def test_an_empty_post_is_complete_at_once_and_a_failed_one_is_forgotten(
    store: Store,
) -> None:
    empty = await new_status(store, 0)
    resource = await store.get_status(empty)
    assert resource is not None and resource.status == "complete"
    await store.forget_status(empty)
    assert await store.get_status(empty) is None
