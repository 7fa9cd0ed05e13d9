"""Stopping the child processes the hub starts (worker, API server, a partner's TAXII server)."""

from __future__ import annotations

import os
import signal
import subprocess


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
