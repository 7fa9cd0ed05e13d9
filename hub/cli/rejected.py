"""``fusionhub rejected``: what the hub refused, why, and replaying it after a fix."""

from __future__ import annotations

import typer
from rich.table import Table

from hub import rejects
from hub.cli.common import console, run, settings, topics

app = typer.Typer(help="Rejected records: list them with reasons, replay them after a fix.")


@app.command("list")
def list_command(
    partner: str | None = typer.Option(None, help="only this partner's records"),
    reason: str | None = typer.Option(None, help="only this reason code"),
    pending: bool = typer.Option(False, help="hide records already replayed"),
) -> None:
    """List rejected records with partner, origin and the specific reason."""
    entries = run(
        rejects.list_rejected(
            settings().broker,
            topics(),
            partner=partner,
            reason=reason,
            include_replayed=not pending,
        )
    )
    table = Table("rejection", "partner", "origin", "object", "reason", "detail", "replayed")
    for entry in entries:
        r = entry.rejection
        origin = r.origin.channel + (f" {r.origin.name}" if r.origin.name else "")
        if r.origin.line is not None:
            origin += f":{r.origin.line}"
        obj = r.reason.object_id or (f"#{r.reason.index}" if r.reason.index is not None else "")
        if r.reason.property:
            obj += f" .{r.reason.property}"
        table.add_row(
            r.rejection_id[:8],
            r.partner,
            origin,
            obj,
            r.reason.code,
            r.reason.detail,
            "yes" if entry.replayed else "",
        )
    console.print(table)
    console.print(f"{len(entries)} rejected record(s)")


@app.command("replay")
def replay_command(
    rejection: list[str] = typer.Argument(None, help="rejection ids (or prefixes) to replay"),
    partner: str | None = typer.Option(None, help="replay this partner's rejections"),
    reason: str | None = typer.Option(None, help="replay rejections with this reason code"),
    all_: bool = typer.Option(False, "--all", help="replay every pending rejection"),
) -> None:
    """Replay rejected records (each once) after the cause has been fixed.

    A partner's record is re-ingested; a message correlate or disseminate kept back goes
    onto fusion.admitted again (a curated version as a request to publish it anew).
    """
    if not (rejection or partner or reason or all_):
        raise typer.BadParameter("name rejection ids, or --partner, --reason or --all")
    entries = run(
        rejects.list_rejected(
            settings().broker, topics(), partner=partner, reason=reason, include_replayed=False
        )
    )
    chosen = [
        e.rejection
        for e in entries
        if not rejection or any(e.rejection.rejection_id.startswith(p) for p in rejection)
    ]
    replayed = run(rejects.replay(settings().broker, topics(), chosen))
    console.print(
        f"replayed {replayed.total} rejected record(s): {replayed.ingested} into "
        f"{topics().ingest}, {replayed.admitted} into {topics().admitted}"
    )
