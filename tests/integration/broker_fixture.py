"""One real Kafka broker per test session, for tests under tests/integration/.

Load it from tests/integration/conftest.py with
`pytest_plugins = ["tests.integration.broker_fixture"]` (or import `kafka_broker`).
Set FUSIONHUB_TEST_BOOTSTRAP=host:port to test against a running broker instead; otherwise
the launcher starts one on free loopback ports in the session's temp dir, with the jar cache
shared across sessions (FUSIONHUB_KAFKA_JARS or <repo>/.cache/kafka-jars).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hub.broker import BrokerError, KafkaLauncher, PortInUseError, fetch_metadata, free_ports

ENV_TEST_BOOTSTRAP = "FUSIONHUB_TEST_BOOTSTRAP"
# Free ports are picked by closing sockets the kernel chose, so another process may take one
# before the broker binds it; a fresh pair is then tried.
_PORT_ATTEMPTS = 3
# Generous for a cold JVM on a loaded CI runner; a warm start takes about 2 s.
_START_TIMEOUT_S = 120.0
# Kafka topic and group names take only these characters (and at most 249 of them).
_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9._-]+")


@dataclass(frozen=True)
class KafkaBroker:
    """The session's broker: clients need `bootstrap`; `launcher` is None for an external one."""

    bootstrap: str
    launcher: KafkaLauncher | None = None


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A broker that accepts clients, shared by every test of the session."""
    external = os.environ.get(ENV_TEST_BOOTSTRAP, "").strip()
    if external:
        _check_external(external)
        yield KafkaBroker(bootstrap=external)
        return
    launcher = _start(tmp_path_factory)
    try:
        yield KafkaBroker(bootstrap=launcher.bootstrap, launcher=launcher)
    finally:
        launcher.stop()


def unique_name(prefix: str) -> str:
    """A topic or consumer-group name no other test (or earlier run) uses: prefix + random."""
    safe = _NAME_UNSAFE.sub("-", prefix).strip("-.") or "test"
    return f"{safe[:200]}-{uuid.uuid4().hex[:12]}"


def _start(tmp_path_factory: pytest.TempPathFactory) -> KafkaLauncher:
    attempts_left = _PORT_ATTEMPTS
    while True:
        port, controller_port = free_ports(2)
        launcher = KafkaLauncher(
            home=tmp_path_factory.mktemp("kafka"), port=port, controller_port=controller_port
        )
        launcher.fetch()
        launcher.format()
        try:
            launcher.start(timeout=_START_TIMEOUT_S)
        except PortInUseError:
            attempts_left -= 1
            if not attempts_left:
                raise
        else:
            return launcher


def _check_external(bootstrap: str) -> None:
    """Fail the session at once, with the reason, if the given broker does not answer."""
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    if not host or not port.isdigit():
        pytest.fail(f"{ENV_TEST_BOOTSTRAP}={bootstrap!r} is not host:port.", pytrace=False)
    try:
        fetch_metadata(host.strip("[]"), int(port), timeout=10.0)
    except BrokerError as exc:
        reason = str(exc)
    else:
        return
    # Outside the except block, so the report is this line and not a chained traceback.
    pytest.fail(f"{ENV_TEST_BOOTSTRAP}={bootstrap}: {reason}", pytrace=False)
