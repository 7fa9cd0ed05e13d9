"""Merging a partner's contribution into the record of its observable.

Pure functions: the correlate stage calls them for every admitted contribution, tests call
them directly. A new curated version is cut only on a MATERIAL change (new source,
confidence, marking, revocation, expiry); a replay of the same input changes nothing.
"""

from __future__ import annotations

from typing import Any

from hub.admit.crime_codes import prevailing_code
from hub.canonical import indicator_id_for_key
from hub.correlate.confidence import noisy_or
from hub.timestamps import later_by_ms, max_ts, parse
from schemas.envelopes import SHARING_TICK, Contribution
from schemas.merge import MergeRecord, PartnerContribution


def _as_partner_contribution(
    contribution: Contribution, first_seen: str | None = None
) -> PartnerContribution:
    return PartnerContribution(
        partner=contribution.partner,
        first_seen=first_seen or contribution.received,
        last_seen=contribution.received,
        object_id=contribution.object_id,
        created=contribution.created,
        modified=contribution.modified,
        confidence=contribution.confidence,
        markings=sorted(contribution.markings),
        crime_code=contribution.crime_code,
        valid_from=contribution.valid_from,
        valid_until=contribution.valid_until,
        revoked=contribution.revoked,
        indicator_types=sorted(contribution.indicator_types),
        labels=sorted(contribution.labels),
        name=contribution.name,
        description=contribution.description,
        malware_family=contribution.malware_family,
        embargo_until=contribution.embargo_until,
    )


def _material_differences(old: PartnerContribution, new: PartnerContribution) -> list[str]:
    changes = []
    if old.confidence != new.confidence:
        changes.append("confidence")
    if old.markings != new.markings:
        changes.append("marking")
    if old.revoked != new.revoked:
        changes.append("revocation")
    if old.valid_until != new.valid_until:
        changes.append("expiry")
    if old.crime_code != new.crime_code:
        changes.append("crime-code")
    return changes


def merge(record: MergeRecord | None, contribution: Contribution) -> tuple[MergeRecord, bool]:
    """The record after ``contribution``, and whether it is a new curated version."""
    if record is None:
        record = MergeRecord(
            key=contribution.key,
            observable_type=contribution.observable_type,
            observable_value=contribution.observable_value,
            pattern=contribution.pattern,
            indicator_id=indicator_id_for_key(contribution.key),
            contributions={},
        )
    contributions = dict(record.contributions)
    existing = contributions.get(contribution.partner)
    if existing is None:
        contributions[contribution.partner] = _as_partner_contribution(contribution)
        changes = ["new-source"]
    else:
        if parse(contribution.modified) < parse(existing.modified):
            return record, False  # an older version of what the partner already told us
        updated = _as_partner_contribution(contribution, first_seen=existing.first_seen)
        if parse(updated.last_seen) < parse(existing.last_seen):
            updated.last_seen = existing.last_seen
        changes = _material_differences(existing, updated)
        contributions[contribution.partner] = updated
        if not changes:
            # Same statement again (a re-delivery or a routine re-report): note when it was
            # last seen, but publish nothing. Its embargo still runs from when the statement
            # was first told: a re-report restarting it would hold the statement back for as
            # long as the partner keeps reporting it, and cut a release of nothing new once
            # it was out. The contribution as the version was cut is kept, for a re-send of
            # that version.
            updated.embargo_until = existing.embargo_until
            seen = record.copy()
            seen.contributions = contributions
            kept = record.as_cut or {}
            if record.version and contribution.partner not in kept and updated != existing:
                seen.as_cut = {**kept, contribution.partner: existing.as_json()}
            return seen, False
    return _new_version(record, contributions, changes), True


def _new_version(
    record: MergeRecord, contributions: dict[str, PartnerContribution], changes: list[str]
) -> MergeRecord:
    live = [c for c in contributions.values() if not c.revoked]
    # `modified` comes from the contributions, never the wall clock, so replaying the same
    # input reproduces each version byte for byte; +1 ms keeps versions strictly ordered.
    modified = max_ts([c.modified for c in contributions.values()])
    if record.modified and parse(modified) <= parse(record.modified):
        modified = later_by_ms(record.modified)
    version = record.copy()
    version.contributions = contributions
    version.version = record.version + 1
    version.created = record.created or modified
    version.modified = modified
    version.confidence = noisy_or(c.confidence for c in live)
    version.revoked = not live
    version.changes = changes
    version.crime_codes = _crime_codes(record, contributions)
    return version


