"""Connectors inside ``fusionhub run``: every partner's scheduled feeds, on the leader worker.

A service (mode) looks at the agreements every second and starts each connector that has an
``interval`` when it is due, as its own task (blocking clients run in threads, so the
stages keep the loop). Only the leader worker runs connectors, so a feed is fetched once
however many workers there are; positions live on ``fusion.checkpoints``, so a new leader
resumes where the old one stopped. A failing connector backs off (doubling waits, up to its
``max_backoff``) without disturbing the others; an edited agreement takes effect at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mode

from connectors.checkpoints import CheckpointStore
from connectors.delivery import IngestDelivery
from connectors.registry import connector_for
from hub.context import HubContext
from hub.kafka_io import IngestProducer
from schemas.connectors import AnyConnectorSettings

log = logging.getLogger(__name__)

# The first retry comes after at most this long, however long the connector's interval.
_FIRST_RETRY_S = 30.0
# How long a stopping worker lets running connectors finish their page or file.
_STOP_GRACE_S = 15.0


@dataclass(slots=True)
class Backoff:
    """When a connector runs next: its interval after a success; after failures, a wait
    that doubles each time (with jitter, so failing feeds do not retry in step)."""

    interval_s: float
    max_backoff_s: float
    failures: int = 0

    def after_success(self) -> float:
        self.failures = 0
        return self.interval_s

    def after_failure(self, jitter: float = 1.0) -> float:
        self.failures += 1
        first = min(self.interval_s, _FIRST_RETRY_S)
        return min(self.max_backoff_s, first * 2.0 ** (self.failures - 1)) * jitter


@dataclass(slots=True)
class Job:
    """One scheduled connector of one partner."""

    partner: str
    settings: AnyConnectorSettings
    backoff: Backoff
    due: float  # time.monotonic() when it runs next
    task: asyncio.Task[None] | None = None

    @property
    def key(self) -> str:
        return f"{self.partner}/{self.settings.label}"


def _backoff(settings: AnyConnectorSettings) -> Backoff:
    assert settings.interval is not None  # only scheduled connectors get a job
    return Backoff(settings.interval.total_seconds(), settings.max_backoff.total_seconds())


class ConnectorSchedule(mode.Service):
    """Runs the scheduled connectors of all partners while this worker leads."""

    def __init__(
        self,
        context: HubContext,
        *,
        is_leader: Callable[[], bool],
        tick_s: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.context = context
        self.is_leader = is_leader
        self.tick_s = tick_s
        self.jobs: dict[str, Job] = {}
        self._producer: IngestProducer | None = None
        self._checkpoints: CheckpointStore | None = None
        self._checkpoints_loaded = False

    @mode.Service.task
    async def _schedule(self) -> None:
        while not self.should_stop:
            try:
                await self.start_due()
            except Exception as exc:  # e.g. the broker unreachable: try again next tick
                log.warning("connector schedule: %s", exc)
            await self.sleep(self.tick_s)

    async def start_due(self) -> None:
        if not self.is_leader():
            # Another worker may lead next and move the checkpoints on: reread them then.
            self._checkpoints_loaded = False
            return
        wanted = {
            f"{partner}/{settings.label}": (partner, settings)
            for partner, agreement in self.context.agreements.current().items()
            for settings in agreement.connectors
            if settings.interval is not None
        }
        for key in [k for k, job in self.jobs.items() if k not in wanted and job.task is None]:
            del self.jobs[key]
        now = time.monotonic()
        for key, (partner, settings) in wanted.items():
            job = self.jobs.get(key)
            # An edited connector starts afresh, once its running fetch (if any) is done.
            if job is None or (job.settings != settings and job.task is None):
                job = Job(partner, settings, _backoff(settings), due=now)
                self.jobs[key] = job
            if job.task is None and now >= job.due:
                await self._ready()
                job.task = asyncio.create_task(self._run(job), name=f"connector {key}")

    async def _ready(self) -> None:
        """Start the producer and read the checkpoints, on the first run as leader."""
        if self._producer is None:
            settings, topics = self.context.settings, self.context.topics
            self._checkpoints = CheckpointStore(settings.broker, topics.checkpoints)
            await self._checkpoints.ensure_topic()
            self._producer = await IngestProducer(settings.broker, topics.ingest).__aenter__()
        if not self._checkpoints_loaded:
            assert self._checkpoints is not None
            await self._checkpoints.load()
            self._checkpoints_loaded = True

    async def _run(self, job: Job) -> None:
        assert self._producer is not None and self._checkpoints is not None
        connector = connector_for(
            job.partner, job.settings, base_dir=self.context.settings.partners_dir
        )
        # A session of its own: a record of this run the broker refused fails this run (its
        # checkpoint stays), not whichever run happens to flush next.
        delivery = IngestDelivery(
            self._producer.session(), checkpoints=self._checkpoints, key=job.key
        )
        delay = job.backoff.interval_s
        try:
            await connector.collect(delivery, self._checkpoints.get(job.key))
            delay = job.backoff.after_success()
            if delivery.sent:
                log.info("connector %s delivered %d record(s)", job.key, delivery.sent)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a partner's feed failing in any way must not stop the hub
            delay = job.backoff.after_failure(random.uniform(0.8, 1.2))
            log.warning(
                "connector %s failed (%s); retry %d in %.0f s",
                job.key,
                exc,
                job.backoff.failures,
                delay,
            )
        finally:
            job.due = time.monotonic() + delay
            job.task = None

    async def on_stop(self) -> None:
        running = [job.task for job in self.jobs.values() if job.task is not None]
        if running:
            # Each run commits after every page or file: let the current one finish.
            _, pending = await asyncio.wait(running, timeout=_STOP_GRACE_S)
            for task in pending:
                task.cancel()
        if self._producer is not None:
            await self._producer.__aexit__(None, None, None)
            self._producer = None
