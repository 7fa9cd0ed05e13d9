"""Fixtures for the whole suite: one real Kafka broker per session, started on first use.

The suite runs the hot path as it is built: compiled with mypyc after `make native` (as
`make test` does), plain Python after `make pure`. It refuses extensions older than their
sources, which Python would otherwise run instead of the code being tested.
"""

from __future__ import annotations

import pytest

from hub import native

pytest_plugins = ["tests.integration.broker_fixture"]


def pytest_configure(config: pytest.Config) -> None:
    stale = native.stale_extensions()
    if stale:
        raise pytest.UsageError(
            f"mypyc extensions older than their sources: {', '.join(stale)}; "
            "run `make native` (or `make pure` to test plain Python)"
        )


def pytest_report_header(config: pytest.Config) -> str:
    return native.describe()
