"""What the pipeline benchmarks share: a throwaway Kafka node and addresses no list holds."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import itertools
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiokafka import AIOKafkaConsumer, TopicPartition

from hub.admit.warninglists import shipped_index
from hub.broker import KafkaLauncher, free_ports
from hub.canonical import observable
from tests.integration.hub_process import HubProcess

JSON = dict[str, object]


def indicator(pattern: str, *, labels: list[str], id_seed: str = "", **more: object) -> JSON:
    """A valid STIX 2.1 indicator for ``pattern``, its id derived from seed and pattern."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, id_seed + pattern)}",
        "created": "2026-11-20T08:00:00.000Z",
        "modified": "2026-11-20T08:00:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-11-20T08:00:00.000Z",
        "confidence": 60,
        "labels": labels,
        **more,
    }


def c2_addresses(count: int, start: str) -> list[str]:
    """``count`` consecutive public addresses from ``start`` that no warninglist holds.

    A benchmark feeding an address the known-benign lists hold (a public resolver, say)
    would wait for a curated indicator the hub rightly never makes.
    """
    index = shipped_index()
    addresses: list[str] = []
    number = int(ipaddress.IPv4Address(start))
    while len(addresses) < count:
        address = str(ipaddress.IPv4Address(number))
        number += 1
        if address.endswith((".0", ".255")) or index.match(observable("ipv4-addr", address)):
            continue
        addresses.append(address)
    return addresses


@contextmanager
def kafka_node(workdir: Path) -> Iterator[KafkaLauncher]:
    """A single Kafka node on free ports (jars from the shared cache), stopped afterwards."""
    port, controller = free_ports(2)
    launcher = KafkaLauncher(home=workdir / "kafka", port=port, controller_port=controller)
    launcher.fetch()
    launcher.format()
    launcher.start(timeout=120)
    try:
        yield launcher
    finally:
        launcher.stop()


def add_run_options(
    parser: argparse.ArgumentParser, *, warm_up: int, warm_up_rounds: int, unit: str
) -> None:
    """The options both pipeline benches take: workers, and the warm-up's size and rounds."""
    parser.add_argument(
        "--workers",
        type=int,
        default=workers_per_core(),
        help="hub worker processes (default: one per core, at most the partition count)",
    )
    parser.add_argument(
        "--warm-up", type=int, default=warm_up, help=f"{unit} per untimed warm-up round"
    )
    parser.add_argument(
        "--warm-up-rounds",
        type=int,
        default=warm_up_rounds,
        help="at most this many rounds; fewer once the broker's JIT compilers settle",
    )


def warm_up_count(args: argparse.Namespace) -> int:
    """How many records the warm-up rounds hold at most, by the options."""
    return max(1, args.warm_up) * max(1, args.warm_up_rounds)


def in_rounds(addresses: list[str], args: argparse.Namespace) -> list[list[str]]:
    """The warm-up's rounds of ``--warm-up`` addresses each, from ``warm_up_count`` of them."""
    size = max(1, args.warm_up)
    return [addresses[n : n + size] for n in range(0, warm_up_count(args), size)]


def workers_per_core() -> int:
    """The benches' default worker count: one worker process per core, as the hub is meant
    to run (README, "Operating the hub"), but no more than the hub's topics have partitions."""
    return max(1, min(os.cpu_count() or 1, HubProcess.partitions))


@asynccontextmanager
async def running_hub(
    bootstrap: str, workdir: Path, workers: int
) -> AsyncIterator[list[HubProcess]]:
    """A hub of ``workers`` worker processes: one app id and topics, state of their own.

    The first is the one whose topics the bench reads; all are stopped at the end.
    """
    hub = HubProcess(bootstrap=bootstrap, workdir=workdir)
    processes = [hub] + [
        HubProcess(bootstrap=bootstrap, workdir=workdir / f"w{n}", name=hub.name)
        for n in range(1, workers)
    ]
    try:
        await hub.prepare_topics_async()
        for process in processes:
            process.workdir.mkdir(parents=True, exist_ok=True)
            process.start()
        yield processes
    finally:
        for process in processes:
            process.stop()


async def partitions_now(
    consumer: AIOKafkaConsumer, keep: Callable[[str], object]
) -> list[TopicPartition]:
    """Every partition of the topics ``keep`` accepts by name, from a fresh metadata request
    for the whole cluster (the hub creates topics as it goes)."""
    cluster = await consumer._client.fetch_all_metadata()
    return [
        TopicPartition(topic, partition)
        for topic in cluster.topics()
        if keep(topic)
        for partition in cluster.partitions_for_topic(topic) or ()
    ]


async def when_written(
    bootstrap: str,
    count: int,
    *,
    topics: list[str] | None = None,
    pattern: str | None = None,
    poll_s: float = 0.01,
    stall_s: float = 60.0,
) -> float:
    """The moment (``time.perf_counter``) the topics hold ``count`` messages between them:
    ``topics`` by name, or every topic whose name matches ``pattern`` (new ones included)."""
    named, matcher = set(topics or ()), re.compile(pattern) if pattern is not None else None

    def counts_toward(_: str, topic: str) -> bool:
        return topic in named if matcher is None else matcher.fullmatch(topic) is not None

    reached = await when_each_written(
        bootstrap, {"": count}, counts_toward=counts_toward, poll_s=poll_s, stall_s=stall_s
    )
    return reached[""]


