"""The hub's HTTP API: one ASGI app (FastAPI on uvicorn), TAXII 2.1 under ``/taxii2/``."""

from __future__ import annotations

from hub.api.app import create_api
from hub.api.services import ApiServices, open_services
from hub.api.settings import ServeSettings

__all__ = ["ApiServices", "ServeSettings", "create_api", "open_services"]
