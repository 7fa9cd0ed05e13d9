"""A change of the agreements reaches each audience it concerns (real broker and worker).

kappa-isp shares a C2 address as TLP:GREEN: the analysts, kappa-isp, sigma-av and
omega-cert (which receive the code) and the NCA (kappa-isp's consent) hold it. Then, while
the hub runs, kappa-isp moves its consent from the NCA to INTERPOL, sigma-av stops receiving
malicious-code intelligence and omega-cert leaves the partnership. No partner sends anything
more. The NCA, sigma-av and omega-cert must each be told that what they hold is no longer
valid, INTERPOL must get the indicator, and the others nothing new.

Then the worker is stopped, kappa-isp gives its consent back to the NCA, and the worker is
started again: the change made while it was down reaches the NCA and INTERPOL too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.kafka_io import TopicMessage
from hub.topics import Topics
from protocols.tlp import TLP2_IDS, Tlp
from schemas.envelopes import SHARING_TICK
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.hub_process import HubProcess
from tests.integration.sharing_scenario import (
    ANALYSTS,
    Submission,
    Watcher,
    curated_records,
    received,
    scenario_hub,
    submit,
    unstamped,
    versions_of,
    write_agreement,
)

pytestmark = pytest.mark.integration

SHARED = Submission("reshared", "kappa-isp", "[ipv4-addr:value = '45.155.205.120']", "c2")
HELD = (ANALYSTS, "partner:kappa-isp", "partner:sigma-av", "partner:omega-cert", "liaison:nca")
WITHDRAWN = ("partner:sigma-av", "partner:omega-cert", "liaison:nca")
KEPT = (ANALYSTS, "partner:kappa-isp")


def versions(topics: Topics, messages: list[TopicMessage]) -> dict[str, list[dict[str, Any]]]:
    """Per audience, every version of the indicator it received, oldest first."""
    return versions_of(SHARED.curated_id(), topics, messages)


Seen = tuple[Topics, list[TopicMessage], list[TopicMessage], list[TopicMessage]]


@pytest.fixture(scope="module")
async def watched(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Seen]:
    """What the audiences got after the change while the worker ran, and after the one
    made while it was stopped."""
    hub = await scenario_hub(
        kafka_broker.bootstrap,
        tmp_path_factory.mktemp("resharing"),
        {"FUSIONHUB_SWEEP_INTERVAL_S": "1"},
    )
    hub.start()
    try:
        async with Watcher(kafka_broker.bootstrap, hub.name) as watcher:

            def reached(audiences: tuple[str, ...], count: int) -> bool:
                return received(SHARED.curated_id(), hub.topics, audiences, count)(watcher.messages)

            await submit(hub.bootstrap, hub.topics, [SHARED])
            await watcher.wait_for(lambda _: reached(HELD, 1), timeout_s=120, why="GREEN")
            write_agreement(hub.partners_dir, "kappa-isp", liaison_consent=["interpol"])
            write_agreement(hub.partners_dir, "sigma-av", receives=["fraud/*"])
            (hub.partners_dir / "omega-cert.yaml").unlink()
            await watcher.wait_for(
                lambda _: reached(WITHDRAWN, 2) and reached(("liaison:interpol",), 1),
                timeout_s=120,
                why="the change of agreements",
            )
            await asyncio.sleep(3.0)  # time for anything else to show up too
            while_running = list(watcher.messages)

            hub.stop()
            write_agreement(hub.partners_dir, "kappa-isp", liaison_consent=["nca"])
            hub.start()
            await watcher.wait_for(
                lambda _: reached(("liaison:nca",), 3) and reached(("liaison:interpol",), 2),
                timeout_s=120,
                why="the change made while the worker was stopped",
            )
            await asyncio.sleep(3.0)
            after_restart = list(watcher.messages)

            # Another machine takes over: a worker with a state directory of its own, which
            # has only the changelog to learn what the records were published under.
            hub.stop()
            write_agreement(hub.partners_dir, "kappa-isp", liaison_consent=["interpol"])
            other = HubProcess(
                bootstrap=hub.bootstrap,
                workdir=tmp_path_factory.mktemp("resharing-elsewhere"),
                partners_dir=hub.partners_dir,
                extra_env=hub.extra_env,
                name=hub.name,
            )
            other.start()
            try:
                await watcher.wait_for(
                    lambda _: reached(("liaison:nca",), 4) and reached(("liaison:interpol",), 3),
                    timeout_s=120,
                    why="the change found by a worker taking the partitions over",
                )
                await asyncio.sleep(3.0)
            finally:
                other.stop()
            yield hub.topics, while_running, after_restart, list(watcher.messages)
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def seen(watched: Seen) -> tuple[Topics, list[TopicMessage]]:
    topics, while_running, _, _ = watched
    return topics, while_running


def test_each_audience_that_may_no_longer_see_it_is_told_so(
    seen: tuple[Topics, list[TopicMessage]],
) -> None:
    topics, messages = seen
    first, *reshared = curated_records(topics, messages)
    assert reshared and all(r.changes == [SHARING_TICK] for r in reshared)
    got = versions(topics, messages)
    for audience in WITHDRAWN:
        held, last = got[audience]
        assert held["modified"] == first.modified and "valid_until" not in held, audience
        assert last["modified"] == last["valid_until"], audience
        assert last["modified"] in {r.modified for r in reshared}, audience
        # What it held, stamped and ended: nothing else.
        assert unstamped(last) == unstamped(held), audience


def test_an_agency_newly_consented_gets_it_and_the_rest_nothing_new(
    seen: tuple[Topics, list[TopicMessage]],
) -> None:
    topics, messages = seen
    first, *reshared = curated_records(topics, messages)
    got = versions(topics, messages)
    (to_interpol,) = got["liaison:interpol"]
    assert to_interpol["modified"] in {r.modified for r in reshared}
    assert "valid_until" not in to_interpol
    assert to_interpol["object_marking_refs"] == [TLP2_IDS[Tlp.GREEN]]
    # Whose view the change left as it was holds the one version, and zeta-bank (which
    # does not receive the code) nothing.
    for audience in KEPT:
        assert [v["modified"] for v in got[audience]] == [first.modified], audience
    assert "partner:zeta-bank" not in got


def test_a_change_made_while_the_worker_was_stopped_is_carried_when_it_starts(
    watched: Seen,
) -> None:
    topics, _, messages, _ = watched
    first, *reshared = curated_records(topics, messages)
    after_restart = reshared[-1]
    got = versions(topics, messages)
    *_, withdrawn, back = got["liaison:nca"]
    assert back["modified"] == after_restart.modified and "valid_until" not in back
    assert unstamped(back) == unstamped(withdrawn)
    held, last = got["liaison:interpol"]
    assert last["modified"] == last["valid_until"] == after_restart.modified
    assert unstamped(last) == unstamped(held)
    for audience in KEPT:
        assert [v["modified"] for v in got[audience]] == [first.modified], audience


def test_a_worker_taking_the_partitions_over_carries_a_change_the_last_did_not(
    watched: Seen,
) -> None:
    topics, _, before, messages = watched
    last_before = curated_records(topics, before)[-1]
    first, *reshared = curated_records(topics, messages)
    taken_over = reshared[-1]
    assert taken_over.version == last_before.version + 1 and taken_over.changes == [SHARING_TICK]
    got = versions(topics, messages)
    *_, back, withdrawn = got["liaison:nca"]
    assert withdrawn["modified"] == withdrawn["valid_until"] == taken_over.modified
    assert unstamped(withdrawn) == unstamped(back)
    *_, again = got["liaison:interpol"]
    assert again["modified"] == taken_over.modified and "valid_until" not in again
    for audience in KEPT:
        assert [v["modified"] for v in got[audience]] == [first.modified], audience
