"""The dashboard's lookup: what the analysts' collection holds of values from a case.

Values are read as ``fusionhub lookup`` reads them (``hub/lookup.py``: defanged or not, typed,
canonicalised, turned into the curated indicator's id), but answered from the store and
within the analyst's clearance, as TAXII answers them: versions marked above it are not
there, and an indicator with no other version is "not reported". The command line reads the
topics and shows every contribution: it is the operators' tool, this the analysts'.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson

from hub.canonical import CanonicalError, Observable, observable_from_pattern
from hub.lookup import Query, parse_query
from hub.store import Store
from hub.suppressions import SuppressedEntry
from hub.timestamps import parse
from protocols.tlp import tlp_of

MAX_VALUES = 100  # one case's worth; a whole feed belongs in `fusionhub lookup --file`
_PAGE = 1000

KnownBenign = Callable[[Observable], tuple[str, str] | None]


async def held_versions(
    store: Store, collection_id: str, ids: Iterable[str], max_tlp: int | None
) -> dict[str, list[dict[str, Any]]]:
    """Every version of each object the collection holds within the clearance, oldest first."""
    wanted = tuple(sorted(set(ids)))
    found: dict[str, list[dict[str, Any]]] = {}
    if not wanted:
        return found
    async for item in store.every_version(collection_id, wanted, max_tlp, _PAGE):
        obj = orjson.loads(item.body)
        found.setdefault(obj["id"], []).append(obj)
    for versions in found.values():
        versions.sort(key=lambda v: parse(v["modified"]))
    return found


def observable_of(query: Query, latest: dict[str, Any] | None) -> Observable | None:
    """The query's observable; for a query by id, the one its indicator's pattern names."""
    if query.observable is not None or latest is None:
        return query.observable
    try:
        return observable_from_pattern(str(latest["pattern"]))
    except CanonicalError:
        return None


def _summary(obj: dict[str, Any], partners: Mapping[str, str]) -> dict[str, Any]:
    level = tlp_of(obj.get("object_marking_refs", []))
    return {
        "modified": obj["modified"],
        "confidence": obj.get("confidence"),
        "crime_code": obj.get("x_fusion_crime_code"),
        "revoked": bool(obj.get("revoked", False)),
        "valid_until": obj.get("valid_until"),
        "marking": level.label if level is not None else None,
        "contributors": [
            {
                # The analysts' views name each contributor by its identity: shown by name.
                "partner": partners.get(c.get("source_ref", ""), c.get("source_ref")),
                "first_seen": c.get("first_seen"),
                "last_seen": c.get("last_seen"),
                "confidence": c.get("confidence"),
            }
            for c in obj.get("x_fusion_contributors") or ()
        ],
    }


def answer(
    query: Query,
    versions: list[dict[str, Any]],
    found: Observable | None,
    *,
    partners: Mapping[str, str],
    suppressed: Sequence[SuppressedEntry],
    listed: tuple[str, str] | None,
) -> dict[str, Any]:
    """One value's answer: its indicator as the analyst may see it (``found``: the observable
    the value or, for an id, the indicator names), and what was held back."""
    latest = versions[-1] if versions else None
    held_back = (
        [e for e in suppressed if e.suppression.contribution.key == found.key] if found else []
    )
    return {
        "query": query.given,
        "error": query.error,
        "observable_type": found.type if found else None,
        "observable_value": found.value if found else None,
        "indicator_id": query.indicator_id,
        "curated": ({"versions": len(versions), **_summary(latest, partners)} if latest else None),
        "versions": [_summary(v, partners) for v in versions],
        "suppressed": [entry.report() for entry in held_back],
        "known_benign": {"warninglist": listed[0], "entry": listed[1]} if listed else None,
    }


async def analyst_lookup(
    store: Store,
    collection_id: str,
    values: Sequence[str],
    *,
    max_tlp: int | None,
    partners: Mapping[str, str],
    suppressed: Sequence[SuppressedEntry] = (),
    known_benign: KnownBenign | None = None,
) -> list[dict[str, Any]]:
    """The answers to ``values``, in their order, from one read of the store."""
    queries = [parse_query(value) for value in values]
    held = await held_versions(
        store, collection_id, (q.indicator_id for q in queries if q.indicator_id), max_tlp
    )
    found = [held.get(query.indicator_id or "", []) for query in queries]
    observables = [
        observable_of(q, versions[-1] if versions else None)
        for q, versions in zip(queries, found, strict=True)
    ]

    def check_lists() -> list[tuple[str, str] | None]:
        if known_benign is None:
            return [None] * len(observables)
        return [known_benign(o) if o is not None else None for o in observables]

    # Off the event loop: the first check indexes the lists, about a second.
    listed = await asyncio.to_thread(check_lists)
    return [
        answer(query, versions, seen, partners=partners, suppressed=suppressed, listed=hit)
        for query, versions, seen, hit in zip(queries, found, observables, listed, strict=True)
    ]
