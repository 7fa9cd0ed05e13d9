"""A real hub worker in a subprocess (so a test can SIGKILL it) and readers of its topics."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from hub.kafka_admin import ensure_topics, pipeline_topics
from hub.kafka_io import TopicMessage, TopicReader, topic_regex
from hub.processes import stop_process_group
from hub.topics import Topics

REPO = Path(__file__).resolve().parents[2]
SAMPLE_PARTNERS = REPO / "deploy" / "samples" / "partners"


@dataclass
class HubProcess:
    """One ``fusionhub run`` worker with its own app id, topic namespace and state dir."""

    bootstrap: str
    workdir: Path
    partners_dir: Path = SAMPLE_PARTNERS
    partitions: int = 4
    extra_env: dict[str, str] = field(default_factory=dict)
    name: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}")
    process: subprocess.Popen[bytes] | None = None

    @property
    def topics(self) -> Topics:
        return Topics(f"{self.name}.")

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "FUSIONHUB_BROKER": self.bootstrap,
            "FUSIONHUB_APP_ID": f"{self.name}-hub",
            "FUSIONHUB_TOPIC_NAMESPACE": f"{self.name}.",
            "FUSIONHUB_DATA_DIR": str(self.workdir / "state"),
            "FUSIONHUB_PARTNERS_DIR": str(self.partners_dir),
            "FUSIONHUB_PARTITIONS": str(self.partitions),
            **self.extra_env,
        }

    def prepare_topics(self) -> None:
        asyncio.run(self.prepare_topics_async())

    async def prepare_topics_async(self) -> None:
        await ensure_topics(self.bootstrap, pipeline_topics(self.topics), self.partitions)

    def start(self) -> None:
        log = open(self.workdir / f"worker-{time.time_ns()}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub", "run"],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)

    def log_tail(self, lines: int = 60) -> str:
        logs = sorted(self.workdir.glob("worker-*.log"))
        if not logs:
            return ""
        return "\n".join(logs[-1].read_text(errors="replace").splitlines()[-lines:])


async def collect(
    bootstrap: str,
    *,
    topics: Iterable[str] = (),
    prefix: str | None = None,
    until: Callable[[list[TopicMessage]], bool],
    timeout_s: float,
    settle_s: float = 3.0,
) -> list[TopicMessage]:
    """Read topics until ``until`` holds (then ``settle_s`` more, to catch extras) or timeout."""
    messages: list[TopicMessage] = []
    deadline = time.monotonic() + timeout_s
    settled_at: float | None = None
    pattern = topic_regex(prefix) if prefix is not None else None
    async with TopicReader(bootstrap, topics=topics, pattern=pattern) as reader:
        while time.monotonic() < deadline:
            messages.extend(await reader.poll(0.5))
            if settled_at is None and until(messages):
                settled_at = time.monotonic()
            if settled_at is not None and time.monotonic() - settled_at >= settle_s:
                break
    return messages


def latest_versions(messages: list[TopicMessage]) -> dict[str, dict[str, object]]:
    """The newest version (by `modified`) of each STIX id among the messages."""
    latest: dict[str, dict[str, object]] = {}
    for message in messages:
        obj = orjson.loads(message.value)
        current = latest.get(obj["id"])
        if current is None or str(obj["modified"]) > str(current["modified"]):
            latest[obj["id"]] = obj
    return latest
