"""Running a hub worker: create the topics, then hand the loop to Faust."""

from __future__ import annotations

import asyncio
import logging

import faust

from hub.app import create_app
from hub.context import HubContext
from hub.disseminate.agents import audience_topic
from hub.disseminate.audiences import audiences_for
from hub.kafka_admin import ensure_topics, pipeline_topics, table_changelogs
from hub.logs import worker_logging_config
from hub.settings import HubSettings


def worker_topics(context: HubContext) -> list[str]:
    """The pipeline's topics and each known partner's and agency's, created up front.

    A topic first met by a producer is auto-created while the producer waits and logs.
    """
    audiences = [
        audience_topic(context.topics, audience, "")
        for audience in audiences_for(context.agreements.current(), context.liaison_agencies)
        if audience.kind != "analysts"  # analysts topics are per crime code, already listed
    ]
    return [*pipeline_topics(context.topics), *audiences]


def run_worker(settings: HubSettings, *, loglevel: str = "WARN") -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    context = HubContext.from_settings(settings)
    changelogs = table_changelogs(settings.app_id)
    asyncio.run(
        ensure_topics(
            settings.broker,
            [*worker_topics(context), *changelogs],
            settings.partitions,
            compacted=frozenset(changelogs),
        )
    )
    app = create_app(context)
    # Set on the named loggers, not left to the root: profiled, the worker was building
    # aiokafka's per-message debug records, several percent of its CPU.
    level = logging.getLevelName(loglevel.upper())
    for noisy in ("faust", "aiokafka", "mode"):
        logging.getLogger(noisy).setLevel(
            max(logging.WARNING, level if isinstance(level, int) else logging.WARNING)
        )
    worker = faust.Worker(
        app, loglevel=loglevel, quiet=True, logging_config=worker_logging_config(loglevel)
    )
    worker.execute_from_commandline()
