"""The analyst dashboard at ``/ui/`` and the JSON it draws from, under ``/api/dashboard/``.

The page is static HTML with a small bundled script (no CDN: the hub runs offline). It
subscribes to ``/stream`` for the live feed, and polls the counts, feed health and the
rejected and suppressed records; operators get replay and release buttons. Analysts look
values from a case up (``lookup.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from hub.admit.warninglists import KnownBenign
from hub.api.pipeline_watch import PipelineWatch
from hub.api.services import ApiServices
from hub.api.ui.lookup import MAX_VALUES, analyst_lookup
from hub.api.ui.stats import ecrime_counts
from hub.auth import AuthenticationError, Principal
from hub.auth.access import reading_clearance
from hub.disseminate.views import partner_identity_id
from hub.rejects import replay
from hub.store.collections import analysts_collection
from hub.suppressions import release
from schemas.agreement import PartnerAgreement

Agreements = Callable[[], Mapping[str, PartnerAgreement]]
_ASSETS = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Fusion Hub"'}


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text("utf-8")


async def _principal(request: Request) -> Principal:
    services: ApiServices = request.app.state.services
    try:
        return await services.authenticator.authenticate(request.headers.get("authorization"))
    except AuthenticationError as exc:
        raise HTTPException(401, str(exc), headers=_CHALLENGE) from None


async def _staff(request: Request) -> Principal:
    """Analysts and operators: the dashboard is the hub's own, not its partners'."""
    principal = await _principal(request)
    if principal.kind not in ("analyst", "admin"):
        raise HTTPException(
            403, f"the dashboard is for the hub's analysts and operators, not {principal.label}"
        )
    return principal


async def _analyst(request: Request) -> Principal:
    """Analysts only: what a lookup answers is intelligence, which operators do not read."""
    principal = await _staff(request)
    if principal.kind != "analyst":
        raise HTTPException(
            403,
            f"operators read no intelligence: the lookup is for analysts, not {principal.label}",
        )
    return principal


async def _operator(request: Request) -> Principal:
    principal = await _principal(request)
    if principal.kind != "admin":
        raise HTTPException(403, f"only operators replay or release records, not {principal.label}")
    return principal


def create_dashboard_router(agreements: Agreements, watch: PipelineWatch | None) -> APIRouter:
    router = APIRouter()
    # The shipped warninglists, indexed on the first lookup (about a second, off the loop).
    known_benign = KnownBenign()

    def watching() -> PipelineWatch:
        if watch is None:
            raise HTTPException(503, "this server does not read the pipeline (no broker)")
        return watch

    @router.get("/ui", include_in_schema=False)
    @router.get("/ui/", include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        await _staff(request)
        return HTMLResponse(_asset("index.html"))

    @router.get("/ui/static/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in _ASSETS:
            raise HTTPException(404, f"no asset {name!r}")
        return Response(_asset(name), media_type=_ASSETS[name])

    @router.get("/api/dashboard/me")
    async def me(request: Request) -> dict[str, Any]:
        principal = await _staff(request)
        return {"principal": principal.label, "operator": principal.kind == "admin"}

    @router.get("/api/dashboard/counts")
    async def counts(request: Request) -> dict[str, Any]:
        principal = await _staff(request)
        services: ApiServices = request.app.state.services
        clearance = principal.clearance if principal.kind == "analyst" else None
        return await ecrime_counts(
            services.store,
            analysts_collection().id,
            agreements(),
            max_tlp=int(clearance) if clearance is not None else None,
        )

    @router.get("/api/dashboard/lookup")
    async def lookup(request: Request, q: list[str] = Query(default=[])) -> list[dict[str, Any]]:
        principal = await _analyst(request)
        if not q:
            raise HTTPException(400, "name the values to look up: ?q=<value>&q=<value>...")
        if len(q) > MAX_VALUES:
            raise HTTPException(
                400,
                f"at most {MAX_VALUES} values at once, not {len(q)}: "
                "`fusionhub lookup --file` takes a whole list",
            )
        services: ApiServices = request.app.state.services
        collection = analysts_collection()
        return await analyst_lookup(
            services.store,
            collection.id,
            q,
            max_tlp=reading_clearance(principal, collection),
            partners={partner_identity_id(partner): partner for partner in agreements()},
            suppressed=watch.suppressed_entries() if watch is not None else (),
            known_benign=known_benign,
        )

    @router.get("/api/dashboard/feeds")
    async def feeds(request: Request) -> list[dict[str, Any]]:
        await _staff(request)
        return [
            {
                "partner": h.partner,
                "last_received": h.last_received,
                "records": h.records,
                "rejected": h.rejected,
                "suppressed": h.suppressed,
                "connector_errors": h.connector_errors,
                "reject_rate": round(h.reject_rate, 4),
            }
            for h in sorted(watching().feeds.values(), key=lambda h: h.partner)
        ]

    @router.get("/api/dashboard/rejected")
    async def rejected(request: Request) -> list[dict[str, Any]]:
        await _staff(request)
        w = watching()
        return [
            {
                "id": key,
                "partner": r.partner,
                "received": r.received,
                "reason": r.reason.code,
                "detail": r.reason.detail,
                "origin": r.origin.channel,
                "replayed": key in w.replayed,
            }
            for key, r in reversed(w.rejections.items())
        ]

    @router.get("/api/dashboard/suppressed")
    async def suppressed(request: Request) -> list[dict[str, Any]]:
        await _staff(request)
        return [
            {
                "id": entry.id,
                "partner": entry.suppression.contribution.partner,
                "observable": entry.suppression.contribution.observable_value,
                "warninglist": entry.suppression.warninglist,
                "matched": entry.suppression.matched,
                "released": entry.released,
            }
            for entry in reversed(watching().suppressed_entries())
        ]

    @router.post("/api/rejected/{rejection_id}/replay")
    async def replay_rejected(rejection_id: str, request: Request) -> dict[str, Any]:
        await _operator(request)
        w = watching()
        rejection = w.rejections.get(rejection_id)
        if rejection is None:
            raise HTTPException(404, f"no rejected record {rejection_id!r}")
        if rejection_id in w.replayed:
            raise HTTPException(409, f"rejected record {rejection_id} was already replayed")
        await replay(w.bootstrap, w.topics, [rejection])
        w.replayed.add(rejection_id)  # the marker on fusion.replayed will say so too
        return {"replayed": rejection_id}

    @router.post("/api/suppressed/{entry_id}/release")
    async def release_suppressed(entry_id: str, request: Request) -> dict[str, Any]:
        await _operator(request)
        w = watching()
        entry = next((e for e in w.suppressed_entries() if e.id == entry_id), None)
        if entry is None:
            raise HTTPException(404, f"no suppressed record {entry_id!r}")
        if entry.released:
            raise HTTPException(409, f"suppressed record {entry_id} was already released")
        await release(w.bootstrap, w.topics, [entry])
        w.released.add(entry_id)
        return {"released": entry_id}

    return router
