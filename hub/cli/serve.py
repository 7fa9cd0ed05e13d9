"""``fusionhub serve``: the hub's API (TAXII 2.1 at /taxii2/) and the sinks that fill its store.

The heavy imports (FastAPI, SQLAlchemy, Kafka clients) wait until the command runs, so the
rest of the CLI starts as fast as before.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

errors = Console(stderr=True)


def serve(
    host: str | None = typer.Option(None, help="address to listen on [FUSIONHUB_API_HOST]"),
    port: int | None = typer.Option(None, help="port to listen on [FUSIONHUB_API_PORT]"),
    tls_cert: Path | None = typer.Option(
        None, help="PEM certificate (chain) for HTTPS [FUSIONHUB_TLS_CERT]"
    ),
    tls_key: Path | None = typer.Option(None, help="PEM private key for HTTPS [FUSIONHUB_TLS_KEY]"),
    store_url: str | None = typer.Option(None, help="store database URL [FUSIONHUB_STORE_URL]"),
    hub_config: Path | None = typer.Option(None, help="hub config YAML [FUSIONHUB_HUB_CONFIG]"),
    sinks: bool = typer.Option(True, "--sinks/--no-sinks", help="fill the store from Kafka"),
    exit_with: int | None = typer.Option(
        None, help="stop when the process with this id exits (used by `fusionhub demo`)"
    ),
) -> None:
    """Serve the hub's API (TAXII 2.1 at /taxii2/) and fill its store from Kafka."""
    from pydantic import ValidationError

    from hub.api.serving import run_server
    from hub.api.settings import ServeSettings
    from hub.logs import configure_logging
    from hub.settings import HubSettings
    from hub.store import StoreError, StoreSettings
    from schemas.agreement import AgreementError
    from schemas.hub_config import HubConfigError

    configure_logging(logging.WARNING)
    overrides: dict[str, Any] = {
        name: value
        for name, value in {
            "api_host": host,
            "api_port": port,
            "tls_cert": tls_cert,
            "tls_key": tls_key,
            "hub_config": hub_config,
        }.items()
        if value is not None
    }
    try:
        settings = ServeSettings(**overrides)
        for path in (settings.tls_cert, settings.tls_key):
            if path is not None and not path.is_file():
                raise ValueError(f"TLS file {path} does not exist or is not a file")
        asyncio.run(
            run_server(
                HubSettings(),
                settings,
                store_url=store_url or StoreSettings().store_url,
                sinks=sinks,
                exit_with=exit_with,
            )
        )
    except (ValidationError, ValueError, HubConfigError, AgreementError, StoreError) as exc:
        errors.print(f"[red]cannot serve:[/red] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass
