"""The correlate stage: merges contributions in a table keyed by canonical key.

A sweep (every ``sweep_interval_s``) finds records due a time-based version - an embargo
that ended, every contribution expired - and sends a tick for each through
``fusion.admitted``, so the change is made by the worker that holds the record, in order
with its contributions, and survives restarts with the table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping, Sequence
from typing import Any, Final

import orjson
from aiokafka.structs import ConsumerRecord

from hub.context import HubContext
from hub.correlate.dues import DueIndex
from hub.correlate.merge import (
    apply_tick,
    as_cut,
    cut_from,
    due_tick,
    hold_until_release,
    merge,
    version_before,
)
from hub.correlate.table import MergeTable
from hub.quarantine import (
    CORRELATION_FAILED,
    REPUBLISH,
    UNREADABLE_ADMITTED,
    UnreadableChange,
    admitted_rejection,
    failure_detail,
)
from hub.streams import Lane
from hub.timestamps import now_ms
from schemas.envelopes import EMBARGO_HOLD_TICK, SHARING_TICK, Contribution, Tick
from schemas.merge import MergeRecord
from schemas.stix.primitives import timestamp_defect

log = logging.getLogger(__name__)

# The sweep's two ticks, a replayed dissemination failure's (``hub/quarantine.py``), a
# change of the agreements' (hub/disseminate/sharing.py) and disseminate's embargo hold.
TICKS: Final = frozenset({"expiry", "embargo-release", REPUBLISH, SHARING_TICK, EMBARGO_HOLD_TICK})


class Version:
    """A curated version: the record, and its bytes as written to ``fusion.curated``.

    A plain class, not a NamedTuple: mypyc compiles its ``__init__``, where a NamedTuple's
    ``__new__`` runs as Python (about 2,400 instructions a version under callgrind).
    """

    def __init__(
        self,
        encoded: bytes,
        record: MergeRecord,
        offset: int = -1,
        previous: MergeRecord | None = None,
        held: dict[str, Any] | None = None,
    ) -> None:
        self.encoded = encoded
        self.record = record
        # The fusion.admitted offset of the message that made it go out (a contribution, a
        # tick, or a replay's republish tick): names a dissemination failure, the same on a
        # re-delivery, another for each replay.
        self.offset = offset
        # The record it was cut from, for a version cut by a change (None for the first; on
        # a re-send, as ``MergeRecord.cut_from`` kept it, and so on a replay's republish of
        # the version that failed while it is still the current one; else None): disseminate
        # sends it only to the audiences whose view it changes (hub/disseminate/audiences.py).
        self.previous = previous
        # A sharing tick's version: the audiences whose view the agreements changed, with
        # the view to withdraw from those that may see nothing now (``Tick.held``); an
        # embargo release's: the views the embargoed update hid from audiences
        # (``MergeRecord.held_until_release``). See ``PublicationPlans.publish_audited``.
        self.held = held


def correlate_message(
    records: MutableMapping[bytes, bytes],
    key: bytes,
    offset: int,
    value: bytes,
    dues: DueIndex | None = None,
) -> Version | None:
    """Apply one fusion.admitted message to the table; the curated version to send, if any.

    ``dues`` learns when the changed record is next due a time-based version. Raises
    ``UnreadableChange`` for a message that is not a contribution or tick for ``key``, and
    whatever the merge raised on a hub bug; the table is then left as it was.
    """
    return apply_step(records, key, next_step(records.get(key), key, offset, value), dues)


def apply_step(
    records: MutableMapping[bytes, bytes], key: bytes, step: Step, dues: DueIndex | None
) -> Version | None:
    """Write a step's record to the table; the version it sends, if any."""
    if step.write is not None:
        records[key] = step.write
        if dues is not None and step.changed is not None:
            dues.note(key, step.changed)
    return step.version


class Step:
    """What one message does: the bytes to store for its key, the record they hold if it
    changed, and the version to send (a plain class for ``Version``'s reason)."""

    def __init__(
        self, write: bytes | None, changed: MergeRecord | None, version: Version | None
    ) -> None:
        self.write = write
        self.changed = changed
        self.version = version


