"""``fusionhub policy explain``: why an audience sees what it sees of one object.

Rebuilds the object's latest curated version from ``fusion.curated``, runs the decision
function for the audience under the agreements as they are now, and prints the verdict
contribution by contribution, then what the audience receives. What was decided for
earlier versions, under the agreements of the time, is in ``fusionhub audit``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import typer
from rich.table import Table

from hub.cli.common import console, errors, run, settings, topics
from hub.disseminate.audiences import contributor_refs, publish
from hub.disseminate.views import hub_identity_id
from hub.kafka_io import read_topics
from hub.topics import Topics
from protocols.audience import Audience, AudienceError, audience_named
from protocols.decision import contribution_tlp
from schemas.agreement import AgreementError, PartnerAgreement, load_agreements
from schemas.merge import MergeRecord

app = typer.Typer(help="Sharing policy: why an audience sees what it sees.")


@dataclass(frozen=True, slots=True)
class ContributionVerdict:
    """One contribution as the audience's decision saw it."""

    partner: str
    marking: str
    crime_code: str
    embargo_until: str
    allowed: bool
    rule: str
    detail: str
    shown_as: str  # the identity the audience sees it attributed to, if allowed


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why ``audience`` sees what it sees of one curated version."""

    audience: Audience
    object_id: str
    version: str
    verdicts: list[ContributionVerdict]
    receives: str  # one line: what the audience gets, or that it gets nothing


def explain(
    record: MergeRecord,
    audience: Audience,
    agreements: Mapping[str, PartnerAgreement],
    *,
    hub_identity: str,
) -> Explanation:
    [publication] = publish(record, [audience], agreements, hub_identity=hub_identity)
    visible = [record.contributions[d.partner] for d in publication.decisions if d.allowed]
    refs = contributor_refs(audience, visible, agreements, hub_identity=hub_identity)
    verdicts = [
        ContributionVerdict(
            partner=d.partner,
            marking=contribution_tlp(record.contributions[d.partner]).label,
            crime_code=record.contributions[d.partner].crime_code,
            embargo_until=record.contributions[d.partner].embargo_until or "",
            allowed=d.allowed,
            rule=str(d.rule),
            detail=d.detail,
            shown_as=_shown_as(refs.get(d.partner), hub_identity),
        )
        for d in publication.decisions
    ]
    stix = publication.stix
    if stix is None:
        receives = f"{audience.label} receives nothing: it may see none of the contributions"
    else:
        marking = ", ".join(stix.get("object_marking_refs", [])) or "no TLP marking"
        receives = (
            f"{audience.label} receives {stix['id']} built from {len(visible)} of "
            f"{len(record.contributions)} contribution(s): confidence {stix['confidence']}, "
            f"crime code {publication.crime_code}, marked {marking}, "
            f"created_by_ref {_shown_as(stix['created_by_ref'], hub_identity)}"
        )
    return Explanation(audience, record.indicator_id, record.modified, verdicts, receives)


def _shown_as(ref: str | None, hub_identity: str) -> str:
    if ref is None:
        return ""
    return "the hub (anonymous)" if ref == hub_identity else ref


async def latest_curated(bootstrap: str, names: Topics, object_id: str) -> MergeRecord | None:
    """The newest curated version of the object with id ``object_id``, if any."""
    latest: MergeRecord | None = None
    needle = object_id.encode()
    async for message in read_topics(bootstrap, topics=[names.curated], idle_timeout_s=1.0):
        if needle not in message.value:
            continue  # cheap skip: most messages are other objects
        record = MergeRecord.from_bytes(message.value)
        if record.indicator_id == object_id and (latest is None or record.version > latest.version):
            latest = record
    return latest


def audience_from_option(label: str, agreements: Mapping[str, PartnerAgreement]) -> Audience:
    """``--to`` as audited (``partner:x``), or a bare partner id or agency for convenience."""
    try:
        return audience_named(label)
    except AudienceError:
        if label in agreements:
            return Audience("partner", label)
        if ":" not in label and label:
            return Audience("liaison", label)
        raise


@app.command("explain")
def explain_command(
    object_id: str = typer.Argument(..., help="the curated object's id (indicator--...)"),
    to: str = typer.Option(..., "--to", help="analysts, partner:<id> or liaison:<agency>"),
) -> None:
    """Print why an audience sees what it sees of an object, contribution by contribution."""
    hub = settings()
    try:
        agreements = load_agreements(hub.partners_dir)
        audience = audience_from_option(to, agreements)
    except (AgreementError, AudienceError) as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    record = run(latest_curated(hub.broker, topics(), object_id))
    if record is None:
        errors.print(f"[red]no curated version of {object_id} on {topics().curated}[/red]")
        raise typer.Exit(1)
    explanation = explain(
        record, audience, agreements, hub_identity=hub_identity_id(hub.hub_identity_name)
    )
    console.print(
        f"[bold]{explanation.object_id}[/bold] version {explanation.version} "
        f"({record.pattern}) to [bold]{audience.label}[/bold], "
        f"under the agreements in {hub.partners_dir}"
    )
    table = Table(
        "contribution of",
        "marking",
        "crime code",
        "embargo until",
        "decision",
        "rule",
        "why",
        "shown as",
    )
    for v in explanation.verdicts:
        verdict = "[green]allowed[/green]" if v.allowed else "[red]denied[/red]"
        table.add_row(
            v.partner,
            v.marking,
            v.crime_code,
            v.embargo_until,
            verdict,
            v.rule,
            v.detail,
            v.shown_as,
        )
    console.print(table)
    console.print(explanation.receives)
