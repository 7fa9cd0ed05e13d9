"""``fusionhub tail``: watch a topic, e.g. the curated intelligence reaching analysts."""

from __future__ import annotations

import asyncio
import time

import orjson
import typer

from hub.cli.common import console, run, settings, topics
from hub.kafka_io import read_topics, topic_regex
from hub.topics import Topics


def _matches(
    stix: dict[str, object], crime_code: str | None, min_confidence: int, observable: str | None
) -> bool:
    if crime_code and not str(stix.get("x_fusion_crime_code", "")).startswith(crime_code):
        return False
    confidence = stix.get("confidence", 0)
    if isinstance(confidence, int) and confidence < min_confidence:
        return False
    return not (observable and f"[{observable}:" not in str(stix.get("pattern", "")))


def _line(topic: str, stix: dict[str, object]) -> str:
    contributors = stix.get("x_fusion_contributors")
    sources = len(contributors) if isinstance(contributors, list) else 0
    revoked = " [red]revoked[/red]" if stix.get("revoked") else ""
    return (
        f"[dim]{topic}[/dim] [bold]{stix.get('pattern')}[/bold] "
        f"confidence={stix.get('confidence')} sources={sources} "
        f"modified={stix.get('modified')}{revoked}"
    )


async def _tail(
    names: Topics,
    topic: str,
    *,
    follow: bool,
    seconds: float | None,
    as_json: bool,
    crime_code: str | None,
    min_confidence: int,
    observable: str | None,
) -> int:
    bootstrap = settings().broker
    if topic in ("analysts", "partner", "liaison"):
        source = read_topics(bootstrap, pattern=topic_regex(names.resolve(topic + ".")), follow=True)
    else:
        source = read_topics(bootstrap, topics=[names.resolve(topic)], follow=True)
    shown = 0
    deadline = None if seconds is None else time.monotonic() + seconds
    idle = 0.0 if follow else 3.0
    iterator = source.__aiter__()
    try:
        while True:
            timeout = 1.0
            try:
                message = await asyncio.wait_for(iterator.__anext__(), timeout)
                idle = 0.0
            except (TimeoutError, StopAsyncIteration):
                idle += timeout
                message = None
            if deadline is not None and time.monotonic() > deadline:
                break
            if message is None:
                if not follow and idle >= 3.0:
                    break
                continue
            if as_json:
                console.print_json(message.value.decode("utf-8", "replace"))
                shown += 1
                continue
            try:
                value = orjson.loads(message.value)
            except orjson.JSONDecodeError:
                console.print(f"[dim]{message.topic}[/dim] {message.value[:200]!r}")
                shown += 1
                continue
            if isinstance(value, dict) and value.get("type") == "indicator":
                if _matches(value, crime_code, min_confidence, observable):
                    console.print(_line(message.topic, value))
                    shown += 1
            else:
                console.print(f"[dim]{message.topic}[/dim] {orjson.dumps(value).decode()[:300]}")
                shown += 1
    finally:
        await iterator.aclose()  # type: ignore[attr-defined]
    return shown


def tail(
    topic: str = typer.Argument(
        ..., help="'analysts' (all analysts.* topics), 'rejected', 'curated', or a topic name"
    ),
    follow: bool = typer.Option(True, help="keep waiting for new messages"),
    seconds: float | None = typer.Option(None, help="stop after this many seconds"),
    as_json: bool = typer.Option(False, "--json", help="print each message as JSON"),
    crime_code: str | None = typer.Option(None, help="only this crime code (prefix ok)"),
    min_confidence: int = typer.Option(0, help="only indicators at least this confident"),
    observable: str | None = typer.Option(None, help="only this observable type, e.g. url"),
) -> None:
    """Print messages of a topic from the beginning, then follow new ones."""
    shown = run(
        _tail(
            topics(),
            topic,
            follow=follow,
            seconds=seconds,
            as_json=as_json,
            crime_code=crime_code,
            min_confidence=min_confidence,
            observable=observable,
        )
    )
    console.print(f"[dim]{shown} message(s)[/dim]")
