"""KafkaLauncher: a single-node Apache Kafka (KRaft) on 127.0.0.1, run from Maven jars."""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hub.broker.assets import assets_dir, new_cluster_id, project_root, render_server_properties
from hub.broker.errors import (
    BrokerAlreadyRunningError,
    BrokerExitedError,
    BrokerNotReadyError,
    BrokerStartTimeoutError,
    PortInUseError,
    StorageFormatError,
)
from hub.broker.jars import JarCache, tail
from hub.broker.ports import LOOPBACK, port_is_free
from hub.broker.probe import fetch_metadata
from hub.broker.process import find_java, is_broker, read_pid, terminate

DEFAULT_PORT = 9092
DEFAULT_HEAP = "512m"
ENV_HOME = "FUSIONHUB_KAFKA_HOME"
ENV_PORT = "FUSIONHUB_KAFKA_PORT"
ENV_JARS = "FUSIONHUB_KAFKA_JARS"

# The collector settings of Kafka's kafka-run-class.sh (KAFKA_JVM_PERFORMANCE_OPTS): G1 with
# short pauses, marking started at 35 % occupancy, System.gc() as a concurrent cycle.
KAFKA_GC_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
)

_HEAP = re.compile(r"\d+[kKmMgG]?")
_LOG_TAIL_LINES = 30
_POLL_S = 0.25


@dataclass(frozen=True, kw_only=True)
class BrokerStatus:
    """Whether the broker of a state dir runs, where, and whether it answers clients."""

    home: Path
    pid: int | None
    port: int
    ready: bool

    @property
    def running(self) -> bool:
        return self.pid is not None

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"


