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

The agreements in force are kept in the worker's data directory once the ticks of a switch
are written: a worker started after the files changed - while it was stopped, or after a
crash before its ticks left - switches, and reshares, before its first batch.
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

        Called with the worker's lock held and no batch half handled, so the table holds
        exactly what every audience has been sent, and nothing is published under the new
        agreements before their ticks. Raises OutboxError if ticks were not written: the
        old agreements stay in force, and the next call reshares again (an audience may then
        get a sharing version twice, never none).
        """
        agreements = self.context.agreements.current()
        if agreements is self.plans.agreements or agreements == self.plans.agreements:
            self.plans.agreements = agreements  # the same terms, re-read: nothing to do
            return
        after = self._plans_under(agreements)
        sent = 0 if self.table is None else await self._reshare(after, lane)
        self.plans = after
        self.save()
        log.info("agreements changed: %d indicator(s) reshared", sent)

    def save(self) -> None:
        """Keep the agreements in force."""
        if self.kept is None:
            return
        body = {p: a.model_dump(mode="json") for p, a in sorted(self.plans.agreements.items())}
        self.kept.parent.mkdir(parents=True, exist_ok=True)
        partial = self.kept.with_suffix(".partial")
        partial.write_bytes(orjson.dumps(body))
        partial.replace(self.kept)  # never half a file where the last good one was

    async def _reshare(self, after: PublicationPlans, lane: Lane) -> int:
        assert self.table is not None
        admitted, now = self.context.topics.admitted, now_ms()
        looked, sent = 0, 0
        for partition, key, stored in self.table.partition_items():
            looked += 1
            if looked % RECORDS_PER_TURN == 0:
                await asyncio.sleep(0)
            record = MergeRecord.from_bytes(stored)
            if not record.version or record.expired or record.revoked:
                continue  # never published, or no longer to be acted on by anyone
            held = sharing_changes(self.plans, after, record)
            if held:
                tick = Tick(key.decode(), SHARING_TICK, now, held)
                lane.send(admitted, key, tick.to_bytes(), partition=partition)
                sent += 1
                if sent % TICKS_PER_FLUSH == 0:
                    await lane.flush()
        await lane.flush()
        return sent


def _load(kept: Path) -> dict[str, PartnerAgreement] | None:
    """The agreements kept in force by the last run, if any could be read."""
    try:
        body = orjson.loads(kept.read_bytes())
        return {p: PartnerAgreement.model_validate(a) for p, a in body.items()}
    except FileNotFoundError:
        return None
    except (orjson.JSONDecodeError, ValidationError, AttributeError) as exc:
        log.error(
            "agreements kept in %s unreadable (%s): the files on disk are in force", kept, exc
        )
        return None
