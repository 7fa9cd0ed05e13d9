"""``fusionhub export`` / ``verify`` / ``export-key``: signed liaison exports."""

from __future__ import annotations

from pathlib import Path

import typer

from hub.cli.common import console, errors, run, settings


def export(
    to: str = typer.Option(..., "--to", help="the liaison agency, e.g. nca or interpol"),
    since: str | None = typer.Option(None, help="only objects added after this RFC 3339 time"),
    out: Path | None = typer.Option(None, help="directory to write [export-<agency>-<time>]"),
    store_url: str | None = typer.Option(None, help="store database URL [FUSIONHUB_STORE_URL]"),
    public_key: bool = typer.Option(
        False, "--public-key", help="print the signing key's public part and stop"
    ),
) -> None:
    """Write a signed STIX 2.1 bundle of what a liaison agency may receive."""
    from hub.exports import load_or_create_signing_key, public_key_pem, write_export
    from hub.store import Store, StoreSettings
    from hub.store.timestamps import now_us, to_us

    key = load_or_create_signing_key(settings().data_dir)
    if public_key:
        console.print(public_key_pem(key), end="", markup=False, highlight=False)
        return
    try:
        since_us = to_us(since) if since else None
    except ValueError as exc:
        errors.print(f"[red]bad --since:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    target = out or Path(f"export-{to}-{now_us()}")

    async def write() -> int:
        store = await Store.open(store_url or StoreSettings().store_url, upgrade=False)
        try:
            result = await write_export(store, to, target, key, since_us=since_us, since=since)
        finally:
            await store.close()
        return result.objects

    count = run(write())
    console.print(f"wrote {count} object(s) for {to} to {target} (signed)")


def verify(
    directory: Path = typer.Argument(..., exists=True, file_okay=False),
    key: Path | None = typer.Option(
        None, help="the hub's public key (PEM) [the hub's own key in FUSIONHUB_DATA_DIR]"
    ),
) -> None:
    """Check an export's signature and the SHA-256 of every file in its manifest."""
    from hub.exports import ExportVerificationError, load_or_create_signing_key, verify_export
    from hub.exports.signing import load_public_key

    try:
        public = (
            load_public_key(key.read_bytes())
            if key is not None
            else load_or_create_signing_key(settings().data_dir).public_key()
        )
        files = verify_export(directory, public)
    except ExportVerificationError as exc:
        errors.print(f"[red]verification failed:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"[green]ok[/green] signature and {len(files)} file hash(es) check out")


def export_key() -> None:
    """Print the public part of the export-signing key, for the agencies to pin."""
    from hub.exports import load_or_create_signing_key, public_key_pem

    key = load_or_create_signing_key(settings().data_dir)
    console.print(public_key_pem(key), end="", markup=False, highlight=False)