def _crime_codes(record: MergeRecord, contributions: dict[str, PartnerContribution]) -> list[str]:
    """The codes the record has been classed under, with the one its contributions give now.

    A record written before it kept them has been classed under its contributions' code.
    """
    codes = record.crime_codes
    if not codes and record.contributions:
        codes = [prevailing_code(list(record.contributions.values()))]
    code = prevailing_code(list(contributions.values()))
    return codes if code in codes else sorted([*codes, code])


def release_embargo(record: MergeRecord, now: str) -> MergeRecord | None:
    """The version that lifts embargoes ended by ``now`` but not yet published.

    Its `modified` is the moment the (latest) embargo ended, so audiences' decisions, made
    at the version's `modified`, see the contribution released - on every replay alike.
    """
    ended = [until for until in _embargoes_ahead(record) if parse(until) <= parse(now)]
    if not ended or record.version == 0:
        return None
    until = max_ts(ended)
    modified = until if parse(until) > parse(record.modified) else later_by_ms(record.modified)
    released = record.copy()
    released.version = record.version + 1
    released.modified = modified
    released.changes = ["embargo-release"]
    released.held_until_release = None  # this version withdraws them (its ``previous``'s)
    return released


def hold_until_release(record: MergeRecord, held: dict[str, Any]) -> MergeRecord | None:
    """``record`` keeping ``held`` (an ``embargo-hold`` tick's views) until its embargo ends;
    None if no update of it is under embargo any more (the tick came too late to matter).

    An audience keeps the first view held: the one from before the embargo, which later
    updates under it did not change for the audience.
    """
    if not _embargoes_ahead(record):
        return None
    kept = record.copy()
    kept.held_until_release = {**held, **(record.held_until_release or {})}
    return kept


def _embargoes_ahead(record: MergeRecord) -> list[str]:
    """The ends of the contributions' embargoes that the current version is still under."""
    return [
        c.embargo_until
        for c in record.contributions.values()
        if c.embargo_until is not None and parse(record.modified) < parse(c.embargo_until)
    ]


def due_tick(record: MergeRecord, now: str) -> str | None:
    """Which time-based version (if any) the record is due at ``now``."""
    if release_embargo(record, now) is not None:
        return "embargo-release"
    if expire(record, now) is not None:
        return "expiry"
    return None


def apply_tick(record: MergeRecord, tick: str, now: str) -> MergeRecord | None:
    if tick == "embargo-release":
        return release_embargo(record, now)
    if tick == "expiry":
        return expire(record, now)
    if tick == SHARING_TICK:
        return reshared(record, now)
    raise ValueError(
        f"unknown tick {tick!r}; expected 'embargo-release', 'expiry' or '{SHARING_TICK}'"
    )


def reshared(record: MergeRecord, now: str) -> MergeRecord | None:
    """The version that carries a change of the agreements to the audiences it concerns.

    Nothing in the record changes but its `modified`: the moment the hub found the change
    (the tick's, so a replay is the same), or just after the version before. Versions after
    it are later still, so an audience that gets it keeps it until the next one.
    """
    if record.version == 0:
        return None
    modified = now if parse(now) > parse(record.modified) else later_by_ms(record.modified)
    version = record.copy()
    version.version = record.version + 1
    version.modified = modified
    version.changes = [SHARING_TICK]
    return version


def expire(record: MergeRecord, now: str) -> MergeRecord | None:
    """The expiry version of a record whose every live contribution's valid_until has passed.

    Its `modified` is the moment it expired (the latest valid_until), so it too is the same
    on every replay.
    """
    if record.expired or record.revoked:
        return None
    live = [c for c in record.contributions.values() if not c.revoked]
    if not live or any(c.valid_until is None for c in live):
        return None
    until = max_ts([c.valid_until for c in live if c.valid_until is not None])
    if parse(until) > parse(now):
        return None
    modified = until if parse(until) > parse(record.modified) else later_by_ms(record.modified)
    expired = record.copy()
    expired.version = record.version + 1
    expired.modified = modified
    expired.expired = True
    expired.changes = ["expiry"]
    return expired


