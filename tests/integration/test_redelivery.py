"""A crash's re-deliveries reach the audiences as exact duplicates of what each was sent,
and nothing else (real broker and worker).

Two indicators of the sharing scenario: a C2 address from sigma-av (GREEN) and kappa-isp
(its default GREEN), whose confidence kappa-isp then changes - news only to the audiences
that see kappa-isp's statement, not to INTERPOL, which sees sigma-av's alone - and another
that kappa-isp shares as GREEN and then marks AMBER+STRICT, which withdraws it from
sigma-av, omega-cert and the NCA. sigma-av then reports its statement about the first again,
later: no new version, but what the record holds of it moves on (its ``last_seen`` and
``modified``), and a re-send must still be the version that went out.

Then the worker is stopped and its group's committed offsets on ``fusion.admitted`` are set
back to the start, as if it had died before committing any of them: every contribution comes
again and correlate sends each record's current version again. Each audience must get only
byte-for-byte copies of what it already had: INTERPOL not the confidence change it was
spared, and each audience withdrawn from its withdrawal again (a re-send that lost it
would have lost it for good had the first one not left).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from hub.kafka_io import TopicMessage
from hub.topics import Topics
from protocols.tlp import TLP2_IDS, Tlp
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.hub_process import HubProcess
from tests.integration.sharing_scenario import (
    ANALYSTS,
    Submission,
    audience_of,
    received,
    reported_again,
    sigma_and_kappa,
    submit,
    versions_of,
    watched_hub,
)

pytestmark = pytest.mark.integration

QUIET = sigma_and_kappa("resent-quiet", "45.155.205.130")
QUIET_UPDATE = Submission(
    "resent-quiet", "kappa-isp", "[ipv4-addr:value = '45.155.205.130']", "c2", confidence=55
)
SHARED = Submission("resent-withdrawn", "kappa-isp", "[ipv4-addr:value = '45.155.205.140']", "c2")
RESTRICTED = Submission(
    "resent-withdrawn",
    "kappa-isp",
    "[ipv4-addr:value = '45.155.205.140']",
    "c2",
    markings=(TLP2_IDS[Tlp.AMBER_STRICT],),
)
WITHDRAWN_FROM = ("partner:sigma-av", "partner:omega-cert", "liaison:nca")
SPARED = "liaison:interpol"  # sees sigma-av's statement alone


def sent_to(topics: Topics, messages: list[TopicMessage]) -> dict[str, list[bytes]]:
    """Per audience, every message its topics got, in order."""
    got: dict[str, list[bytes]] = {}
    for message in messages:
        audience = audience_of(topics, message.topic)
        if audience is not None:
            got.setdefault(audience, []).append(message.value)
    return got


async def rewind(hub: HubProcess) -> None:
    """Set the stopped worker's committed offsets on fusion.admitted back to the start."""
    topic = hub.topics.admitted
    consumer = AIOKafkaConsumer(
        bootstrap_servers=hub.bootstrap, group_id=f"{hub.name}-hub", enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(hub.partitions)]
        consumer.assign(partitions)
        for _ in range(60):  # the group may still be settling the stopped member's leave
            try:
                await consumer.commit({tp: 0 for tp in partitions})
                return
            except KafkaError:
                await asyncio.sleep(1.0)
        raise TimeoutError("the group's offsets could not be set back")
    finally:
        await consumer.stop()


Seen = tuple[Topics, list[TopicMessage], list[TopicMessage]]


@pytest.fixture(scope="module")
async def seen(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Seen]:
    """Everything on the hub's topics before the re-deliveries, and after them."""
    workdir = tmp_path_factory.mktemp("redelivery")
    async with watched_hub(kafka_broker.bootstrap, workdir) as (hub, watcher):

        async def until(item: Submission, audiences: tuple[str, ...], count: int) -> None:
            check = received(item.curated_id(), hub.topics, audiences, count)
            await watcher.wait_for(check, timeout_s=120, why=f"{item.item} x{count}")

        await submit(hub.bootstrap, hub.topics, [*QUIET, SHARED])
        await until(QUIET[0], (ANALYSTS, SPARED), 1)
        await until(SHARED, WITHDRAWN_FROM, 1)
        await submit(hub.bootstrap, hub.topics, [QUIET_UPDATE, RESTRICTED])
        await until(QUIET[0], (ANALYSTS,), 3)
        await until(SHARED, WITHDRAWN_FROM, 2)
        await submit(hub.bootstrap, hub.topics, [QUIET[0]])  # no version: nothing to wait on
        routine = reported_again(hub, QUIET[0], "sigma-av")
        await watcher.wait_for(routine, timeout_s=120, why="sigma-av's report again")
        await asyncio.sleep(2.0)  # time for anything else to show up too
        before = list(watcher.messages)

        hub.stop()
        await rewind(hub)
        hub.start()
        # Four contributions of the first come again, two of the second.
        await until(QUIET[0], (ANALYSTS,), 7)
        await until(SHARED, WITHDRAWN_FROM, 4)
        await asyncio.sleep(3.0)
        yield hub.topics, before, list(watcher.messages)


def test_every_resent_message_is_an_exact_duplicate_of_one_its_audience_had(seen: Seen) -> None:
    topics, before, after = seen
    had, got = sent_to(topics, before), sent_to(topics, after)
    resent = {a: got[a][len(had.get(a, [])) :] for a in got}
    assert resent[ANALYSTS], "the re-deliveries sent nothing: the test tested nothing"
    for audience, messages in resent.items():
        unknown = [m for m in messages if m not in had.get(audience, [])]
        assert not unknown, f"{audience} got {len(unknown)} message(s) it was never sent"


def test_an_audience_spared_a_change_is_spared_its_resends(seen: Seen) -> None:
    topics, before, after = seen
    then = versions_of(QUIET[0].curated_id(), topics, before)[SPARED]
    now = versions_of(QUIET[0].curated_id(), topics, after)[SPARED]
    # It sees sigma-av's statement alone: one version, whichever partner came first.
    assert len(then) == 1 and all(v["confidence"] == 70 for v in now)
    analysts = versions_of(QUIET[0].curated_id(), topics, after)[ANALYSTS]
    assert {v["modified"] for v in now} < {v["modified"] for v in analysts}


def test_a_withdrawal_is_sent_again_as_it_was(seen: Seen) -> None:
    topics, before, after = seen
    then: dict[str, list[dict[str, Any]]] = versions_of(SHARED.curated_id(), topics, before)
    now = versions_of(SHARED.curated_id(), topics, after)
    for audience in WITHDRAWN_FROM:
        held, withdrawal = then[audience]
        assert "valid_until" not in held and withdrawal["valid_until"] == withdrawal["modified"]
        assert now[audience][2:] == [withdrawal] * (len(now[audience]) - 2), audience
        assert len(now[audience]) >= 4, audience
