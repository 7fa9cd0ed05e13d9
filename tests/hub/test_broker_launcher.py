"""The local Kafka launcher, against real java processes (no mocks)."""

from __future__ import annotations

import asyncio
import base64
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from hub.broker import (
    BrokerAlreadyRunningError,
    BrokerExitedError,
    BrokerNotReadyError,
    KafkaLauncher,
    PortInUseError,
    fetch_metadata,
    free_ports,
)
from hub.broker.assets import assets_dir, new_cluster_id, render_server_properties
from hub.broker.jars import MARKER
from hub.broker.ports import port_is_free


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[KafkaLauncher]:
    """A launcher on free ports in a fresh state dir; stops whatever a test left running."""
    port, controller_port = free_ports(2)
    launcher = KafkaLauncher(home=tmp_path / "kafka", port=port, controller_port=controller_port)
    yield launcher
    launcher.stop(timeout=10.0)


@pytest.mark.integration
async def test_broker_lifecycle_serves_clients(launcher: KafkaLauncher) -> None:
    await asyncio.to_thread(launcher.fetch)
    assert await asyncio.to_thread(launcher.format) is True
    assert await asyncio.to_thread(launcher.format) is False  # storage is kept

    started = await asyncio.to_thread(launcher.start)

    assert started.running and started.ready
    assert started.bootstrap == launcher.bootstrap == f"127.0.0.1:{launcher.port}"
    assert launcher.pid_file.read_text().strip() == str(started.pid)
    # A second launcher on the same state dir (as a later CLI call) sees the same broker.
    observer = KafkaLauncher(home=launcher.home, jar_cache=launcher.jar_dir.parent)
    assert observer.status() == started
    with pytest.raises(BrokerAlreadyRunningError) as already:
        await asyncio.to_thread(launcher.start)
    assert already.value.pid == started.pid

    await _round_trip(launcher.bootstrap)

    assert await asyncio.to_thread(launcher.stop) is True
    stopped = launcher.status()
    assert not stopped.running and not stopped.ready and stopped.pid is None
    assert not launcher.pid_file.exists()
    assert port_is_free(launcher.port) and port_is_free(launcher.controller_port)
    with pytest.raises(BrokerNotReadyError):
        fetch_metadata("127.0.0.1", launcher.port, timeout=2.0)
    assert launcher.stop() is False


@pytest.mark.integration
async def test_the_broker_holds_its_whole_heap_and_logs_its_collections(tmp_path: Path) -> None:
    port, controller_port = free_ports(2)
    launcher = KafkaLauncher(
        home=tmp_path / "kafka", port=port, controller_port=controller_port, heap="256m"
    )
    await asyncio.to_thread(launcher.fetch)
    await asyncio.to_thread(launcher.format)
    await asyncio.to_thread(launcher.start)
    try:
        # Requests of 700 KiB, above half of the 1 MiB region G1 picks for this heap by
        # itself: humongous allocations, each able to start a concurrent marking cycle.
        producer = AIOKafkaProducer(
            bootstrap_servers=launcher.bootstrap, max_batch_size=1024 * 1024, linger_ms=50
        )
        await producer.start()
        try:
            for n in range(60):
                await producer.send_and_wait("large-batches", bytes([n % 256]) * 700 * 1024)
        finally:
            await producer.stop()
        gc_log = launcher.gc_log.read_text(encoding="utf-8")
    finally:
        await asyncio.to_thread(launcher.stop)

    assert "Using G1" in gc_log
    # The JVM's own account of its heap: 256 MB from the start, never shrunk below it
    # (left to itself, G1 starts at 1/64 of the machine's memory and may shrink to 8 MB).
    for bound in ("Min", "Initial", "Max"):
        assert re.search(rf"Heap {bound} Capacity: 256M\b", gc_log), gc_log[:2000]
    assert "Heap Region Size: 4M" in gc_log
    # Collections ran while the requests went through. None was started by a humongous
    # allocation, and none reclaimed a humongous region: no request was one. (The broker's
    # few long-lived buffers are.)
    humongous = [
        (int(a), int(b)) for a, b in re.findall(r"Humongous regions: (\d+)->(\d+)", gc_log)
    ]
    assert len(humongous) >= 3, gc_log[-2000:]
    assert all(after >= before for before, after in humongous), humongous
    assert "(G1 Humongous Allocation)" not in gc_log


async def _round_trip(bootstrap: str) -> None:
    """Produce one record and read it back through a consumer group."""
    topic = "launcher-round-trip"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"indicator", key=b"partner-1")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id="launcher-round-trip",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30.0)
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"partner-1", b"indicator")


