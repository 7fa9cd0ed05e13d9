"""``fusionhub tail``: watch a topic, e.g. the curated intelligence reaching analysts."""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson
import typer
from rich.markup import escape

from hub.cli.common import console, run, settings, topics
from hub.kafka_io import TopicMessage, TopicReader, topic_regex
from hub.topics import Topics, crime_code_topic_part


def _filed_under(topic: str, stix: dict[str, object], names: Topics) -> str:
    """The crime code a message is filed under, as a topic names it. On an analysts topic,
    the topic's: an indicator classed under another code since stays on its former codes'
    topics, its revocation included, and whoever watches a code must see that go by."""
    prefix = names.analysts_prefix()
    if topic.startswith(prefix):
        return topic[len(prefix) :]
    return crime_code_topic_part(str(stix.get("x_fusion_crime_code", "")))


def _matches(
    topic: str,
    stix: dict[str, object],
    names: Topics,
    *,
    crime_code: str | None,
    min_confidence: int,
    observable: str | None,
) -> bool:
    if crime_code and not _filed_under(topic, stix, names).startswith(
        crime_code_topic_part(crime_code)
    ):
        return False
    confidence = stix.get("confidence", 0)
    if isinstance(confidence, int) and confidence < min_confidence:
        return False
    return not (observable and f"[{observable}:" not in str(stix.get("pattern", "")))


def _moved(topic: str, stix: dict[str, object], names: Topics) -> str:
    """On the topic of a crime code the indicator has left (it stays there: README,
    "Subscribing on Kafka"), the code it is classed under now."""
    code = stix.get("x_fusion_crime_code")
    if not topic.startswith(names.analysts_prefix()) or not isinstance(code, str):
        return ""
    return "" if topic == names.analysts(code) else f" [yellow]now {escape(code)}[/yellow]"


def _line(topic: str, stix: dict[str, object], names: Topics) -> str:
    contributors = stix.get("x_fusion_contributors")
    sources = len(contributors) if isinstance(contributors, list) else 0
    revoked = " [red]revoked[/red]" if stix.get("revoked") else ""
    return (
        f"[dim]{topic}[/dim] [bold]{escape(str(stix.get('pattern')))}[/bold] "
        f"confidence={stix.get('confidence')} sources={sources} "
        f"modified={stix.get('modified')}{revoked}{_moved(topic, stix, names)}"
    )


def _show(
    message: TopicMessage,
    as_json: bool,
    wanted: Callable[[str, dict[str, object]], bool],
    names: Topics,
) -> bool:
    try:
        value = orjson.loads(message.value)
    except orjson.JSONDecodeError:
        console.print(f"[dim]{message.topic}[/dim] {escape(repr(message.value[:200]))}")
        return True
    indicator = isinstance(value, dict) and value.get("type") == "indicator"
    if indicator and not wanted(message.topic, value):
        return False  # the filters apply to --json's output as much as to the lines
    if as_json:
        console.print_json(message.value.decode("utf-8", "replace"))
    elif indicator:
        console.print(_line(message.topic, value, names))
    else:
        console.print(f"[dim]{message.topic}[/dim] {escape(orjson.dumps(value).decode()[:300])}")
    return True


async def _tail(
    names: Topics,
    topic: str,
    *,
    follow: bool,
    seconds: float | None,
    as_json: bool,
    wanted: Callable[[str, dict[str, object]], bool],
) -> int:
    if topic in ("analysts", "partner", "liaison"):
        reader = TopicReader(settings().broker, pattern=topic_regex(names.resolve(topic + ".")))
    else:
        reader = TopicReader(settings().broker, topics=[names.resolve(topic)])
    shown = 0
    deadline = None if seconds is None else time.monotonic() + seconds
    async with reader:
        while deadline is None or time.monotonic() < deadline:
            messages = await reader.poll(1.0 if follow else 3.0)
            if not messages and not follow:
                break
            shown += sum(_show(message, as_json, wanted, names) for message in messages)
    return shown


def tail(
    topic: str = typer.Argument(
        ..., help="'analysts' (all analysts.* topics), 'rejected', 'curated', or a topic name"
    ),
    follow: bool = typer.Option(True, help="keep waiting for new messages"),
    seconds: float | None = typer.Option(None, help="stop after this many seconds"),
    as_json: bool = typer.Option(False, "--json", help="print each message as JSON"),
    crime_code: str | None = typer.Option(
        None,
        help="only this crime code (prefix ok); on the analysts' topics, every version filed"
        " under it, including those of indicators classed under another code since",
    ),
    min_confidence: int = typer.Option(0, help="only indicators at least this confident"),
    observable: str | None = typer.Option(None, help="only this observable type, e.g. url"),
) -> None:
    """Print messages of a topic from the beginning, then follow new ones."""
    names = topics()

    def wanted(topic: str, stix: dict[str, object]) -> bool:
        return _matches(
            topic,
            stix,
            names,
            crime_code=crime_code,
            min_confidence=min_confidence,
            observable=observable,
        )

    shown = run(_tail(names, topic, follow=follow, seconds=seconds, as_json=as_json, wanted=wanted))
    console.print(f"[dim]{shown} message(s)[/dim]")