def next_step(stored: bytes | None, key: bytes, offset: int, value: bytes) -> Step:
    """The table's next state for ``key`` after one message: pure, so a failure in it
    leaves the table as it was."""
    record = MergeRecord.from_bytes(stored) if stored is not None else None
    if record is not None and offset <= record.applied_offset:
        # Re-delivered after a crash: the version it produced may not have left, so send the
        # current one again - an exact duplicate at worst, never a loss - to the audiences it
        # first went to, judged against the version it was cut from. The record is written
        # again too: its changelog write may not have left either.
        assert stored is not None
        if not record.version:
            return Step(stored, None, None)
        sent = as_cut(record)  # routine reports since then changed what its views hold
        before, held = version_before(sent)
        return Step(stored, None, Version(stored, sent, offset, before, held))
    change = read_change(key, value)
    previous = record
    held = None
    if isinstance(change, Tick):
        if record is None:
            return Step(None, None, None)
        if change.tick == REPUBLISH:
            # A replayed dissemination failure: the current version goes out again as it is.
            # If it is the version that failed (the tick carries its `modified`), to whom it
            # would have gone; if versions came after it, they were judged against a version
            # no audience got: to everyone who may see something, so none is left behind.
            assert stored is not None
            if not record.version:
                return Step(None, None, None)
            sent = as_cut(record)
            before, held = version_before(sent) if change.now == record.modified else (None, None)
            return Step(None, None, Version(stored, sent, offset, before, held))
        if change.tick == EMBARGO_HOLD_TICK:
            assert change.held is not None  # tick_defect
            kept = hold_until_release(record, change.held)
            if kept is None:
                return Step(None, None, None)
            record, material = kept, False
        else:
            ticked = apply_tick(record, change.tick, change.now)
            # The release withdraws what the embargoed update hid, from those that may see
            # nothing now; a sharing tick names whom it concerns.
            held = record.held_until_release if change.tick == "embargo-release" else change.held
            record, material = (ticked or record), ticked is not None
    else:
        record, material = merge(record, change)
    # A material change is a new record (merge and the ticks copy): ``previous`` stays as
    # it was.
    record.applied_offset = offset
    if material:
        record.cut_from = cut_from(previous, record, held)
        record.as_cut = None  # the new version holds every contribution as it is
    encoded = record.to_bytes()
    return Step(
        encoded, record, Version(encoded, record, offset, previous, held) if material else None
    )


