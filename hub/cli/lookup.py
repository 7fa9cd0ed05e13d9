"""``fusionhub lookup``: what the hub knows about values from a case, defanged or not.

Prints, for each value, the curated indicator (its contributions by partner, the audiences
its latest version is shared with and withheld from, and its versions), the compound patterns
that quote it, and its reports suppressed as known-benign; or that the hub has never been
told of it, or why the value cannot be read. It reads the topics, so it names every
contributor whatever its marking: an operator's tool on the hub's host. Analysts look up on
the dashboard, within their clearance (hub/api/ui/lookup.py).
Exit status: 0 if the hub knows of any value, 1 if of none, 2 if no value given could be read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn

from hub.admit.crime_codes import prevailing_code
from hub.cli.common import console, errors, run, settings, topics
from hub.lookup import Finding, Query, look_up, parse_query
from protocols.decision import contribution_tlp
from schemas.merge import MergeRecord

if TYPE_CHECKING:
    from hub.admit.warninglists import KnownBenign


def read_values(values: list[str], file: str | None) -> list[str]:
    """The values named and those of the file (``-``: standard input), one a line; blank
    lines and ``#`` comments skipped."""
    lines = list(values)
    if file is not None:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        lines.extend(text.splitlines())
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def crime_code(record: MergeRecord) -> str:
    """The code the analysts' topics carry the latest version under."""
    return prevailing_code(list(record.contributions.values()))


def as_json(finding: Finding) -> dict[str, Any]:
    """One finding as a JSON object, for scripts (``--json``)."""
    query, latest = finding.query, finding.latest
    found: dict[str, Any] = {
        "query": query.given,
        "error": query.error,
        "observable_type": query.observable.type if query.observable else None,
        "observable_value": query.canonical or None,
        "indicator_id": query.indicator_id,
        "known": finding.known,
        "curated": None,
        "shared_with": finding.shared_with(),
        "withheld_from": finding.withheld_from(),
        "versions": [
            {"version": v.version, "modified": v.modified, "changes": list(v.changes)}
            for v in finding.history()
        ],
        "mentioned_in": [
            {"indicator_id": ref, "pattern": pattern}
            for ref, pattern in sorted(finding.mentioned_in.items())
        ],
        "suppressed": [entry.report() for entry in finding.suppressed],
        "known_benign": (
            {"warninglist": finding.known_benign[0], "entry": finding.known_benign[1]}
            if finding.known_benign
            else None
        ),
    }
    if latest is not None:
        found["curated"] = {
            "version": latest.version,
            "created": latest.created,
            "modified": latest.modified,
            "changes": latest.changes,
            "confidence": latest.confidence,
            "crime_code": crime_code(latest),
            "revoked": latest.revoked,
            "expired": latest.expired,
            "contributions": [
                {
                    "partner": c.partner,
                    "first_seen": c.first_seen,
                    "last_seen": c.last_seen,
                    "confidence": c.confidence,
                    "marking": contribution_tlp(c).label,
                    "crime_code": c.crime_code,
                    "valid_until": c.valid_until,
                    "revoked": c.revoked,
                    "embargo_until": c.embargo_until,
                }
                for c in latest.contributions.values()
            ],
        }
    return found


def _state(record: MergeRecord) -> str:
    if record.revoked:
        return "[red]revoked[/red]"
    if record.expired:
        return "[yellow]expired[/yellow]"
    return "[green]valid[/green]"


