"""``/stream``: curated intelligence as server-sent events, each principal its own view.

A principal streams the store collection of its own audience (analysts: the analysts'
collection within their clearance; partner: its feed; liaison officer: its agency's
collection), so a stream can never show another audience's view. Every object version is
one event whose id is ``<collection id>:<date_added>``; ``date_added`` is unique and
increasing within a collection and durable in the store, so resuming from ``Last-Event-ID``
(after a dropped connection or a server restart) neither skips nor repeats an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from hub.api.services import ApiServices
from hub.auth import AuthenticationError, Principal
from hub.auth.access import reading_clearance
from hub.disseminate.views import partner_identity_id, sector_identity_id
from hub.store import ALL, ObjectFilter, Store
from hub.store.collections import (
    CollectionSpec,
    analysts_collection,
    feed_collection,
    liaison_collection,
)
from hub.timestamps import parse
from schemas.agreement import PartnerAgreement

Agreements = Callable[[], Mapping[str, PartnerAgreement]]
_POLL_S = 0.5
_HEARTBEAT_S = 15.0
_PAGE = 500


def audience_collection(principal: Principal) -> CollectionSpec | None:
    """The collection holding the principal's own view; None for operators (no intelligence)."""
    if principal.kind == "analyst":
        return analysts_collection()
    if principal.kind == "partner":
        return feed_collection(principal.name)
    if principal.kind == "liaison":
        return liaison_collection(principal.name)
    return None


@dataclass(frozen=True, slots=True)
class StreamFilter:
    """What a subscriber asked for; an object passes when it meets every filter given."""

    crime_code: str | None = None
    min_confidence: int = 0
    indicator_type: str | None = None
    sector_refs: frozenset[str] | None = None

    def files_under_code(self, stix: Mapping[str, Any]) -> bool:
        """Whether the version is classed under the code asked for (True if none was)."""
        if not self.crime_code:
            return True
        code = str(stix.get("x_fusion_crime_code", ""))
        # A parent code takes its children: fraud takes fraud/phishing, not fraudster.
        return code == self.crime_code or code.startswith(self.crime_code + "/")

    def admits(self, stix: Mapping[str, Any], *, filed_before: bool = False) -> bool:
        """``filed_before``: an earlier version of the object was classed under the code."""
        if not filed_before and not self.files_under_code(stix):
            return False
        confidence = stix.get("confidence")
        if self.min_confidence and (
            not isinstance(confidence, int) or confidence < self.min_confidence
        ):
            return False
        if self.indicator_type and f"[{self.indicator_type}:" not in str(stix.get("pattern", "")):
            return False
        if self.sector_refs is not None:
            contributors = stix.get("x_fusion_contributors")
            refs = (
                {c.get("source_ref") for c in contributors if isinstance(c, dict)}
                if isinstance(contributors, list)
                else set()
            )
            if not refs & self.sector_refs:
                return False
        return True


class FiledUnder:
    """Which objects of a stream filtered by crime code were classed under it before.

    An indicator classed under another code since is still the subscriber's to follow: its
    later versions, revocation and expiry included (as on the code's Kafka topic, README
    "Subscribing on Kafka"). A stream resumed after the move finds the earlier versions in
    the store; each object is looked up there once a connection.
    """

    def __init__(
        self, store: Store, collection_id: str, flt: StreamFilter, max_tlp: int | None
    ) -> None:
        self._store, self._collection_id = store, collection_id
        self._flt, self._max_tlp = flt, max_tlp
        self._filed: set[str] = set()
        self._looked_up: set[str] = set()

    async def before(self, stix: Mapping[str, Any]) -> bool:
        """Whether a version of the object earlier than ``stix`` was classed under the code."""
        object_id = str(stix.get("id"))
        if self._flt.files_under_code(stix):
            self._filed.add(object_id)
            return False  # admitted on its own code
        if object_id in self._filed:
            return True
        if object_id in self._looked_up or stix.get("created") == stix.get("modified"):
            return False  # a first version has none before it
        self._looked_up.add(object_id)
        if await self._filed_in_store(object_id, parse(str(stix.get("modified")))):
            self._filed.add(object_id)
            return True
        return False

    async def _filed_in_store(self, object_id: str, modified: datetime) -> bool:
        async for item in self._store.every_version(
            self._collection_id, (object_id,), self._max_tlp, _PAGE
        ):
            version = orjson.loads(item.body)
            earlier = parse(str(version.get("modified"))) < modified
            if earlier and self._flt.files_under_code(version):
                return True
        return False


