"""TAXII 2.1 pull: polls a partner's collection with taxii2-client, page by page.

Each poll asks for what was added after the checkpoint and follows ``more``/``next``; every
page becomes one ingest record (a TAXII envelope, format ``stix``), and the checkpoint moves
once that record is acknowledged. The checkpoint is the ``X-TAXII-Date-Added-Last`` of the
pages delivered and the versions already delivered that were added at that instant: a poll
asks from just before it (TAXII's ``added_after`` is exclusive) and skips those versions, so
objects added in the same instant but split across pages are never missed, and never
delivered twice, even when a run stops between two pages.

taxii2-client is synchronous (requests): every request runs in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import requests
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection

from connectors.base import JSON, Connector, ConnectorError, Delivery, StixObject
from hub.timestamps import now_ms, parse
from schemas.connectors import TaxiiPullSettings
from schemas.envelopes import IngestRecord, Origin, encode_payload

# Versions remembered at the checkpoint's instant; more only if one instant holds more.
_MAX_SEEN = 50_000


@dataclass(slots=True)
class Page:
    """One response of Get Objects."""

    objects: list[StixObject]
    more: bool
    next: str | None
    added_first: str | None
    added_last: str | None


@dataclass(slots=True)
class PollState:
    """Where the feed stands: the last date_added delivered, and what was delivered then."""

    added_last: str | None = None
    seen: list[str] = field(default_factory=list)  # version digests added at `added_last`

    @classmethod
    def from_checkpoint(cls, checkpoint: JSON | None, start: str | None) -> PollState:
        if not checkpoint:
            return cls(added_last=start)
        return cls(added_last=checkpoint.get("added_last"), seen=list(checkpoint.get("seen", [])))

    def to_checkpoint(self) -> JSON:
        return {"added_last": self.added_last, "seen": self.seen[-_MAX_SEEN:]}

    def query_after(self) -> str | None:
        """``added_after`` for a poll: one microsecond before the last instant delivered."""
        if self.added_last is None:
            return None
        return _taxii_time(parse(self.added_last) - timedelta(microseconds=1))

    def is_new(self, obj: StixObject) -> bool:
        return version_digest(obj) not in self.seen

    def advance(self, page: Page) -> None:
        """Record a delivered page: a later instant starts a new set of seen versions."""
        last = page.added_last or page.added_first
        digests = [version_digest(obj) for obj in page.objects if isinstance(obj, dict)]
        if not digests:
            return
        if last is None:
            # A server that does not say when objects were added: remember them all.
            self.seen = [*self.seen, *digests][-_MAX_SEEN:]
        elif self.added_last is not None and parse(last) == parse(self.added_last):
            self.seen = [*self.seen, *(d for d in digests if d not in self.seen)][-_MAX_SEEN:]
        else:
            # Objects added at the page's last instant can only be on this page so far.
            self.added_last, self.seen = last, digests


def _taxii_time(moment: datetime | None) -> str | None:
    """A TAXII timestamp in UTC with microseconds; a time without a zone is UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def version_digest(obj: StixObject) -> str:
    """Short digest of one object version (id + modified): what "delivered" means."""
    version = obj.get("modified") or obj.get("created") or ""
    return hashlib.sha256(f"{obj.get('id')}|{version}".encode()).hexdigest()[:16]


class _BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class TaxiiSession:
    """One collection of a TAXII 2.1 server; blocking, for a worker thread."""

    def __init__(self, url: str, settings: TaxiiPullSettings) -> None:
        credentials = settings.credentials
        token = credentials.secret(credentials.token_env)
        self.collection = Collection(
            url,
            user=credentials.username,
            password=credentials.secret(credentials.password_env),
            verify=settings.verify_tls,
            auth=_BearerAuth(token) if token else None,
        )
        self._headers: dict[str, str] = {}
        # taxii2-client returns only the body; the X-TAXII-Date-Added-* headers that make
        # the checkpoint are kept from the response by a requests hook.
        self.collection._conn.session.hooks["response"].append(self._keep_headers)

    def _keep_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._headers = dict(response.headers)

    def page(self, *, added_after: str | None, next_token: str | None, limit: int) -> Page:
        query: dict[str, Any] = {"limit": limit}
        if added_after is not None:
            query["added_after"] = added_after
        if next_token is not None:
            query["next"] = next_token
        self._headers = {}
        envelope = self.collection.get_objects(**query)
        objects = envelope.get("objects", [])
        if not isinstance(objects, list):
            raise ValueError("the envelope's 'objects' is not a list")
        return Page(
            objects=objects,
            more=bool(envelope.get("more", False)),
            next=envelope.get("next"),
            added_first=self._headers.get("X-TAXII-Date-Added-First"),
            added_last=self._headers.get("X-TAXII-Date-Added-Last"),
        )

    def close(self) -> None:
        self.collection.close()


class TaxiiConnector(Connector[TaxiiPullSettings]):
    """Pulls a partner's TAXII 2.1 collection (``kind: taxii``)."""

    kind = "taxii"
    channel = "taxii-pull"
    format = "stix"
    settings_type = TaxiiPullSettings

    async def collect(
        self, delivery: Delivery, checkpoint: JSON | None, *, source: str | None = None
    ) -> None:
        url = source or self.settings.url
        state = PollState.from_checkpoint(
            checkpoint if source is None else None, _taxii_time(self.settings.added_after)
        )
        try:
            session = await asyncio.to_thread(TaxiiSession, url, self.settings)
        except KeyError as exc:
            raise ConnectorError(self.label, str(exc.args[0])) from None
        try:
            await self._poll(session, url, state, delivery)
        except (requests.RequestException, TAXIIServiceException, ValueError) as exc:
            raise ConnectorError(self.label, f"{url}: {exc}") from exc
        finally:
            await asyncio.to_thread(session.close)

    async def _poll(
        self, session: TaxiiSession, url: str, state: PollState, delivery: Delivery
    ) -> None:
        delivery.expect(None)
        added_after = state.query_after()
        next_token: str | None = None
        while True:
            page = await asyncio.to_thread(
                session.page,
                added_after=added_after,
                next_token=next_token,
                limit=self.settings.page_size,
            )
            fresh = [obj for obj in page.objects if isinstance(obj, dict) and state.is_new(obj)]
            if fresh:
                await delivery.send(self._record(url, fresh))
            before = state.to_checkpoint()
            state.advance(page)
            if state.to_checkpoint() != before:
                await delivery.commit(state.to_checkpoint())
            if not page.more or not page.next:
                return
            next_token = page.next

    def _record(self, url: str, objects: list[StixObject]) -> IngestRecord:
        payload, is_base64 = encode_payload(orjson.dumps({"objects": objects}))
        return IngestRecord(
            ingest_id=self.ingest_id(url, *sorted(version_digest(o) for o in objects)),
            partner=self.partner,
            received=now_ms(),
            payload=payload,
            payload_base64=is_base64,
            format="stix",
            origin=Origin(channel=self.channel, name=url),
        )