def _print(finding: Finding) -> None:
    query = finding.query
    if query.error is not None:
        error = escape(query.error)
        console.print(f"[bold]{escape(query.given)}[/bold]: [red]cannot read it: {error}[/red]")
        return
    # Values, patterns and list entries are data: escaped, or rich reads [...] as markup.
    named = escape(f"{query.observable.type} {query.canonical}") if query.observable else "?"
    console.print(f"[bold]{escape(query.given)}[/bold] → {named}  {query.indicator_id}")
    latest = finding.latest
    if latest is not None:
        console.print(
            f"  curated, {_state(latest)}: version {latest.version} of {latest.modified} "
            f"({', '.join(latest.changes)}), confidence {latest.confidence}, "
            f"crime code {crime_code(latest)}"
        )
        # A line a contribution, not a table: rich wraps lines at spaces, where a table on an
        # analyst's 80-column terminal would cut partner names and timestamps in two.
        for c in latest.contributions.values():
            told = [
                f"confidence {c.confidence}",
                contribution_tlp(c).label,
                c.crime_code,
                f"first seen {c.first_seen}",
                f"last seen {c.last_seen}",
            ]
            told += [f"embargo until {c.embargo_until}"] if c.embargo_until else []
            told += ["[red]revoked[/red]"] if c.revoked else []
            console.print(f"    [bold]{c.partner}[/bold]: {', '.join(told)}")
        if finding.audiences:
            shared = ", ".join(finding.shared_with()) or "nobody"
            withheld = ", ".join(finding.withheld_from()) or "nobody"
            console.print(f"  shared with: {shared}; withheld from: {withheld}")
        versions = ", ".join(
            f"{v.version} {v.modified} ({', '.join(v.changes)})" for v in finding.history()
        )
        console.print(f"  versions: {versions}")
    for ref, pattern in sorted(finding.mentioned_in.items()):
        console.print(f"  quoted in {ref}: {escape(pattern)}")
    for suppression in finding.suppressed:
        held = suppression.report()
        released = ", since released" if held["released"] else ""
        console.print(
            f"  suppressed: reported by {held['partner']} at {held['received']}, held back by "
            f"'{escape(held['warninglist'])}' (matched {escape(held['matched'])}){released}"
        )
    if finding.known_benign is not None:
        name, entry = finding.known_benign
        console.print(
            f"  on the known-benign list '{escape(name)}' (entry {escape(entry)}): "
            "reports are held back"
        )
    if not finding.known:
        console.print("  [yellow]not reported to the hub[/yellow]")


def _known_benign() -> KnownBenign:
    # Imported here: only a lookup needs the lists (indexing them takes about a second).
    from hub.admit.warninglists import KnownBenign

    return KnownBenign()


def lookup(
    values: list[str] = typer.Argument(
        None,
        help="IP addresses or networks, domains, URLs, e-mail addresses, hashes, STIX "
        "patterns or indicator ids; defanged values (hxxp://bad[.]example) are fine",
    ),
    file: str | None = typer.Option(
        None, "--file", "-f", help="read values from a file, one a line ('-': standard input)"
    ),
    json_lines: bool = typer.Option(False, "--json", help="one JSON object per value"),
) -> None:
    """Look values up: what the hub curated of each, who reported it, what it held back."""
    try:
        texts = read_values(values or [], file)
    except OSError as exc:
        errors.print(f"[red]cannot read {file}: {exc.strerror or exc}[/red]")
        raise typer.Exit(2) from None
    if not texts:
        errors.print("[red]no values to look up: name some, or --file[/red]")
        raise typer.Exit(2)
    queries: list[Query] = [parse_query(text) for text in texts]
    names = topics()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as progress:
        task = progress.add_task(f"reading {names.curated}", total=None)

        def advance(read: int) -> None:
            progress.update(task, description=f"reading {names.curated}: {read:,} version(s)")

        findings = run(
            look_up(
                settings().broker,
                names,
                queries,
                known_benign=_known_benign(),
                progress=advance,
            )
        )
    for finding in findings:
        if json_lines:
            sys.stdout.write(orjson.dumps(as_json(finding)).decode() + "\n")
        else:
            _print(finding)
    if not json_lines:
        curated = sum(1 for f in findings if f.latest is not None)
        unreadable = sum(1 for f in findings if f.query.error is not None)
        unknown = sum(1 for f in findings if not f.known and f.query.error is None)
        console.print(
            f"{len(findings)} value(s): {curated} curated, "
            f"{len(findings) - curated - unknown - unreadable} otherwise known, "
            f"{unknown} not reported, {unreadable} unreadable"
        )
    if all(f.query.error is not None for f in findings):
        raise typer.Exit(2)
    if not any(f.known for f in findings):
        raise typer.Exit(1)
