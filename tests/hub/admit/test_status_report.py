"""The admit stage's status report stays writable however the envelope amplifies it."""

from __future__ import annotations

import orjson

from hub.admit.admission import Admitter
from hub.admit.agents import STATUS_LIMIT, status_report
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
    assert len(raw) <= STATUS_LIMIT
    report = orjson.loads(raw)
    assert report["ingest_id"] == record.ingest_id
    return report


def test_an_ordinary_report_names_every_object() -> None:
    report = report_of([INDICATOR, 7])
    assert [s["id"] for s in report["successes"]] == [INDICATOR["id"]]
    [failure] = report["failures"]
    assert failure["message"].startswith("not-an-object")
    assert "truncated" not in report


def test_an_envelope_of_tiny_invalid_items_gets_a_summary_not_a_refused_message() -> None:
    # 300,000 two-byte items: itemised, the report would be about 25 MB.
    report = report_of([INDICATOR, *([1] * 300_000)])
    assert report["truncated"] is True and report["successes"] == []
    [summary] = report["failures"]
    assert "300001 objects" in summary["message"]
    assert "1 admitted, 300000 rejected" in summary["message"]
    # The TAXII status then fails every posted object with that sentence.
    posted = [status_detail(INDICATOR["id"], INDICATOR["modified"])] + [
        status_detail("", "") for _ in range(300_000)
    ]
    successes, failures = settle(posted, report)
    assert successes == [] and len(failures) == len(posted)
    assert failures[0]["message"] == summary["message"]