class KafkaLauncher:
    """Fetches, formats, starts and stops one combined broker+controller KRaft node.

    Settings, keyword-only; None takes the default:
    - home: state dir (server.properties, KRaft data, logs, pid file).
      Env FUSIONHUB_KAFKA_HOME; default <repo>/var/kafka.
    - port: client (PLAINTEXT) listener on 127.0.0.1. Env FUSIONHUB_KAFKA_PORT; default 9092.
    - controller_port: KRaft controller listener. Default port + 1.
    - heap: the broker's JVM heap, all of it from the start (-Xms and -Xmx). Default "512m".
    - jar_cache: fetched jars, shared by runs and test sessions.
      Env FUSIONHUB_KAFKA_JARS; default <repo>/.cache/kafka-jars.
    """

    def __init__(
        self,
        *,
        home: Path | None = None,
        port: int | None = None,
        controller_port: int | None = None,
        heap: str = DEFAULT_HEAP,
        jar_cache: Path | None = None,
    ) -> None:
        self.home = (home or _env_path(ENV_HOME) or project_root() / "var" / "kafka").resolve()
        self.port = _valid_port(port if port is not None else _env_port(), "port")
        self.controller_port = _valid_port(
            controller_port if controller_port is not None else self.port + 1, "controller_port"
        )
        if self.controller_port == self.port:
            raise ValueError(f"port and controller_port are both {self.port}; they must differ.")
        if not _HEAP.fullmatch(heap):
            raise ValueError(f"heap must look like '512m' or '2g' (a JVM -Xmx size), not {heap!r}.")
        self.heap = heap
        assets = assets_dir()
        self._template = assets / "server.properties.template"
        self._log4j_config = assets / "log4j2.properties"
        self._jars = JarCache(
            # Absolute: the JVM runs with the state dir as its working directory.
            root=(
                jar_cache or _env_path(ENV_JARS) or project_root() / ".cache" / "kafka-jars"
            ).resolve(),
            pom=assets / "pom.xml",
        )
        self._child: subprocess.Popen[bytes] | None = None

    # Paths inside the state dir.
    @property
    def properties(self) -> Path:
        return self.home / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def server_log(self) -> Path:
        return self.log_dir / "server.log"

    @property
    def gc_log(self) -> Path:
        """The JVM's garbage-collection log (rotated: ten files of 100 MB at most)."""
        return self.log_dir / "gc.log"

    @property
    def console_log(self) -> Path:
        """The JVM's stdout and stderr: crashes that happen before log4j is up land here."""
        return self.log_dir / "console.log"

    @property
    def bootstrap(self) -> str:
        """Bootstrap address for clients of this launcher's port."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def kafka_version(self) -> str:
        return self._jars.kafka_version

    @property
    def jar_dir(self) -> Path:
        return self._jars.jar_dir

    def fetch(self) -> Path:
        """Fetch the broker jars unless the cache already has them; returns the jar dir."""
        return self._jars.fetch()

    def format(self) -> bool:
        """Format KRaft storage with a new cluster id; False if it was formatted already."""
        if (self.data_dir / "meta.properties").is_file():
            return False
        java = find_java()
        self.fetch()
        self._write_properties()
        command = [*self._java_command(java), "kafka.tools.StorageTool"]
        # "--cluster-id=ID", not "-t ID": a base64 id may start with "-", which the storage
        # tool's argument parser would take for an option.
        command += ["format", f"--cluster-id={new_cluster_id()}", "-c", str(self.properties)]
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            output = tail(result.stdout + result.stderr)
            raise StorageFormatError(self.data_dir, result.returncode, output)
        return True

    def start(self, timeout: float = 60.0) -> BrokerStatus:
        """Start the broker detached and return once it answers a metadata request.

        The JVM gets its own session, so it outlives the caller (the CLI exits right after)
        and a Ctrl-C in the caller's terminal does not reach it.
        """
        current = self.status()
        if current.pid is not None:
            raise BrokerAlreadyRunningError(self.home, current.pid, current.bootstrap)
        self.pid_file.unlink(missing_ok=True)  # stale: its process is gone
        java = find_java()
        self.fetch()
        for port, role in ((self.port, "client"), (self.controller_port, "controller")):
            if not port_is_free(port):
                raise PortInUseError(port, role)
        self._write_properties()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # The log file is shared by every run; quote only what this run wrote.
        log_offset = self.server_log.stat().st_size if self.server_log.exists() else 0
        flags = self._broker_jvm_flags()
        command = [*self._java_command(java, *flags), "kafka.Kafka", str(self.properties)]
        with self.console_log.open("wb") as console:
            child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{child.pid}\n", encoding="ascii")
        self._child = child
        try:
            self._await_ready(child, timeout, log_offset)
        except KeyboardInterrupt:
            # Interrupted while waiting: leave no half-started broker behind.
            self.stop(timeout=10.0)
            raise
        return BrokerStatus(home=self.home, pid=child.pid, port=self.port, ready=True)

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker (SIGTERM, then SIGKILL); False if none was running."""
        pid = self._running_pid()
        if pid is not None:
            child = self._child if self._child is not None and self._child.pid == pid else None
            terminate(pid, self.properties, timeout=timeout, child=child)
        self._child = None
        self.pid_file.unlink(missing_ok=True)
        return pid is not None

    def status(self) -> BrokerStatus:
        """The broker of this state dir: its pid and port if it runs, and if it answers."""
        pid = self._running_pid()
        if pid is None:
            return BrokerStatus(home=self.home, pid=None, port=self.port, ready=False)
        # The running broker may have been started with another --port than this launcher's.
        port = _advertised_port(self.properties) or self.port
        try:
            ready = bool(fetch_metadata(LOOPBACK, port, timeout=2.0).brokers)
        except BrokerNotReadyError:
            ready = False
        return BrokerStatus(home=self.home, pid=pid, port=port, ready=ready)

    def log_tail(self, since: int = 0, lines: int = _LOG_TAIL_LINES) -> str:
        """The end of the broker's log and console output, for error messages."""
        parts = []
        for path, offset in ((self.server_log, since), (self.console_log, 0)):
            try:
                with path.open("rb") as log:
                    if log.seek(0, os.SEEK_END) >= offset:  # else the log rolled over
                        log.seek(offset)
                    else:
                        log.seek(0)
                    text = log.read().decode(errors="replace")
            except OSError:
                continue
            if text.strip():
                parts.append(f"--- {path} ---\n{tail(text, lines)}")
        return "\n".join(parts) or f"(nothing in {self.log_dir})"

    def _await_ready(self, child: subprocess.Popen[bytes], timeout: float, log_offset: int) -> None:
        deadline = time.monotonic() + timeout
        last_error = "no attempt yet"
        while True:
            returncode = child.poll()
            if returncode is not None:
                self._child = None
                self.pid_file.unlink(missing_ok=True)
                raise BrokerExitedError(returncode, self.log_tail(log_offset))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop(timeout=10.0)
                raise BrokerStartTimeoutError(
                    self.bootstrap, timeout, last_error, self.log_tail(log_offset)
                )
            try:
                if fetch_metadata(LOOPBACK, self.port, timeout=min(2.0, remaining)).brokers:
                    return
                last_error = "the metadata response lists no broker yet"
            except BrokerNotReadyError as exc:
                last_error = exc.reason
            time.sleep(_POLL_S)

    def _running_pid(self) -> int | None:
        pid = read_pid(self.pid_file)
        return pid if pid is not None and is_broker(pid, self.properties) else None

    def _write_properties(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        rendered = render_server_properties(
            self._template,
            port=self.port,
            controller_port=self.controller_port,
            log_dir=self.data_dir,
        )
        self.properties.write_text(rendered, encoding="utf-8")

    def _broker_jvm_flags(self) -> list[str]:
        return [
            # The whole heap from the start, as Kafka's kafka-server-start.sh sets it. Left to
            # grow from a small heap, G1 kept it at 150-200 MB with ~95 MB live, so every
            # produce request above half a region crossed the marking threshold and started a
            # concurrent cycle, about one every 50 ms under load: a fifth of a core of the
            # broker, on a machine whose two cores the hub shares (bench/pipeline.py: 58-104
            # such cycles a run before).
            f"-Xms{self.heap}",
            # Regions of 4 MB (G1 picks 1 MB for a heap this size): a request above half a
            # region is allocated as a humongous object, and the workers' and importers'
            # produce requests run to about 1 MB. Kafka's operations guide sets 16 MB for
            # its multi-gigabyte heaps; 4 MB still leaves a 512 MB heap 128 regions.
            "-XX:G1HeapRegionSize=4m",
            *KAFKA_GC_FLAGS,
            f"-Xlog:gc*:file={self.gc_log}:time,tags:filecount=10,filesize=100M",
        ]

    def _java_command(self, java: str, *flags: str) -> list[str]:
        """The JVM and its flags, up to the main class."""
        return [
            java,
            f"-Xmx{self.heap}",
            *flags,
            # Die visibly on heap exhaustion instead of limping on with failing requests.
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.log_dir}",
            f"-Dlog4j2.configurationFile={self._log4j_config}",
            "-cp",
            self._jars.classpath,
        ]


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def _env_port() -> int:
    raw = os.environ.get(ENV_PORT, "").strip()
    if not raw:
        return DEFAULT_PORT
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{ENV_PORT} must be a port number, not {raw!r}.") from None


def _valid_port(port: int, name: str) -> int:
    if not 1 <= port <= 65535:
        raise ValueError(f"{name} must be between 1 and 65535, not {port}.")
    return port


def _advertised_port(properties: Path) -> int | None:
    """The client port in a rendered server.properties (advertised.listeners=...:PORT)."""
    try:
        lines = properties.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "advertised.listeners":
            port = value.strip().rpartition(":")[2]
            return int(port) if port.isdigit() else None
    return None
