"""Running the hub's API on uvicorn, with the sinks that fill its store from Kafka beside it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import uvicorn
from rich.console import Console

from hub.api.app import TAXII_PREFIX, create_api
from hub.api.delivery import delivery_routers
from hub.api.pipeline_watch import PipelineWatch
from hub.api.publisher import KafkaIngestPublisher, PublishError
from hub.api.services import open_services
from hub.api.settings import ServeSettings
from hub.settings import HubSettings
from hub.store.sinks import StoreSinks
from hub.topics import Topics

errors = Console(stderr=True)


async def _watch_parent(pid: int, server: uvicorn.Server) -> None:
    """Stop the server once process ``pid`` is gone (the demo that started it)."""
    while True:
        await asyncio.sleep(1.0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            server.should_exit = True
            return
        except PermissionError:
            continue  # alive, just not ours to signal


async def _start_publisher(publisher: KafkaIngestPublisher) -> None:
    """Connect to the pipeline's broker; if it is down, POSTs try again (and answer 503)."""
    try:
        await publisher.start()
    except PublishError as exc:
        errors.print(f"[yellow]not yet connected to the pipeline:[/yellow] {exc}")


async def run_server(
    hub: HubSettings,
    serve: ServeSettings,
    *,
    store_url: str,
    sinks: bool = True,
    exit_with: int | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (or ``exit_with`` exits); the sinks run beside the server."""
    topics = Topics(hub.topic_namespace)
    publisher = KafkaIngestPublisher(hub.broker, topics.ingest)
    services = await open_services(hub, serve, store_url=store_url, publisher=publisher)
    watch = PipelineWatch(hub.broker, topics, worker_group=hub.app_id)
    config = uvicorn.Config(
        create_api(services, routers=delivery_routers(hub, watch)),
        host=serve.api_host,
        port=serve.api_port,
        ssl_certfile=str(serve.tls_cert) if serve.tls_cert else None,
        ssl_keyfile=str(serve.tls_key) if serve.tls_key else None,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    helpers: list[asyncio.Task[Any]] = []
    if sinks:
        group = serve.store_group or f"{hub.app_id}-store"
        store_sinks = StoreSinks(
            services.store, bootstrap=hub.broker, topics=topics, group_id=group
        )
        helpers.append(asyncio.create_task(store_sinks.run(), name="store-sinks"))
    helpers.append(asyncio.create_task(watch.run(), name="pipeline-watch"))
    if exit_with is not None:
        helpers.append(asyncio.create_task(_watch_parent(exit_with, server), name="exit-with"))
    # Connected before listening, so the first POST does not wait for the broker.
    await _start_publisher(publisher)
    scheme = "https" if serve.tls else "http"
    errors.print(
        f"Fusion Hub API on {scheme}://{serve.api_host}:{serve.api_port}{TAXII_PREFIX}/ "
        f"(store {services.store.backend}, sinks {'on' if sinks else 'off'})"
    )
    try:
        await server.serve()
    finally:
        for task in helpers:
            task.cancel()
        for task in helpers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await publisher.stop()
        await services.store.close()
