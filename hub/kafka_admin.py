"""Creating the hub's topics before the workers start, so none is auto-created unevenly."""

from __future__ import annotations

import contextlib

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


async def ensure_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if not missing:
            return
        # Another worker may create them first.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [
                    NewTopic(name, num_partitions=partitions, replication_factor=1)
                    for name in missing
                ]
            )
    finally:
        await admin.close()
