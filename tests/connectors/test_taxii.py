"""TAXII 2.1 pull against an in-memory collection: paging, checkpoints, stops between pages.

The real server (medallion) is in tests/integration/test_connectors_taxii.py; here a fake
session serves Get Objects as TAXII 2.1 §5.3 describes it, so each case is exact and fast.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import orjson
import pytest
import requests

from connectors.base import ConnectorError
from connectors.taxii import Page, PollState, TaxiiConnector, version_digest
from schemas.connectors import TaxiiPullSettings
from tests.connectors.conftest import RecordingDelivery

URL = "https://taxii.cert-west.example/api/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
T1 = "2026-11-20T08:00:00.123456Z"
T2 = "2026-11-20T09:30:00.000001Z"


def indicator(n: int) -> dict[str, object]:
    ts = "2026-11-20T07:00:00.000Z"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, str(n))}",
        "created": ts,
        "modified": ts,
        "pattern": f"[ipv4-addr:value = '45.137.21.{n}']",
        "pattern_type": "stix",
        "valid_from": ts,
    }


@dataclass
class FakeCollection:
    """Objects with their date_added; Get Objects with added_after, limit and next."""

    added: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    fail_on_request: int | None = None
    requests: int = 0
    _pending: dict[str, list[tuple[str, dict[str, object]]]] = field(default_factory=dict)

    def add(self, date_added: str, *objects: dict[str, object]) -> None:
        self.added += [(date_added, obj) for obj in objects]

    def page(self, *, added_after: str | None, next_token: str | None, limit: int) -> Page:
        self.requests += 1
        if self.fail_on_request == self.requests:
            raise requests.ConnectionError("connection reset by peer")
        if next_token is None:
            matching = sorted(
                (item for item in self.added if added_after is None or item[0] > added_after),
                key=lambda item: item[0],
            )
        else:
            matching = self._pending.pop(next_token)
        chunk, rest = matching[:limit], matching[limit:]
        token = None
        if rest:
            token = uuid.uuid4().hex
            self._pending[token] = rest
        return Page(
            objects=[obj for _, obj in chunk],
            more=bool(rest),
            next=token,
            added_first=chunk[0][0] if chunk else None,
            added_last=chunk[-1][0] if chunk else None,
        )

    def close(self) -> None:
        pass


@pytest.fixture
def collection(monkeypatch: pytest.MonkeyPatch) -> FakeCollection:
    fake = FakeCollection()
    monkeypatch.setattr("connectors.taxii.TaxiiSession", lambda url, settings: fake)
    return fake


def delivered_ids(delivery: RecordingDelivery) -> list[str]:
    return [obj["id"] for r in delivery.records for obj in orjson.loads(r.raw())["objects"]]


async def run(connector: TaxiiConnector, checkpoint: object) -> RecordingDelivery:
    delivery = RecordingDelivery()
    await connector.collect(delivery, checkpoint)  # type: ignore[arg-type]
    return delivery


async def test_polls_page_by_page_then_only_what_was_added_since(
    collection: FakeCollection,
) -> None:
    connector = TaxiiConnector("cert-west", TaxiiPullSettings(kind="taxii", url=URL, page_size=2))
    collection.add(T1, *(indicator(n) for n in range(5)))  # one POST: one date_added
    first = await run(connector, None)
    assert [len(orjson.loads(r.raw())["objects"]) for r in first.records] == [2, 2, 1]
    assert all(r.origin.channel == "taxii-pull" and r.origin.name == URL for r in first.records)
    assert first.checkpoint is not None and first.checkpoint["added_last"] == T1

    idle = await run(connector, first.checkpoint)
    assert idle.records == [] and idle.checkpoints == []  # nothing new: nothing written

    collection.add(T2, indicator(5), indicator(6))
    later = await run(connector, first.checkpoint)
    assert delivered_ids(later) == [indicator(5)["id"], indicator(6)["id"]]


async def test_a_run_stopped_between_pages_neither_misses_nor_repeats(
    collection: FakeCollection,
) -> None:
    connector = TaxiiConnector("cert-west", TaxiiPullSettings(kind="taxii", url=URL, page_size=2))
    collection.add(T1, *(indicator(n) for n in range(5)))
    collection.fail_on_request = 2  # the second page never comes
    stopped = RecordingDelivery()
    with pytest.raises(ConnectorError, match="connection reset"):
        await connector.collect(stopped, None)
    assert len(delivered_ids(stopped)) == 2

    # The rest of the instant T1 is still there: asked for from just before T1, the
    # versions already delivered are skipped.
    resumed = await run(connector, stopped.checkpoint)
    assert sorted(delivered_ids(stopped) + delivered_ids(resumed)) == sorted(
        str(indicator(n)["id"]) for n in range(5)
    )


async def test_a_new_version_of_a_delivered_object_is_delivered(
    collection: FakeCollection,
) -> None:
    connector = TaxiiConnector("cert-west", TaxiiPullSettings(kind="taxii", url=URL))
    collection.add(T1, indicator(1))
    first = await run(connector, None)
    revoked = {**indicator(1), "modified": "2026-11-20T10:00:00.000Z", "revoked": True}
    collection.add(T2, revoked)
    second = await run(connector, first.checkpoint)
    assert [orjson.loads(r.raw())["objects"] for r in second.records] == [[revoked]]


def test_poll_state_asks_from_one_microsecond_before_its_instant() -> None:
    state = PollState(added_last=T1, seen=[version_digest(indicator(1))])
    assert state.query_after() == "2026-11-20T08:00:00.123455Z"
    assert not state.is_new(indicator(1)) and state.is_new(indicator(2))
    state.advance(Page([indicator(2)], False, None, T2, T2))
    assert (state.added_last, state.seen) == (T2, [version_digest(indicator(2))])
