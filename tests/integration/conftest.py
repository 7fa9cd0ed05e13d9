"""Integration tests run against one real Kafka broker per session."""

from __future__ import annotations

pytest_plugins = ["tests.integration.broker_fixture"]
