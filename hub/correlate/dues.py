"""Which merge records are due a time-based version, without reading the whole table.

The sweep used to decode every record of the table each interval: fine for thousands of
indicators, minutes of CPU for millions. This index keeps, for each record this worker
holds, the moment it is next due (``next_due``), in a heap; the sweep pops what is due.
It lives in memory, so it is rebuilt from the table when the worker's partitions change
and, as a safety net, every so often.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from hub.correlate.merge import next_due
from hub.timestamps import parse
from schemas.merge import MergeRecord


class DueIndex:
    def __init__(self) -> None:
        self._heap: list[tuple[float, bytes]] = []
        self._due: dict[bytes, float] = {}

    def __len__(self) -> int:
        return len(self._due)

    def note(self, key: bytes, record: MergeRecord) -> None:
        """Record (or forget) when ``key`` is next due, after its record changed."""
        moment = next_due(record)
        if moment is None:
            self._due.pop(key, None)
            return
        due = parse(moment).timestamp()
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
            self.note(key, MergeRecord.from_bytes(value))
