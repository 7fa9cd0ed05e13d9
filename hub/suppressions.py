"""Suppressed contributions: listing them with the list that matched, and releasing them.

A release sends the contribution, as it was admitted, to ``fusion.admitted`` - past the
known-benign check - and marks it on ``fusion.released`` so it is released once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from hub.canonical import stix_uuid5
from hub.kafka_admin import ensure_topics
from hub.kafka_io import IngestProducer, read_topics
from hub.timestamps import now_ms
from hub.topics import Topics
from schemas.envelopes import Suppression


def suppression_id(suppression: Suppression) -> str:
    """Deterministic: the same object of the same ingest record is the same suppression."""
    contribution = suppression.contribution
    key = f"suppression:{contribution.ingest_id}:{contribution.object_id}"
    return stix_uuid5(key)


@dataclass(slots=True)
class SuppressedEntry:
    id: str
    suppression: Suppression
    released: bool

    def report(self) -> dict[str, Any]:
        """Who reported what, which list held it back, and whether it was released since."""
        return {
            "partner": self.suppression.contribution.partner,
            "received": self.suppression.contribution.received,
            "warninglist": self.suppression.warninglist,
            "matched": self.suppression.matched,
            "released": self.released,
        }


def suppressed_entries(
    suppressions: Iterable[Suppression], released: set[str]
) -> list[SuppressedEntry]:
    """Each suppression once, with whether it was released (``released``: their ids)."""
    entries: dict[str, SuppressedEntry] = {}
    for suppression in suppressions:
        entry_id = suppression_id(suppression)
        # A re-delivered ingest record suppresses the same object again: list it once.
        entries[entry_id] = SuppressedEntry(entry_id, suppression, entry_id in released)
    return list(entries.values())


async def list_suppressed(
    bootstrap: str,
    topics: Topics,
    *,
    partner: str | None = None,
    warninglist: str | None = None,
    include_released: bool = True,
) -> list[SuppressedEntry]:
    released = {
        orjson.loads(message.value)["suppression_id"]
        async for message in read_topics(bootstrap, topics=[topics.released], idle_timeout_s=1.0)
    }
    chosen = []
    async for message in read_topics(bootstrap, topics=[topics.suppressed], idle_timeout_s=1.0):
        suppression = Suppression.from_bytes(message.value)
        if partner is not None and suppression.contribution.partner != partner:
            continue
        if warninglist is not None and warninglist.lower() not in suppression.warninglist.lower():
            continue
        chosen.append(suppression)
    entries = suppressed_entries(chosen, released)
    return entries if include_released else [e for e in entries if not e.released]


async def release(bootstrap: str, topics: Topics, entries: Iterable[SuppressedEntry]) -> int:
    """Send each suppressed contribution to fusion.admitted, once; how many were sent."""
    await ensure_topics(bootstrap, [topics.released], 1)
    count = 0
    async with IngestProducer(bootstrap, topics.admitted) as producer:
        for entry in entries:
            if entry.released:
                continue
            contribution = entry.suppression.contribution
            await producer.send_to(
                topics.admitted, contribution.key.encode(), contribution.to_bytes()
            )
            marker = {
                "suppression_id": entry.id,
                "key": contribution.key,
                "warninglist": entry.suppression.warninglist,
                "released_at": now_ms(),
            }
            await producer.send_to(topics.released, entry.id.encode(), orjson.dumps(marker))
            count += 1
        await producer.flush()
    return count
