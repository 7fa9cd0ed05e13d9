"""Pipeline benchmark: the hub end to end beside a raw aiokafka passthrough, one broker.

    python bench/pipeline.py [--indicators 20000] [--rate 2000] [--seconds 10] [--workers N]
                             [--warm-up 5000] [--warm-up-rounds 8]
                             [--latency-warm-up-seconds 3] [--latency-warm-up-rounds 8]

Starts its own Kafka node on free ports (jars from the shared cache), then measures on it:
1. passthrough: separate processes (as many as the hub has workers) consume the ingest
   records with aiokafka and produce them unchanged to another topic - the ceiling any Kafka
   consumer-producer reaches here (the `ratio` of the last line is against it); the records
   are partitioned as the hub's ingest producers partition them (by ingest id);
2. the hub: real workers (admit, correlate, disseminate; one per core unless --workers) from
   fusion.ingest to the analysts topics, for the same records, indicators/s from first send
   to last curated, the workers' and the broker's CPU time per indicator, and what of the
   broker's went to its JIT compilers and to concurrent GC cycles (its GC log);
3. latency: records offered at a fixed rate, p50/p99 from send to curated arrival.
Before 1 and 2, rounds of ``--warm-up`` records go through untimed until the broker's JIT
compilers settle (see ``warm_up``); before 3, rounds of ``--latency-warm-up-seconds`` at the
offered rate, as the trickle of small requests takes the compilers down paths of their own.
The last line is `pipeline indicators_per_s=N passthrough_per_s=N ratio=R p50_ms=N p99_ms=N`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    add_run_options,
    c2_addresses,
    compiler_seconds,
    concurrent_gc_cycles,
    cpu_seconds,
    in_rounds,
    indicator,
    kafka_node,
    partitions_now,
    running_hub,
    warm_up,
    warm_up_count,
    when_written,
    worker_pids,
)
from hub import native
from hub.broker.process import read_pid
from hub.canonical import observable_from_pattern
from hub.kafka_admin import ensure_topics
from hub.kafka_io import IngestProducer, ingest_partition_for, new_ingest_record, topic_regex
from schemas.envelopes import TAXII_PUSH, IngestRecord, Origin
from tests.integration.hub_process import HubProcess

PARTNERS = ("isp-northnet", "bank-meridian", "av-sentinel")
PASSTHROUGH = """
import asyncio, sys
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
async def main(bootstrap, source, sink):
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=sink,
                                auto_offset_reset="earliest", enable_auto_commit=True)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await consumer.start(); await producer.start()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for messages in batch.values():
                for m in messages:
                    await producer.send(sink, m.value, key=m.key)
    finally:
        await producer.stop(); await consumer.stop()
