"""Creates the hub's Faust app; the domains register their agents on it."""

from __future__ import annotations

import faust

from connectors import schedule as connector_schedule
from hub.admit import agents as admit_agents
from hub.context import HubContext
from hub.correlate import agents as correlate_agents
from hub.disseminate import agents as disseminate_agents


def create_app(context: HubContext) -> faust.App:
    settings = context.settings
    app = faust.App(
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
    admit_agents.register(app, context)
    correlate_agents.register(app, context)
    disseminate_agents.register(app, context)
    connector_schedule.register(app, context)
    return app
