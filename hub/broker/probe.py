"""Readiness probe: a real Kafka metadata request over a plain socket.

A listening socket is not enough: a KRaft broker accepts connections before it has caught up
with the metadata log, and a producer that connects then only sees errors. The broker lists
itself in a metadata response only once it is registered and unfenced, so a non-empty broker
list means clients can produce and consume. The protocol subset here is tiny (ApiVersions v0,
Metadata v4, no tagged fields) and blocking, so `KafkaLauncher.start` needs no event loop.
See https://kafka.apache.org/protocol#protocol_messages.
"""

from __future__ import annotations

import itertools
import socket
import struct
from dataclasses import dataclass

from hub.broker.errors import BrokerNotReadyError

API_VERSIONS = 18
METADATA = 3
# The oldest Metadata version Kafka 4 still serves (KIP-896) and the newest without tagged
# fields, which keeps the encoding trivial.
METADATA_VERSION = 4
CLIENT_ID = b"fusionhub-broker-probe"

_correlation_ids = itertools.count(1)


@dataclass(frozen=True)
class BrokerNode:
    """One broker as a metadata response lists it."""

    node_id: int
    host: str
    port: int


@dataclass(frozen=True)
class ClusterMetadata:
    """What a broker says about its cluster."""

    cluster_id: str | None
    controller_id: int
    brokers: tuple[BrokerNode, ...]


def fetch_metadata(host: str, port: int, *, timeout: float) -> ClusterMetadata:
    """Ask the broker at host:port for cluster metadata; BrokerNotReadyError if it cannot."""
    address = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            versions = _Reader(_call(sock, API_VERSIONS, 0, b""))
            _check_metadata_version(versions, address)
            # No topics (empty array, not null = all topics), no auto-creation.
            body = struct.pack(">ib", 0, 0)
            return _parse_metadata(_Reader(_call(sock, METADATA, METADATA_VERSION, body)))
    except (OSError, struct.error) as exc:
        raise BrokerNotReadyError(address, f"{type(exc).__name__}: {exc}") from exc


def _call(sock: socket.socket, api_key: int, api_version: int, body: bytes) -> bytes:
    correlation_id = next(_correlation_ids) & 0x7FFFFFFF
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(CLIENT_ID))
    request = header + CLIENT_ID + body
    sock.sendall(struct.pack(">i", len(request)) + request)
    (size,) = struct.unpack(">i", _recv_exactly(sock, 4))
    response = _recv_exactly(sock, size)
    (answered,) = struct.unpack_from(">i", response)
    if answered != correlation_id:
        raise ConnectionError(f"response to request {answered}, expected {correlation_id}")
    return response[4:]


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("the broker closed the connection mid-response")
        chunks += chunk
    return bytes(chunks)


def _check_metadata_version(versions: _Reader, address: str) -> None:
    error_code = versions.int16()
    if error_code != 0:
        raise BrokerNotReadyError(address, f"ApiVersions error code {error_code}")
    for _ in range(versions.int32()):
        api_key, min_version, max_version = versions.int16(), versions.int16(), versions.int16()
        if api_key == METADATA:
            if min_version <= METADATA_VERSION <= max_version:
                return
            raise BrokerNotReadyError(
                address,
                f"it serves Metadata v{min_version}-v{max_version}, the probe speaks only "
                f"v{METADATA_VERSION}",
            )
    raise BrokerNotReadyError(address, "it does not list the Metadata API")


def _parse_metadata(response: _Reader) -> ClusterMetadata:
    response.int32()  # throttle_time_ms
    brokers = []
    for _ in range(response.int32()):
        node_id, host, port = response.int32(), response.string() or "", response.int32()
        response.string()  # rack
        brokers.append(BrokerNode(node_id=node_id, host=host, port=port))
    cluster_id = response.string()
    return ClusterMetadata(
        cluster_id=cluster_id, controller_id=response.int32(), brokers=tuple(brokers)
    )


class _Reader:
    """Big-endian reads from a response body, front to back."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0

    def _unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self._data, self._offset)
        self._offset += struct.calcsize(fmt)
        return int(value)

    def int16(self) -> int:
        return self._unpack(">h")

    def int32(self) -> int:
        return self._unpack(">i")

    def string(self) -> str | None:
        """A nullable STRING: int16 length (-1 for null), then UTF-8 bytes."""
        length = self.int16()
        if length < 0:
            return None
        raw = self._data[self._offset : self._offset + length]
        self._offset += length
        return raw.decode("utf-8")
