"""A statement reported again keeps the embargo it was first told under (real broker and
worker).

omega-cert's agreement holds each of its statements back for a few seconds. It shares a C2
address as TLP:GREEN, then reports the same statement again while the embargo holds, as a
feed that re-exports its list does. The audiences must get the address when the first
embargo ends: a re-report that restarted it would hold the statement back for as long as
the partner kept reporting it. Once it is out, one more such report must send nobody
anything: before, it cut an "embargo-release" of nothing new to every audience.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hub.kafka_io import TopicMessage
from hub.timestamps import now_ms, parse
from hub.topics import Topics
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.sharing_scenario import (
    ANALYSTS,
    Submission,
    curated_records,
    received,
    reported_again,
    submit,
    versions_of,
    watched_hub,
)

pytestmark = pytest.mark.integration

EMBARGO_S = 8
SHARED = Submission("embargo-rereport", "omega-cert", "[ipv4-addr:value = '45.155.205.150']", "c2")
# omega-cert's GREEN statement goes to the partners that receive C2 servers, the NCA (its
# consent) and omega-cert itself; INTERPOL and zeta-bank get nothing of it.
RELEASED_TO = ("partner:kappa-isp", "partner:sigma-av", "partner:omega-cert", "liaison:nca")

Seen = tuple[Topics, list[TopicMessage]]


@pytest.fixture(scope="module")
async def seen(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Seen]:
    async with watched_hub(
        kafka_broker.bootstrap,
        tmp_path_factory.mktemp("embargo-rereport"),
        {"FUSIONHUB_SWEEP_INTERVAL_S": "1"},
        {"omega-cert": {"embargo": f"PT{EMBARGO_S}S"}},
    ) as (hub, watcher):
        await submit(hub.bootstrap, hub.topics, [SHARED])
        await asyncio.sleep(EMBARGO_S / 2)
        await submit(hub.bootstrap, hub.topics, [SHARED])  # the embargo still holds
        released = received(SHARED.curated_id(), hub.topics, RELEASED_TO, 1)
        await watcher.wait_for(released, timeout_s=120, why="the release")
        since = now_ms()
        await submit(hub.bootstrap, hub.topics, [SHARED])  # out already
        after = reported_again(hub, SHARED, "omega-cert", since)
        await watcher.wait_for(after, timeout_s=120, why="the report after the release")
        # Time for a release the last report would owe, if it restarted the embargo.
        await asyncio.sleep(EMBARGO_S + 4)
        yield hub.topics, list(watcher.messages)


def test_a_statement_reported_again_is_released_when_its_first_embargo_ends(seen: Seen) -> None:
    topics, messages = seen
    first, release, *_ = curated_records(topics, messages)
    until = first.contributions["omega-cert"].embargo_until
    assert until is not None and release.changes == ["embargo-release"]
    got = versions_of(SHARED.curated_id(), topics, messages)
    for audience in RELEASED_TO:
        assert [v["modified"] for v in got[audience]] == [until], audience
    assert parse(release.modified) == parse(until)
    assert "liaison:interpol" not in got and "partner:zeta-bank" not in got


def test_a_statement_reported_again_once_out_sends_nobody_anything(seen: Seen) -> None:
    topics, messages = seen
    assert [r.changes for r in curated_records(topics, messages)] == [
        ["new-source"],
        ["embargo-release"],
    ]
    got = versions_of(SHARED.curated_id(), topics, messages)
    # The analysts had it from the first (the embargo holds for everyone else), then the
    # release; each other audience had the release alone.
    assert len(got[ANALYSTS]) == 2
    assert all(len(got[a]) == 1 for a in RELEASED_TO)
