"""The merge table: correlate's records by canonical key, partitioned like fusion.admitted.

Each partition the worker holds has a local store (RocksDB by default, or memory), and
every write also goes to the compacted changelog topic, to the same partition number. A
worker assigned a partition brings its store up to date from the changelog before it
handles a message of that partition: from the last changelog offset the store saw
acknowledged (RocksDB keeps it) or from the start (memory). So a partition that moves to
another worker, or a worker that was killed, loses nothing that was committed.

A local write may be ahead of the changelog when a worker dies between the two; its input
was not committed, so it is handled again, and ``correlate_message`` then writes the
record again, to the changelog too.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Collection, Iterator, MutableMapping
from pathlib import Path
from typing import Protocol, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from rocksdict import Options, Rdict, WriteOptions

from hub.streams import Lane

log = logging.getLogger(__name__)

# Where a RocksDB store keeps the changelog offset it is up to date with. Canonical keys
# are "<type>:<value>", never starting with NUL.
_CHECKPOINT = b"\x00changelog-offset"
# Where a partition keeps the agreements its records were last published under
# (hub/disseminate/sharing.py): in the changelog too, so it moves with the partition.
SHARING_TERMS = b"\x00sharing-terms"


class PartitionStore(Protocol):
    checkpoint: int  # the last changelog offset this store reflects; -1: none

    def get(self, key: bytes) -> bytes | None: ...
    def put(self, key: bytes, value: bytes) -> None: ...
    def delete(self, key: bytes) -> None: ...
    def items(self) -> Iterator[tuple[bytes, bytes]]: ...
    def save_checkpoint(self, offset: int) -> None: ...
    def close(self) -> None: ...


class MemoryStore:
    """A partition in a dict: rebuilt from the whole changelog whenever it is assigned."""

    def __init__(self) -> None:
        self.checkpoint = -1
        self._records: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        return self._records.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self._records[key] = value

    def delete(self, key: bytes) -> None:
        self._records.pop(key, None)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        return iter(list(self._records.items()))

    def save_checkpoint(self, offset: int) -> None:
        self.checkpoint = offset

    def close(self) -> None:
        self._records.clear()


class RocksStore:
    """A partition in RocksDB (rocksdict, raw bytes): survives restarts with its checkpoint.

    Writes skip RocksDB's write-ahead log, as Kafka Streams' stores do: the changelog is
    what makes them durable. A killed worker's store reopens as it was at its last memtable
    flush - a consistent earlier state, its checkpoint included, since RocksDB flushes in
    write order and the checkpoint is written after what it covers - and the restore reads
    the changelog from that checkpoint on. Closing the store flushes everything.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = Rdict(str(path), options=Options(raw_mode=True))
        unlogged = WriteOptions()
        # A property in rocksdict, though its stub declares a method.
        unlogged.disable_wal = True  # type: ignore[method-assign, assignment]
        self._db.set_write_options(unlogged)
        raw = self._db.get(_CHECKPOINT)
        self.checkpoint = int(raw) if raw is not None else -1

    def get(self, key: bytes) -> bytes | None:
        return cast(bytes | None, self._db.get(key))

    def put(self, key: bytes, value: bytes) -> None:
        self._db[key] = value

    def delete(self, key: bytes) -> None:
        del self._db[key]

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self._db.items():
            if key != _CHECKPOINT:
                yield cast(bytes, key), cast(bytes, value)  # raw mode: bytes in, bytes out

    def save_checkpoint(self, offset: int) -> None:
        self.checkpoint = offset
        self._db[_CHECKPOINT] = str(offset).encode()

    def close(self) -> None:
        self._db.close()

    def wipe(self) -> RocksStore:
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)
        return RocksStore(self.path)


class PartitionView(MutableMapping[bytes, bytes]):
    """One partition of the table as a mapping; a write goes to the changelog too."""

    def __init__(self, table: MergeTable, partition: int) -> None:
        self._table = table
        self._partition = partition

    def __getitem__(self, key: bytes) -> bytes:
        value = self._table.store(self._partition).get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: bytes, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        value = self._table.store(self._partition).get(key)
        return default if value is None else value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._table.store(self._partition).put(key, value)
        self._table.pending.append((key, value, self._partition))

    def __delitem__(self, key: bytes) -> None:
        raise NotImplementedError("merge records are never deleted (an expiry is a version)")

    def __iter__(self) -> Iterator[bytes]:
        return (
            key for key, _ in self._table.store(self._partition).items() if key != SHARING_TERMS
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)


