"""Topic declarations shared by the agents: raw bytes in and out, JSON done by the hub."""

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
    """The stream's events in batches, each acked only after the agent has handled it."""
    # take_events lives on the concrete Stream, not on the StreamT protocol.
    batches = cast(faust.Stream[Any], stream).take_events(
        settings.batch_size, settings.batch_within_s
    )
    return cast(AsyncIterator[list[EventT[Any]]], batches)
