"""The due index: a sweep finds the records due a time-based version without a table scan."""

from __future__ import annotations

import orjson

from hub.correlate.dues import DueIndex
from hub.correlate.merge import apply_tick, due_tick, merge, next_due
from schemas.merge import MergeRecord
from tests.hub.test_merge import contribution

KEY = b"ipv4-addr|198.51.100.7"


def merged(*contributions: object) -> MergeRecord:
    record = None
    for c in contributions:
        record, _ = merge(record, c)  # type: ignore[arg-type]
    assert record is not None
    return record


def test_next_due_is_the_first_embargo_end_or_the_expiry() -> None:
    embargoed = merged(
        contribution("isp-a", valid_until="2026-12-01T00:00:00.000Z"),
        contribution(
            "bank-b",
            embargo_until="2026-11-02T00:00:00.000Z",
            valid_until="2026-12-05T00:00:00.000Z",
        ),
    )
    assert next_due(embargoed) == "2026-11-02T00:00:00.000Z"
    # Once the embargo is released the expiry, the latest valid_until, is next.
    released = apply_tick(embargoed, "embargo-release", "2026-11-02T00:00:00.000Z")
    assert released is not None
    assert next_due(released) == "2026-12-05T00:00:00.000Z"
    expired = apply_tick(released, "expiry", "2026-12-05T00:00:00.000Z")
    assert expired is not None and next_due(expired) is None


def test_a_record_without_end_is_never_due() -> None:
    assert next_due(merged(contribution("isp-a"))) is None
    # One live contribution without valid_until keeps the record alive.
    assert (
        next_due(
            merged(
                contribution("isp-a", valid_until="2026-12-01T00:00:00.000Z"),
                contribution("bank-b"),
            )
        )
        is None
    )


def test_next_due_agrees_with_due_tick() -> None:
    record = merged(contribution("isp-a", valid_until="2026-12-01T00:00:00.000Z"))
    moment = next_due(record)
    assert moment == "2026-12-01T00:00:00.000Z"
    assert due_tick(record, "2026-11-30T23:59:59.999Z") is None
    assert due_tick(record, moment) == "expiry"


def test_the_index_hands_out_each_due_key_once_and_follows_changes() -> None:
    index = DueIndex()
    soon = merged(contribution("isp-a", valid_until="2026-12-01T00:00:00.000Z"))
    later = merged(contribution("isp-a", valid_until="2026-12-09T00:00:00.000Z"))
    index.note(KEY, soon)
    index.note(b"other", later)
    assert index.pop_due("2026-11-30T00:00:00.000Z") == []
    # The record changed before it was due: only its new moment counts.
    index.note(KEY, later)
    assert index.pop_due("2026-12-02T00:00:00.000Z") == []
    assert sorted(index.pop_due("2026-12-09T00:00:00.000Z")) == [KEY, b"other"]
    assert index.pop_due("2026-12-31T00:00:00.000Z") == [] and len(index) == 0


def test_a_record_that_stops_being_due_leaves_the_index() -> None:
    index = DueIndex()
    index.note(KEY, merged(contribution("isp-a", valid_until="2026-12-01T00:00:00.000Z")))
    index.note(KEY, merged(contribution("isp-a")))  # re-reported without an end
    assert len(index) == 0 and index.pop_due("2027-01-01T00:00:00.000Z") == []


def test_rebuild_reads_the_table() -> None:
    index = DueIndex()
    index.note(b"gone", merged(contribution("isp-a", valid_until="2026-12-01T00:00:00.000Z")))
    record = merged(contribution("isp-a", valid_until="2026-12-01T00:00:00.000Z"))
    index.rebuild([(KEY, record.to_bytes()), (b"endless", merged(contribution("x")).to_bytes())])
    assert index.pop_due("2026-12-01T00:00:00.000Z") == [KEY]


def test_a_record_the_index_cannot_read_gets_no_tick_and_stops_nothing() -> None:
    # Left in the table by another hub version: the rebuild (run when partitions are
    # assigned) skips it instead of raising in the rebalance callback.
    due = merged(contribution("isp-a", valid_until="2026-12-01T00:00:00.000Z"))
    odd = due.as_json()
    odd["contributions"]["isp-a"]["valid_until"] = "not a time"
    index = DueIndex()
    index.rebuild(
        [
            (b"unreadable", b'{"written by": "another version"}'),
            (b"odd", orjson.dumps(odd)),
            (KEY, due.to_bytes()),
        ]
    )
    assert index.pop_due("2027-01-01T00:00:00.000Z") == [KEY]
