"""The local Apache Kafka launcher: jars from Maven Central, one KRaft node on 127.0.0.1."""

from __future__ import annotations

from hub.broker.errors import (
    BrokerAlreadyRunningError,
    BrokerError,
    BrokerExitedError,
    BrokerNotReadyError,
    BrokerStartTimeoutError,
    BrokerStopError,
    JavaNotFoundError,
    MavenFetchError,
    MavenNotFoundError,
    PortInUseError,
    StorageFormatError,
)
from hub.broker.launcher import BrokerStatus, KafkaLauncher
from hub.broker.ports import free_ports
from hub.broker.probe import ClusterMetadata, fetch_metadata

__all__ = [
    "BrokerAlreadyRunningError",
    "BrokerError",
    "BrokerExitedError",
    "BrokerNotReadyError",
    "BrokerStartTimeoutError",
    "BrokerStatus",
    "BrokerStopError",
    "ClusterMetadata",
    "JavaNotFoundError",
    "KafkaLauncher",
    "MavenFetchError",
    "MavenNotFoundError",
    "PortInUseError",
    "StorageFormatError",
    "fetch_metadata",
    "free_ports",
]
