"""Fixtures for the whole suite: one real Kafka broker per session, started on first use."""

from __future__ import annotations

pytest_plugins = ["tests.integration.broker_fixture"]