async def when_each_written(
    bootstrap: str,
    counts: dict[str, int],
    *,
    counts_toward: Callable[[str, str], bool] = str.__eq__,
    poll_s: float = 0.01,
    stall_s: float = 60.0,
) -> dict[str, float]:
    """For each goal of ``counts``, the moment (``time.perf_counter``) the topics that count
    toward it (``counts_toward(goal, topic)``; by default the topic named by the goal) hold
    that many messages between them.

    It polls the partitions' end offsets instead of reading the messages: reading and
    decoding them took the bench's own process 30-40 % of a core, taken from the two the
    hub and broker share. One watcher serves every goal, so its requests to the broker do
    not multiply with them. Gives up, saying how many were written, when no count has grown
    for ``stall_s`` seconds.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, metadata_max_age_ms=1000)
    await consumer.start()
    try:
        reached: dict[str, float] = {}
        written, grown = -1, time.perf_counter()
        partitions: list[TopicPartition] = []
        ends: dict[TopicPartition, int] = {}
        for poll in itertools.count():
            every_topic = poll % 25 == 0
            if every_topic:  # new topics appear; a metadata request for the whole
                # cluster costs the broker more than the offsets do
                partitions = await partitions_now(
                    consumer, lambda topic: any(counts_toward(goal, topic) for goal in counts)
                )
                if set(partitions) != consumer.assignment():
                    # Assigned so the client keeps their leaders' metadata, and paused so it
                    # never fetches them: a fetch for partitions with nothing new waits at
                    # the broker up to fetch_max_wait_ms (500), and the broker answers one
                    # connection's requests in order, so every end-offsets request behind
                    # it waited too (polls of 500 ms; the phases' ends seen that late).
                    consumer.assign(partitions)
                    consumer.pause(*partitions)
            # In between, only topics that hold messages are asked: the hub's phase counts
            # 39 analysts topics, 156 partitions, where its records fill one; asking them all
            # every poll took the bench's process about 9 % of a core, from the two the hub
            # and broker share. A topic's first messages wait for the next full poll (0.25 s).
            live = {tp.topic for tp, end in ends.items() if end}
            asked = partitions if every_topic else [tp for tp in partitions if tp.topic in live]
            if asked:
                ends.update(await consumer.end_offsets(asked))
            now = time.perf_counter()
            totals = {
                goal: sum(end for tp, end in ends.items() if counts_toward(goal, tp.topic))
                for goal in counts
            }
            for goal, total in totals.items():
                if goal not in reached and total >= counts[goal]:
                    reached[goal] = now
            if len(reached) == len(counts):
                return reached
            if sum(totals.values()) > written:
                written, grown = sum(totals.values()), now
            elif now - grown > stall_s:
                raise RuntimeError(f"stalled: {totals} of {counts} messages written")
            await asyncio.sleep(poll_s)
        raise AssertionError("unreachable")
    finally:
        await consumer.stop()


def compiler_seconds(pid: int) -> float:
    """CPU the JVM's JIT compiler threads (C1, C2) of process ``pid`` used so far."""
    ticks = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().startswith(("C1 Compiler", "C2 Compiler")):
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        except OSError:
            continue  # the thread ended
    return ticks / os.sysconf("SC_CLK_TCK")


def concurrent_gc_cycles(gc_log: Path) -> int:
    """Concurrent marking cycles the broker's G1 collector started so far, by its GC log.

    Each costs the broker tens of milliseconds of CPU: when they came with every large
    produce request, they were most of its CPU per indicator (see the launcher's flags).
    """
    try:
        text = gc_log.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return 0
    return text.count("Pause Young (Concurrent Start)")


# A warm-up round is the last when the broker's JIT compilers took less than this share of
# a core during it: the broker has compiled what the phase exercises, as one in service has.
SETTLED_COMPILER_SHARE = 0.05


async def warm_up(
    name: str,
    rounds: list[list[str]],
    send_round: Callable[[list[str], int], Awaitable[None]],
    broker_pid: int,
) -> int:
    """Untimed rounds of records through a phase until the broker's compilers settle.

    ``send_round(addresses, written_before)`` sends one round and returns once it is
    through. Returns how many records went through.
    """
    written, done, share = 0, 0, 1.0
    for addresses in rounds:
        compiling, start = compiler_seconds(broker_pid), time.perf_counter()
        await send_round(addresses, written)
        written, done = written + len(addresses), done + 1
        share = (compiler_seconds(broker_pid) - compiling) / (time.perf_counter() - start)
        if share < SETTLED_COMPILER_SHARE:
            break
    print(
        f"warm-up ({name}): {done} round(s), {written:,} records, broker compilers at "
        f"{share:.0%} of a core in the last"
    )
    return written


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes used so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def worker_pids(workers: list[HubProcess]) -> list[int]:
    return [worker.process.pid for worker in workers if worker.process is not None]
