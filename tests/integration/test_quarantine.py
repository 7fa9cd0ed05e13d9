"""Correlate and disseminate keep what they cannot handle and go on (real broker, worker).

Before the quarantine, any such message stopped the worker before it committed, and its
restart took the same message again: the partition never moved past it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from hub.canonical import indicator_id_for_key
from hub.correlate.merge import merge
from hub.kafka_admin import ensure_topics, table_changelogs
from hub.kafka_io import read_topics
from hub.quarantine import (
    CORRELATION_FAILED,
    CURATED_FORMAT,
    DISSEMINATION_FAILED,
    UNREADABLE_ADMITTED,
)
from hub.rejects import Replayed, list_rejected, replay
from schemas.envelopes import Contribution, Rejection, decode_payload
from tests.hub.test_merge import contribution
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.hub_process import HubProcess, collect

pytestmark = pytest.mark.integration


def about(key: str, partner: str = "isp-northnet", **changes: object) -> Contribution:
    value = key.partition("|")[2]
    return replace(
        contribution(partner, **changes),
        key=key,
        observable_value=value,
        pattern=f"[ipv4-addr:value = '{value}']",
    )


CORRUPT = "ipv4-addr|192.0.2.1"  # its stored record cannot be read: correlate fails
POISONED = "ipv4-addr|192.0.2.2"  # its stored record cannot be published: disseminate fails
GOOD = [f"ipv4-addr|198.51.100.{n}" for n in (10, 11, 12)]


@pytest.fixture
def hub(kafka_broker: KafkaBroker, tmp_path: Path):  # type: ignore[no-untyped-def]
    process = HubProcess(kafka_broker.bootstrap, tmp_path)
    yield process
    process.stop()


async def send(hub: HubProcess, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=hub.bootstrap)
    await producer.start()
    try:
        for key, value in messages:
            # Kafka's default partitioner, as the hub's producers (and the replay) use.
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def rejections(hub: HubProcess) -> list[Rejection]:
    return [
        Rejection.from_bytes(m.value)
        async for m in read_topics(hub.bootstrap, topics=[hub.topics.rejected])
    ]


async def newly_rejected(hub: HubProcess, kept: list[Rejection]) -> list[Rejection]:
    """The rejections written after ``kept`` (partitions are read in no set order)."""
    messages = await collect(
        hub.bootstrap,
        topics=[hub.topics.rejected],
        until=lambda ms: len(ms) > len(kept),
        timeout_s=120,
        settle_s=1.0,
    )
    seen = {r.rejection_id for r in kept}
    found = [Rejection.from_bytes(m.value) for m in messages]
    return [r for r in found if r.rejection_id not in seen]


async def analysts_ids(hub: HubProcess, until_ids: set[str]) -> list[str]:
    messages = await collect(
        hub.bootstrap,
        prefix=hub.topics.analysts_prefix(),
        until=lambda ms: {orjson.loads(m.value)["id"] for m in ms} >= until_ids,
        timeout_s=120,
    )
    return [orjson.loads(m.value)["id"] for m in messages]


async def test_what_the_worker_cannot_handle_is_kept_and_the_partition_goes_on(
    hub: HubProcess,
) -> None:
    await hub.prepare_topics_async()
    [changelog] = table_changelogs(f"{hub.name}-hub")
    await ensure_topics(hub.bootstrap, [changelog], hub.partitions)
    # The merge table as another hub version might have left it: one record unreadable, one
    # whose stored contribution holds a marking that is not a string.
    poisoned, _ = merge(None, about(POISONED, partner="bank-meridian"))
    poisoned_json = poisoned.as_json()
    poisoned_json["contributions"]["bank-meridian"]["markings"] = [1]
    await send(
        hub,
        changelog,
        [
            (CORRUPT.encode(), b'{"written by": "another version"}'),
            (POISONED.encode(), orjson.dumps(poisoned_json)),
        ],
    )
    wrong_key = orjson.dumps(about(GOOD[0]).as_json())
    refused: list[tuple[bytes | None, bytes]] = [
        (b"x", b"not json at all"),
        (GOOD[1].encode(), wrong_key),  # a contribution about one key, sent under another
        (None, orjson.dumps(about(GOOD[2]).as_json())),  # no key
        (GOOD[2].encode(), orjson.dumps(about(GOOD[2], modified="soon").as_json())),
        (CORRUPT.encode(), about(CORRUPT).to_bytes()),
        (POISONED.encode(), about(POISONED).to_bytes()),
    ]
    good = [(key.encode(), about(key).to_bytes()) for key in GOOD]
    await send(hub, hub.topics.admitted, refused + good)
    hub.start()

    # Every good contribution after the refused ones is published ...
    good_ids = {indicator_id_for_key(key) for key in GOOD}
    published = await analysts_ids(hub, good_ids)
    assert set(published) >= good_ids, hub.log_tail()
    assert indicator_id_for_key(CORRUPT) not in published
    assert indicator_id_for_key(POISONED) not in published
    assert hub.process is not None and hub.process.poll() is None, hub.log_tail()

    # ... and each refused message is kept, whole, with a specific reason.
    kept = await rejections(hub)
    by_payload = {decode_payload(r.payload, r.payload_base64): r for r in kept}
    assert len(kept) == len(refused), [r.reason for r in kept]
    for _key, value in refused[:4]:
        assert by_payload[value].reason.code == UNREADABLE_ADMITTED, by_payload[value].reason
    assert "not a contribution or tick" in by_payload[refused[0][1]].reason.detail
    assert "but about" in by_payload[wrong_key].reason.detail
    assert "no key" in by_payload[refused[2][1]].reason.detail
    assert "modified 'soon'" in by_payload[refused[3][1]].reason.detail
    correlation = by_payload[refused[4][1]]
    assert correlation.reason.code == CORRELATION_FAILED
    assert correlation.partner == "isp-northnet"
    [dissemination] = [r for r in kept if r.reason.code == DISSEMINATION_FAILED]
    assert dissemination.format == CURATED_FORMAT
    assert dissemination.reason.object_id == indicator_id_for_key(POISONED)
    assert orjson.loads(dissemination.payload)["key"] == POISONED
    assert "TypeError" in dissemination.reason.detail
    assert "Traceback" in hub.log_tail(400)  # the hub's own failures are logged in full

    # Replayed before its cause is fixed, the version fails again: a rejection of its own,
    # still pending, where the first is marked replayed.
    assert await replay(hub.bootstrap, hub.topics, [dissemination]) == Replayed(admitted=1)
    refailed = await newly_rejected(hub, kept)
    assert [r.reason.code for r in refailed] == [DISSEMINATION_FAILED]
    pending = await list_rejected(
        hub.bootstrap, hub.topics, reason=DISSEMINATION_FAILED, include_replayed=False
    )
    assert [e.rejection.rejection_id for e in pending] == [refailed[0].rejection_id]
    kept += refailed

    # The poisoned partner sends its statement again, well formed: the record heals and
    # its version is published.
    healed = about(POISONED, partner="bank-meridian", confidence=70)
    await send(hub, hub.topics.admitted, [(POISONED.encode(), healed.to_bytes())])
    poisoned_id = indicator_id_for_key(POISONED)
    assert poisoned_id in await analysts_ids(hub, {poisoned_id})

    # Replayed, the dissemination failure asks for the record's current version again: an
    # exact duplicate of it (same id, same modified) follows on the analysts topic.
    assert await replay(hub.bootstrap, hub.topics, refailed) == Replayed(admitted=1)
    messages = await collect(
        hub.bootstrap,
        prefix=hub.topics.analysts_prefix(),
        until=lambda ms: sum(orjson.loads(m.value)["id"] == poisoned_id for m in ms) >= 2,
        timeout_s=120,
    )
    views = [m.value for m in messages if orjson.loads(m.value)["id"] == poisoned_id]
    assert len(views) == 2 and views[0] == views[1], hub.log_tail()

    # Replayed, a refused admitted message goes back onto fusion.admitted under its own
    # key, and (still unreadable) is kept again, from its new position.
    assert await replay(hub.bootstrap, hub.topics, [correlation]) == Replayed(admitted=1)
    new = await newly_rejected(hub, kept)
    assert [r.reason.code for r in new] == [CORRELATION_FAILED]
    assert new[0].payload == correlation.payload
    assert new[0].rejection_id != correlation.rejection_id
    admitted = [m async for m in read_topics(hub.bootstrap, topics=[hub.topics.admitted])]
    corrupt = [m.value for m in admitted if m.key == CORRUPT.encode()]
    assert corrupt == [refused[4][1], refused[4][1]]  # sent, and replayed as it was
    # Each replay of the dissemination failure asked for a republish stamped with the failed
    # version's `modified`, so correlate can tell whether that version is still the current.
    republished = [orjson.loads(m.value) for m in admitted if b'"tick"' in m.value]
    failed_at = orjson.loads(dissemination.payload)["modified"]
    assert [(t["tick"], t["now"]) for t in republished] == [("republish", failed_at)] * 2
    listed = await list_rejected(hub.bootstrap, hub.topics, reason=CORRELATION_FAILED)
    assert [entry.replayed for entry in listed] == [True, False]
