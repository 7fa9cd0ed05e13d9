from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hub.correlate.confidence import noisy_or
from hub.correlate.merge import expire, merge
from hub.store.timestamps import to_us
from hub.timestamps import format_ms, later_by_ms, parse
from schemas.envelopes import Contribution
from schemas.merge import MergeRecord
from schemas.stix.primitives import timestamp_defect

AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


def contribution(partner: str, **changes: object) -> Contribution:
    base = Contribution(
        key="ipv4-addr|198.51.100.7",
        partner=partner,
        received="2026-11-01T10:00:00.000Z",
        ingest_id="i-1",
        object_id="indicator--2f7e4c8e-7a2a-4c5e-8d59-6a1b2c3d4e5f",
        object_type="indicator",
        created="2026-11-01T09:00:00.000Z",
        modified="2026-11-01T09:00:00.000Z",
        observable_type="ipv4-addr",
        observable_value="198.51.100.7",
        pattern="[ipv4-addr:value = '198.51.100.7']",
        crime_code="malicious-code/c2-server",
        confidence=60,
        markings=[AMBER],
        valid_from="2026-11-01T09:00:00.000Z",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_noisy_or_corroboration_raises_confidence() -> None:
    assert noisy_or([60]) == 60
    assert noisy_or([60, 60]) == 84
    assert noisy_or([]) == 0
    assert noisy_or([100, 10]) == 100


def test_first_contribution_is_a_new_version() -> None:
    record, material = merge(None, contribution("isp-a"))
    assert material
    assert record.version == 1
    assert record.changes == ["new-source"]
    assert record.modified == "2026-11-01T09:00:00.000Z"
    assert record.created == record.modified


def test_second_partner_merges_and_raises_confidence() -> None:
    record, _ = merge(None, contribution("isp-a"))
    record, material = merge(record, contribution("bank-b", received="2026-11-01T11:00:00.000Z"))
    assert material
    assert sorted(record.contributions) == ["bank-b", "isp-a"]
    assert record.confidence == 84
    # Same `modified` from both partners: the new version is 1 ms after the previous one.
    assert record.modified == "2026-11-01T09:00:00.001Z"


def test_replaying_the_same_input_publishes_nothing() -> None:
    record, _ = merge(None, contribution("isp-a"))
    again, material = merge(record, contribution("isp-a", received="2026-11-02T10:00:00.000Z"))
    assert not material
    assert again.version == record.version
    assert again.contributions["isp-a"].last_seen == "2026-11-02T10:00:00.000Z"
    assert again.contributions["isp-a"].first_seen == "2026-11-01T10:00:00.000Z"


def test_older_version_from_the_same_partner_is_ignored() -> None:
    record, _ = merge(None, contribution("isp-a", modified="2026-11-01T12:00:00.000Z"))
    same, material = merge(record, contribution("isp-a", confidence=10))
    assert not material
    assert same.contributions["isp-a"].confidence == 60


def test_confidence_change_and_revocation_are_material() -> None:
    record, _ = merge(None, contribution("isp-a"))
    record, material = merge(
        record, contribution("isp-a", modified="2026-11-01T12:00:00.000Z", confidence=90)
    )
    assert material and record.changes == ["confidence"] and record.confidence == 90
    record, material = merge(
        record,
        contribution("isp-a", modified="2026-11-01T13:00:00.000Z", confidence=90, revoked=True),
    )
    assert material and record.changes == ["revocation"]
    assert record.revoked and record.confidence == 0


def test_merge_is_deterministic_byte_for_byte() -> None:
    inputs = [contribution("isp-a"), contribution("bank-b"), contribution("av-c", confidence=30)]

    def run() -> bytes:
        record: MergeRecord | None = None
        for item in inputs:
            record, _ = merge(record, item)
        assert record is not None
        return record.to_bytes()

    assert run() == run()
    assert MergeRecord.from_bytes(run()).to_bytes() == run()


def test_expiry_is_published_once_with_its_own_moment() -> None:
    record, _ = merge(None, contribution("isp-a", valid_until="2026-11-05T00:00:00.000Z"))
    assert expire(record, "2026-11-04T00:00:00.000Z") is None
    expired = expire(record, "2026-11-06T00:00:00.000Z")
    assert expired is not None and expired.changes == ["expiry"]
    assert expired.modified == "2026-11-05T00:00:00.000Z"
    assert expire(expired, "2026-11-07T00:00:00.000Z") is None


def test_redelivered_contribution_resends_the_current_version() -> None:
    from hub.correlate.stage import correlate_message

    table: dict[bytes, bytes] = {}
    key = b"ipv4-addr|198.51.100.7"
    first = correlate_message(table, key, 0, contribution("isp-a").to_bytes())
    assert first is not None
    # A new delivery of the same statement is not material...
    assert correlate_message(table, key, 1, contribution("isp-a").to_bytes()) is None
    # ...but offsets already applied are a crash re-delivery: the version goes out again.
    again = correlate_message(table, key, 0, contribution("isp-a").to_bytes())
    assert again is not None
    assert again.record.modified == first.record.modified
    assert MergeRecord.from_bytes(again.encoded) == again.record


def test_ticks_cut_time_based_versions() -> None:
    from hub.correlate.stage import correlate_message
    from schemas.envelopes import Tick

    table: dict[bytes, bytes] = {}
    key = b"ipv4-addr|198.51.100.7"
    correlate_message(
        table,
        key,
        0,
        contribution("isp-a", embargo_until="2026-11-01T12:00:00.000Z").to_bytes(),
    )
    early = Tick(key.decode(), "embargo-release", "2026-11-01T11:00:00.000Z").to_bytes()
    assert correlate_message(table, key, 1, early) is None
    late = Tick(key.decode(), "embargo-release", "2026-11-01T13:00:00.000Z").to_bytes()
    released = correlate_message(table, key, 2, late)
    assert released is not None
    record = MergeRecord.from_bytes(released.encoded)
    assert record == released.record
    assert record.changes == ["embargo-release"]
    assert record.modified == "2026-11-01T12:00:00.000Z"


def reported(told: Contribution, *, received: str, modified: str) -> Contribution:
    """``told`` reported again: admission sets its embargo's end two hours after it came,
    as isp-a's agreement says."""
    until = format_ms(parse(received) + timedelta(hours=2))
    return replace(told, received=received, modified=modified, embargo_until=until)


def test_a_routine_report_leaves_the_embargo_where_the_statement_first_set_it() -> None:
    from hub.correlate.merge import due_tick, release_embargo

    # isp-a's agreement holds each statement back two hours from its arrival.
    told = contribution("isp-a", embargo_until="2026-11-01T12:00:00.000Z")
    record, _ = merge(None, told)
    # The same statement again an hour later: its embargo does not start over...
    again = reported(told, received="2026-11-01T11:00:00.000Z", modified="2026-11-01T10:30:00.000Z")
    record, material = merge(record, again)
    assert not material
    assert record.contributions["isp-a"].last_seen == "2026-11-01T11:00:00.000Z"
    assert record.contributions["isp-a"].embargo_until == "2026-11-01T12:00:00.000Z"
    # ...so it is released when the first embargo ends,
    released = release_embargo(record, "2026-11-01T12:00:00.000Z")
    assert released is not None and released.modified == "2026-11-01T12:00:00.000Z"
    # and once out, the same statement again is owed no release of its own.
    later = reported(
        again, received="2026-11-01T14:00:00.000Z", modified="2026-11-01T13:30:00.000Z"
    )
    after, material = merge(released, later)
    assert not material and after.contributions["isp-a"].last_seen == later.received
    assert due_tick(after, "2026-11-01T17:00:00.000Z") is None
    # A material change is a new statement: it is held back from its own arrival.
    changed = replace(later, confidence=90)
    update, material = merge(after, changed)
    assert material and update.contributions["isp-a"].embargo_until == "2026-11-01T16:00:00.000Z"
    assert due_tick(update, "2026-11-01T16:00:00.000Z") == "embargo-release"


def test_a_leap_second_merges_in_order_and_stays_a_valid_timestamp() -> None:
    # STIX 2.1 §2.15 allows 23:59:60, which validation admits; datetime has no second 60,
    # and the merge once raised on it - for ever, on every re-delivery of the message.
    # A version's own stamps are written as the store, which reads them with datetime, can.
    leap = "2016-12-31T23:59:60.500Z"
    record, material = merge(None, contribution("isp-a", created=leap, modified=leap))
    assert material and record.modified == "2016-12-31T23:59:59.999Z" == record.created
    later, material = merge(record, contribution("bank-b", modified="2017-01-01T00:00:00.000Z"))
    assert material and later.modified == "2017-01-01T00:00:00.000Z"
    earlier = "2016-12-31T23:59:59.000Z"
    again, material = merge(record, contribution("bank-b", created=earlier, modified=earlier))
    assert material and again.modified == later_by_ms(record.modified)
    for version in (record, later, again):
        assert timestamp_defect(version.modified) is None
        to_us(version.modified)  # raises on a second 60


PHISHING = "fraud/phishing"
C2 = "malicious-code/c2-server"
LATER = "2026-11-01T11:00:00.000Z"  # received after bank-b's report


def test_a_record_keeps_every_crime_code_it_was_classed_under() -> None:
    from hub.correlate.merge import cut_from, version_before

    record, _ = merge(None, contribution("bank-b", crime_code=PHISHING))
    assert record.crime_codes == [PHISHING]
    # One against one: the code told first stays.
    record, _ = merge(record, contribution("av-c", received=LATER))
    assert record.crime_codes == [PHISHING]
    before = record
    record, _ = merge(record, contribution("isp-a", received=LATER))
    assert record.crime_codes == [PHISHING, C2]
    # The version before the move is rebuilt with its own codes for a re-send.
    record.cut_from = cut_from(before, record, None)
    rebuilt, _ = version_before(record)
    assert rebuilt is not None and rebuilt.crime_codes == [PHISHING]
    # The majority goes back: nothing is forgotten, nothing added.
    record, _ = merge(
        record, contribution("av-c", crime_code=PHISHING, modified="2026-11-02T09:00:00.000Z")
    )
    assert record.crime_codes == [PHISHING, C2]
    assert MergeRecord.from_bytes(record.to_bytes()).crime_codes == [PHISHING, C2]


def test_a_tie_leaves_the_indicator_under_the_code_told_first() -> None:
    record, _ = merge(None, contribution("av-c"))
    record, material = merge(record, contribution("bank-b", crime_code=PHISHING, received=LATER))
    assert material and record.crime_codes == [C2]  # not moved to phishing: no copy there


def test_a_record_written_before_it_kept_codes_keeps_the_one_it_had() -> None:
    record, _ = merge(None, contribution("bank-b", crime_code=PHISHING))
    record, _ = merge(record, contribution("av-c", received=LATER))
    record.crime_codes = []  # as a hub version before wrote it
    record, _ = merge(record, contribution("isp-a", received=LATER))  # the move
    assert record.crime_codes == [PHISHING, C2]
