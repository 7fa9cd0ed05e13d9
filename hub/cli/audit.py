"""``fusionhub audit``: the sharing decisions the hub made, by object and/or audience.

Reads the store's audit trail (``FUSIONHUB_STORE_URL``, filled from ``fusion.audit`` by the
sinks of ``fusionhub serve``), or with ``--from-topic`` the topic itself, which needs no
store but only reaches back as far as the topic's retention. Re-deliveries after a crash
are exact duplicates and are shown once.
"""

from __future__ import annotations

import typer
from rich.table import Table

from hub.cli.common import console, run, settings, topics
from hub.kafka_io import read_topics
from hub.topics import Topics
from schemas.envelopes import AuditRecord, audit_records_of


def select_decisions(
    records: list[AuditRecord], *, object_id: str | None, audience: str | None
) -> list[AuditRecord]:
    """The matching decisions, each once, in version order then audience and partner."""
    chosen = {
        (r.version, r.audience, r.partner, r.object_id, r.allowed, r.rule): r
        for r in records
        if (object_id is None or r.object_id == object_id)
        and (audience is None or r.audience == audience)
    }
    return [chosen[key] for key in sorted(chosen)]


async def audit_from_topic(bootstrap: str, names: Topics) -> list[AuditRecord]:
    return [
        record
        async for message in read_topics(bootstrap, topics=[names.audit], idle_timeout_s=1.0)
        for record in audit_records_of(message.value)
    ]


async def audit_from_store(object_id: str | None, audience: str | None) -> list[AuditRecord]:
    from hub.store import query_audit  # the store's database driver only when used

    return await query_audit(object_id=object_id, audience=audience)


def audit(
    object_id: str | None = typer.Option(None, "--object", help="a curated object's id"),
    audience: str | None = typer.Option(
        None, "--audience", help="analysts, partner:<id> or liaison:<agency>"
    ),
    denied: bool = typer.Option(False, "--denied", help="only decisions that denied"),
    as_json: bool = typer.Option(False, "--json", help="one JSON audit record per line"),
    from_topic: bool = typer.Option(
        False, "--from-topic", help="read fusion.audit instead of the store"
    ),
) -> None:
    """Print the audit trail: which audience got which contribution, by which rule."""
    if object_id is None and audience is None:
        raise typer.BadParameter("name --object ID and/or --audience AUDIENCE")
    records = run(
        audit_from_topic(settings().broker, topics())
        if from_topic
        else audit_from_store(object_id, audience)
    )
    decisions = select_decisions(records, object_id=object_id, audience=audience)
    if denied:
        decisions = [d for d in decisions if not d.allowed]
    if as_json:
        for decision in decisions:
            print(decision.to_bytes().decode())
        return
    table = Table("object", "version", "audience", "contribution of", "decision", "rule")
    for d in decisions:
        verdict = "[green]allowed[/green]" if d.allowed else "[red]denied[/red]"
        table.add_row(d.object_id, d.version, d.audience, d.partner, verdict, d.rule)
    console.print(table)
    console.print(f"{len(decisions)} decision(s)")
