"""The pipeline from fusion.ingest to the analysts topics, against a real broker."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import orjson
import pytest

from hub.disseminate.views import partner_identity_id
from hub.kafka_io import IngestProducer, TopicMessage, read_topics
from schemas.envelopes import IngestRecord, Rejection
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.feeds import Feed, make_feed
from tests.integration.hub_process import HubProcess, collect, latest_versions

pytestmark = pytest.mark.integration


async def send_feed(hub: HubProcess, feed: Feed) -> None:
    async with IngestProducer(hub.bootstrap, hub.topics.ingest) as producer:
        for record in feed.records:
            await producer.send(record)
        await producer.flush()


def contributors(obj: dict[str, object]) -> set[str]:
    refs = obj.get("x_fusion_contributors")
    assert isinstance(refs, list)
    return {str(c["source_ref"]) for c in refs}


def all_merged(feed: Feed):  # type: ignore[no-untyped-def]
    wanted = {
        id_: {partner_identity_id(p) for p in partners} for id_, partners in feed.expected.items()
    }

    def check(messages: list[TopicMessage]) -> bool:
        latest = latest_versions(messages)
        return len(latest) >= len(wanted) and all(
            id_ in latest and contributors(latest[id_]) == refs for id_, refs in wanted.items()
        )

    return check


@pytest.fixture
def hub(kafka_broker: KafkaBroker, tmp_path: Path):  # type: ignore[no-untyped-def]
    process = HubProcess(bootstrap=kafka_broker.bootstrap, workdir=tmp_path)
    process.prepare_topics()
    yield process
    process.stop()


async def test_three_partners_merge_into_one_indicator_per_observable(hub: HubProcess) -> None:
    feed = make_feed(distinct=3000, records=10_000, invalid=200)
    hub.start()
    await send_feed(hub, feed)
    curated = await collect(
        hub.bootstrap,
        prefix=hub.topics.analysts_prefix(),
        until=all_merged(feed),
        timeout_s=300,
    )
    latest = latest_versions(curated)
    assert set(latest) == set(feed.expected), hub.log_tail()
    for id_, partners in feed.expected.items():
        assert contributors(latest[id_]) == {partner_identity_id(p) for p in partners}
        assert latest[id_]["pattern"] == feed.keys[id_].pattern
    # Each distinct observable is published under exactly one id and one crime-code topic
    # (the feed gives each observable one code: none moves to another code's topic).
    topics_per_id: dict[str, set[str]] = {}
    for message in curated:
        topics_per_id.setdefault(orjson.loads(message.value)["id"], set()).add(message.topic)
    assert all(len(t) == 1 for t in topics_per_id.values())

    rejected = [
        Rejection.from_bytes(m.value)
        async for m in read_topics(hub.bootstrap, topics=[hub.topics.rejected])
    ]
    assert len(rejected) == feed.invalid_objects == 200
    assert all(r.reason.code and r.reason.detail for r in rejected)
    codes = Counter(r.reason.code for r in rejected)
    assert len(codes) >= 5, codes  # specific reasons, not one catch-all


async def test_worker_killed_mid_run_loses_nothing(hub: HubProcess) -> None:
    feed = make_feed(distinct=6000, records=20_000, invalid=0, seed=11)
    hub.start()
    sender = asyncio.create_task(send_feed(hub, feed))
    # Kill once a real share of the curated output has gone out.
    await collect(
        hub.bootstrap,
        prefix=hub.topics.analysts_prefix(),
        until=lambda messages: len(messages) >= 1500,
        timeout_s=180,
        settle_s=0,
    )
    hub.kill()
    await sender
    hub.start()
    curated = await collect(
        hub.bootstrap,
        prefix=hub.topics.analysts_prefix(),
        until=all_merged(feed),
        timeout_s=300,
    )
    admitted_keys = {m.key async for m in read_topics(hub.bootstrap, topics=[hub.topics.admitted])}
    latest = latest_versions(curated)
    assert len(admitted_keys) == len(feed.expected)
    assert set(latest) == set(feed.expected), hub.log_tail()
    # A re-delivery must be an exact duplicate: same id and modified means same bytes.
    by_version: dict[tuple[str, str], set[bytes]] = {}
    for message in curated:
        obj = orjson.loads(message.value)
        by_version.setdefault((obj["id"], obj["modified"]), set()).add(message.value)
    assert all(len(variants) == 1 for variants in by_version.values())
    duplicates = len(curated) - len(by_version)
    print(f"\nre-delivered exact duplicates after SIGKILL: {duplicates} of {len(curated)}")


async def test_partitions_moving_between_workers_lose_no_contribution(
    hub: HubProcess, tmp_path: Path
) -> None:
    # A second worker joins between two thirds of the feed, then the first stops before the
    # last: each time merge-table partitions move, and the worker taking one over rebuilds
    # it from the changelog. Had a committed contribution not reached the changelog, an
    # indicator would end up without that partner.
    feed = make_feed(distinct=3000, records=12_000, invalid=0, seed=23)
    thirds = [feed.records[n::3] for n in range(3)]  # each third touches every observable
    second = HubProcess(bootstrap=hub.bootstrap, workdir=tmp_path / "second", name=hub.name)
    second.workdir.mkdir()
    prefix = hub.topics.analysts_prefix()

    async def send_and_see_output(records: list[IngestRecord], at_least: int) -> None:
        await send_feed(hub, Feed(records=records))
        await collect(
            hub.bootstrap, prefix=prefix, until=lambda m: len(m) >= at_least, timeout_s=120
        )

    hub.start()
    try:
        await send_and_see_output(thirds[0], 500)
        second.start()
        await wait_for_log(second, "changelog records restored")  # it holds partitions now
        await send_and_see_output(thirds[1], 3500)
        hub.stop()  # SIGTERM: it commits and leaves the group; the second takes all
        await send_feed(hub, Feed(records=thirds[2]))
        curated = await collect(hub.bootstrap, prefix=prefix, until=all_merged(feed), timeout_s=300)
        latest = latest_versions(curated)
        assert set(latest) == set(feed.expected), second.log_tail()
        for id_, partners in feed.expected.items():
            assert contributors(latest[id_]) == {partner_identity_id(p) for p in partners}
        by_version: dict[tuple[str, str], set[bytes]] = {}
        for message in curated:
            obj = orjson.loads(message.value)
            by_version.setdefault((obj["id"], obj["modified"]), set()).add(message.value)
        assert all(len(variants) == 1 for variants in by_version.values())
    finally:
        second.stop()


async def wait_for_log(worker: HubProcess, text: str, timeout_s: float = 60) -> None:
    for _ in range(int(timeout_s * 10)):
        if text in worker.log_tail(lines=1000):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} not in the worker's log:\n{worker.log_tail()}")


async def test_an_unreadable_ingest_message_is_rejected_and_admission_goes_on(
    hub: HubProcess,
) -> None:
    good = make_feed(distinct=5, records=20, invalid=0, seed=23)
    hub.start()
    async with IngestProducer(hub.bootstrap, hub.topics.ingest) as producer:
        await producer.send_to(hub.topics.ingest, b"isp-northnet", b"this is not an envelope")
        for record in good.records:
            await producer.send(record)
        await producer.flush()
    curated = await collect(
        hub.bootstrap,
        prefix=hub.topics.analysts_prefix(),
        until=lambda messages: set(latest_versions(messages)) >= set(good.expected),
        timeout_s=120,
    )
    assert set(latest_versions(curated)) == set(good.expected), hub.log_tail()
    [rejected] = [
        Rejection.from_bytes(m.value)
        async for m in read_topics(hub.bootstrap, topics=[hub.topics.rejected])
    ]
    assert rejected.reason.code == "unreadable-ingest-record"
    assert rejected.partner == "isp-northnet"
    assert rejected.payload == "this is not an envelope"
