"""The three stages in one process on a real outbox and broker, for ``bench/instructions.py``.

    python bench/stages_driver.py REPO BOOTSTRAP FLAGS INDICATORS LOOPS

Runs the code of the checkout at REPO (its ``hub``, ``schemas``, ``protocols``), so one
driver measures a baseline checkout and the working tree alike. Each loop admits INDICATORS
TAXII-pushed indicators from the three sample partners, writes the output, correlates and
disseminates what admit made, and writes that. The first loop is untimed (caches, topics,
the broker's metadata); before the others it creates FLAGS.ready and waits for FLAGS.go,
after them it creates FLAGS.done and waits for FLAGS.end, so callgrind counts only them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TypeAlias

REPO = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(REPO))
os.chdir(REPO)

import orjson  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient  # noqa: E402
from aiokafka.structs import ConsumerRecord  # noqa: E402

from bench.harness import c2_addresses, indicator  # noqa: E402
from hub.admit.admission import Admitter, read_ingest_record  # noqa: E402
from hub.admit.stage import AdmitStage  # noqa: E402
from hub.context import HubContext  # noqa: E402
from hub.correlate.stage import CorrelateStage  # noqa: E402
from hub.correlate.table import MergeTable  # noqa: E402
from hub.disseminate.stage import DisseminateStage  # noqa: E402
from hub.kafka_admin import ensure_topics, table_changelogs  # noqa: E402
from hub.kafka_io import new_ingest_record  # noqa: E402
from hub.partitioner import key_hash  # noqa: E402
from hub.settings import HubSettings  # noqa: E402
from hub.streams import Outbox  # noqa: E402
from hub.worker import worker_topics  # noqa: E402
from schemas.envelopes import TAXII_PUSH, IngestRecord, Origin  # noqa: E402

PARTNERS = ("isp-northnet", "bank-meridian", "av-sentinel")
PARTITIONS = 4
ADMIT_BATCH = 1000  # the worker's default batch size
CORRELATE_BATCH = 500

Message: TypeAlias = "ConsumerRecord[bytes, bytes]"


def message(topic: str, partition: int, offset: int, key: bytes, value: bytes) -> Message:
    now = int(time.time() * 1000)
    found: Message = ConsumerRecord(
        topic, partition, offset, now, 0, key, value, None, len(key), len(value), ()
    )
    return found


def wait_for(flag: Path) -> None:
    while not flag.exists():
        time.sleep(0.05)


async def main(bootstrap: str, flags: str, count: int, loops: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        namespace = f"ir{os.getpid()}"
        settings = HubSettings(
            broker=bootstrap,
            partners_dir=REPO / "deploy" / "samples" / "partners",
            data_dir=Path(tmp) / "state",
            topic_namespace=f"{namespace}.",
            app_id=f"{namespace}-hub",
            partitions=PARTITIONS,
        )
        settings.data_dir.mkdir(parents=True)
        context = HubContext.from_settings(settings)
        changelogs = table_changelogs(settings.app_id)
        await ensure_topics(
            bootstrap,
            [*worker_topics(context), *changelogs],
            PARTITIONS,
            compacted=frozenset(changelogs),
        )
        outbox = Outbox(settings)
        lane = outbox.lane()
        table = MergeTable(
            bootstrap=bootstrap,
            changelog=changelogs[0],
            store_url=settings.table_store,
            data_dir=settings.data_dir,
        )
        await table.restore(list(range(PARTITIONS)))
        admit = AdmitStage(context, lane)
        correlate = CorrelateStage(context, lane, table)
        disseminate = DisseminateStage(context, lane)
        addresses = c2_addresses(count * (loops + 1), "91.216.0.1")
        # Every loop's input made before any is measured (the admitter making correlate's
        # input would otherwise be counted too).
        loop_inputs = [
            inputs(context, addresses[loop * count : (loop + 1) * count], loop)
            for loop in range(loops + 1)
        ]
        for loop, (ingest, admitted) in enumerate(loop_inputs):
            if loop == 1:
                Path(f"{flags}.ready").touch()
                wait_for(Path(f"{flags}.go"))
            for start in range(0, len(ingest), ADMIT_BATCH):
                admit.handle(ingest[start : start + ADMIT_BATCH])
            await (await lane.dispatch()).written()
            for messages in admitted:
                for start in range(0, len(messages), CORRELATE_BATCH):
                    versions = correlate.handle(messages[start : start + CORRELATE_BATCH])
                    await disseminate.handle(versions)
            table.written(await (await lane.dispatch()).written())
        Path(f"{flags}.done").touch()
        wait_for(Path(f"{flags}.end"))
        await outbox.stop()
        table.close()
        await drop_topics(bootstrap, namespace)


async def drop_topics(bootstrap: str, namespace: str) -> None:
    """Delete this run's topics: the next run should find the broker as this one did (with
    a run's 50-odd topics left behind, the next counted about 30,000 instructions more an
    indicator, the clients' metadata growing with the broker's)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(namespace)]
        await admin.delete_topics(names)
    finally:
        await admin.close()


def inputs(
    context: HubContext, addresses: list[str], loop: int
) -> tuple[list[Message], list[list[Message]]]:
    """The ingest messages of one loop, and what admit makes of them, per partition: the
    correlate stage's input, computed untimed by an admitter of its own."""
    topics, base = context.topics, loop * len(addresses)
    ingest = []
    for n, address in enumerate(addresses):
        obj = indicator(f"[ipv4-addr:value = '{address}']", labels=["c2"], id_seed="ir")
        record = new_ingest_record(
            PARTNERS[n % len(PARTNERS)],
            orjson.dumps(obj),
            origin=Origin(channel=TAXII_PUSH, name="bench"),
        )
        key = record.partner.encode()
        ingest.append(message(topics.ingest, n % PARTITIONS, base + n, key, record.to_bytes()))
    admitter = Admitter(agreements=context.agreements.current(), **context.admission_parts())
    admitted: list[list[Message]] = [[] for _ in range(PARTITIONS)]
    for m in ingest:
        read = read_ingest_record(m.value, key=m.key, where=lambda: ("bench", "bench"))
        assert isinstance(read, IngestRecord), read
        for contribution in admitter.admit(read).contributions:
            key = contribution.key.encode()
            partition = key_hash(key) % PARTITIONS
            offset = base + len(admitted[partition])
            value = contribution.to_bytes()
            admitted[partition].append(message(topics.admitted, partition, offset, key, value))
    return ingest, admitted


if __name__ == "__main__":
    asyncio.run(main(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
