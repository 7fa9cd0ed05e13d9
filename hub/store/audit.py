"""The audit trail: every sharing decision from ``fusion.audit``, by object and audience."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.engine import reading, writing
from hub.store.models import audit_table
from hub.store.timestamps import to_us
from hub.store.upsert import insert_ignoring_duplicates
from schemas.envelopes import AuditRecord

_a = audit_table.c


async def add_audit(engine: AsyncEngine, records: Sequence[AuditRecord]) -> None:
    """Keep decisions; one already kept (a re-delivered message, a replay) is not doubled."""
    if not records:
        return
    rows = [
        {
            "object_id": record.object_id,
            "version": record.version,
            "audience": record.audience,
            "partner": record.partner,
            "allowed": record.allowed,
            "rule": record.rule,
            "decided_at": record.decided_at,
            "decided_us": to_us(record.decided_at),
        }
        for record in records
    ]
    async with writing(engine) as connection:
        await connection.execute(insert_ignoring_duplicates(connection, audit_table), rows)


async def audit_records(
    engine: AsyncEngine,
    *,
    object_id: str | None = None,
    audience: str | None = None,
    limit: int | None = None,
) -> list[AuditRecord]:
    """Decisions about an object and/or for an audience, oldest first."""
    statement = select(
        _a.object_id, _a.version, _a.audience, _a.partner, _a.allowed, _a.rule, _a.decided_at
    ).order_by(_a.decided_us, _a.pk)
    if object_id is not None:
        statement = statement.where(_a.object_id == object_id)
    if audience is not None:
        statement = statement.where(_a.audience == audience)
    if limit is not None:
        statement = statement.limit(limit)
    async with reading(engine) as connection:
        rows = (await connection.execute(statement)).all()
    return [
        AuditRecord(
            object_id=row.object_id,
            version=row.version,
            audience=row.audience,
            partner=row.partner,
            allowed=bool(row.allowed),
            rule=row.rule,
            decided_at=row.decided_at,
        )
        for row in rows
    ]
