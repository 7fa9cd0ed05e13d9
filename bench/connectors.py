"""Connector benchmark: a 100,000-row ISP CSV report through the whole pipeline.

    python bench/connectors.py [--rows 100000] [--workers N] [--warm-up 20000]
                               [--warm-up-rounds 6]

Starts its own Kafka node on free ports (jars from the shared cache) and hub workers (one per
core unless --workers), writes a sinkhole C2 report of N rows (N distinct C2 addresses no
warninglist holds), imports it as `fusionhub import` does, and measures from the first row
sent until every row is admitted (on fusion.admitted) and curated (on fusion.curated).
Before it, untimed reports of ``--warm-up`` rows each are imported until the broker's JIT
compilers settle (bench/harness.py, ``warm_up``). Printed beside it, measured in the same
run: the rows/s the import sends, the workers' and the broker's CPU per row, and the rows/s
one process decodes and admits with no Kafka at all (the admit stage's ceiling here).
The last line is `connectors rows_per_s=N`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    add_run_options,
    c2_addresses,
    cpu_seconds,
    in_rounds,
    kafka_node,
    running_hub,
    warm_up,
    warm_up_count,
    when_each_written,
    worker_pids,
)
from connectors.isp_csv import IspCsvConnector
from connectors.registry import decoders
from hub import native
from hub.admit.admission import Admitter
from hub.admit.warninglists import KnownBenign
from hub.broker.process import read_pid
from hub.cli.importer import run_import
from schemas.agreement import load_agreements
from schemas.connectors import CsvColumns, IspCsvSettings
from tests.integration.hub_process import SAMPLE_PARTNERS, HubProcess

PARTNER = "isp-northnet"
HEADER = '"timestamp","ip","port","asn","geo","hostname","family"\n'
SETTINGS = IspCsvSettings(
    kind="isp-csv",
    path="c2-report.csv",
    report="c2",
    columns=CsvColumns(malware_family="family"),
)


def write_report(path: Path, addresses: list[str]) -> None:
    families = ("emotet", "qakbot", "icedid", "lumma", "remcos")
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n, address in enumerate(addresses):
            out.write(
                f'"2026-11-19 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}",'
                f'"{address}","{443 + n % 7}","AS{64496 + n % 16}","NL","",'
                f'"{families[n % len(families)]}"\n'
            )


def admit_in_process(path: Path) -> float:
    """Rows/s one process decodes and admits (with known-benign lookups): no Kafka."""
    connector = IspCsvConnector(PARTNER, SETTINGS)
    records = list(
        connector.records(
            path.read_bytes(), name=path.name, digest="d", received="2026-11-20T00:00:00.000Z"
        )
    )
    admitter = Admitter(
        agreements=load_agreements(SAMPLE_PARTNERS), decoders=decoders(), suppressor=KnownBenign()
    )
    start = time.perf_counter()
    admitted = sum(len(admitter.admit(record).contributions) for record in records)
    elapsed = time.perf_counter() - start
    assert admitted == len(records), f"{len(records) - admitted} rows not admitted"
    return len(records) / elapsed


class Measured(NamedTuple):
    """One timed import through the hub, and the CPU the hub and the broker spent on it."""

    sending: float  # rows/s the import sent to fusion.ingest
    admitting: float  # rows/s from the first row sent until all were admitted
    curating: float  # ... until all were admitted and curated
    worker_cpu: float  # CPU seconds of every worker, first row sent to last curated
    broker_cpu: float


async def through_the_hub(
    workers: list[HubProcess],
    workdir: Path,
    warm_rounds: list[list[str]],
    addresses: list[str],
    broker_pid: int,
) -> Measured:
    """One report imported after untimed warm-up reports, measured through the hub."""
    hub = workers[0]
    report = workdir / "c2-report.csv"
    write_report(report, addresses)

    async def warm_round(round_addresses: list[str], written: int) -> None:
        # The worker joins, takes its partitions and builds its lists in the first round;
        # the rounds go on until the fresh broker's JIT compilers settle (see warm_up).
        warm = workdir / f"warm-up-{written}.csv"
        write_report(warm, round_addresses)
        sent = await run_import(hub.bootstrap, hub.topics, PARTNER, SETTINGS, str(warm))
        await reached(hub, written + sent)

    warm_sent = await warm_up("hub", warm_rounds, warm_round, broker_pid)
    rows = len(addresses)
    pids = worker_pids(workers)
    cpu_before, broker_before = cpu_seconds(pids), cpu_seconds([broker_pid])
    waiter = asyncio.create_task(reached(hub, rows + warm_sent))
    start = time.perf_counter()
    sent = await run_import(hub.bootstrap, hub.topics, PARTNER, SETTINGS, str(report))
    import_done = time.perf_counter()
    if sent != rows:
        raise RuntimeError(f"the import sent {sent} of {rows} rows")
    admitted, curated = await waiter
    return Measured(
        rows / (import_done - start),
        rows / (admitted - start),
        rows / (curated - start),
        cpu_seconds(pids) - cpu_before,
        cpu_seconds([broker_pid]) - broker_before,
    )


async def reached(hub: HubProcess, count: int) -> tuple[float, float]:
    """When fusion.admitted, and when fusion.curated, held ``count`` messages."""
    admitted, curated = hub.topics.admitted, hub.topics.curated
    moments = await when_each_written(hub.bootstrap, {admitted: count, curated: count})
    return moments[admitted], moments[curated]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    add_run_options(parser, warm_up=20_000, warm_up_rounds=6, unit="rows")
    args = parser.parse_args()
    # The warm-up reports and the timed one each on addresses of their own: every timed
    # row is a new observable, admitted and curated.
    warm_rounds = in_rounds(c2_addresses(warm_up_count(args), "45.0.0.1"), args)
    print(native.describe())  # the workers run from this checkout, as this process does
    with tempfile.TemporaryDirectory(prefix="fusionhub-bench-") as tmp:
        workdir = Path(tmp)
        addresses = c2_addresses(args.rows, "91.216.0.1")
        write_report(workdir / "in-process.csv", addresses)
        ceiling = admit_in_process(workdir / "in-process.csv")
        print(f"decode + admit in one process (no Kafka): {ceiling:,.0f} rows/s")
        with kafka_node(workdir) as launcher:
            broker_pid = read_pid(launcher.pid_file)
            assert broker_pid is not None
            async with running_hub(launcher.bootstrap, workdir, args.workers) as workers:
                measured = await through_the_hub(
                    workers, workdir, warm_rounds, addresses, broker_pid
                )
    label = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
    per_row = 1e6 / args.rows
    busy = measured.worker_cpu * measured.curating / args.rows / args.workers
    print(f"import to fusion.ingest:                  {measured.sending:,.0f} rows/s")
    print(f"import -> admitted ({label}):            {measured.admitting:,.0f} rows/s")
    print(
        f"hub worker CPU per row:                   {measured.worker_cpu * per_row:,.0f} us "
        f"(broker {measured.broker_cpu * per_row:,.0f} us); workers busy {busy:.0%} of a core"
    )
    print(f"import -> admitted -> curated ({label}): {measured.curating:,.0f} rows/s")
    print(f"connectors rows_per_s={measured.curating:.0f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main())
