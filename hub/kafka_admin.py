"""Creating the hub's topics before the workers start, so none is auto-created unevenly."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from hub.topics import Topics


def pipeline_topics(topics: Topics) -> list[str]:
    return [
        topics.ingest,
        topics.rejected,
        topics.replayed,
        topics.status,
        topics.suppressed,
        topics.admitted,
        topics.curated,
        topics.audit,
    ]


async def ensure_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if not missing:
            return
        try:
            await admin.create_topics(
                [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in missing]
            )
        except TopicAlreadyExistsError:
            pass  # another worker created them first
    finally:
        await admin.close()
