"""The URL parameters of TAXII 2.1 reads: ``added_after``, ``limit``, ``next``, ``match[...]``.

A value that cannot be understood is a 400 naming the parameter and what was wrong with it.
``next`` is this server's cursor: the ``date_added`` of the last item served, so it stays
valid for as long as the collection exists, and paging never skips nor repeats an item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import QueryParams

from hub.api.taxii.errors import bad_request
from hub.store import ObjectFilter, VersionMatch
from hub.store.timestamps import format_us, to_us

_NEXT = re.compile(r"[0-9a-f]{1,16}")
_SPEC_VERSION = re.compile(r"\d+\.\d+")
_TYPE = re.compile(r"[a-z0-9][a-z0-9-]{0,249}")

OBJECTS_FILTERS = frozenset({"id", "type", "version", "spec_version"})
OBJECT_FILTERS = frozenset({"version", "spec_version"})
VERSIONS_FILTERS = frozenset({"spec_version"})


@dataclass(frozen=True, slots=True)
class ReadRequest:
    filter: ObjectFilter
    limit: int


def next_token(date_added_us: int) -> str:
    return f"{date_added_us:x}"


def _values(query: QueryParams, name: str) -> tuple[str, ...]:
    values = [item.strip() for raw in query.getlist(name) for item in raw.split(",")]
    if any(not value for value in values):
        raise bad_request(f"{name} has an empty value; give comma-separated values")
    return tuple(values)


def _single(query: QueryParams, name: str) -> str | None:
    values = query.getlist(name)
    if len(values) > 1:
        raise bad_request(f"{name} is given {len(values)} times; give it once")
    return values[0].strip() if values else None


def _limit(query: QueryParams, page_size: int, max_page_size: int) -> int:
    raw = _single(query, "limit")
    if raw is None:
        return page_size
    if not raw.isdigit() or int(raw) < 1:
        raise bad_request(f"limit must be a positive whole number, not {raw!r}")
    # TAXII 2.1 lets a server return fewer than asked; `more` tells the client to go on.
    return min(int(raw), max_page_size)


def _after(query: QueryParams) -> int | None:
    bounds = []
    added_after = _single(query, "added_after")
    if added_after is not None:
        try:
            bounds.append(to_us(added_after))
        except ValueError as exc:
            raise bad_request(f"added_after: {exc}") from None
    cursor = _single(query, "next")
    if cursor is not None:
        if not _NEXT.fullmatch(cursor):
            raise bad_request(f"next {cursor!r} is not a value this server gave out")
        bounds.append(int(cursor, 16))
    return max(bounds) if bounds else None


def _versions(query: QueryParams) -> VersionMatch:
    values = _values(query, "match[version]")
    if not values:
        return VersionMatch(last=True)
    words = {value.lower() for value in values if value.lower() in ("first", "last", "all")}
    stamps = []
    for value in values:
        if value.lower() in words:
            continue
        try:
            stamps.append(to_us(value))
        except ValueError:
            raise bad_request(
                f"match[version] value {value!r} is not first, last, all or a timestamp"
            ) from None
    return VersionMatch(
        first="first" in words, last="last" in words, all="all" in words, at_us=tuple(stamps)
    )


def read_request(
    query: QueryParams,
    *,
    supported: frozenset[str],
    page_size: int,
    max_page_size: int,
    max_tlp: int | None = None,
    object_id: str | None = None,
) -> ReadRequest:
    """Parse one request's filters; filters the endpoint does not support are refused."""
    for key in query:
        if key.startswith("match[") and key.endswith("]") and key[6:-1] not in supported:
            raise bad_request(
                f"{key} is not a filter of this endpoint; it supports "
                + ", ".join(f"match[{name}]" for name in sorted(supported))
            )
    ids = _values(query, "match[id]") if "id" in supported else ()
    types = _values(query, "match[type]") if "type" in supported else ()
    for name in types:
        if not _TYPE.fullmatch(name):
            raise bad_request(f"match[type] value {name!r} is not a STIX type name")
    spec_versions = _values(query, "match[spec_version]")
    for value in spec_versions:
        if not _SPEC_VERSION.fullmatch(value):
            raise bad_request(f"match[spec_version] value {value!r} is not like 2.1")
    versions = _versions(query) if "version" in supported else VersionMatch(all=True)
    flt = ObjectFilter(
        after_us=_after(query),
        ids=(object_id,) if object_id is not None else ids,
        types=types,
        versions=versions,
        spec_versions=spec_versions,
        max_tlp=max_tlp,
    )
    return ReadRequest(flt, _limit(query, page_size, max_page_size))


def date_added_headers(first: int | None, last: int | None) -> dict[str, str]:
    if first is None or last is None:
        return {}
    return {
        "X-TAXII-Date-Added-First": format_us(first),
        "X-TAXII-Date-Added-Last": format_us(last),
    }
