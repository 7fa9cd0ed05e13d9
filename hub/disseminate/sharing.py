"""The agreements dissemination publishes under, and how a change of them reaches audiences.

A partner's agreement file can change while the hub runs: a liaison consent withdrawn or
granted, a crime code no longer received, a marking limit lowered. Publishing the next
versions under the new agreements is not enough: an audience keeps, valid, what it was sent
under the old ones until the indicator's next version, which may never come; and one that
may now see an indicator gets nothing of it until then.

So the worker switches agreements at one moment, between batches (``Sharing.follow``): it
compares, for every record it holds, each audience's view under the old agreements with its
view under the new, and for each record where some differ sends a ``sharing`` tick through
``fusion.admitted`` naming those audiences, with the view it held for each that may see
nothing now. Correlate cuts a version from it, stamped with the tick's time, and
disseminate sends it to those audiences alone: the new view, or the view held withdrawn
(``views.withdrawn``) if they may see nothing now.

The held views are built when the agreements switch, from the table as every audience was
sent it: contributions that arrive later are published under the new agreements only, so
a withdrawal never carries them.

Each partition of the merge table keeps the agreements in force for it once the ticks of a
switch are written (``MergeTable.sharing_terms``, in the changelog too): whichever worker
holds a partition next - after the files changed while the hub was stopped, after a crash
before the ticks left, on another machine - reshares it from those before its first batch.
The worker's data directory keeps its own too, for partitions a hub version before kept
nothing with.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path

import orjson
from pydantic import ValidationError

from hub.context import HubContext
from hub.correlate.table import MergeTable
from hub.disseminate.audiences import PublicationPlans, audiences_for, sharing_changes
from hub.streams import Lane
from hub.timestamps import now_ms
from schemas.agreement import PartnerAgreement
from schemas.envelopes import SHARING_TICK, Tick
from schemas.merge import MergeRecord

log = logging.getLogger(__name__)

# Records looked at between two turns of the event loop (the consumer's heartbeats go on),
# and ticks held before they are written (each carries the views it withdraws).
RECORDS_PER_TURN = 2_000
TICKS_PER_FLUSH = 2_000


class Sharing:
    """The publication plans of the agreements in force for this worker's dissemination."""

    def __init__(
        self,
        context: HubContext,
        table: MergeTable | None = None,
        *,
        kept: Path | None = None,
    ) -> None:
        self.context = context
        # The records to reshare when the agreements change; None: nothing held (benches).
        self.table = table
        # Where the agreements in force are kept between runs; None: not kept.
        self.kept = kept
        in_force = _load(kept) if kept is not None else None
        self.plans = self._plans_under(
            in_force if in_force is not None else context.agreements.current()
        )
        # The plans' agreements as a partition keeps them (``MergeTable.sharing_terms``),
        # and the partitions known to keep them (checked again once assigned again).
        self._terms = kept_terms(self.plans.agreements)
        self._checked: set[int] = set()
        if kept is not None and in_force is None:
            self.save()  # a first start: what is on disk is in force from now on

    def _plans_under(self, agreements: Mapping[str, PartnerAgreement]) -> PublicationPlans:
        return PublicationPlans(
            agreements,
            audiences_for(agreements, self.context.liaison_agencies),
            hub_identity=self.context.hub_identity,
        )

    async def follow(self, lane: Lane) -> None:
        """Switch to the agreements on disk if they changed, once a sharing tick for each
        record whose views that changes is written through ``lane``; then keep them.

        Each partition of the table keeps the agreements its records were published under,
        in its changelog too. A partition assigned to this worker that kept others (its
        worker crashed before its switch's ticks were written, or stopped before the files
        changed and another machine took over) is reshared from those before any of its
        messages is handled.

        Called with the worker's lock held and no batch half handled, so the table holds
        exactly what every audience has been sent, and nothing is published under the new
        agreements before their ticks. Raises OutboxError if ticks were not written: the
        old agreements stay in force, and the next call reshares again (an audience may then
        get a sharing version twice, never none).
        """
        agreements = self.context.agreements.current()
        same = agreements is self.plans.agreements or agreements == self.plans.agreements
        if same:
            self.plans.agreements = agreements  # the same terms, re-read: identical next time
            if self.table is None or self._all_checked(self.table):
                return
        after, target = (
            (self.plans, self._terms)
            if same
            else (self._plans_under(agreements), kept_terms(agreements))
        )
        sent = 0 if self.table is None else await self._switch(self.table, after, target, lane)
        self.plans, self._terms = after, target
        self.save()
        if sent or not same:
            log.info("agreements changed: %d indicator(s) reshared", sent)

    def _all_checked(self, table: MergeTable) -> bool:
        held = set(table.held_partitions())
        self._checked &= held  # one released is checked again when it comes back
        return held <= self._checked

    async def _switch(
        self, table: MergeTable, after: PublicationPlans, target: bytes, lane: Lane
    ) -> int:
        """Reshare every partition held whose records were published under other agreements
        than ``after``'s (kept as ``target``), then keep ``target`` with each partition held."""
        held = table.held_partitions()
        kept = {partition: table.sharing_terms(partition) for partition in held}
        by_terms: dict[bytes, list[int]] = {}
        for partition, terms in kept.items():
            # A partition that never kept any was published under the plans in force.
            under = terms or self._terms
            if under != target:
                by_terms.setdefault(under, []).append(partition)
        sent = 0
        for under, partitions in by_terms.items():
            before = self.plans if under == self._terms else self._plans_kept(under)
            sent += await self._reshare(table, before, after, partitions, lane)
        for partition, terms in kept.items():
            if terms != target:
                table.set_sharing_terms(partition, target)
        table.write_changelog(lane)
        await lane.flush()
        self._checked = set(held)
        return sent

    def _plans_kept(self, terms: bytes) -> PublicationPlans:
        """The plans of agreements a partition kept; those in force if they are unreadable
        (a hub version's that wrote them otherwise: nothing to compare against)."""
        agreements = _read(terms)
        if agreements is None:
            log.error("agreements kept with a merge partition unreadable: taken as in force")
            return self.plans
        return self._plans_under(agreements)

    def save(self) -> None:
        """Keep the agreements in force."""
        if self.kept is None:
            return
        self.kept.parent.mkdir(parents=True, exist_ok=True)
        partial = self.kept.with_suffix(".partial")
        partial.write_bytes(self._terms)
        partial.replace(self.kept)  # never half a file where the last good one was

    async def _reshare(
        self,
        table: MergeTable,
        before: PublicationPlans,
        after: PublicationPlans,
        partitions: list[int],
        lane: Lane,
    ) -> int:
        admitted, now = self.context.topics.admitted, now_ms()
        looked, sent = 0, 0
        for partition, key, stored in table.partition_items(partitions):
            looked += 1
            if looked % RECORDS_PER_TURN == 0:
                await asyncio.sleep(0)
            record = MergeRecord.from_bytes(stored)
            if not record.version or record.expired or record.revoked:
                continue  # never published, or no longer to be acted on by anyone
            held = sharing_changes(before, after, record)
            if held:
                tick = Tick(key.decode(), SHARING_TICK, now, held)
                lane.send(admitted, key, tick.to_bytes(), partition=partition)
                sent += 1
                if sent % TICKS_PER_FLUSH == 0:
                    await lane.flush()
        await lane.flush()
        return sent


def kept_terms(agreements: Mapping[str, PartnerAgreement]) -> bytes:
    """Agreements as kept: the same agreements give the same bytes."""
    return orjson.dumps({p: a.model_dump(mode="json") for p, a in sorted(agreements.items())})


def _read(terms: bytes) -> dict[str, PartnerAgreement] | None:
    try:
        body = orjson.loads(terms)
        return {p: PartnerAgreement.model_validate(a) for p, a in body.items()}
    except (orjson.JSONDecodeError, ValidationError, AttributeError):
        return None


def _load(kept: Path) -> dict[str, PartnerAgreement] | None:
    """The agreements kept in force by the last run, if any could be read."""
    try:
        terms = kept.read_bytes()
    except FileNotFoundError:
        return None
    agreements = _read(terms)
    if agreements is None:
        log.error("agreements kept in %s unreadable: the files on disk are in force", kept)
    return agreements
