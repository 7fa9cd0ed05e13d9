"""Which merge records are due a time-based version, without reading the whole table.

The sweep used to decode every record of the table each interval: fine for thousands of
indicators, minutes of CPU for millions. This index keeps, for each record this worker
holds, the moment it is next due (``next_due``), in a heap; the sweep pops what is due.
It lives in memory, so it is rebuilt from the table when the worker's partitions change
and, as a safety net, every so often.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable

from hub.correlate.merge import next_due
from hub.timestamps import parse
from schemas.merge import MergeRecord

log = logging.getLogger(__name__)


class DueIndex:
    def __init__(self) -> None:
        self._heap: list[tuple[float, bytes]] = []
        self._due: dict[bytes, float] = {}

    def __len__(self) -> int:
        return len(self._due)

    def note(self, key: bytes, record: MergeRecord) -> None:
        """Record (or forget) when ``key`` is next due, after its record changed."""
        try:
            moment = next_due(record)
            due = parse(moment).timestamp() if moment is not None else None
        except (ValueError, TypeError) as exc:
            # A record another hub version left in the table: it gets no tick rather than
            # stopping the worker (a contribution to it is quarantined, hub/quarantine.py).
            log.warning("merge record %r has no readable due moment: %s", key, exc)
            due = None
        if due is None:
            self._due.pop(key, None)
            return
        if self._due.get(key) != due:
            self._due[key] = due
            heapq.heappush(self._heap, (due, key))  # an older entry for key is now stale

    def pop_due(self, now: str) -> list[bytes]:
        """The keys due at ``now``; they leave the index until their record changes again."""
        limit = parse(now).timestamp()
        keys = []
        while self._heap and self._heap[0][0] <= limit:
            due, key = heapq.heappop(self._heap)
            if self._due.get(key) == due:
                del self._due[key]
                keys.append(key)
        return keys

    def rebuild(self, records: Iterable[tuple[bytes, bytes]]) -> None:
        self._heap.clear()
        self._due.clear()
        for key, value in records:
            try:
                record = MergeRecord.from_bytes(value)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                log.warning("merge record %r is unreadable; it gets no tick: %s", key, exc)
                continue
            self.note(key, record)