def sector_refs(sector: str, agreements: Mapping[str, PartnerAgreement]) -> frozenset[str]:
    """Identities that stand for a contributor of ``sector``: its partners' and the sector's."""
    partners = {partner_identity_id(a.id) for a in agreements.values() if a.sector == sector}
    return frozenset({sector_identity_id(sector), *partners})


def event_id(collection_id: str, date_added: int) -> str:
    return f"{collection_id}:{date_added}"


def resume_point(last_event_id: str | None, collection: CollectionSpec) -> int | None:
    """The ``date_added`` after which to resume; 400 for an id from another stream."""
    if not last_event_id:
        return None
    owner, _, added = last_event_id.strip().rpartition(":")
    if owner != collection.id or not added.isdigit():
        raise HTTPException(
            400,
            f"Last-Event-ID {last_event_id!r} is not an event of this stream "
            f"(expected '{collection.id}:<date_added>')",
        )
    return int(added)


def sse_event(collection_id: str, date_added: int, stix_type: str, body: str) -> bytes:
    return (
        f"id: {event_id(collection_id, date_added)}\nevent: {stix_type}\n"
        f"data: {body.replace(chr(10), ' ')}\n\n"
    ).encode()


async def events(
    services: ApiServices,
    collection: CollectionSpec,
    flt: StreamFilter,
    *,
    after_us: int | None,
    max_tlp: int | None,
    max_events: int | None,
    is_disconnected: Callable[[], Any],
) -> AsyncIterator[bytes]:
    cursor, sent, quiet_s = after_us, 0, 0.0
    filed = FiledUnder(services.store, collection.id, flt, max_tlp) if flt.crime_code else None
    yield b"retry: 2000\n\n"
    while max_events is None or sent < max_events:
        page = await services.store.page_objects(
            collection.id, ObjectFilter(after_us=cursor, versions=ALL, max_tlp=max_tlp), _PAGE
        )
        for item in page.items:
            cursor = item.date_added
            stix = orjson.loads(item.body)
            filed_before = filed is not None and await filed.before(stix)
            if not flt.admits(stix, filed_before=filed_before):
                continue
            yield sse_event(collection.id, item.date_added, str(stix.get("type")), item.body)
            sent += 1
            if max_events is not None and sent >= max_events:
                return
        if page.more:
            continue
        if await is_disconnected():
            return
        await asyncio.sleep(_POLL_S)
        quiet_s += _POLL_S
        if quiet_s >= _HEARTBEAT_S:
            # A comment line keeps proxies from closing an idle connection.
            quiet_s = 0.0
            yield b": keep-alive\n\n"


def create_stream_router(agreements: Agreements) -> APIRouter:
    router = APIRouter()

    @router.get("/stream")
    async def stream(
        request: Request,
        crime_code: str | None = Query(None, description="crime code, e.g. fraud/phishing"),
        min_confidence: int = Query(0, ge=0, le=100),
        indicator_type: str | None = Query(None, description="observable type, e.g. url"),
        sector: str | None = Query(None, description="contributor sector, e.g. bank"),
        last_event_id: str | None = Header(None),
        max_events: int | None = Query(None, ge=1, description="stop after this many events"),
    ) -> StreamingResponse:
        services: ApiServices = request.app.state.services
        try:
            principal = await services.authenticator.authenticate(
                request.headers.get("authorization")
            )
        except AuthenticationError as exc:
            raise HTTPException(
                401, str(exc), headers={"WWW-Authenticate": 'Basic realm="Fusion Hub"'}
            ) from None
        collection = audience_collection(principal)
        if collection is None:
            raise HTTPException(403, f"{principal.label} reads no intelligence: no stream")
        # EventSource cannot set headers on its first request; a query parameter resumes too.
        resume = last_event_id or request.query_params.get("last_event_id")
        flt = StreamFilter(
            crime_code=crime_code,
            min_confidence=min_confidence,
            indicator_type=indicator_type,
            sector_refs=sector_refs(sector, agreements()) if sector else None,
        )
        body = events(
            services,
            collection,
            flt,
            after_us=resume_point(resume, collection),
            max_tlp=reading_clearance(principal, collection),
            max_events=max_events,
            is_disconnected=request.is_disconnected,
        )
        return StreamingResponse(
            body,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router
