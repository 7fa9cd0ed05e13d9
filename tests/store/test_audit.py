"""The audit trail keeps each decision once and answers by object and by audience."""

from __future__ import annotations

from hub.store import Store, query_audit
from schemas.envelopes import AuditRecord
from tests.store.stix import indicator_id


def decision(n: int, audience: str, allowed: bool, day: int = 20) -> AuditRecord:
    return AuditRecord(
        object_id=indicator_id(n),
        version=f"2026-11-{day}T08:00:00.000Z",
        audience=audience,
        partner="bank-meridian",
        allowed=allowed,
        rule="tlp-amber-named-recipient" if allowed else "tlp-amber-not-a-recipient",
        decided_at=f"2026-11-{day}T08:00:00.000Z",
    )


async def test_decisions_are_kept_once_and_found_by_object_and_audience(store: Store) -> None:
    records = [
        decision(1, "analysts", True),
        decision(1, "partner:isp-northnet", True, day=21),
        decision(1, "partner:av-sentinel", False),
        decision(2, "partner:av-sentinel", False),
    ]
    await store.add_audit(records)
    await store.add_audit(records[:2])  # a re-delivery
    about_one = await store.query_audit(object_id=indicator_id(1))
    assert about_one == [records[0], records[2], records[1]]  # oldest decision first
    for_av = await store.query_audit(audience="partner:av-sentinel")
    assert for_av == [records[2], records[3]]
    assert await store.query_audit(object_id=indicator_id(2), audience="analysts") == []


async def test_query_audit_opens_the_store_by_url(store: Store, store_url: str) -> None:
    await store.add_audit([decision(5, "liaison:nca", True)])
    assert await query_audit(indicator_id(5), store_url=store_url) == [
        decision(5, "liaison:nca", True)
    ]