@pytest.mark.integration
@pytest.mark.parametrize("role", ["client", "controller"])
def test_start_on_an_occupied_port_names_it(launcher: KafkaLauncher, role: str) -> None:
    taken = launcher.port if role == "client" else launcher.controller_port
    launcher.format()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()

        with pytest.raises(PortInUseError) as error:
            launcher.start(timeout=30.0)

    assert (error.value.port, error.value.role) == (taken, role)
    assert str(taken) in str(error.value)
    assert not launcher.status().running
    assert not launcher.pid_file.exists()


@pytest.mark.integration
def test_start_on_unformatted_storage_reports_the_exit_and_log(launcher: KafkaLauncher) -> None:
    with pytest.raises(BrokerExitedError) as error:
        launcher.start(timeout=60.0)

    assert error.value.returncode not in (0, None)
    assert "meta.properties" in error.value.log_tail
    assert not launcher.status().running
    assert not launcher.pid_file.exists()


@pytest.mark.integration
def test_fetch_reuses_a_complete_cache(launcher: KafkaLauncher) -> None:
    jar_dir = launcher.fetch()
    marker = jar_dir / MARKER
    fetched_at = marker.stat().st_mtime_ns

    assert launcher.fetch() == jar_dir
    assert marker.stat().st_mtime_ns == fetched_at
    assert f"kafka.version={launcher.kafka_version}" in marker.read_text()
    assert any(jar_dir.glob(f"kafka_2.13-{launcher.kafka_version}.jar"))


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FUSIONHUB_KAFKA_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("FUSIONHUB_KAFKA_PORT", "29092")
    monkeypatch.setenv("FUSIONHUB_KAFKA_JARS", str(tmp_path / "jars"))

    launcher = KafkaLauncher()

    assert launcher.home == tmp_path / "state"
    assert (launcher.port, launcher.controller_port) == (29092, 29093)
    assert launcher.bootstrap == "127.0.0.1:29092"
    assert launcher.jar_dir.parent == tmp_path / "jars"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"heap": "lots"}, "heap must look like"),
        ({"port": 9092, "controller_port": 9092}, "must differ"),
        ({"port": 70000}, "between 1 and 65535"),
    ],
)
def test_bad_settings_are_refused(tmp_path: Path, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KafkaLauncher(home=tmp_path, **settings)


def test_a_garbled_port_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUSIONHUB_KAFKA_PORT", "kafka")

    with pytest.raises(ValueError, match="FUSIONHUB_KAFKA_PORT must be a port number"):
        KafkaLauncher()


def test_cluster_id_is_a_base64url_uuid() -> None:
    cluster_id = new_cluster_id()

    assert len(cluster_id) == 22 and "=" not in cluster_id
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_server_properties_listen_on_loopback_only(tmp_path: Path) -> None:
    rendered = render_server_properties(
        assets_dir() / "server.properties.template",
        port=19999,
        controller_port=20000,
        log_dir=tmp_path,
    )

    settings = dict(
        line.split("=", 1) for line in rendered.splitlines() if line and not line.startswith("#")
    )
    assert settings["listeners"] == "PLAINTEXT://127.0.0.1:19999,CONTROLLER://127.0.0.1:20000"
    assert settings["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19999"
    assert settings["controller.quorum.voters"] == "1@127.0.0.1:20000"
    assert settings["log.dirs"] == str(tmp_path)
    assert "$" not in rendered


def test_nothing_runs_in_a_fresh_state_dir(tmp_path: Path) -> None:
    launcher = KafkaLauncher(home=tmp_path, port=free_ports(1)[0])

    assert not launcher.status().running
    assert launcher.stop() is False


def test_the_probe_reports_a_closed_port() -> None:
    (port,) = free_ports(1)

    with pytest.raises(BrokerNotReadyError, match=f"127.0.0.1:{port}.*refused"):
        fetch_metadata("127.0.0.1", port, timeout=2.0)


@pytest.mark.integration
def test_a_cluster_id_starting_with_a_dash_formats(
    launcher: KafkaLauncher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # base64url ids start with "-" one time in 64; the storage tool must not read it as a flag.
    import hub.broker.launcher as launcher_module

    monkeypatch.setattr(launcher_module, "new_cluster_id", lambda: "-" + new_cluster_id()[1:])
    assert launcher.format() is True
    assert launcher.format() is False  # already formatted: nothing to do
