"""Writing object versions into collections, with ``date_added`` unique and increasing.

Per collection, one write transaction: lock the collection's row, skip versions it already
holds (a re-delivered message changes nothing), hand the new versions consecutive
microseconds after both the clock and the last ``date_added`` given, and keep the
first/last-version marks. The row lock (``SELECT ... FOR UPDATE`` on PostgreSQL, the write
lock of ``BEGIN IMMEDIATE`` on SQLite) is held to commit, so collections' ``date_added``
values become visible in the order they were given: a reader paging past ``date_added`` X
never sees a smaller one appear later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.store.collections import CollectionSpec
from hub.store.engine import writing
from hub.store.errors import UnknownCollectionError
from hub.store.models import collections_table, objects_table
from hub.store.queries import VersionMatch, version_condition
from hub.store.timestamps import format_us, now_us
from hub.store.upsert import insert_ignoring_duplicates
from hub.store.versions import ObjectVersion

_IN_CHUNK = 500  # ids per IN (...) list: far below SQLite's and asyncpg's parameter limits
_IMMUTABLE = -1  # stands for "held" of an unversioned object within one batch


@dataclass(slots=True)
class _Known:
    """The versions of one object a collection holds, and its first and last."""

    versions: set[int] = field(default_factory=set)
    first: int | None = None
    last: int | None = None


async def ensure_collections(engine: AsyncEngine, specs: Iterable[CollectionSpec]) -> None:
    """Create the collections that are missing; existing ones keep their ``date_added``."""
    rows = [
        {
            "id": spec.id,
            "kind": spec.kind,
            "owner": spec.owner,
            "title": spec.title,
            "description": spec.description,
            "last_date_added": 0,
        }
        for spec in specs
    ]
    if not rows:
        return
    async with writing(engine) as connection:
        await connection.execute(insert_ignoring_duplicates(connection, collections_table), rows)


async def add_versions(engine: AsyncEngine, batches: Mapping[str, Sequence[ObjectVersion]]) -> int:
    """Store object versions, by collection id, in one transaction; returns how many were new."""
    added = 0
    async with writing(engine) as connection:
        for collection_id in sorted(batches):  # one lock order, so writers cannot deadlock
            added += await _add_to_collection(connection, collection_id, batches[collection_id])
    return added


async def _add_to_collection(
    connection: AsyncConnection, collection_id: str, versions: Sequence[ObjectVersion]
) -> int:
    last_given = (
        await connection.execute(
            select(collections_table.c.last_date_added)
            .where(collections_table.c.id == collection_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if last_given is None:
        raise UnknownCollectionError(collection_id)
    known = await _known_versions(connection, collection_id, {v.object_id for v in versions})
    fresh: list[ObjectVersion] = []
    for version in versions:
        held = known.setdefault(version.object_id, _Known())
        if version.version_us is None:
            # An object without a version is immutable: holding it once is holding it.
            if held.versions:
                continue
            held.versions.add(_IMMUTABLE)
        elif version.version_us in held.versions:
            continue
        else:
            held.versions.add(version.version_us)
        fresh.append(version)
    if not fresh:
        return 0
    start = max(now_us(), last_given + 1)
    await connection.execute(
        update(collections_table)
        .where(collections_table.c.id == collection_id)
        .values(last_date_added=start + len(fresh) - 1)
    )
    rows, demote_first, demote_last = _rows(collection_id, fresh, start, known)
    await connection.execute(objects_table.insert(), rows)
    for column, demoted in (("is_first", demote_first), ("is_last", demote_last)):
        if demoted:
            await connection.execute(
                update(objects_table)
                .where(
                    objects_table.c.collection_id == collection_id,
                    objects_table.c.object_id == bindparam("oid"),
                    objects_table.c.version_us == bindparam("vus"),
                )
                .values({column: False}),
                [{"oid": oid, "vus": vus} for oid, vus in demoted],
            )
    return len(fresh)


def _rows(
    collection_id: str,
    fresh: list[ObjectVersion],
    start: int,
    known: dict[str, _Known],
) -> tuple[list[dict[str, Any]], list[tuple[str, int]], list[tuple[str, int]]]:
    """New rows with their first/last marks, and the stored rows that lose a mark."""
    held = {oid: (k.first, k.last) for oid, k in known.items()}
    rows: list[dict[str, Any]] = []
    by_key: dict[tuple[str, int], dict[str, Any]] = {}
    demote_first: list[tuple[str, int]] = []
    demote_last: list[tuple[str, int]] = []
    for offset, version in enumerate(fresh):
        date_added = start + offset
        version_us = version.version_us if version.version_us is not None else date_added
        first, last = held.get(version.object_id, (None, None))
        row = {
            "collection_id": collection_id,
            "object_id": version.object_id,
            "object_type": version.object_type,
            "spec_version": version.spec_version,
            "version": version.version or format_us(date_added),
            "version_us": version_us,
            "date_added": date_added,
            "is_first": first is None or version_us < first,
            "is_last": last is None or version_us > last,
            "tlp": version.tlp,
            "body": version.body,
        }
        for flag, old, demoted in (
            ("is_first", first, demote_first),
            ("is_last", last, demote_last),
        ):
            if row[flag] and old is not None:
                earlier = by_key.get((version.object_id, old))
                if earlier is not None:
                    earlier[flag] = False  # written in this batch: fix it before the insert
                else:
                    demoted.append((version.object_id, old))
        if row["is_first"]:
            first = version_us
        if row["is_last"]:
            last = version_us
        held[version.object_id] = (first, last)
        rows.append(row)
        by_key[(version.object_id, version_us)] = row
    return rows, demote_first, demote_last


async def _known_versions(
    connection: AsyncConnection, collection_id: str, object_ids: set[str]
) -> dict[str, _Known]:
    known: dict[str, _Known] = {}
    ids = sorted(object_ids)
    for index in range(0, len(ids), _IN_CHUNK):
        result = await connection.execute(
            select(
                objects_table.c.object_id,
                objects_table.c.version_us,
                objects_table.c.is_first,
                objects_table.c.is_last,
            ).where(
                objects_table.c.collection_id == collection_id,
                objects_table.c.object_id.in_(ids[index : index + _IN_CHUNK]),
            )
        )
        for object_id, version_us, is_first, is_last in result:
            entry = known.setdefault(object_id, _Known())
            entry.versions.add(version_us)
            if is_first:
                entry.first = version_us
            if is_last:
                entry.last = version_us
    return known


async def delete_versions(
    engine: AsyncEngine,
    collection_id: str,
    object_id: str,
    *,
    versions: VersionMatch,
    spec_versions: tuple[str, ...] = (),
) -> int:
    """Delete the matching versions of one object; the rest keep correct first/last marks."""
    async with writing(engine) as connection:
        await connection.execute(
            select(collections_table.c.id)
            .where(collections_table.c.id == collection_id)
            .with_for_update()
        )
        conditions = [
            objects_table.c.collection_id == collection_id,
            objects_table.c.object_id == object_id,
            version_condition(versions),
        ]
        if spec_versions:
            conditions.append(objects_table.c.spec_version.in_(spec_versions))
        deleted = await connection.execute(delete(objects_table).where(and_(*conditions)))
        if deleted.rowcount:
            await _remark(connection, collection_id, object_id)
        return int(deleted.rowcount or 0)


async def _remark(connection: AsyncConnection, collection_id: str, object_id: str) -> None:
    remaining = (
        (
            await connection.execute(
                select(objects_table.c.version_us).where(
                    objects_table.c.collection_id == collection_id,
                    objects_table.c.object_id == object_id,
                )
            )
        )
        .scalars()
        .all()
    )
    if not remaining:
        return
    first, last = min(remaining), max(remaining)
    of_object = and_(
        objects_table.c.collection_id == collection_id, objects_table.c.object_id == object_id
    )
    await connection.execute(
        update(objects_table)
        .where(of_object)
        .values(
            is_first=objects_table.c.version_us == first,
            is_last=objects_table.c.version_us == last,
        )
    )
