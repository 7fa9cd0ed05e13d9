"""Operations endpoints: Prometheus ``/metrics``, liveness ``/healthz``, readiness ``/readyz``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from hub.api.pipeline_watch import PipelineWatch
from hub.api.services import ApiServices


def create_ops_router(watch: PipelineWatch | None) -> APIRouter:
    """``watch`` is None for a server without a broker: then readiness needs the store only."""
    router = APIRouter()

    @router.get("/metrics")
    async def metrics() -> Response:
        body = generate_latest(watch.metrics.registry) if watch is not None else b""
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        # Alive means the event loop answers; dependencies are /readyz's business.
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        services: ApiServices = request.app.state.services
        checks: dict[str, str] = {}
        try:
            async with services.store.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["store"] = "ok"
        except Exception as exc:  # any failure means not ready; say which
            checks["store"] = f"failing: {exc}"
        if watch is not None:
            checks["broker"] = "ok" if watch.connected else "not connected"
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    return router
