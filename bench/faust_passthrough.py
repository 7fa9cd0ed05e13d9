"""A Faust app that forwards one topic to another unchanged: the ceiling of any Faust stage.

    python bench/faust_passthrough.py BOOTSTRAP SOURCE SINK

It consumes and writes the way the hub's agents do (``take_events`` batches, the hub's
outbox, a flush before each batch is acked) and does nothing else, so what it reaches is
what one Faust stage reaches here before any work of the hub's. bench/pipeline.py runs it.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import faust

from hub.app import HubApp
from hub.settings import HubSettings
from hub.streams import Outbox, event_batches, raw_topic


def main(bootstrap: str, source: str, sink: str) -> None:
    settings = HubSettings(broker=bootstrap, app_id=f"faust-passthrough-{uuid.uuid4().hex[:6]}")
    app = HubApp(
        settings.app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        topic_partitions=4,
        datadir=tempfile.mkdtemp(prefix="faust-passthrough-"),
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        stream_buffer_maxsize=16384,
    )
    outbox = Outbox(settings)
    lane = outbox.lane()

    @app.agent(raw_topic(app, source, 4), concurrency=1, name="forward")
    async def forward(stream: faust.StreamT[bytes]) -> Any:
        async for events in event_batches(stream, settings):
            for event in events:
                await lane.send(sink, event.key or b"", event.value)
            await lane.flush()

    faust.Worker(app, loglevel="WARN", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main(*sys.argv[1:4])
