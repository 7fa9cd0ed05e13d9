"""Helpers for the connector tests on a real broker: partners, imports, what the hub made."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from hub.cli.importer import connector_settings, run_import
from hub.kafka_io import TopicMessage, read_topics
from schemas.agreement import load_agreements
from schemas.connectors import AnyConnectorSettings
from schemas.envelopes import IngestRecord, Rejection, Suppression
from schemas.merge import MergeRecord
from tests.integration.hub_process import SAMPLE_PARTNERS, HubProcess, collect

CONNECTOR_DATA = Path(__file__).resolve().parents[1] / "connectors" / "data"


def partners_dir(directory: Path, extra: dict[str, str]) -> Path:
    """The sample partners plus ``extra`` agreements (partner id -> YAML)."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in SAMPLE_PARTNERS.glob("*.yaml"):
        shutil.copy(path, directory / path.name)
    for partner, body in extra.items():
        (directory / f"{partner}.yaml").write_text(body, "utf-8")
    return directory


async def import_file(
    hub: HubProcess,
    partner: str,
    kind: str,
    path: Path,
    settings: AnyConnectorSettings | None = None,
) -> int:
    """What `fusionhub import --partner P --kind K FILE` does (the agreement's settings)."""
    if settings is None:
        settings = connector_settings(load_agreements(hub.partners_dir)[partner], kind, str(path))
    return await run_import(hub.bootstrap, hub.topics, partner, settings, str(path))


async def read_all(hub: HubProcess, topic: str) -> list[TopicMessage]:
    return [m async for m in read_topics(hub.bootstrap, topics=[topic], idle_timeout_s=1.0)]


def latest_records(messages: list[TopicMessage]) -> dict[str, MergeRecord]:
    """The newest curated version of each canonical key on fusion.curated."""
    latest: dict[str, MergeRecord] = {}
    for message in messages:
        record = MergeRecord.from_bytes(message.value)
        if record.key not in latest or record.version >= latest[record.key].version:
            latest[record.key] = record
    return latest


def merged_from(wanted: dict[str, set[str]]) -> Callable[[list[TopicMessage]], bool]:
    """Until every key in ``wanted`` is curated with (at least) those partners."""

    def check(messages: list[TopicMessage]) -> bool:
        latest = latest_records(messages)
        return all(
            key in latest and partners <= set(latest[key].contributions)
            for key, partners in wanted.items()
        )

    return check


async def curated(
    hub: HubProcess, wanted: dict[str, set[str]], *, timeout_s: float = 120
) -> dict[str, MergeRecord]:
    messages = await collect(
        hub.bootstrap,
        topics=[hub.topics.curated],
        until=merged_from(wanted),
        timeout_s=timeout_s,
        settle_s=1.0,
    )
    return latest_records(messages)


def rejections(messages: list[TopicMessage]) -> list[Rejection]:
    return [Rejection.from_bytes(m.value) for m in messages]


def suppressions(messages: list[TopicMessage]) -> list[Suppression]:
    return [Suppression.from_bytes(m.value) for m in messages]


def ingested(messages: list[TopicMessage]) -> list[IngestRecord]:
    return [IngestRecord.from_bytes(m.value) for m in messages]
