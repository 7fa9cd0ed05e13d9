"""Topic declarations shared by the agents: raw bytes in and out, JSON done by the hub."""

from __future__ import annotations

import faust
from faust.types import TopicT


def raw_topic(app: faust.App, name: str, partitions: int) -> TopicT:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )
