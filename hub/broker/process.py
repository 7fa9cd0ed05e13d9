"""The broker's JVM: finding java, and telling whether a pid is still our broker."""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from hub.broker.errors import BrokerStopError, JavaNotFoundError

MIN_JAVA = 17
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


@functools.cache
def find_java() -> str:
    """Path of a Java 17+ `java`: JAVA_HOME first (as Kafka's scripts do), then PATH."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home, "bin", "java") if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if java is None:
        raise JavaNotFoundError("no `java` on JAVA_HOME or PATH")
    try:
        result = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaNotFoundError(f"`{java} -version` failed: {exc}") from exc
    match = _VERSION.search(result.stderr + result.stdout)
    if match is None:
        raise JavaNotFoundError(f"cannot read the version from `{java} -version`")
    # Java 8 and older report "1.8.0_x".
    major = int(match.group(2) or 0) if match.group(1) == "1" else int(match.group(1))
    if major < MIN_JAVA:
        raise JavaNotFoundError(f"{java} is Java {major}")
    return java


def read_pid(pid_file: Path) -> int | None:
    """The pid in a pid file, or None if the file is missing or garbled."""
    try:
        return int(pid_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def is_broker(pid: int, properties: Path) -> bool:
    """Whether `pid` is alive and is the JVM started with `properties`.

    The command-line check stops a stale pid file (after a reboot, say) from pointing the
    launcher at an unrelated process that reused the pid; zombies count as dead.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's: not a broker we started
        return False
    proc = Path("/proc", str(pid))
    if not proc.is_dir():  # no procfs (e.g. macOS): the pid file is all we have
        return True
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        argv = (proc / "cmdline").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X") and os.fsencode(properties) in argv


def terminate(
    pid: int,
    properties: Path,
    *,
    timeout: float,
    child: subprocess.Popen[bytes] | None = None,
) -> None:
    """Stop the broker's process group: SIGTERM, then SIGKILL after `timeout` seconds.

    SIGTERM lets Kafka shut down cleanly (flushes logs, closes KRaft snapshots). `child` is
    the Popen when this process started the broker, so it can be reaped, not left a zombie.
    """
    for sig, wait_s in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)  # the broker leads its own group (start_new_session)
        except ProcessLookupError:
            return
        if _wait_gone(pid, properties, wait_s, child):
            return
    raise BrokerStopError(pid)


def _wait_gone(
    pid: int, properties: Path, timeout: float, child: subprocess.Popen[bytes] | None
) -> bool:
    if child is not None:
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    while is_broker(pid, properties):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
