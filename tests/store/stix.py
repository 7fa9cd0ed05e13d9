"""Small STIX objects for the store and API tests, with fixed ids and times."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import orjson

from hub.store import ObjectVersion
from protocols.tlp import Tlp

_NS = uuid.UUID("7d0c5f80-3c39-4c35-9d4f-6f8b2a1e0c11")


def indicator_id(n: int) -> str:
    return f"indicator--{uuid.uuid5(_NS, str(n))}"


def indicator(
    n: int,
    modified: str = "2026-11-20T08:00:00.000Z",
    *,
    tlp: Tlp | None = Tlp.GREEN,
    created: str = "2026-11-20T08:00:00.000Z",
) -> dict[str, object]:
    obj: dict[str, object] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id(n),
        "created": created,
        "modified": modified,
        "pattern": f"[ipv4-addr:value = '198.51.{n // 256 % 256}.{n % 256}']",
        "pattern_type": "stix",
        "valid_from": created,
    }
    if tlp is not None:
        obj["object_marking_refs"] = [tlp.marking_id]
    return obj


def version_of(obj: Mapping[str, object]) -> ObjectVersion:
    return ObjectVersion.from_json(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS))


def indicators(count: int, start: int = 0) -> list[ObjectVersion]:
    return [version_of(indicator(n)) for n in range(start, start + count)]
