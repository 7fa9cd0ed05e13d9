"""A statement marked stricter under its contributor's embargo is withdrawn when the embargo
ends (real broker and worker).

omega-cert's agreement holds each of its statements back for a few seconds. It shares a C2
address as TLP:GREEN: once released, kappa-isp and sigma-av (which receive the code), the
NCA (omega-cert's consent) and omega-cert itself hold it. Then omega-cert marks the same
statement RED. While that update is under embargo nobody is told anything; when it ends,
the analysts get the RED version, and each audience that held the GREEN one is told it is
no longer valid (before, they kept it, valid, for good).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.kafka_io import TopicMessage
from hub.timestamps import parse
from hub.topics import Topics
from protocols.tlp import TLP2_IDS, Tlp
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.sharing_scenario import (
    ANALYSTS,
    Submission,
    curated_records,
    shared_then_restricted,
    unstamped,
    versions_of,
    watched_hub,
)

pytestmark = pytest.mark.integration

PATTERN = "[ipv4-addr:value = '45.155.205.130']"
SHARED = Submission("embargo-red", "omega-cert", PATTERN, "c2")  # omega-cert's default: GREEN
RED = Submission("embargo-red", "omega-cert", PATTERN, "c2", markings=(TLP2_IDS[Tlp.RED],))
HELD_UNDER_GREEN = ("partner:kappa-isp", "partner:sigma-av", "liaison:nca")


def versions(topics: Topics, messages: list[TopicMessage]) -> dict[str, list[dict[str, Any]]]:
    """Per audience, every version of the indicator it received, oldest first."""
    return versions_of(SHARED.curated_id(), topics, messages)


@pytest.fixture(scope="module")
async def seen(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Topics, list[TopicMessage]]]:
    async with watched_hub(
        kafka_broker.bootstrap,
        tmp_path_factory.mktemp("embargo-withdrawal"),
        {"FUSIONHUB_SWEEP_INTERVAL_S": "1"},
        {"omega-cert": {"embargo": "PT4S"}},
    ) as (hub, watcher):
        messages = await shared_then_restricted(
            hub, watcher, SHARED, RED, HELD_UNDER_GREEN, why="GREEN released"
        )
        yield hub.topics, messages


def test_what_an_embargoed_update_hid_is_withdrawn_when_it_ends(
    seen: tuple[Topics, list[TopicMessage]],
) -> None:
    topics, messages = seen
    *_, under_embargo, release = curated_records(topics, messages)
    until = under_embargo.contributions["omega-cert"].embargo_until
    assert until is not None and release.changes == ["embargo-release"]
    got = versions(topics, messages)
    for audience in HELD_UNDER_GREEN:
        held, last = got[audience]
        # Nothing while the embargo held: the withdrawal is stamped with its end.
        assert last["modified"] == last["valid_until"] == release.modified, audience
        assert parse(last["modified"]) >= parse(until), audience
        assert unstamped(last) == unstamped(held), audience
        assert last["object_marking_refs"] == [TLP2_IDS[Tlp.GREEN]], audience
    # The analysts get the RED statement once released; INTERPOL and zeta-bank never had
    # anything, and get nothing now.
    assert got[ANALYSTS][-1]["object_marking_refs"] == [TLP2_IDS[Tlp.RED]]
    assert got[ANALYSTS][-1]["modified"] == release.modified
    assert "liaison:interpol" not in got and "partner:zeta-bank" not in got
