"""Errors of the local Kafka launcher: one root, one subclass per thing that can fail."""

from __future__ import annotations

from pathlib import Path


class BrokerError(Exception):
    """Root of every error raised by hub.broker."""


class JavaNotFoundError(BrokerError):
    """No usable `java` (17 or newer) on JAVA_HOME or PATH."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"Cannot run the Kafka broker: {reason}. Kafka 4 needs Java 17 or newer; "
            "install it (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME."
        )
        self.reason = reason


class MavenNotFoundError(BrokerError):
    """The jar cache is incomplete and `mvn` is not available to fill it."""

    def __init__(self, jar_dir: Path) -> None:
        super().__init__(
            f"The Kafka jars are not in {jar_dir} and `mvn` is not on PATH to fetch them; "
            "install Maven 3.8+ or point FUSIONHUB_KAFKA_JARS at a filled jar cache."
        )
        self.jar_dir = jar_dir


class MavenFetchError(BrokerError):
    """`mvn dependency:copy-dependencies` failed; carries the tail of its output."""

    def __init__(self, returncode: int, output_tail: str) -> None:
        super().__init__(
            f"Fetching the Kafka jars from Maven Central failed (mvn exited {returncode}):\n"
            f"{output_tail}"
        )
        self.returncode = returncode
        self.output_tail = output_tail


class StorageFormatError(BrokerError):
    """`kafka-storage format` failed; carries the tail of its output."""

    def __init__(self, log_dir: Path, returncode: int, output_tail: str) -> None:
        super().__init__(
            f"Formatting KRaft storage in {log_dir} failed (exit {returncode}):\n{output_tail}"
        )
        self.log_dir = log_dir
        self.returncode = returncode
        self.output_tail = output_tail


class PortInUseError(BrokerError):
    """A port the broker needs is already taken by another process."""

    def __init__(self, port: int, role: str) -> None:
        super().__init__(
            f"Port {port} on 127.0.0.1 (the broker's {role} listener) is already in use; "
            "stop whatever listens there or choose other ports (--port)."
        )
        self.port = port
        self.role = role


class BrokerAlreadyRunningError(BrokerError):
    """A broker started from the same state dir is still running."""

    def __init__(self, home: Path, pid: int, bootstrap: str) -> None:
        super().__init__(f"A broker from {home} is already running (pid {pid}) at {bootstrap}.")
        self.home = home
        self.pid = pid
        self.bootstrap = bootstrap


class BrokerExitedError(BrokerError):
    """The java process died before the broker accepted clients."""

    def __init__(self, returncode: int | None, log_tail: str) -> None:
        super().__init__(
            f"The Kafka broker exited (code {returncode}) before it accepted clients; "
            f"end of its log:\n{log_tail}"
        )
        self.returncode = returncode
        self.log_tail = log_tail


class BrokerStartTimeoutError(BrokerError):
    """The broker runs but did not answer a metadata request in time."""

    def __init__(self, bootstrap: str, timeout: float, last_error: str, log_tail: str) -> None:
        super().__init__(
            f"The Kafka broker at {bootstrap} did not answer a metadata request within "
            f"{timeout:g} s (last attempt: {last_error}); it was stopped. End of its log:\n"
            f"{log_tail}"
        )
        self.bootstrap = bootstrap
        self.timeout = timeout
        self.last_error = last_error
        self.log_tail = log_tail


class BrokerStopError(BrokerError):
    """The broker process survived SIGTERM and SIGKILL."""

    def __init__(self, pid: int) -> None:
        super().__init__(f"The Kafka broker (pid {pid}) did not exit after SIGKILL.")
        self.pid = pid


class BrokerNotReadyError(BrokerError):
    """A broker did not answer a metadata request (not up, still starting, or not Kafka)."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"No Kafka metadata from {address}: {reason}")
        self.address = address
        self.reason = reason
