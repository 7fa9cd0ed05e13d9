"""An audience that may no longer see an indicator is told so (real broker and worker).

kappa-isp shares a C2 address as TLP:GREEN, then marks the same statement TLP:AMBER+STRICT.
The audiences that held it under GREEN (sigma-av and omega-cert, which receive the code, and
the NCA, which kappa-isp consents to) may see nothing of it now. Before, they kept the GREEN
version, valid, with nothing telling them it had been withdrawn; now each gets one last
version of what it held, valid until the moment of the change, and nothing it did not hold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.kafka_io import TopicMessage
from hub.topics import Topics
from protocols.tlp import TLP2_IDS, Tlp
from schemas.merge import MergeRecord
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

PATTERN = "[ipv4-addr:value = '45.155.205.95']"
SHARED = Submission("withdrawn", "kappa-isp", PATTERN, "c2")  # kappa-isp's default: GREEN
RESTRICTED = Submission(
    "withdrawn", "kappa-isp", PATTERN, "c2", markings=(TLP2_IDS[Tlp.AMBER_STRICT],)
)
HELD_UNDER_GREEN = ("partner:sigma-av", "partner:omega-cert", "liaison:nca")


def versions(topics: Topics, messages: list[TopicMessage]) -> dict[str, list[dict[str, Any]]]:
    """Per audience, every version of the indicator it received, oldest first."""
    return versions_of(SHARED.curated_id(), topics, messages)


@pytest.fixture(scope="module")
async def seen(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Topics, list[TopicMessage]]]:
    workdir = tmp_path_factory.mktemp("withdrawal")
    async with watched_hub(kafka_broker.bootstrap, workdir) as (hub, watcher):
        messages = await shared_then_restricted(
            hub, watcher, SHARED, RESTRICTED, HELD_UNDER_GREEN, why="GREEN"
        )
        yield hub.topics, messages


Outcome = tuple[MergeRecord, MergeRecord, dict[str, list[dict[str, Any]]]]


@pytest.fixture(scope="module")
def outcome(seen: tuple[Topics, list[TopicMessage]]) -> Outcome:
    """The GREEN version, the restricted one, and what each audience received."""
    topics, messages = seen
    first, restricted = curated_records(topics, messages)
    return first, restricted, versions(topics, messages)


def test_each_audience_that_held_it_is_told_it_is_no_longer_valid(outcome: Outcome) -> None:
    first, restricted, got = outcome
    for audience in HELD_UNDER_GREEN:
        held, last = got[audience]
        assert held["modified"] == first.modified and "valid_until" not in held, audience
        assert last["modified"] == last["valid_until"] == restricted.modified, audience
        # What it held, and nothing of the restricted statement (its marking above all).
        assert unstamped(last) == unstamped(held), audience
        assert last["object_marking_refs"] == [TLP2_IDS[Tlp.GREEN]], audience


def test_who_may_still_see_it_gets_the_restricted_version(outcome: Outcome) -> None:
    _, restricted, got = outcome
    for audience in (ANALYSTS, "partner:kappa-isp"):
        last = got[audience][-1]
        assert last["modified"] == restricted.modified and "valid_until" not in last, audience
        assert last["object_marking_refs"] == [TLP2_IDS[Tlp.AMBER_STRICT]], audience
    # Those that never saw it (no code received, no consent) get nothing, not even this.
    assert "partner:zeta-bank" not in got and "liaison:interpol" not in got
