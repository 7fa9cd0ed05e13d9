"""``fusionhub suppressed``: what matched a known-benign list, and releasing false hits."""

from __future__ import annotations

import typer
from rich.table import Table

from hub import suppressions
from hub.cli.common import console, run, settings, topics

app = typer.Typer(help="Suppressed (known-benign) contributions: list them, release them.")


@app.command("list")
def list_command(
    partner: str | None = typer.Option(None, help="only this partner's contributions"),
    warninglist: str | None = typer.Option(
        None, "--list", help="only lists whose name contains this"
    ),
    pending: bool = typer.Option(False, help="hide contributions already released"),
) -> None:
    """List suppressed contributions with the list and the entry that matched."""
    entries = run(
        suppressions.list_suppressed(
            settings().broker,
            topics(),
            partner=partner,
            warninglist=warninglist,
            include_released=not pending,
        )
    )
    table = Table("suppression", "partner", "observable", "list", "matched", "received", "released")
    for entry in entries:
        contribution = entry.suppression.contribution
        table.add_row(
            entry.id[:8],
            contribution.partner,
            f"{contribution.observable_type} {contribution.observable_value}",
            entry.suppression.warninglist,
            entry.suppression.matched,
            contribution.received,
            "yes" if entry.released else "",
        )
    console.print(table)
    console.print(f"{len(entries)} suppressed contribution(s)")


@app.command("release")
def release_command(
    suppression: list[str] = typer.Argument(None, help="suppression ids (or prefixes)"),
    partner: str | None = typer.Option(None, help="release this partner's contributions"),
    warninglist: str | None = typer.Option(
        None, "--list", help="release what lists whose name contains this matched"
    ),
    all_: bool = typer.Option(False, "--all", help="release every pending suppression"),
) -> None:
    """Send suppressed contributions on to correlation (each once), past the lists."""
    if not (suppression or partner or warninglist or all_):
        raise typer.BadParameter("name suppression ids, or --partner, --list or --all")
    entries = run(
        suppressions.list_suppressed(
            settings().broker,
            topics(),
            partner=partner,
            warninglist=warninglist,
            include_released=False,
        )
    )
    chosen = [e for e in entries if not suppression or any(e.id.startswith(p) for p in suppression)]
    count = run(suppressions.release(settings().broker, topics(), chosen))
    console.print(f"released {count} contribution(s) into {topics().admitted}")