def next_due(record: MergeRecord) -> str | None:
    """The earliest moment ``due_tick`` will have a version for ``record``, if no new
    contribution comes first: the first embargo not yet released, or the expiry."""
    moments = _embargoes_ahead(record)
    live = [c for c in record.contributions.values() if not c.revoked]
    if live and not (record.expired or record.revoked):
        untils = [c.valid_until for c in live]
        if all(until is not None for until in untils):
            moments.append(max_ts([u for u in untils if u is not None]))
    return min(moments, key=parse) if moments and record.version else None


def cut_from(
    previous: MergeRecord | None, record: MergeRecord, held: dict[str, Any] | None
) -> dict[str, Any] | None:
    """What a re-send of ``record``'s version after a crash needs (``MergeRecord.cut_from``).

    Disseminate sends a version only to the audiences whose view it changes, judged against
    the version before (hub/disseminate/audiences.py); a re-send without that version would
    go to every audience that may see something, telling one that sees only part of the
    record that something hidden from it changed, and when; and a withdrawal would be lost.
    Kept: the record's own fields that differ between versions, and only the contributions
    this version changed (None: new in it), so a record that grows by updates stays small. The
    ``held`` views a sharing or embargo-release version was sent with are kept too. None
    for a first version, which goes to everyone who may see it anyway.
    """
    if previous is None or not previous.version:
        return None
    now, then = record.contributions, previous.contributions
    changed: dict[str, Any] = {}
    for partner, contribution in now.items():
        old = then.get(partner)
        if old is None:
            changed[partner] = None
        elif old is not contribution and old != contribution:
            changed[partner] = old.as_json()
    for partner, old in then.items():  # a contribution is never dropped; if one ever is
        if partner not in now:
            changed[partner] = old.as_json()
    kept: dict[str, Any] = {
        "version": previous.version,
        "modified": previous.modified,
        "confidence": previous.confidence,
        "revoked": previous.revoked,
        "expired": previous.expired,
        "changes": previous.changes,
        "contributions": changed,
        "held": held,
    }
    if previous.crime_codes != record.crime_codes:  # the version moved to another code
        kept["crime_codes"] = previous.crime_codes
    return kept


def as_cut(record: MergeRecord) -> MergeRecord:
    """``record``'s current version as it was cut and sent: the contributions reported again
    since without a material change as they were then (``MergeRecord.as_cut``)."""
    kept = record.as_cut
    if not kept:
        return record
    cut = _with_contributions(record, kept)
    cut.as_cut = None
    return cut


def version_before(record: MergeRecord) -> tuple[MergeRecord | None, dict[str, Any] | None]:
    """The version ``record``'s current one was cut from, as its audiences were judged
    against, and the held views it was sent with: (None, None) for a first version, or a
    record kept before ``cut_from`` was.

    Given the version as it was cut (``as_cut``), a contribution reported again since
    without a material change is on both sides as it was then.
    """
    kept = record.cut_from
    if kept is None:
        return None, None
    before = _with_contributions(record, kept["contributions"])
    before.version = kept["version"]
    before.modified = kept["modified"]
    before.confidence = kept["confidence"]
    before.revoked = kept["revoked"]
    before.expired = kept["expired"]
    before.changes = kept["changes"]
    before.crime_codes = kept.get("crime_codes", record.crime_codes)
    before.cut_from = None
    held: dict[str, Any] | None = kept["held"]
    return before, held


def _with_contributions(record: MergeRecord, kept: dict[str, Any]) -> MergeRecord:
    """A copy of ``record`` with the contributions ``kept`` (as JSON, by partner) put back;
    a partner kept as None had none."""
    contributions = dict(record.contributions)
    for partner, old in kept.items():
        if old is None:
            contributions.pop(partner, None)
        else:
            contributions[partner] = PartnerContribution.from_json(old)
    restored = record.copy()
    restored.contributions = contributions
    return restored
