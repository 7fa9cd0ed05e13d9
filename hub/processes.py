"""The child processes the hub starts (worker, API server, a partner's TAXII server)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable


def stop_process_group(process: subprocess.Popen[bytes], *, timeout_s: float = 30.0) -> None:
    """SIGTERM the process's group (it was started with start_new_session), SIGKILL if it lingers.

    The whole group, so a child's own children (uvicorn, the JVM's launcher) go with it.
    """
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)


def wait_until_answering(
    process: subprocess.Popen[bytes],
    answers: Callable[[], bool],
    *,
    name: str,
    timeout_s: float,
    details: Callable[[], str],
) -> None:
    """Wait until the child ``answers()`` (its server is up); fail at once if it exits.

    A child that never answers is stopped before the TimeoutError. ``details`` says where to
    look (its log) and is only called on failure.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with status {process.returncode}: {details()}")
        if answers():
            return
        time.sleep(0.2)
    stop_process_group(process)
    raise TimeoutError(f"{name} did not answer in {timeout_s:.0f} s: {details()}")
