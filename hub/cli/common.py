"""What every CLI command needs: settings and a way to run async work."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from rich.console import Console

from hub.settings import HubSettings
from hub.topics import Topics

T = TypeVar("T")
console = Console()
errors = Console(stderr=True)


def settings() -> HubSettings:
    return HubSettings()


def topics() -> Topics:
    return Topics(settings().topic_namespace)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)
