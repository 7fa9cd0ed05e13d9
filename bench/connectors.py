"""Connector benchmark: a 100,000-row ISP CSV report through the whole pipeline.

    python bench/connectors.py [--rows 100000] [--workers 1] [--warm-up 20000]

Starts its own Kafka node on free ports (jars from the shared cache) and a hub worker, writes
a sinkhole C2 report of N rows (N distinct C2 addresses no warninglist holds), imports it
as `fusionhub import` does after an untimed warm-up report of its own, and measures from
the first row sent until every row is admitted (on fusion.admitted) and curated (on
fusion.curated). Printed beside it, measured in the same run: the rows/s the import sends,
and the rows/s one process decodes and admits with no Kafka at all (the admit stage's
ceiling on this machine).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import c2_addresses, kafka_node, running_hub, when_written
from connectors.isp_csv import IspCsvConnector
from connectors.registry import decoders
from hub.admit.admission import Admitter
from hub.admit.warninglists import KnownBenign
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


async def through_the_hub(
    hub: HubProcess, workdir: Path, addresses: list[str], warm_rows: int
) -> tuple[float, float, float]:
    """Rows/s of one report: sent by the import, admitted, and admitted and curated."""
    warm, report = workdir / "warm-up.csv", workdir / "c2-report.csv"
    write_report(warm, c2_addresses(max(1, warm_rows), "45.0.0.1"))
    write_report(report, addresses)
    # Warm-up, untimed: the worker has joined, has its partitions and has built its lists,
    # and the fresh broker's JIT has compiled most of what the import exercises.
    warm_sent = await run_import(hub.bootstrap, hub.topics, PARTNER, SETTINGS, str(warm))
    await reached(hub, warm_sent)
    rows = len(addresses)
    waiter = asyncio.create_task(reached(hub, rows + warm_sent))
    start = time.perf_counter()
    sent = await run_import(hub.bootstrap, hub.topics, PARTNER, SETTINGS, str(report))
    import_done = time.perf_counter()
    if sent != rows:
        raise RuntimeError(f"the import sent {sent} of {rows} rows")
    admitted, curated = await waiter
    return rows / (import_done - start), rows / (admitted - start), rows / (curated - start)


async def reached(hub: HubProcess, count: int) -> tuple[float, float]:
    """When fusion.admitted, and when fusion.curated, held ``count`` messages."""
    admitted, curated = await asyncio.gather(
        when_written(hub.bootstrap, count, topics=[hub.topics.admitted]),
        when_written(hub.bootstrap, count, topics=[hub.topics.curated]),
    )
    return admitted, curated


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1, help="hub worker processes")
    parser.add_argument(
        "--warm-up", type=int, default=20_000, help="rows of an untimed report imported first"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fusionhub-bench-") as tmp:
        workdir = Path(tmp)
        addresses = c2_addresses(args.rows, "91.216.0.1")
        write_report(workdir / "in-process.csv", addresses)
        ceiling = admit_in_process(workdir / "in-process.csv")
        print(f"decode + admit in one process (no Kafka): {ceiling:,.0f} rows/s")
        with kafka_node(workdir) as launcher:
            async with running_hub(launcher.bootstrap, workdir, args.workers) as workers:
                sending, admitting, rows_per_s = await through_the_hub(
                    workers[0], workdir, addresses, args.warm_up
                )
    label = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
    print(f"import to fusion.ingest:                  {sending:,.0f} rows/s")
    print(f"import -> admitted ({label}):            {admitting:,.0f} rows/s")
    print(f"import -> admitted -> curated ({label}): {rows_per_s:,.0f} rows/s")
    print(f"connectors rows_per_s={rows_per_s:.0f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main())
