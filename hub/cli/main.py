"""``fusionhub``: run the hub, feed it, watch it, and operate it."""

from __future__ import annotations

from pathlib import Path

import typer

from hub.cli import broker, export, policy, rejected, suppressed
from hub.cli.audit import audit
from hub.cli.common import console, errors, run, settings, topics
from hub.cli.demo import demo
from hub.cli.importer import import_command
from hub.cli.lookup import lookup
from hub.cli.serve import serve
from hub.cli.tail import tail
from hub.kafka_io import IngestProducer, new_ingest_record
from protocols.audience import DEFAULT_LIAISON_AGENCIES
from schemas.agreement import AgreementError, agreement_problems, load_agreements
from schemas.envelopes import CLI_IMPORT, Origin

app = typer.Typer(help="Fusion Hub: streaming e-crime intelligence sharing.", no_args_is_help=True)
app.add_typer(rejected.app, name="rejected")
app.add_typer(broker.app, name="broker")
app.command("tail")(tail)
app.command("demo")(demo)
app.command("audit")(audit)
app.command("lookup")(lookup)
app.command("serve")(serve)
app.add_typer(policy.app, name="policy")
app.add_typer(suppressed.app, name="suppressed")
app.command("import")(import_command)
app.command("export")(export.export)
app.command("verify")(export.verify)
app.command("export-key")(export.export_key)

partners = typer.Typer(help="Partner agreements.")
app.add_typer(partners, name="partners")


@app.command("run")
def run_command() -> None:
    """Run a hub worker (admit, correlate, disseminate) against the configured broker."""
    from hub.worker import run_worker

    run_worker(settings())


@app.command("ingest")
def ingest_command(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="STIX JSON files"),
    partner: str = typer.Option(..., help="the partner the data comes from"),
) -> None:
    """Put STIX bundles/envelopes/objects from files on fusion.ingest as one partner."""

    async def send() -> int:
        async with IngestProducer(settings().broker, topics().ingest) as producer:
            for path in files:
                record = new_ingest_record(
                    partner, path.read_bytes(), origin=Origin(channel=CLI_IMPORT, name=path.name)
                )
                await producer.send(record)
            await producer.flush()
        return len(files)

    console.print(f"sent {run(send())} record(s) as {partner}")


@partners.command("check")
def partners_check(directory: Path = typer.Argument(..., exists=True, file_okay=False)) -> None:
    """Validate every partner agreement in a directory."""
    try:
        agreements = load_agreements(directory)
    except AgreementError as exc:
        errors.print(f"[red]invalid agreement[/red] {exc}")
        raise typer.Exit(1) from None
    for agreement in agreements.values():
        console.print(f"[green]ok[/green] {agreement.id}: {agreement.name} ({agreement.sector})")
    from hub.admit.crime_codes import rsit_codes  # loads the RSIT taxonomy: only here

    problems = agreement_problems(
        agreements, crime_codes=rsit_codes(), agencies=DEFAULT_LIAISON_AGENCIES
    )
    for problem in problems:
        errors.print(f"[{'red' if problem.fatal else 'yellow'}]{problem}[/]")
    if any(problem.fatal for problem in problems):
        raise typer.Exit(1)


def main() -> None:
    app()
