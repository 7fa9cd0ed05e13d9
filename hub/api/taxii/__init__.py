"""The TAXII 2.1 server (OASIS TAXII 2.1 OS), mounted at ``/taxii2/`` in the hub's API."""

from __future__ import annotations

from fastapi import FastAPI

from hub.api.services import ApiServices
from hub.api.taxii import reads, server, writes
from hub.api.taxii.calls import API_ROOT
from hub.api.taxii.errors import install_error_handlers
from hub.api.taxii.media import TAXII_21

__all__ = ["API_ROOT", "TAXII_21", "create_taxii_app"]


def create_taxii_app(services: ApiServices) -> FastAPI:
    """A sub-application of its own, so its errors answer in TAXII's format and media type
    while the hub's other routes keep theirs."""
    app = FastAPI(
        title="Fusion Hub TAXII 2.1",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(server.router)
    app.include_router(reads.router)
    app.include_router(writes.router)
    return app
