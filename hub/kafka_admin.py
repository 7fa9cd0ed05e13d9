"""Creating the hub's topics before the workers start, so none is auto-created unevenly."""

from __future__ import annotations

import asyncio
import contextlib
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from hub.admit.crime_codes import rsit_codes
from hub.topics import Topics


def pipeline_topics(topics: Topics) -> list[str]:
    """The stages' topics and one analysts topic per RSIT crime code."""
    return [
        topics.ingest,
        topics.rejected,
        topics.replayed,
        topics.status,
        topics.suppressed,
        topics.admitted,
        topics.curated,
        topics.audit,
        *sorted(topics.analysts(code) for code in rsit_codes()),
    ]


class TopicsNotReadyError(RuntimeError):
    """Topics whose partitions still have no leader when the wait ran out."""

    def __init__(self, topics: list[str], timeout_s: float) -> None:
        shown = ", ".join(topics[:5]) + (" ..." if len(topics) > 5 else "")
        super().__init__(f"{len(topics)} topic(s) have no leader after {timeout_s:.0f} s: {shown}")
        self.topics = topics


def table_changelogs(app_id: str) -> list[str]:
    """The merge table's changelog topic (compacted; the name it had under Faust).

    Created up front with the other topics, before a worker restores from it.
    """
    return [f"{app_id}-merge-changelog"]


async def ensure_topics(
    bootstrap: str,
    names: list[str],
    partitions: int,
    *,
    compacted: frozenset[str] = frozenset(),
    timeout_s: float = 120.0,
) -> None:
    """Create the missing topics and wait until every partition of each has a leader.

    A fresh broker creating dozens of topics answers slowly for a while; a worker started
    before the leaders exist would wait on metadata or fail its first restore.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if missing:
            # Another worker may create them first.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(
                            name,
                            num_partitions=partitions,
                            replication_factor=1,
                            topic_configs={"cleanup.policy": "compact"}
                            if name in compacted
                            else {},
                        )
                        for name in missing
                    ]
                )
        deadline = time.monotonic() + timeout_s
        while True:
            described = await admin.describe_topics(names)
            pending = [
                str(topic["topic"])
                for topic in described
                if topic["error_code"] != 0
                or not topic["partitions"]
                or any(p["leader"] < 0 for p in topic["partitions"])
            ]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TopicsNotReadyError(pending, timeout_s)
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
