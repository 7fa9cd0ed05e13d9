"""The hub's store: TAXII collections (every object version), status resources, audit trail.

SQL through SQLAlchemy 2 async; SQLite by default, PostgreSQL in production, chosen by
``FUSIONHUB_STORE_URL``; the schema is migrated with Alembic when the store opens.
"""

from __future__ import annotations

from hub.store.errors import BadObjectError, StoreConfigError, StoreError, UnknownCollectionError
from hub.store.queries import ALL, LAST, ObjectFilter, Page, VersionMatch
from hub.store.settings import StoreSettings
from hub.store.status import Detail, StatusResource, status_detail
from hub.store.store import Store
from hub.store.versions import ObjectVersion
from schemas.envelopes import AuditRecord

__all__ = [
    "ALL",
    "LAST",
    "AuditRecord",
    "BadObjectError",
    "Detail",
    "ObjectFilter",
    "ObjectVersion",
    "Page",
    "StatusResource",
    "Store",
    "StoreConfigError",
    "StoreError",
    "StoreSettings",
    "UnknownCollectionError",
    "VersionMatch",
    "query_audit",
    "status_detail",
]


async def query_audit(
    object_id: str | None = None,
    audience: str | None = None,
    *,
    store_url: str | None = None,
) -> list[AuditRecord]:
    """The audit trail's decisions about an object and/or for an audience, oldest first.

    Opens the store at ``store_url`` (default: ``FUSIONHUB_STORE_URL``) for the one query.
    ``audience`` is as on ``fusion.audit``: ``analysts``, ``partner:<id>``, ``liaison:<agency>``.
    """
    store = await Store.open(store_url or StoreSettings().store_url)
    try:
        return await store.query_audit(object_id=object_id, audience=audience)
    finally:
        await store.close()