def read_change(key: bytes, value: bytes) -> Contribution | Tick:
    """The contribution or tick in a fusion.admitted message keyed ``key``."""
    try:
        body = orjson.loads(value)
        if not isinstance(body, dict):
            raise ValueError(f"a JSON {type(body).__name__}, not an object")
        change: Contribution | Tick
        if "tick" in body:
            held = body.get("held")
            if held is not None and not isinstance(held, dict):
                raise ValueError(f"held views are a JSON {type(held).__name__}, not an object")
            change = Tick(str(body["key"]), str(body["tick"]), str(body["now"]), held)
        else:
            change = Contribution.from_json(body)
    except (orjson.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UnreadableChange(f"not a contribution or tick of this hub: {exc}") from exc
    if change.key.encode() != key:
        raise UnreadableChange(f"keyed {key!r} but about {change.key!r}")
    defect = tick_defect(change) if isinstance(change, Tick) else contribution_defect(change)
    if defect is not None:
        raise UnreadableChange(defect)
    return change


def contribution_defect(contribution: Contribution) -> str | None:
    """What admit guarantees and the merge and views rely on, checked again: a message
    admit did not write could otherwise go into the table and fail every later version of
    its observable (a timestamp the views cannot parse) or publish invalid STIX."""
    c = contribution
    defect = (
        _stamp_defect("received", c.received)
        or _stamp_defect("created", c.created)
        or _stamp_defect("modified", c.modified)
        or _stamp_defect("valid_from", c.valid_from)
        or (_stamp_defect("valid_until", c.valid_until) if c.valid_until is not None else None)
        or (
            _stamp_defect("embargo_until", c.embargo_until) if c.embargo_until is not None else None
        )
    )
    if defect is not None:
        return defect
    if not (_all_text(c.markings) and _all_text(c.indicator_types) and _all_text(c.labels)):
        return (
            "markings, indicator_types and labels must hold strings only: "
            f"{c.markings!r}, {c.indicator_types!r}, {c.labels!r}"
        )
    if not 0 <= c.confidence <= 100:
        return f"confidence {c.confidence} is not in 0-100"
    return None


# Stamps already found valid: a feed's objects share a few (a bundle's `created`, a second's
# `received`), and checking one costs about a microsecond. Bounded: cleared when full.
_VALID_STAMPS: Final[set[str]] = set()
STAMP_MEMO: Final = 1 << 14


def _stamp_defect(name: str, value: str) -> str | None:
    if value in _VALID_STAMPS:
        return None
    defect = timestamp_defect(value)
    if defect is not None:
        return f"{name} {value!r} {defect}"
    if len(_VALID_STAMPS) >= STAMP_MEMO:
        _VALID_STAMPS.clear()
    _VALID_STAMPS.add(value)
    return None


def _all_text(values: Sequence[object]) -> bool:
    # Typed as objects: iterating a list[str], compiled code would raise on a non-string.
    return all(isinstance(value, str) for value in values)


def tick_defect(tick: Tick) -> str | None:
    if tick.tick not in TICKS:
        return f"unknown tick {tick.tick!r}"
    carries_views = tick.tick in (SHARING_TICK, EMBARGO_HOLD_TICK)
    if (tick.held is not None) != carries_views:
        return f"held views come with a {SHARING_TICK!r} or {EMBARGO_HOLD_TICK!r} tick only"
    if tick.held is not None:
        for audience, view in tick.held.items():
            if (view is not None or tick.tick == EMBARGO_HOLD_TICK) and not (
                isinstance(view, dict)
                and isinstance(view.get("crime_code"), str)
                and isinstance(view.get("stix"), dict)
            ):
                return f"held view for {audience!r} is not {{crime_code, stix}} or null: {view!r}"
    return _stamp_defect("now", tick.now)


# How often the due index is rebuilt from the table even if no partition moved.
RESCAN_S = 600.0


class CorrelateStage:
    """Merges each consumed contribution (or tick) into the table; sends material changes."""

    def __init__(self, context: HubContext, lane: Lane, table: MergeTable) -> None:
        self.context = context
        self.lane = lane
        self.table = table
        # When each record is next due a tick; rebuilt when partitions move (``reindex``).
        self.dues = DueIndex()
        self._indexed_at = 0.0

    def handle(self, messages: list[ConsumerRecord[bytes, bytes]]) -> list[Version]:
        """Merge one partition's messages; the curated versions sent, for disseminate."""
        curated_topic = self.context.topics.curated
        records = self.table.partition(messages[0].partition)  # one partition per call
        versions = []
        for message in messages:
            if message.value is None:
                continue  # a tombstone: nothing to apply, nothing to keep
            if message.key is None:
                # The hub keys every admitted message by its canonical key.
                self._quarantine(message, UNREADABLE_ADMITTED, "no key (a canonical key)")
                continue
            version = self._correlate(records, message)
            if version is not None:
                self.lane.send(curated_topic, message.key, version.encoded)
                versions.append(version)
        self.table.write_changelog(self.lane)
        return versions

    def _correlate(
        self, records: MutableMapping[bytes, bytes], message: ConsumerRecord[bytes, bytes]
    ) -> Version | None:
        assert message.key is not None and message.value is not None
        stored = records.get(message.key)  # a table failure is not the message's: it raises
        try:
            step = next_step(stored, message.key, message.offset, message.value)
        except UnreadableChange as exc:
            self._quarantine(message, UNREADABLE_ADMITTED, str(exc))
            return None
        except Exception as exc:  # a hub bug: the message is kept, the partition goes on
            log.exception("correlate failed on %s/%s", message.partition, message.offset)
            self._quarantine(message, CORRELATION_FAILED, failure_detail(exc))
            return None
        return apply_step(records, message.key, step, self.dues)

    def _quarantine(self, message: ConsumerRecord[bytes, bytes], code: str, detail: str) -> None:
        rejection = admitted_rejection(message, code, detail)
        self.lane.send(
            self.context.topics.rejected, rejection.partner.encode(), rejection.to_bytes()
        )

    def reindex(self) -> None:
        """Rebuild the due index from the partitions held now."""
        self.dues.rebuild(self.table.items())
        self._indexed_at = time.monotonic()

    def sweep(self, ticks: Lane) -> None:
        """Put a tick on ``ticks`` for each record due a time-based version."""
        if time.monotonic() - self._indexed_at > RESCAN_S:
            self.reindex()  # a safety net: the index is kept up to date as records change
        admitted = self.context.topics.admitted
        now = now_ms()
        for key in self.dues.pop_due(now):
            found = self.table.get(key)
            if found is None:
                continue
            partition, stored = found
            tick = due_tick(MergeRecord.from_bytes(stored), now)
            if tick is not None:
                tick_message = Tick(key.decode(), tick, now).to_bytes()
                ticks.send(admitted, key, tick_message, partition=partition)

    def ticks_lost(self) -> None:
        """The last sweep's ticks were not written: they are found again next sweep."""
        log.warning("ticks not written; the next sweep retries them")
        self._indexed_at = 0.0
