"""The sinks route each topic's messages to the right collection, status or audit record."""

from __future__ import annotations

import re
import uuid

import orjson

from hub.store import ObjectFilter, Store, status_detail
from hub.store.collections import analysts_collection, feed_collection, liaison_collection
from hub.store.sinks import Absorber, SinkRoutes
from hub.topics import Topics
from tests.store.stix import indicator, indicator_id

TOPICS = Topics("t1.")


def value(obj: dict[str, object]) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def test_routes_follow_the_topic_names_under_the_namespace() -> None:
    routes = SinkRoutes(TOPICS)
    assert routes.route(TOPICS.analysts("fraud/phishing")) == analysts_collection()
    assert routes.route(TOPICS.partner("isp-northnet")) == feed_collection("isp-northnet")
    assert routes.route(TOPICS.liaison("nca")) == liaison_collection("nca")
    assert routes.route(TOPICS.status) == "status"
    assert routes.route(TOPICS.audit) == "audit"
    assert routes.route("t2.analysts.fraud.phishing") is None
    assert routes.route(TOPICS.curated) is None
    pattern = re.compile(routes.pattern())
    assert pattern.match(TOPICS.analysts("malicious-code/c2-server"))
    assert pattern.match(TOPICS.status) and pattern.match(TOPICS.audit)
    assert not pattern.match(TOPICS.ingest) and not pattern.match("t2.fusion.status")


async def test_a_batch_lands_in_collections_statuses_and_the_audit_trail(store: Store) -> None:
    status_id = str(uuid.uuid4())
    await store.create_status(
        status_id=status_id,
        collection_id="inbox",
        partner="isp-northnet",
        posted=[status_detail(indicator_id(1), "2026-11-20T08:00:00.000Z")],
    )
    report = {
        "ingest_id": status_id,
        "successes": [{"id": indicator_id(1), "version": "2026-11-20T08:00:00.000Z"}],
        "failures": [],
    }
    audit = {
        "object_id": indicator_id(1),
        "version": "2026-11-20T08:00:00.000Z",
        "decided_at": "2026-11-20T08:00:00.000Z",
        "decisions": [
            {
                "audience": "analysts",
                "partner": "isp-northnet",
                "allowed": True,
                "rule": "analysts-within-clearance",
            },
            {
                "audience": "liaison:nca",
                "partner": "isp-northnet",
                "allowed": False,
                "rule": "no-liaison-consent",
            },
        ],
    }
    absorber = Absorber(store, SinkRoutes(TOPICS))
    absorbed = await absorber.absorb(
        [
            (TOPICS.analysts("fraud/phishing"), value(indicator(1))),
            (TOPICS.analysts("malicious-code/c2-server"), value(indicator(2))),
            (TOPICS.partner("isp-northnet"), value(indicator(1))),
            (TOPICS.liaison("nca"), value(indicator(3))),
            (TOPICS.liaison("nca"), b"not json"),
            (TOPICS.status, orjson.dumps(report)),
            (TOPICS.audit, orjson.dumps(audit)),
        ]
    )
    assert (absorbed.versions, absorbed.reports, absorbed.audit_records) == (4, 1, 2)
    assert len(absorbed.unreadable) == 1 and "liaison.nca" in absorbed.unreadable[0]

    async def ids(collection_id: str) -> list[str]:
        page = await store.page_manifest(collection_id, ObjectFilter(), 10)
        return sorted(entry.object_id for entry in page.items)

    assert await ids(analysts_collection().id) == sorted([indicator_id(1), indicator_id(2)])
    assert await ids(feed_collection("isp-northnet").id) == [indicator_id(1)]
    assert await ids(liaison_collection("nca").id) == [indicator_id(3)]
    status = await store.get_status(status_id)
    assert status is not None and status.status == "complete"
    assert len(await store.query_audit(object_id=indicator_id(1))) == 2
