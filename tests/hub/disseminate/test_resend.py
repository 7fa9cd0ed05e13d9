"""A version sent again after a crash goes where it first went, and nowhere else.

A contribution re-delivered after a crash makes correlate send the record's current version
again (an exact duplicate at worst, never a loss). Disseminate sends a version only to the
audiences whose view it changes, judged against the version before; without that version a
re-send went to every audience that may see something: an audience that sees only part of
the record got a view it already held, stamped with the time something hidden from it
changed. ``MergeRecord.cut_from`` keeps what the judgement needs. The real functions, from
``correlate_message`` through ``DisseminateStage._publish``, no broker.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from hub.correlate.stage import Version, correlate_message
from hub.disseminate.audiences import PublicationPlans, Published, audiences_for
from hub.disseminate.stage import DisseminateStage, _views
from protocols.tlp import TLP2_IDS, Tlp
from schemas.envelopes import Contribution
from schemas.merge import MergeRecord
from tests.protocols.builders import AGREEMENTS, HUB, KEY

PLANS = PublicationPlans(AGREEMENTS, audiences_for(AGREEMENTS), hub_identity=HUB)
# cert-d and INTERPOL may see isp-b's GREEN statement, not bank-a's AMBER one (it names
# isp-b; INTERPOL has isp-b's consent for GREEN only): they see part of the record.
PARTIAL = ("partner:cert-d", "liaison:interpol")


def said(partner: str, level: Tlp, at: str, confidence: int = 60) -> Contribution:
    """``partner``'s statement about the key's domain, made (and received) at ``at``."""
    return Contribution(
        key=KEY,
        partner=partner,
        received=at,
        ingest_id=f"{partner}-{at}",
        object_id=f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, partner)}",
        object_type="indicator",
        created="2026-11-20T07:00:00.000Z",
        modified=at,
        observable_type="domain-name",
        observable_value="login.phish.example",
        pattern="[domain-name:value = 'login.phish.example']",
        crime_code="fraud/phishing",
        confidence=confidence,
        markings=[TLP2_IDS[level]],
        valid_from="2026-11-20T07:00:00.000Z",
    )


def sent(published: Published) -> dict[str, dict[str, Any]]:
    """What each audience is actually sent of a version (disseminate's ``_views``)."""
    return {
        p.audience.label: p.stix
        for p in published.publications
        if p.stix is not None and not p.unchanged
    }


def publish(version: Version | None) -> dict[str, dict[str, Any]]:
    assert version is not None
    return sent(DisseminateStage._publish(PLANS, version))  # as disseminate publishes it


# isp-b's GREEN, bank-a's AMBER, bank-a more confident (news only to who sees bank-a), isp-b
# marks its statement RED (those that saw only it are told it is no longer valid).
HISTORY = [
    said("isp-b", Tlp.GREEN, "2026-11-20T08:00:00.000Z"),
    said("bank-a", Tlp.AMBER, "2026-11-20T09:00:00.000Z"),
    said("bank-a", Tlp.AMBER, "2026-11-20T10:00:00.000Z", confidence=90),
    said("isp-b", Tlp.RED, "2026-11-20T11:00:00.000Z"),
]


def test_each_resend_sends_what_the_version_first_sent_and_nothing_else() -> None:
    table: dict[bytes, bytes] = {}
    for offset, contribution in enumerate(HISTORY):
        first = publish(correlate_message(table, KEY.encode(), offset, contribution.to_bytes()))
        # The worker died before committing: this message and every earlier one not
        # committed come again, and each sends the current version again.
        for again in range(offset + 1):
            message = HISTORY[again].to_bytes()
            assert publish(correlate_message(table, KEY.encode(), again, message)) == first
    # What the history sends, so the comparison above compared something.
    table.clear()
    firsts = [
        publish(correlate_message(table, KEY.encode(), offset, c.to_bytes()))
        for offset, c in enumerate(HISTORY)
    ]
    assert all(label in firsts[0] for label in PARTIAL)
    assert not any(label in firsts[1] or label in firsts[2] for label in PARTIAL)
    for label in PARTIAL:
        withdrawal = firsts[3][label]
        assert withdrawal["valid_until"] == withdrawal["modified"] == "2026-11-20T11:00:00.000Z"


def test_a_resend_after_a_routine_report_still_spares_the_partial_audiences() -> None:
    table: dict[bytes, bytes] = {}
    for offset, contribution in enumerate(HISTORY[:2]):
        correlate_message(table, KEY.encode(), offset, contribution.to_bytes())
    # isp-b reports the same statement again: its `last_seen` moves, no version is cut.
    routine = replace(HISTORY[0], received="2026-11-20T09:30:00.000Z", ingest_id="again")
    assert correlate_message(table, KEY.encode(), 2, routine.to_bytes()) is None
    again = publish(correlate_message(table, KEY.encode(), 1, HISTORY[1].to_bytes()))
    assert "analysts" in again and not any(label in again for label in PARTIAL)


def test_the_version_before_is_kept_only_where_it_differs() -> None:
    table: dict[bytes, bytes] = {}
    for offset, contribution in enumerate(HISTORY[:3]):
        version = correlate_message(table, KEY.encode(), offset, contribution.to_bytes())
    assert version is not None and version.previous is not None
    kept = MergeRecord.from_bytes(table[KEY.encode()]).cut_from
    assert kept is not None
    # bank-a's earlier statement alone; isp-b's is the record's own.
    assert list(kept["contributions"]) == ["bank-a"]
    assert kept["contributions"]["bank-a"]["confidence"] == 60
    assert kept["version"] == version.previous.version == 2
    # A first version is sent to everyone who may see it: nothing to keep.
    table.clear()
    correlate_message(table, KEY.encode(), 0, HISTORY[0].to_bytes())
    assert MergeRecord.from_bytes(table[KEY.encode()]).cut_from is None


def encoded(version: Version | None) -> dict[tuple[str, str], bytes]:
    """The bytes each audience's topic gets of a version (disseminate's ``_views``)."""
    assert version is not None
    published = DisseminateStage._publish(PLANS, version)
    return {
        (audience.label, code): view
        for audience, code, view in _views(published, version.record.crime_codes)
    }


def test_a_resend_after_routine_reports_sends_the_bytes_first_sent() -> None:
    """Reported again since without a material change (a later ``last_seen``, a later
    ``modified``, a new description), the contributions moved on; the version sent again
    is the one that went out, byte for byte, or an audience would hold two messages of one
    id and ``modified`` that differ."""
    table: dict[bytes, bytes] = {}
    for offset, contribution in enumerate(HISTORY[:2]):
        version = correlate_message(table, KEY.encode(), offset, contribution.to_bytes())
    first = encoded(version)
    routines = [
        replace(
            HISTORY[0], received="2026-11-20T09:30:00.000Z", modified="2026-11-20T09:30:00.000Z"
        ),
        replace(HISTORY[1], received="2026-11-20T09:40:00.000Z", description="seen again"),
        replace(
            HISTORY[0], received="2026-11-20T09:50:00.000Z", modified="2026-11-20T09:50:00.000Z"
        ),
    ]
    for offset, routine in enumerate(routines, start=2):
        assert correlate_message(table, KEY.encode(), offset, routine.to_bytes()) is None
    again = encoded(correlate_message(table, KEY.encode(), 1, HISTORY[1].to_bytes()))
    assert again == first
    assert any(label == "analysts" for label, _ in first)
    # The routine reports stay in the record for its next version all the same.
    stored = MergeRecord.from_bytes(table[KEY.encode()])
    assert stored.contributions["isp-b"].last_seen == "2026-11-20T09:50:00.000Z"
    assert stored.contributions["bank-a"].description == "seen again"
    assert stored.as_cut is not None and sorted(stored.as_cut) == ["bank-a", "isp-b"]
    assert stored.as_cut["isp-b"]["last_seen"] == "2026-11-20T08:00:00.000Z"
    # The next version holds them, and keeps nothing more.
    later = said("bank-a", Tlp.AMBER, "2026-11-20T10:00:00.000Z", confidence=90)
    assert correlate_message(table, KEY.encode(), 5, later.to_bytes()) is not None
    assert MergeRecord.from_bytes(table[KEY.encode()]).as_cut is None
