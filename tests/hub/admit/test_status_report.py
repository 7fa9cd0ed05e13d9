"""The admit stage's status report stays writable however the envelope amplifies it."""

from __future__ import annotations

import gzip
import uuid

import orjson

from hub.admit.admission import Admitter
from hub.admit.stage import STATUS_LIMIT, status_report
from hub.kafka_io import new_ingest_record
from hub.store.status import settle, status_detail
from schemas.agreement import load_agreements
from schemas.envelopes import Origin
from tests.integration.hub_process import SAMPLE_PARTNERS

ADMITTER = Admitter(agreements=load_agreements(SAMPLE_PARTNERS))
INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2026-11-20T08:00:00.000Z",
    "modified": "2026-11-20T08:00:00.000Z",
    "pattern": "[ipv4-addr:value = '91.216.3.4']",
    "pattern_type": "stix",
    "valid_from": "2026-11-20T08:00:00.000Z",
}


def report_of(objects: list[object]) -> dict[str, object]:
    record = new_ingest_record(
        "bank-meridian", orjson.dumps({"objects": objects}), origin=Origin(channel="taxii-push")
    )
    raw = status_report(record, ADMITTER.admit(record))
    # Writable: small enough as it is, or once gzip-compressed as the outbox sends it.
    assert len(raw) <= STATUS_LIMIT or len(gzip.compress(raw)) <= STATUS_LIMIT
    report = orjson.loads(raw)
    assert report["ingest_id"] == record.ingest_id
    return report


def test_an_ordinary_report_names_every_object() -> None:
    report = report_of([INDICATOR, 7])
    assert [s["id"] for s in report["successes"]] == [INDICATOR["id"]]
    [failure] = report["failures"]
    assert failure["message"].startswith("not-an-object")
    assert "truncated" not in report


def test_a_large_envelope_is_still_itemised() -> None:
    # Five thousand objects make a report over 512 KiB: it goes compressed, whole.
    indicators = [
        {
            **INDICATOR,
            "id": f"indicator--{uuid.uuid4()}",
            "pattern": f"[ipv4-addr:value = '91.216.{n // 250}.{n % 250 + 1}']",
        }
        for n in range(5000)
    ]
    report = report_of(indicators)
    assert "truncated" not in report and len(report["successes"]) == 5000


def test_a_report_too_large_even_compressed_is_a_summary() -> None:
    # Invalid objects with random ids: the failures barely compress.
    junk = [{"type": "indicator", "id": f"indicator--{uuid.uuid4()}"} for _ in range(100_000)]
    report = report_of([INDICATOR, *junk])
    assert report["truncated"] is True and report["successes"] == []
    [summary] = report["failures"]
    assert "100001 objects" in summary["message"]
    assert "1 admitted, 100000 rejected" in summary["message"]
    # The TAXII status then fails every posted object with that sentence.
    posted = [status_detail(INDICATOR["id"], INDICATOR["modified"])] + [
        status_detail(str(j["id"]), "") for j in junk
    ]
    successes, failures = settle(posted, report)
    assert successes == [] and len(failures) == len(posted)
    assert failures[0]["message"] == summary["message"]


def test_tiny_invalid_items_never_make_an_unwritable_report() -> None:
    # 300,000 two-byte items: itemised, the report is about 25 MB before compression.
    report_of([INDICATOR, *([1] * 300_000)])
