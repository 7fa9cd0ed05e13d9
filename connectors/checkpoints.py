"""Where each connector stands in its feed: a compacted Kafka topic, ``fusion.checkpoints``.

Key ``<partner>/<connector>``, value the connector's checkpoint (JSON). Kafka keeps the
latest value per key, so the checkpoints survive restarts and follow the leader worker to
any machine. A checkpoint is written only after the records it covers are acknowledged.
"""

from __future__ import annotations

from contextlib import suppress

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.structs import TopicPartition

from connectors.base import JSON
from hub.kafka_io import IngestSession


class CheckpointStore:
    """The latest checkpoint of every connector, read from and written to one topic."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self._positions: dict[str, JSON] = {}

    async def ensure_topic(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            if self.topic in set(await admin.list_topics()):
                return
            with suppress(TopicAlreadyExistsError):  # another worker made it first
                await admin.create_topics(
                    [
                        NewTopic(
                            self.topic,
                            num_partitions=1,
                            replication_factor=1,
                            topic_configs={"cleanup.policy": "compact"},
                        )
                    ]
                )
        finally:
            await admin.close()

    async def load(self) -> None:
        """Read the topic to its end: the latest checkpoint per connector."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        positions: dict[str, JSON] = {}
        try:
            # ensure_topic makes it with one partition; assigning it fetches its metadata.
            partition = TopicPartition(self.topic, 0)
            consumer.assign([partition])
            await consumer.seek_to_beginning(partition)
            end = (await consumer.end_offsets([partition]))[partition]
            while await consumer.position(partition) < end:
                batch = await consumer.getmany(partition, timeout_ms=1000)
                for message in batch.get(partition, []):
                    if message.key is None:
                        continue
                    key = message.key.decode()
                    if message.value is None:
                        positions.pop(key, None)  # a tombstone: the feed starts over
                    else:
                        positions[key] = orjson.loads(message.value)
        finally:
            await consumer.stop()
        self._positions = positions

    def get(self, key: str) -> JSON | None:
        return self._positions.get(key)

    async def put(self, producer: IngestSession, key: str, checkpoint: JSON) -> None:
        """Write and wait for the broker's acknowledgement."""
        await producer.send_to(self.topic, key.encode(), orjson.dumps(checkpoint))
        await producer.flush()
        self._positions[key] = checkpoint