asyncio.run(main(*sys.argv[1:]))
"""


def records(addresses: list[str], tag: str) -> list[tuple[IngestRecord, str]]:
    """(ingest record, curated id): one C2 indicator per address.

    Phases of one run take different addresses: a repeat is (rightly) not a new version.
    """
    out = []
    for n, ip in enumerate(addresses):
        pattern = f"[ipv4-addr:value = '{ip}']"
        obj = indicator(pattern, labels=["c2"], id_seed=tag)
        # As a partner's TAXII POST: the admit stage writes a status report for each, the
        # heaviest case (files and feeds get none).
        record = new_ingest_record(
            PARTNERS[n % 3], orjson.dumps(obj), origin=Origin(channel=TAXII_PUSH, name="bench")
        )
        out.append((record, observable_from_pattern(pattern).indicator_id))
    return out


async def produce(bootstrap: str, topic: str, batch: list[tuple[IngestRecord, str]]) -> None:
    """Sends each record through the hub's own ingest producer (record batches, by ingest id).

    Not a ``send`` per record: the partners' clients run elsewhere, and ``send`` cost the
    bench's process most of a core while it timed the hub and the passthrough alike (each
    phase is timed from the first record sent).
    """
    async with IngestProducer(bootstrap, topic) as producer:
        for record, _ in batch:
            await producer.send(record)


class Arrivals:
    """Arrival time and key of each message written to the topics from now on.

    Reads from the partitions' current ends, so the messages of the phases before are not
    read again (25,000 of them, in the bench's own process, while the hub is being timed).
    """

    def __init__(self, bootstrap: str, pattern: str) -> None:
        self.pattern = pattern
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)

    async def __aenter__(self) -> Arrivals:
        await self.consumer.start()
        self.consumer.assign(
            await partitions_now(self.consumer, re.compile(self.pattern).fullmatch)
        )
        await self.consumer.seek_to_end()
        for partition in self.consumer.assignment():  # fixed now, before anything is sent
            await self.consumer.position(partition)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def wait(self, count: int, stall_s: float = 60.0) -> list[tuple[float, bytes]]:
        """The first ``count``; gives up when nothing new came for ``stall_s`` seconds."""
        arrivals: list[tuple[float, bytes]] = []
        last_arrival = time.perf_counter()
        while len(arrivals) < count:
            batch = await self.consumer.getmany(timeout_ms=200, max_records=10000)
            now = time.perf_counter()
            for messages in batch.values():
                arrivals.extend((now, m.key or b"") for m in messages)
                last_arrival = now
            if now - last_arrival > stall_s:
                raise RuntimeError(f"stalled: {len(arrivals)} of {count} messages arrived")
        return arrivals


async def passthrough(
    bootstrap: str,
    warm_rounds: list[list[str]],
    addresses: list[str],
    command: list[str],
    processes: int,
    broker_pid: int,
) -> tuple[float, float, float]:
    """Messages/s that ``processes`` consume->produce processes ``command`` (+ bootstrap,
    source, sink; one consumer group) forward - as many as the hub has workers - and the CPU
    seconds they and the broker used meanwhile."""
    source, sink = f"pt-in-{uuid.uuid4().hex[:6]}", f"pt-out-{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [source, sink], 4)
    children = [subprocess.Popen([*command, bootstrap, source, sink]) for _ in range(processes)]

    async def send_round(round_addresses: list[str], written: int) -> None:
        await produce(bootstrap, source, records(round_addresses, "pt-warm"))
        await when_written(bootstrap, written + len(round_addresses), topics=[sink])

    try:
        # The warm-up first: the processes have joined their group and have partitions,
        # and the broker has compiled its hot paths, as for the hub.
        warm = await warm_up("passthrough", warm_rounds, send_round, broker_pid)
        batch, count = records(addresses, "pt"), len(addresses)
        pids = [child.pid for child in children]
        own_before, broker_before = cpu_seconds(pids), cpu_seconds([broker_pid])
        start = time.perf_counter()
        waiter = asyncio.create_task(when_written(bootstrap, count + warm, topics=[sink]))
        await produce(bootstrap, source, batch)
        rate = count / (await waiter - start)
        return rate, cpu_seconds(pids) - own_before, cpu_seconds([broker_pid]) - broker_before
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait()


async def hub_throughput(
    workers: list[HubProcess],
    warm_rounds: list[list[str]],
    addresses: list[str],
    broker_pid: int,
    gc_log: Path,
) -> tuple[float, float, float, float, int]:
    """Indicators/s from first send to last curated, the CPU seconds the workers and the
    broker used for them, the share of a core the broker's JIT compilers took meanwhile and
    the concurrent GC cycles it started: the two that made its CPU jump between runs."""
    hub = workers[0]
    prefix = topic_regex(hub.topics.analysts_prefix())

    async def send_round(round_addresses: list[str], written: int) -> None:
        waiter = asyncio.create_task(
            when_written(hub.bootstrap, written + len(round_addresses), pattern=prefix)
        )
        await produce(hub.bootstrap, hub.topics.ingest, records(round_addresses, "warm"))
        await waiter

    # The worker is up, its partitions assigned, its and the broker's code warm.
    warm = await warm_up("hub", warm_rounds, send_round, broker_pid)
    batch, count = records(addresses, "throughput"), len(addresses)
    pids = worker_pids(workers)
    own_before, broker_before = cpu_seconds(pids), cpu_seconds([broker_pid])
    compiling, cycles = compiler_seconds(broker_pid), concurrent_gc_cycles(gc_log)
    start = time.perf_counter()
    waiter = asyncio.create_task(when_written(hub.bootstrap, count + warm, pattern=prefix))
    await produce(hub.bootstrap, hub.topics.ingest, batch)
    done = await waiter
    rate = count / (done - start)
    return (
        rate,
        cpu_seconds(pids) - own_before,
        cpu_seconds([broker_pid]) - broker_before,
        (compiler_seconds(broker_pid) - compiling) / (done - start),
        concurrent_gc_cycles(gc_log) - cycles,
    )


async def hub_latency(
    hub: HubProcess, rate: int, addresses: list[str], tag: str = "latency"
) -> list[float]:
    """Milliseconds from send to arrival on the analysts topics, sorted, for each record of
    ``addresses`` offered at ``rate`` a second."""
    prefix = topic_regex(hub.topics.analysts_prefix())
    batch = records(addresses, tag)
    sent_at: dict[bytes, float] = {}
    async with Arrivals(hub.bootstrap, prefix) as arrivals:
        waiter = asyncio.create_task(arrivals.wait(len(batch)))
        producer = AIOKafkaProducer(bootstrap_servers=hub.bootstrap, linger_ms=1)
        await producer.start()
        try:
            start = time.perf_counter()
            for n, (record, curated_id) in enumerate(batch):
                due = start + n / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent_at[curated_id.encode()] = time.perf_counter()
                partition = await ingest_partition_for(
                    producer, hub.topics.ingest, record.ingest_id
                )
                await producer.send(
                    hub.topics.ingest,
                    record.to_bytes(),
                    key=record.partner.encode(),
                    partition=partition,
                )
            await producer.flush()
        finally:
            await producer.stop()
        arrived = await waiter
    return sorted((at - sent_at[key]) * 1000 for at, key in arrived if key in sent_at)


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    add_run_options(parser, warm_up=5000, warm_up_rounds=8, unit="records")
    parser.add_argument(
        "--latency-warm-up-seconds",
        type=float,
        default=3.0,
        help="length of an untimed round at the offered rate before the latency phase",
    )
    parser.add_argument(
        "--latency-warm-up-rounds",
        type=int,
        default=8,
        help="at most this many such rounds, fewer once the broker's compilers settle; "
        "0 for none (the bench before 2026-11-27)",
    )
    args = parser.parse_args()
    # Three phases, each on addresses of its own: warm-up, throughput, latency. The warm-up
    # is not timed: the broker starts fresh for the bench, and its JIT compilers took a fifth
    # of a core for its first minute or more (per thread in /proc), which a broker in
    # service has long finished; so rounds go through until they settle.
    warm = warm_up_count(args)
    latency_round = max(1, int(args.rate * args.latency_warm_up_seconds))
    latency_warm = latency_round * max(0, args.latency_warm_up_rounds)
    addresses = c2_addresses(
        warm + args.indicators + latency_warm + int(args.rate * args.seconds), "91.216.0.1"
    )
    warm_rounds = in_rounds(addresses[:warm], args)
    throughput_set = addresses[warm : warm + args.indicators]
    rest = addresses[warm + args.indicators :]
    latency_warm_rounds = [
        rest[n : n + latency_round] for n in range(0, latency_warm, latency_round)
    ]
    latency_set = rest[latency_warm:]
    print(native.describe())  # the workers run from this checkout, as this process does
    with (
        tempfile.TemporaryDirectory(prefix="fusionhub-bench-") as tmp,
        kafka_node(Path(tmp)) as launcher,
    ):
        broker_pid = read_pid(launcher.pid_file)
        assert broker_pid is not None
        ceiling, pt_cpu, pt_broker_cpu = await passthrough(
            launcher.bootstrap,
            warm_rounds,  # on topics of its own: the hub's are new to the hub
            throughput_set,
            [sys.executable, "-c", PASSTHROUGH],
            args.workers,
            broker_pid,
        )
        per_message = 1e6 / len(throughput_set)
        print(
            f"passthrough (aiokafka consume->produce, {args.workers} process(es)): "
            f"{ceiling:,.0f} messages/s, CPU per message {pt_cpu * per_message:,.0f} us "
            f"(broker {pt_broker_cpu * per_message:,.0f} us)"
        )
        async with running_hub(launcher.bootstrap, Path(tmp), args.workers) as workers:
            hub = workers[0]
            throughput, cpu_used, broker_cpu, compiling, gc_cycles = await hub_throughput(
                workers, warm_rounds, throughput_set, broker_pid, launcher.gc_log
            )
            print(f"hub end to end (ingest -> analysts):     {throughput:,.0f} indicators/s")
            print(
                f"hub worker CPU per indicator:            {cpu_used * per_message:,.0f} us "
                f"(broker {broker_cpu * per_message:,.0f} us)"
            )
            print(
                f"broker meanwhile:                        JIT compilers {compiling:.0%} of a "
                f"core, {gc_cycles} concurrent GC cycles"
            )
            # Below 100 % per worker, the worker waited (for the broker, or for a core the
            # broker and this bench's own clients held): its CPU alone did not set the pace.
            busy = cpu_used * throughput / len(throughput_set) / len(workers)
            print(f"hub worker CPU busy (mean per worker):   {busy:.0%} of a core")

            # The throughput phase's warm-up did not take the broker down the paths of a
            # trickle of small requests (one send each, fetches that wait): compiling them
            # took it half a core for the phase's first seconds, which a broker in service
            # has long done. A warm-up round's latencies are printed, not kept.
            async def latency_round_through(round_addresses: list[str], _: int) -> None:
                warm_latencies = await hub_latency(hub, args.rate, round_addresses, "latency-warm")
                print(
                    f"  latency warm-up round: p50 {percentile(warm_latencies, 0.5):.0f} ms, "
                    f"p99 {percentile(warm_latencies, 0.99):.0f} ms"
                )

            if latency_warm_rounds:
                await warm_up("latency", latency_warm_rounds, latency_round_through, broker_pid)
            # What the offered load costs: with the cores near full, queueing for them, not
            # the hub's own work, sets the tail (README, "Fetches paced").
            watched = [*worker_pids(workers), broker_pid, os.getpid()]
            used_before, started = [cpu_seconds([pid]) for pid in watched], time.monotonic()
            compiling = compiler_seconds(broker_pid)
            latencies = await hub_latency(hub, args.rate, latency_set)
            elapsed = time.monotonic() - started
            compiling = (compiler_seconds(broker_pid) - compiling) / elapsed
            *worker_shares, broker_share, bench_share = [
                (cpu_seconds([pid]) - used) / elapsed
                for pid, used in zip(watched, used_before, strict=True)
            ]
            print(
                f"CPU during the latency phase:            workers "
                f"{', '.join(f'{share:.0%}' for share in worker_shares)} of a core, broker "
                f"{broker_share:.0%} (its compilers {compiling:.0%}), this bench "
                f"{bench_share:.0%}"
            )
            p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
            print(f"latency at {args.rate}/s offered: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    print(
        f"pipeline indicators_per_s={throughput:.0f} passthrough_per_s={ceiling:.0f} "
        f"ratio={throughput / ceiling:.2f} p50_ms={p50:.0f} p99_ms={p99:.0f}"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main())
