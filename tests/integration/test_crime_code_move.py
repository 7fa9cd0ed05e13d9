"""An indicator classed under another crime code stays on its first code's topic too
(real broker and worker).

zeta-bank reports a domain as phishing; sigma-av reports it as a C2 server (a tie: it stays
phishing, the code told first); kappa-isp reports it as a C2 server too, and the indicator
moves to ``malicious-code/c2-server``. Then all three revoke their statements. Before, the
analysts who subscribe to ``analysts.fraud.phishing`` alone kept the last phishing version,
valid: the revocation went only to the C2 server topic. Now every version from the move on
goes to both topics, the same bytes; the C2 server topic gets nothing from before the move.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from hub.kafka_io import TopicMessage
from hub.topics import Topics
from schemas.merge import MergeRecord
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.sharing_scenario import (
    Submission,
    curated_records,
    submit,
    watched_hub,
)

pytestmark = pytest.mark.integration

PATTERN = "[domain-name:value = 'meridian-secure-login.example']"
PHISHING = "fraud/phishing"
C2 = "malicious-code/c2-server"
BANK = Submission("moved", "zeta-bank", PATTERN, "phishing")
AV = Submission("moved", "sigma-av", PATTERN, "c2")
ISP = Submission("moved", "kappa-isp", PATTERN, "c2")
INDICATOR = BANK.curated_id()


def revoked(submission: Submission) -> Submission:
    return Submission(
        submission.item,
        submission.partner,
        submission.pattern,
        submission.label,
        extra={"revoked": True},
    )


def on_topic(topics: Topics, messages: list[TopicMessage], code: str) -> list[dict[str, Any]]:
    """The versions of the indicator on one crime code's analysts topic, in arrival order."""
    return [
        obj
        for m in messages
        if m.topic == topics.analysts(code) and (obj := orjson.loads(m.value))["id"] == INDICATOR
    ]


def analysts_versions(topics: Topics, messages: list[TopicMessage]) -> int:
    return len(
        {v["modified"] for v in on_topic(topics, messages, PHISHING)}
        | {v["modified"] for v in on_topic(topics, messages, C2)}
    )


Seen = tuple[Topics, list[TopicMessage]]


@pytest.fixture(scope="module")
async def seen(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Seen]:
    workdir = tmp_path_factory.mktemp("crime-code")
    async with watched_hub(kafka_broker.bootstrap, workdir) as (hub, watcher):
        # One at a time: the classification depends on the order they are merged in.
        for count, submission in enumerate([BANK, AV, ISP], start=1):
            await submit(hub.bootstrap, hub.topics, [submission])
            await watcher.wait_for(
                lambda m, n=count: analysts_versions(hub.topics, m) >= n,
                timeout_s=120,
                why=f"version {count} ({submission.partner})",
            )
        await submit(hub.bootstrap, hub.topics, [revoked(s) for s in (BANK, AV, ISP)])
        await watcher.wait_for(
            lambda m: any(v.get("revoked") for v in on_topic(hub.topics, m, C2)),
            timeout_s=120,
            why="the revocation on the C2 server topic",
        )
        await asyncio.sleep(2.0)  # time for anything else to show up too
        yield hub.topics, list(watcher.messages)


def test_the_record_keeps_every_code_it_was_classed_under(seen: Seen) -> None:
    topics, messages = seen
    records: list[MergeRecord] = [r for r in curated_records(topics, messages) if r.version]
    assert [r.crime_codes for r in records[:3]] == [[PHISHING], [PHISHING], [PHISHING, C2]]
    assert all(r.crime_codes == [PHISHING, C2] for r in records[3:])
    assert records[-1].revoked


def test_a_subscriber_of_the_first_code_gets_every_version_and_the_revocation(
    seen: Seen,
) -> None:
    topics, messages = seen
    curated = [r for r in curated_records(topics, messages) if r.version]
    phishing = on_topic(topics, messages, PHISHING)
    # Every curated version, in order; the last one revokes the indicator.
    assert [v["modified"] for v in phishing] == [r.modified for r in curated]
    assert [v["x_fusion_crime_code"] for v in phishing[:2]] == [PHISHING, PHISHING]
    assert all(v["x_fusion_crime_code"] == C2 for v in phishing[2:])
    assert phishing[-1]["revoked"] is True
    assert not any(v.get("revoked") for v in phishing[:-1])


def test_the_new_code_gets_the_versions_from_the_move_on(seen: Seen) -> None:
    topics, messages = seen
    curated = [r for r in curated_records(topics, messages) if r.version]
    c2 = on_topic(topics, messages, C2)
    assert [v["modified"] for v in c2] == [r.modified for r in curated[2:]]


def test_both_topics_carry_the_same_bytes_and_no_other_topic_has_it(seen: Seen) -> None:
    """A subscriber of every analysts topic sees exact duplicates only (same id and
    ``modified``, same bytes), so keeping the latest version per id still holds."""
    topics, messages = seen
    by_version: dict[str, set[bytes]] = {}
    topics_seen: set[str] = set()
    for m in messages:
        if not m.topic.startswith(topics.analysts_prefix()):
            continue
        obj = orjson.loads(m.value)
        if obj["id"] == INDICATOR:
            by_version.setdefault(obj["modified"], set()).add(m.value)
            topics_seen.add(m.topic)
    assert all(len(variants) == 1 for variants in by_version.values())
    assert topics_seen == {topics.analysts(PHISHING), topics.analysts(C2)}


def tail(seen: Seen, bootstrap: str, crime_code: str) -> list[str]:
    """``fusionhub tail analysts --crime-code`` (the operator's CLI, on the same broker): the
    lines it prints for the indicator."""
    topics, _ = seen
    env = {
        **os.environ,
        "FUSIONHUB_BROKER": bootstrap,
        "FUSIONHUB_TOPIC_NAMESPACE": topics.namespace,
        "COLUMNS": "300",
    }
    args = ["tail", "analysts", "--no-follow", "--crime-code", crime_code]
    done = subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if "meridian-secure-login" in line]


def test_tail_for_a_code_shows_what_its_topic_got_the_revocation_included(
    seen: Seen, kafka_broker: KafkaBroker
) -> None:
    topics, messages = seen
    versions = len([r for r in curated_records(topics, messages) if r.version])
    fraud = tail(seen, kafka_broker.bootstrap, "fraud")
    assert len(fraud) == versions, fraud
    assert all(topics.analysts(PHISHING) in line for line in fraud)
    assert "revoked" in fraud[-1] and fraud[-1].endswith(f"now {C2}")
    # The C2 server's code: its own topic's versions, from the move on, once each.
    c2 = tail(seen, kafka_broker.bootstrap, "malicious-code/c2")
    assert len(c2) == versions - 2, c2
    assert all(topics.analysts(C2) in line and "now" not in line for line in c2)
