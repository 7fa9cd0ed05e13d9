"""The merge table against the real broker: what a worker holding a partition can rebuild."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from hub.correlate.stage import correlate_message
from hub.correlate.table import MergeTable, RocksStore
from hub.kafka_admin import ensure_topics
from hub.settings import HubSettings
from hub.streams import Outbox
from tests.integration.broker_fixture import KafkaBroker

pytestmark = pytest.mark.integration


async def changelog_topic(broker: KafkaBroker) -> str:
    name = f"merge-{uuid.uuid4().hex[:8]}-changelog"
    await ensure_topics(broker.bootstrap, [name], 2, compacted=frozenset([name]))
    return name


async def holding(
    broker: KafkaBroker,
    changelog: str,
    data_dir: Path,
    store: str = "rocksdb://",
    partitions: tuple[int, ...] = (0,),
) -> MergeTable:
    """A worker's table, holding ``partitions`` restored from the changelog."""
    table = MergeTable(
        bootstrap=broker.bootstrap, changelog=changelog, store_url=store, data_dir=data_dir
    )
    await table.restore(list(partitions))
    return table


@pytest.fixture
async def outbox(kafka_broker: KafkaBroker):  # type: ignore[no-untyped-def]
    outbox = Outbox(HubSettings(broker=kafka_broker.bootstrap))
    yield outbox
    await outbox.stop()


async def write(table_: MergeTable, outbox: Outbox, rows: dict[bytes, tuple[int, bytes]]) -> None:
    """Write rows {key: (partition, value)} as the correlate stage does, and flush."""
    lane = outbox.lane()
    for key, (partition, value) in rows.items():
        table_.partition(partition)[key] = value
    table_.write_changelog(lane)
    table_.written(await lane.flush())


def contents(table_: MergeTable, partition: int) -> dict[bytes, bytes]:
    return dict(table_.store(partition).items())


@pytest.mark.parametrize("store", ["rocksdb://", "memory://"])
async def test_a_worker_taking_partitions_over_rebuilds_them_from_the_changelog(
    kafka_broker: KafkaBroker, outbox: Outbox, tmp_path: Path, store: str
) -> None:
    changelog = await changelog_topic(kafka_broker)
    first = await holding(kafka_broker, changelog, tmp_path / "first", store, partitions=(0, 1))
    await write(first, outbox, {b"k:a": (0, b"a1"), b"k:b": (1, b"b1")})
    await write(first, outbox, {b"k:a": (0, b"a2")})  # the later value wins
    first.release([0, 1])
    second = await holding(kafka_broker, changelog, tmp_path / "second", store, partitions=(0, 1))
    assert contents(second, 0) == {b"k:a": b"a2"}
    assert contents(second, 1) == {b"k:b": b"b1"}
    with pytest.raises(LookupError, match="partition 1 is not held"):
        second.release([1])
        second.partition(1)
    second.close()


async def test_a_restarted_rocksdb_partition_reads_only_what_it_missed(
    kafka_broker: KafkaBroker, outbox: Outbox, tmp_path: Path
) -> None:
    changelog = await changelog_topic(kafka_broker)
    mine = await holding(kafka_broker, changelog, tmp_path / "mine")
    await write(mine, outbox, {b"k:a": (0, b"a1"), b"k:b": (0, b"b1")})
    assert mine.store(0).checkpoint == 1  # both writes acknowledged: offsets 0 and 1
    mine.close()
    # Meanwhile another worker held the partition and wrote to it.
    other = await holding(kafka_broker, changelog, tmp_path / "other")
    await write(other, outbox, {b"k:b": (0, b"b2"), b"k:c": (0, b"c1")})
    other.close()
    resumes_from = RocksStore(tmp_path / "mine" / "merge" / "0.rocksdb")
    assert resumes_from.checkpoint == 1
    resumes_from.close()
    back = await holding(kafka_broker, changelog, tmp_path / "mine")
    assert contents(back, 0) == {b"k:a": b"a1", b"k:b": b"b2", b"k:c": b"c1"}
    assert back.store(0).checkpoint == 3
    back.close()


async def test_a_store_ahead_of_a_recreated_changelog_is_rebuilt(
    kafka_broker: KafkaBroker, outbox: Outbox, tmp_path: Path
) -> None:
    old = await holding(kafka_broker, await changelog_topic(kafka_broker), tmp_path)
    await write(old, outbox, {b"k:a": (0, b"a1"), b"k:b": (0, b"b1")})
    old.close()
    # Same state directory, a changelog that never saw those writes (a new cluster).
    new = await holding(kafka_broker, await changelog_topic(kafka_broker), tmp_path)
    assert contents(new, 0) == {}
    new.close()


async def test_a_redelivered_contribution_repairs_a_write_the_changelog_missed(
    kafka_broker: KafkaBroker, outbox: Outbox, tmp_path: Path
) -> None:
    # The worker died after writing its local store but before the changelog write left:
    # the contribution was not committed, so it comes again, and must reach the changelog.
    from tests.hub.test_merge import contribution

    changelog = await changelog_topic(kafka_broker)
    crashed = await holding(kafka_broker, changelog, tmp_path / "crashed")
    statement = contribution("isp-a")
    key, value = statement.key.encode(), statement.to_bytes()
    assert correlate_message(crashed.partition(0), key, 7, value) is not None
    crashed.pending.clear()  # the changelog write never left
    crashed.close()
    restarted = await holding(kafka_broker, changelog, tmp_path / "crashed")
    again = correlate_message(restarted.partition(0), key, 7, value)  # the re-delivery
    assert again is not None
    lane = outbox.lane()
    restarted.write_changelog(lane)
    restarted.written(await lane.flush())
    restarted.close()
    elsewhere = await holding(kafka_broker, changelog, tmp_path / "elsewhere")
    assert contents(elsewhere, 0) == {key: again.encoded}
    elsewhere.close()
