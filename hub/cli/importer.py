"""``fusionhub import``: run one connector once on a file or URL, with a progress bar.

The partner's agreement supplies the connector's settings (column mapping, credentials)
when it has a connector of that kind; otherwise the kind's defaults apply. A one-off import
keeps no checkpoint: it sends the whole source. Bad rows are not errors here: the hub
rejects each at admission, with file, line and reason (``fusionhub rejected list``).
"""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import TypeAdapter, ValidationError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from connectors.base import ConnectorError
from connectors.delivery import IngestDelivery
from connectors.delivery import Progress as ProgressCallback
from connectors.registry import CONNECTORS, connector_for
from hub.cli.common import console, errors, run, settings, topics
from hub.kafka_io import IngestProducer
from hub.topics import Topics
from schemas.agreement import AgreementError, PartnerAgreement, load_agreements
from schemas.connectors import AnyConnectorSettings

_SETTINGS: TypeAdapter[AnyConnectorSettings] = TypeAdapter(AnyConnectorSettings)
# Redrawing the bar for every row would cost more than sending it.
_PROGRESS_EVERY = 500


def connector_settings(
    agreement: PartnerAgreement, kind: str, source: str, name: str | None = None
) -> AnyConnectorSettings:
    """The partner's settings for that kind of connector, or the kind's defaults."""
    for configured in agreement.connectors:
        if configured.kind == kind and (name is None or configured.label == name):
            return configured
    if name is not None:
        raise KeyError(f"{agreement.id} has no {kind} connector named {name!r}")
    location = "url" if source.startswith(("http://", "https://")) or kind == "taxii" else "path"
    return _SETTINGS.validate_python({"kind": kind, location: source})


async def run_import(
    bootstrap: str,
    names: Topics,
    partner: str,
    feed: AnyConnectorSettings,
    source: str,
    *,
    base_dir: Path = Path(),
    progress: ProgressCallback | None = None,
) -> int:
    """Send everything ``source`` holds to fusion.ingest as ``partner``; records sent."""
    connector = connector_for(partner, feed, base_dir=base_dir)
    async with IngestProducer(bootstrap, names.ingest) as producer:
        delivery = IngestDelivery(producer, progress=progress)
        await connector.collect(delivery, None, source=source)
        await producer.flush()
    return delivery.sent


def import_command(
    source: str = typer.Argument(..., metavar="FILE_OR_URL", help="a file, a glob or a URL"),
    partner: str = typer.Option(..., help="the partner the data comes from"),
    kind: str = typer.Option(..., help=f"the feed's kind: {', '.join(sorted(CONNECTORS))}"),
    name: str | None = typer.Option(
        None, help="which of the partner's connectors of that kind supplies the settings"
    ),
) -> None:
    """Import a partner's feed once (CSV report, MISP export, hash list, TAXII collection)."""
    hub_settings = settings()
    if kind not in CONNECTORS:
        raise typer.BadParameter(
            f"choose one of {', '.join(sorted(CONNECTORS))}", param_hint="--kind"
        )
    try:
        agreement = load_agreements(hub_settings.partners_dir).get(partner)
    except AgreementError as exc:
        errors.print(f"[red]invalid agreement[/red] {exc}")
        raise typer.Exit(1) from None
    if agreement is None:
        errors.print(
            f"[red]no agreement for partner {partner!r}[/red] in {hub_settings.partners_dir}"
        )
        raise typer.Exit(1)
    if not source.startswith(("http://", "https://")):
        if not Path(source).exists() and "*" not in source:
            errors.print(f"[red]no file at {source}[/red]")
            raise typer.Exit(1)
        source = str(Path(source).resolve())
    try:
        chosen = connector_settings(agreement, kind, source, name)
    except (KeyError, ValidationError) as exc:
        errors.print(f"[red]cannot import[/red]: {exc}")
        raise typer.Exit(1) from None

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(f"{partner} {kind}", total=None)

        def advance(sent: int, total: int | None) -> None:
            if total is not None or sent % _PROGRESS_EVERY == 0:
                bar.update(task, completed=sent, total=total)

        try:
            sent = run(
                run_import(hub_settings.broker, topics(), partner, chosen, source, progress=advance)
            )
        except ConnectorError as exc:
            errors.print(f"[red]import failed[/red]: {exc}")
            raise typer.Exit(1) from None
        bar.update(task, completed=sent, total=sent or 1)
    console.print(
        f"sent {sent} record(s) from {source} as {partner} ({kind}); the hub rejects bad rows "
        f"with file, line and reason: fusionhub rejected list --partner {partner}"
    )
