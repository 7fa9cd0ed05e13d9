"""Running a hub worker: create the topics, then hand the loop to Faust."""

from __future__ import annotations

import asyncio
import logging

import faust

from hub.app import create_app
from hub.context import HubContext
from hub.kafka_admin import ensure_topics, pipeline_topics
from hub.settings import HubSettings


def build(settings: HubSettings) -> tuple[faust.App, HubContext]:
    context = HubContext.from_settings(settings)
    return create_app(context), context


def run_worker(settings: HubSettings, *, loglevel: str = "WARN") -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(
        ensure_topics(
            settings.broker,
            pipeline_topics(HubContext.from_settings(settings).topics),
            settings.partitions,
        )
    )
    app, _ = build(settings)
    logging.getLogger("faust").setLevel(logging.WARNING)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
