"""Loopback port checks for the broker's listeners."""

from __future__ import annotations

import contextlib
import socket

LOOPBACK = "127.0.0.1"


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a listener could bind `host:port` now.

    SO_REUSEADDR mirrors what the JVM sets on its server sockets, so sockets of a just-stopped
    broker lingering in TIME_WAIT do not count as "in use" while a live listener still does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """`count` distinct ports that are free right now, picked by the kernel (bind to port 0).

    All sockets stay bound until every port is picked, so the ports differ from each other;
    another process can still take one before the caller binds it.
    """
    with contextlib.ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            ports.append(sock.getsockname()[1])
        return ports
