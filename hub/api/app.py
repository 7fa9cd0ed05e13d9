"""The hub's one ASGI application: TAXII 2.1 at ``/taxii2/``, and whatever else is mounted.

Other parts of the hub add their endpoints with ``routers`` (FastAPI routers included at the
root, e.g. ``/healthz``, ``/metrics``, ``/api/...``) or ``mounts`` (whole ASGI apps under a
path, e.g. ``/ui``), or later with ``app.include_router`` / ``app.mount``.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from hub.api.services import ApiServices
from hub.api.taxii import create_taxii_app

TAXII_PREFIX = "/taxii2"


def create_api(
    services: ApiServices,
    *,
    routers: Iterable[APIRouter] = (),
    mounts: Iterable[tuple[str, ASGIApp]] = (),
) -> FastAPI:
    app = FastAPI(title="Fusion Hub", docs_url=None, redoc_url=None)
    app.state.services = services
    app.mount(TAXII_PREFIX, create_taxii_app(services), name="taxii2")
    for router in routers:
        app.include_router(router)
    for path, asgi_app in mounts:
        app.mount(path, asgi_app)
    return app
