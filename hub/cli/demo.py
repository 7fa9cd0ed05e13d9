"""``fusionhub demo``: a broker, a hub and three sample partners on the embedded defaults."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import typer
from rich.markup import escape

from hub.broker import KafkaLauncher
from hub.cli.common import console, settings
from hub.cli.demo_partner import PartnerTaxiiServer
from hub.cli.tail import tail
from hub.processes import stop_process_group

SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples"


def _start(log: Path, bootstrap: str, *args: str) -> subprocess.Popen[bytes]:
    """A ``fusionhub`` sub-command in its own process group, its output in ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    output = open(log, "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        [sys.executable, "-m", "hub", *args],
        stdout=output,
        stderr=subprocess.STDOUT,
        env={**os.environ, "FUSIONHUB_BROKER": bootstrap},
        start_new_session=True,
    )


# The sample partners' feeds, fetched by the connectors their agreements configure:
# (partner, kind, connector name, file under deploy/samples/data).
_CONNECTOR_FEEDS = (
    ("isp-northnet", "isp-csv", "sinkhole-drones", "isp-northnet-sinkhole-2026-11-19.csv"),
    ("bank-meridian", "misp", "misp", "bank-meridian-misp-2026-11-19.json"),
    ("av-sentinel", "av-hashes", "av-hashes", "av-sentinel-hashes-2026-11-19.jsonl"),
)

# STIX bundles a partner serves on its own TAXII server (the others push theirs).
_TAXII_SERVED = {"bank-meridian": "bank-meridian.json"}
_TAXII_PASSWORD = "meridian-taxii-demo"


def _fusionhub(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "hub", *args], check=True, env=env)


def _feed_samples(bootstrap: str) -> None:
    env = {**os.environ, "FUSIONHUB_BROKER": bootstrap}
    data = SAMPLES / "data"
    for partner, kind, name, file in _CONNECTOR_FEEDS:
        _fusionhub(
            "import",
            "--partner",
            partner,
            "--kind",
            kind,
            "--name",
            name,
            str(data / file),
            env=env,
        )
    for partner, file in _TAXII_SERVED.items():
        _pull_from_partner_taxii(partner, data / file, env)
    for path in sorted(data.glob("*.json")):
        partner = path.stem
        if partner in _TAXII_SERVED or not (SAMPLES / "partners" / f"{partner}.yaml").exists():
            continue
        _fusionhub("ingest", "--partner", partner, str(path), env=env)


def _pull_from_partner_taxii(partner: str, bundle: Path, env: dict[str, str]) -> None:
    """Serve the bundle on the partner's own TAXII server (medallion) and pull it once."""
    if importlib.util.find_spec("medallion") is None:  # a dev dependency `make demo` installs
        console.print(f"medallion is not installed: {partner} pushes {bundle.name} instead")
        _fusionhub("ingest", "--partner", partner, str(bundle), env=env)
        return
    server = PartnerTaxiiServer(
        settings().data_dir / "demo-partner-taxii", api_root=partner, password=_TAXII_PASSWORD
    )
    with server:
        server.add(json.loads(bundle.read_text("utf-8"))["objects"])
        console.print(f"{partner}'s TAXII server: {server.url}")
        _fusionhub(
            "import",
            "--partner",
            partner,
            "--kind",
            "taxii",
            server.url,
            env={**env, "MERIDIAN_TAXII_PASSWORD": _TAXII_PASSWORD},
        )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


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
    logs = hub_settings.data_dir / "logs"
    worker = _start(logs / "hub-worker.log", launcher.bootstrap, "run")
    # `fusionhub serve`: the TAXII API, stream and dashboard (README), ending with the demo.
    server = _start(
        logs / "hub-serve.log", launcher.bootstrap, "serve", "--exit-with", str(os.getpid())
    )
    console.print(f"hub worker and API server running, logs in {logs}/")
    console.print("dashboard: http://127.0.0.1:8000/ui/ (demo credentials in README)")
    # Stopped by `kill`, `timeout` or a closed terminal rather than Ctrl-C, the demo still
    # stops the worker and broker it started: Python's default SIGTERM/SIGHUP would end it
    # without the `finally` below.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    try:
        time.sleep(2.0)
        console.print("feeding sample partners: ISP, bank, AV vendor")
        _feed_samples(launcher.bootstrap)
        console.print(
            escape("meanwhile, in another terminal: .venv/bin/fusionhub lookup 45.137.21[.]77")
        )
        console.rule("curated indicators reaching the analysts (Ctrl-C to stop)")
        tail("analysts", True, seconds, False, None, 0, None)
    except KeyboardInterrupt:
        pass
    finally:
        # A second signal must not cut the clean-up short and leave the hub and broker
        # running: `timeout make demo` signals the demo twice, once itself and once through
        # make, which passes its own signal on.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if not keep_running:
            # The hub first, then the broker it talks to.
            stop_process_group(server)
            stop_process_group(worker)
            if started_broker:
                launcher.stop()
