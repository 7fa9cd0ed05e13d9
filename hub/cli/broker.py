"""`fusionhub broker`: run a local Apache Kafka for development, without Docker.

The bootstrap address goes to stdout and everything else to stderr, so scripts can do
`export FUSIONHUB_BROKER=$(fusionhub broker start)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from hub.broker import BrokerAlreadyRunningError, BrokerError, KafkaLauncher

app = typer.Typer(
    help="Run a local Apache Kafka broker (one KRaft node on 127.0.0.1, jars from Maven Central).",
    no_args_is_help=True,
)

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        file_okay=False,
        help="Broker state dir: config, KRaft data, logs "
        "(env FUSIONHUB_KAFKA_HOME, default var/kafka in the repo).",
    ),
]
PortOption = Annotated[
    int | None,
    typer.Option(
        "--port",
        min=1,
        max=65535,
        help="Client port on 127.0.0.1; the controller takes the next one "
        "(env FUSIONHUB_KAFKA_PORT, default 9092).",
    ),
]

stdout = Console()
stderr = Console(stderr=True)


@app.command()
def start(
    port: PortOption = None,
    home: HomeOption = None,
    heap: Annotated[str, typer.Option(help="JVM maximum heap (-Xmx).")] = "512m",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the broker.")] = 60.0,
) -> None:
    """Fetch the jars if needed, format storage if new, start the broker and wait for it."""
    with _broker_errors():
        launcher = KafkaLauncher(home=home, port=port, heap=heap)
        with stderr.status(f"Fetching Apache Kafka {launcher.kafka_version} jars…"):
            launcher.fetch()
        with stderr.status("Formatting KRaft storage…"):
            formatted = launcher.format()
        if formatted:
            stderr.print(f"Formatted new KRaft storage in {escape(str(launcher.data_dir))}")
        try:
            with stderr.status(f"Starting the broker on {launcher.bootstrap}…"):
                status = launcher.start(timeout=timeout)
        except BrokerAlreadyRunningError as running:
            stderr.print(f"Already running (pid {running.pid}) from {escape(str(running.home))}")
            stdout.print(running.bootstrap, markup=False, highlight=False)
            return
    stderr.print(
        f"[green]Kafka {launcher.kafka_version} ready[/] (pid {status.pid}); "
        f"logs in {escape(str(launcher.log_dir))}"
    )
    stdout.print(status.bootstrap, markup=False, highlight=False)


@app.command()
def stop(
    home: HomeOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds before SIGTERM becomes SIGKILL.")] = 30.0,
) -> None:
    """Stop the broker started from the state dir."""
    with _broker_errors():
        launcher = KafkaLauncher(home=home)
        pid = launcher.status().pid
        if not launcher.stop(timeout=timeout):
            stderr.print(f"No broker running from {escape(str(launcher.home))}")
            return
    stderr.print(f"Stopped the broker (pid {pid})")


@app.command()
def status(home: HomeOption = None) -> None:
    """Show whether the broker runs and answers; exit 1 unless it does both."""
    with _broker_errors():
        current = KafkaLauncher(home=home).status()
    if current.pid is None:
        stderr.print(f"Not running (state dir {escape(str(current.home))})")
        raise typer.Exit(1)
    answer = "[green]ready[/]" if current.ready else "[red]not answering metadata requests[/]"
    stderr.print(f"Running, {answer} (pid {current.pid}, state dir {escape(str(current.home))})")
    stdout.print(current.bootstrap, markup=False, highlight=False)
    if not current.ready:
        raise typer.Exit(1)


@app.command()
def fetch() -> None:
    """Fetch the broker jars from Maven Central into the jar cache (once)."""
    with _broker_errors():
        launcher = KafkaLauncher()
        with stderr.status(f"Fetching Apache Kafka {launcher.kafka_version} jars…"):
            jar_dir = launcher.fetch()
    count = sum(1 for _ in jar_dir.glob("*.jar"))
    stderr.print(f"{count} jars for Kafka {launcher.kafka_version} in {escape(str(jar_dir))}")


@contextmanager
def _broker_errors() -> Iterator[None]:
    """Turn launcher errors and bad settings into a one-paragraph message and exit code 1."""
    try:
        yield
    except (BrokerError, ValueError) as exc:
        stderr.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