class MergeTable:
    """The partitions of the merge table this worker holds."""

    def __init__(self, *, bootstrap: str, changelog: str, store_url: str, data_dir: Path):
        self.bootstrap = bootstrap
        self.changelog = changelog
        self._in_memory = store_url.startswith("memory:")
        self._dir = data_dir / "merge"
        self._stores: dict[int, PartitionStore] = {}
        # Writes not yet on a lane: (key, value, partition).
        self.pending: list[tuple[bytes, bytes, int]] = []

    def store(self, partition: int) -> PartitionStore:
        try:
            return self._stores[partition]
        except KeyError:
            raise LookupError(f"merge table partition {partition} is not held here") from None

    def partition(self, partition: int) -> PartitionView:
        self.store(partition)
        return PartitionView(self, partition)

    def get(self, key: bytes) -> tuple[int, bytes] | None:
        """The partition and record of ``key``, if a partition held here has it."""
        for partition, store in self._stores.items():
            value = store.get(key)
            if value is not None:
                return partition, value
        return None

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        for _, key, value in self.partition_items():
            yield key, value

    def partition_items(
        self, partitions: Collection[int] | None = None
    ) -> Iterator[tuple[int, bytes, bytes]]:
        """Every record held (of ``partitions``, if given), with its partition."""
        for partition, store in list(self._stores.items()):
            if partitions is not None and partition not in partitions:
                continue
            for key, value in store.items():
                if key != SHARING_TERMS:
                    yield partition, key, value

    def held_partitions(self) -> list[int]:
        return sorted(self._stores)

    def sharing_terms(self, partition: int) -> bytes | None:
        """The agreements ``partition``'s records were last published under, as
        ``set_sharing_terms`` wrote them; None before it ever was."""
        return self.store(partition).get(SHARING_TERMS)

    def set_sharing_terms(self, partition: int, terms: bytes) -> None:
        """Keep ``terms`` with the partition, in its changelog too (``write_changelog``)."""
        self.partition(partition)[SHARING_TERMS] = terms

    def write_changelog(self, lane: Lane) -> None:
        """Put the writes made since the last call on ``lane``, to their partitions."""
        pending, self.pending = self.pending, []
        for key, value, partition in pending:
            lane.send(self.changelog, key, value, partition=partition)

    def written(self, offsets: dict[tuple[str, int], int]) -> None:
        """Note the changelog offsets a flush reported as written."""
        for (topic, partition), offset in offsets.items():
            store = self._stores.get(partition)
            if topic == self.changelog and store is not None:
                store.save_checkpoint(offset)

    def _open(self, partition: int) -> PartitionStore:
        if self._in_memory:
            return MemoryStore()
        return RocksStore(self._dir / f"{partition}.rocksdb")

    async def restore(self, partitions: list[int]) -> None:
        """Open ``partitions`` and bring each up to date with the changelog."""
        for partition in partitions:
            if partition not in self._stores:
                self._stores[partition] = self._open(partition)
        if not partitions:
            return
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            await self._catch_up(consumer, partitions)
        finally:
            await consumer.stop()

    async def _catch_up(self, consumer: AIOKafkaConsumer, partitions: list[int]) -> None:
        tps = [TopicPartition(self.changelog, partition) for partition in partitions]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            store = self._stores[tp.partition]
            if store.checkpoint >= ends[tp] and isinstance(store, RocksStore):
                # The store has seen offsets the changelog does not have: the topic was
                # recreated (a new cluster). Its content belongs to the old one.
                log.warning("merge partition %d is ahead of its changelog; rebuilt", tp.partition)
                store = self._stores[tp.partition] = store.wipe()
            if store.checkpoint >= 0:
                consumer.seek(tp, store.checkpoint + 1)
            else:
                await consumer.seek_to_beginning(tp)
        behind = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
        restored = 0
        while behind:
            batch = await consumer.getmany(*behind, timeout_ms=1000, max_records=10_000)
            for tp, messages in batch.items():
                store = self._stores[tp.partition]
                for message in messages:
                    if message.key is None:
                        continue
                    if message.value is None:
                        store.delete(message.key)
                    else:
                        store.put(message.key, message.value)
                if messages:
                    store.save_checkpoint(messages[-1].offset)
                    restored += len(messages)
            behind = {tp for tp in behind if await consumer.position(tp) < ends[tp]}
        if restored:
            log.info("merge partitions %s: %d changelog records restored", partitions, restored)

    def release(self, partitions: list[int]) -> None:
        """Close the stores of partitions this worker no longer holds."""
        for partition in partitions:
            store = self._stores.pop(partition, None)
            if store is not None:
                store.close()

    def close(self) -> None:
        self.release(list(self._stores))
