"""``fusionhub demo``: a broker, a hub and three sample partners on the embedded defaults."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import typer

from hub.broker import KafkaLauncher
from hub.cli.common import console, settings
from hub.cli.tail import tail

SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples"


def _start_worker(log_dir: Path, bootstrap: str) -> subprocess.Popen[bytes]:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / "hub-worker.log", "ab")  # noqa: SIM115 - the child owns it
    env = {**os.environ, "FUSIONHUB_BROKER": bootstrap}
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "run"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def _feed_samples(bootstrap: str) -> None:
    env = {**os.environ, "FUSIONHUB_BROKER": bootstrap}
    for path in sorted((SAMPLES / "data").glob("*.json")):
        partner = path.stem
        subprocess.run(
            [sys.executable, "-m", "hub", "ingest", "--partner", partner, str(path)],
            check=True,
            env=env,
        )


def demo(
    seconds: float | None = typer.Option(
        None, help="stop after this many seconds (default: until Ctrl-C)"
    ),
    keep_running: bool = typer.Option(False, help="leave the broker and hub running at exit"),
) -> None:
    """Start Kafka and the hub, feed the sample partners, show curated indicators arriving."""
    hub_settings = settings()
    port = int(hub_settings.broker.rsplit(":", 1)[1])
    launcher = KafkaLauncher(port=port)
    console.rule("[bold]Fusion Hub demo")
    console.print("fetching Apache Kafka from Maven Central (cached after the first run)...")
    launcher.fetch()
    launcher.format()
    started_broker = not launcher.status().running
    if started_broker:
        launcher.start()
    console.print(f"broker on [bold]{launcher.bootstrap}[/bold], log in {launcher.server_log}")
    worker = _start_worker(hub_settings.data_dir / "logs", launcher.bootstrap)
    console.print(f"hub worker pid {worker.pid}, log in {hub_settings.data_dir / 'logs'}")
    try:
        time.sleep(2.0)
        console.print("feeding sample partners: ISP, bank, AV vendor")
        _feed_samples(launcher.bootstrap)
        console.rule("curated indicators reaching the analysts (Ctrl-C to stop)")
        tail("analysts", True, seconds, False, None, 0, None)
    except KeyboardInterrupt:
        pass
    finally:
        if not keep_running:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
            if started_broker:
                launcher.stop()
