"""How the agents read and write Kafka: raw bytes in and out, JSON done by the hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import faust
from faust.types import EventT, StreamT, TopicT

from hub.settings import HubSettings


def raw_topic(app: faust.App, name: str, partitions: int) -> TopicT:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )


def event_batches(stream: StreamT[Any], settings: HubSettings) -> AsyncIterator[list[EventT[Any]]]:
    """The stream's events in batches; each batch is acked when the agent asks for the next."""
    # take_events lives on the concrete Stream, not on the StreamT protocol.
    batches = cast(faust.Stream[Any], stream).take_events(
        settings.batch_size, settings.batch_within_s
    )
    return cast(AsyncIterator[list[EventT[Any]]], batches)


class Outbox:
    """Sends to topics by name through Faust, declaring each topic once."""

    def __init__(self, app: faust.App, partitions: int) -> None:
        self._app = app
        self._partitions = partitions
        self._topics: dict[str, TopicT] = {}

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        channel = self._topics.get(topic)
        if channel is None:
            channel = self._topics[topic] = raw_topic(self._app, topic, self._partitions)
        await channel.send(key=key, value=value)
