"""Creates the hub's Faust app; the domains register their agents on it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import faust
from mode import ServiceT

from connectors import schedule as connector_schedule
from hub.admit import agents as admit_agents
from hub.context import HubContext
from hub.correlate import agents as correlate_agents
from hub.disseminate import agents as disseminate_agents
from hub.streams import Outbox


class HubApp(faust.App):
    """A Faust app without Faust's in-memory Monitor sensor.

    The Monitor keeps per-message statistics for Faust's web view, which the hub does not
    run (its metrics are its own, in hub/api/ops.py); measured, it cost about 5% of a
    worker's CPU per consumed message.
    """

    def on_init_dependencies(self) -> Iterable[ServiceT]:
        dependencies = super().on_init_dependencies()
        self.sensors.remove(self.monitor)  # added by the call above
        return dependencies


def create_app(context: HubContext) -> faust.App:
    settings = context.settings
    app = HubApp(
        settings.app_id,
        broker=f"kafka://{settings.broker}",
        store=settings.table_store,
        processing_guarantee=settings.processing_guarantee,
        topic_partitions=settings.partitions,
        datadir=str(settings.data_dir / "faust"),
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        # Short session timeouts: a killed worker's partitions move quickly.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=1.0,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        producer_linger=0.005,
        stream_buffer_maxsize=16384,
        table_cleanup_interval=60.0,
    )
    outbox = Outbox(settings)
    admit_agents.register(app, context, outbox)
    correlate_agents.register(app, context, outbox)
    disseminate_agents.register(app, context, outbox)

    async def stop_outbox(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        await outbox.stop()

    app.on_before_shutdown.connect(stop_outbox)

    connector_schedule.register(app, context)
    return app
