"""Reading collections as TAXII 2.1 pages: filters, ``date_added`` order and a cursor.

Every page is ordered by ``date_added``, which is unique within a collection, so "the rows
after the last one I saw" is an exact cursor: a page costs one indexed range scan of
``limit + 1`` rows however large the collection grows, and paging never skips or repeats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.engine import reading
from hub.store.models import objects_table

T = TypeVar("T")
_o = objects_table.c


@dataclass(frozen=True, slots=True)
class VersionMatch:
    """``match[version]``: any of first, last, all, or exact version timestamps (µs)."""

    first: bool = False
    last: bool = False
    all: bool = False
    at_us: tuple[int, ...] = ()


LAST = VersionMatch(last=True)
ALL = VersionMatch(all=True)


@dataclass(frozen=True, slots=True)
class ObjectFilter:
    """The TAXII filters of one request; empty tuples mean "no such filter".

    ``after_us`` is the larger of ``added_after`` and the ``next`` cursor. ``max_tlp`` hides
    versions marked above an analyst's clearance.
    """

    after_us: int | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: VersionMatch = field(default_factory=lambda: LAST)
    spec_versions: tuple[str, ...] = ()
    max_tlp: int | None = None


@dataclass(frozen=True, slots=True)
class StoredObject:
    date_added: int
    body: str


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    object_id: str
    date_added: int
    version: str
    spec_version: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page and whether more follow; ``last_added`` is the cursor for the next page."""

    items: list[T]
    added: list[int]
    more: bool

    @property
    def first_added(self) -> int | None:
        return self.added[0] if self.added else None

    @property
    def last_added(self) -> int | None:
        return self.added[-1] if self.added else None


def version_condition(match: VersionMatch) -> ColumnElement[bool]:
    if match.all:
        return true()
    choices: list[ColumnElement[bool]] = []
    if match.first:
        choices.append(_o.is_first == True)  # noqa: E712 - SQL, not Python truth
    if match.last:
        choices.append(_o.is_last == True)  # noqa: E712
    if match.at_us:
        choices.append(_o.version_us.in_(match.at_us))
    return or_(*choices) if choices else true()


def _conditions(collection_id: str, flt: ObjectFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_o.collection_id == collection_id]
    if flt.after_us is not None:
        conditions.append(_o.date_added > flt.after_us)
    if flt.ids:
        conditions.append(_o.object_id.in_(flt.ids))
    if flt.types:
        conditions.append(_o.object_type.in_(flt.types))
    if flt.spec_versions:
        conditions.append(_o.spec_version.in_(flt.spec_versions))
    if flt.max_tlp is not None:
        conditions.append(or_(_o.tlp.is_(None), _o.tlp <= flt.max_tlp))
    conditions.append(version_condition(flt.versions))
    return conditions


async def _page(
    engine: AsyncEngine,
    columns: Sequence[Any],
    conditions: list[ColumnElement[bool]],
    limit: int,
) -> tuple[list[Any], list[int], bool]:
    statement = (
        select(_o.date_added, *columns)
        .where(and_(*conditions))
        .order_by(_o.date_added)
        .limit(limit + 1)
    )
    async with reading(engine) as connection:
        rows = list((await connection.execute(statement)).all())
    more = len(rows) > limit
    del rows[limit:]
    return rows, [row[0] for row in rows], more


async def page_objects(
    engine: AsyncEngine, collection_id: str, flt: ObjectFilter, limit: int
) -> Page[StoredObject]:
    rows, added, more = await _page(engine, [_o.body], _conditions(collection_id, flt), limit)
    return Page([StoredObject(row[0], row[1]) for row in rows], added, more)


async def page_manifest(
    engine: AsyncEngine, collection_id: str, flt: ObjectFilter, limit: int
) -> Page[ManifestEntry]:
    rows, added, more = await _page(
        engine,
        [_o.object_id, _o.version, _o.spec_version],
        _conditions(collection_id, flt),
        limit,
    )
    return Page([ManifestEntry(row[1], row[0], row[2], row[3]) for row in rows], added, more)


async def object_is_held(
    engine: AsyncEngine, collection_id: str, object_id: str, max_tlp: int | None = None
) -> bool:
    """Whether the collection holds any version of the object the reader may see."""
    conditions = _conditions(
        collection_id, ObjectFilter(ids=(object_id,), versions=ALL, max_tlp=max_tlp)
    )
    async with reading(engine) as connection:
        return bool((await connection.execute(select(exists().where(and_(*conditions))))).scalar())
