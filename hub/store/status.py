"""TAXII status resources: one per POST to an inbox, settled by the pipeline's report.

The admit stage publishes one report per POSTed ingest record on ``fusion.status`` (key =
ingest id = status id) listing every object as a success or a failure with its reason; settling
copies those lists in. A report that rejected the whole record (one failure without an
object) fails every posted object with that reason, so the counts always add up to
``total_count``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.engine import reading, writing
from hub.store.models import status_table
from hub.store.timestamps import format_us, now_us

_s = status_table.c
_IN_CHUNK = 500


Detail = dict[str, str]
"""A TAXII status detail: ``id``, ``version`` and, for outcomes, a ``message``."""


def status_detail(object_id: str, version: str, message: str = "") -> Detail:
    detail = {"id": object_id, "version": version}
    if message:
        detail["message"] = message
    return detail


@dataclass(slots=True)
class StatusResource:
    """TAXII 2.1 status resource plus who may read it (the posting partner and admins)."""

    id: str
    collection_id: str
    partner: str
    status: str
    request_timestamp: int
    total_count: int
    pendings: list[Detail] = field(default_factory=list)
    successes: list[Detail] = field(default_factory=list)
    failures: list[Detail] = field(default_factory=list)

    def to_taxii(self) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "request_timestamp": format_us(self.request_timestamp),
            "total_count": self.total_count,
            "success_count": len(self.successes),
            "failure_count": len(self.failures),
            "pending_count": len(self.pendings),
        }
        for name, details in (
            ("successes", self.successes),
            ("failures", self.failures),
            ("pendings", self.pendings),
        ):
            if details:
                resource[name] = details
        return resource


def _details(raw: str) -> list[Detail]:
    details: list[Detail] = orjson.loads(raw)
    return details


def _dump(details: Sequence[Detail]) -> str:
    return orjson.dumps(details).decode("utf-8")


async def create_status(
    engine: AsyncEngine,
    *,
    status_id: str,
    collection_id: str,
    partner: str,
    posted: Sequence[Detail],
    request_timestamp: int | None = None,
) -> StatusResource:
    """A new status: ``pending`` for every posted object, ``complete`` if nothing was posted."""
    resource = StatusResource(
        id=status_id,
        collection_id=collection_id,
        partner=partner,
        status="pending" if posted else "complete",
        request_timestamp=request_timestamp if request_timestamp is not None else now_us(),
        total_count=len(posted),
        pendings=list(posted),
    )
    async with writing(engine) as connection:
        await connection.execute(
            status_table.insert().values(
                id=resource.id,
                collection_id=collection_id,
                partner=partner,
                status=resource.status,
                request_timestamp=resource.request_timestamp,
                total_count=resource.total_count,
                success_count=0,
                failure_count=0,
                pending_count=resource.total_count,
                posted=_dump(posted),
                successes="[]",
                failures="[]",
                completed=None if posted else resource.request_timestamp,
            )
        )
    return resource


async def forget_status(engine: AsyncEngine, status_id: str) -> None:
    """Drop a status whose objects never reached the pipeline (the POST failed)."""
    async with writing(engine) as connection:
        await connection.execute(delete(status_table).where(_s.id == status_id))


async def get_status(engine: AsyncEngine, status_id: str) -> StatusResource | None:
    async with reading(engine) as connection:
        row = (await connection.execute(select(status_table).where(_s.id == status_id))).first()
    if row is None:
        return None
    complete = row.status == "complete"
    return StatusResource(
        id=row.id,
        collection_id=row.collection_id,
        partner=row.partner,
        status=row.status,
        request_timestamp=row.request_timestamp,
        total_count=row.total_count,
        pendings=[] if complete else _details(row.posted),
        successes=_details(row.successes),
        failures=_details(row.failures),
    )


def settle(posted: list[Detail], report: dict[str, Any]) -> tuple[list[Detail], list[Detail]]:
    """Successes and failures of a report, accounting for every posted object exactly once."""
    successes = [_reported(d) for d in report.get("successes") or []]
    failures = [_reported(d) for d in report.get("failures") or []]
    if len(successes) + len(failures) != len(posted):
        reason = next((f["message"] for f in failures if f.get("message")), "rejected")
        if not failures and successes:
            reason = f"the pipeline reported {len(successes)} object(s) for {len(posted)} posted"
        return [], [status_detail(p["id"], p["version"], reason) for p in posted]
    return successes, failures


def _reported(detail: Any) -> Detail:
    if not isinstance(detail, dict):
        return status_detail("", "", f"malformed report entry {detail!r}")
    return status_detail(
        str(detail.get("id") or ""),
        str(detail.get("version") or ""),
        str(detail.get("message") or ""),
    )


async def settle_statuses(engine: AsyncEngine, reports: Sequence[dict[str, Any]]) -> int:
    """Complete the pending statuses these ``fusion.status`` reports are about.

    Reports of other ingest records (files, pulled feeds) have no status and are skipped; a
    status already complete stays as it is, so a re-delivered report changes nothing.
    """
    by_id = {str(r["ingest_id"]): r for r in reports if isinstance(r.get("ingest_id"), str)}
    ids = sorted(by_id)
    settled = 0
    async with writing(engine) as connection:
        for index in range(0, len(ids), _IN_CHUNK):
            rows = (
                await connection.execute(
                    select(_s.id, _s.posted).where(
                        _s.id.in_(ids[index : index + _IN_CHUNK]), _s.status == "pending"
                    )
                )
            ).all()
            for status_id, posted in rows:
                successes, failures = settle(_details(posted), by_id[status_id])
                await connection.execute(
                    update(status_table)
                    .where(_s.id == status_id)
                    .values(
                        status="complete",
                        success_count=len(successes),
                        failure_count=len(failures),
                        pending_count=0,
                        successes=_dump(successes),
                        failures=_dump(failures),
                        completed=now_us(),
                    )
                )
                settled += 1
    return settled
