"""The store as one object: open it from a URL, then read and write through it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store import audit, queries, status, writes
from hub.store.collections import CollectionSpec
from hub.store.engine import create_store_engine
from hub.store.migrate import migrate
from hub.store.queries import (
    ALL,
    ManifestEntry,
    ObjectFilter,
    Page,
    StoredObject,
    VersionMatch,
)
from hub.store.status import Detail, StatusResource
from hub.store.versions import ObjectVersion
from schemas.envelopes import AuditRecord


class Store:
    """TAXII collections, status resources and the audit trail in one SQL database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    async def open(cls, url: str, *, upgrade: bool = True) -> Store:
        """The store at ``url``, its schema brought up to date unless ``upgrade`` is False."""
        engine = create_store_engine(url)
        if upgrade:
            try:
                await migrate(engine)
            except BaseException:
                await engine.dispose()
                raise
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    # Collections and object versions.
    async def ensure_collections(self, specs: Iterable[CollectionSpec]) -> None:
        await writes.ensure_collections(self.engine, specs)

    async def add_versions(self, batches: Mapping[str, Sequence[ObjectVersion]]) -> int:
        return await writes.add_versions(self.engine, batches)

    async def delete_versions(
        self,
        collection_id: str,
        object_id: str,
        *,
        versions: VersionMatch,
        spec_versions: tuple[str, ...] = (),
    ) -> int:
        return await writes.delete_versions(
            self.engine, collection_id, object_id, versions=versions, spec_versions=spec_versions
        )

    async def page_objects(
        self, collection_id: str, flt: ObjectFilter, limit: int
    ) -> Page[StoredObject]:
        return await queries.page_objects(self.engine, collection_id, flt, limit)

    async def every_version(
        self, collection_id: str, ids: Sequence[str], max_tlp: int | None, page_size: int = 500
    ) -> AsyncIterator[StoredObject]:
        """Every version of the objects ``ids`` the collection holds within ``max_tlp``, in
        the order they were added, read a page at a time."""
        flt = ObjectFilter(ids=tuple(ids), versions=ALL, max_tlp=max_tlp)
        while True:
            page = await self.page_objects(collection_id, flt, page_size)
            for item in page.items:
                yield item
            if not page.more or page.last_added is None:
                return
            flt = replace(flt, after_us=page.last_added)

    async def page_manifest(
        self, collection_id: str, flt: ObjectFilter, limit: int
    ) -> Page[ManifestEntry]:
        return await queries.page_manifest(self.engine, collection_id, flt, limit)

    async def object_is_held(
        self, collection_id: str, object_id: str, max_tlp: int | None = None
    ) -> bool:
        return await queries.object_is_held(self.engine, collection_id, object_id, max_tlp)

    # Status resources.
    async def create_status(
        self, *, status_id: str, collection_id: str, partner: str, posted: Sequence[Detail]
    ) -> StatusResource:
        return await status.create_status(
            self.engine,
            status_id=status_id,
            collection_id=collection_id,
            partner=partner,
            posted=posted,
        )

    async def get_status(self, status_id: str) -> StatusResource | None:
        return await status.get_status(self.engine, status_id)

    async def forget_status(self, status_id: str) -> None:
        await status.forget_status(self.engine, status_id)

    async def settle_statuses(self, reports: Sequence[dict[str, Any]]) -> int:
        return await status.settle_statuses(self.engine, reports)

    # Audit trail.
    async def add_audit(self, records: Sequence[AuditRecord]) -> None:
        await audit.add_audit(self.engine, records)

    async def query_audit(
        self, *, object_id: str | None = None, audience: str | None = None
    ) -> list[AuditRecord]:
        return await audit.audit_records(self.engine, object_id=object_id, audience=audience)
