"""The delivery endpoints ``fusionhub serve`` adds to the API: stream, dashboard, operations."""

from __future__ import annotations

from fastapi import APIRouter

from hub.agreements import AgreementBook
from hub.api.ops import create_ops_router
from hub.api.pipeline_watch import PipelineWatch
from hub.api.stream import create_stream_router
from hub.api.ui import create_dashboard_router
from hub.settings import HubSettings


def delivery_routers(hub: HubSettings, watch: PipelineWatch | None) -> list[APIRouter]:
    agreements = AgreementBook(hub.partners_dir).current
    return [
        create_stream_router(agreements),
        create_dashboard_router(agreements, watch),
        create_ops_router(watch),
    ]
