"""A fault of the hub's own while admitting becomes a rejection, not a stalled partner feed.

The decoder and the known-benign check are the Admitter's real extension points; each is
given one that fails the way a bug would, on some input only.
"""

from __future__ import annotations

import orjson

from hub.admit.admission import ADMISSION_FAILED, Admitter
from hub.canonical import Observable
from hub.kafka_io import new_ingest_record
from schemas.agreement import load_agreements
from schemas.envelopes import IngestRecord, Origin
from schemas.stix.types import StixObject
from tests.integration.hub_process import SAMPLE_PARTNERS
from tests.store.stix import indicator

AGREEMENTS = load_agreements(SAMPLE_PARTNERS)


def record(objects: list[object], format: str = "stix") -> IngestRecord:
    raw = orjson.dumps({"objects": objects})
    return new_ingest_record("isp-northnet", raw, origin=Origin(channel="cli"), format=format)


def test_an_object_the_hub_fails_on_is_rejected_and_its_siblings_admitted() -> None:
    def suppressor(observable: Observable) -> tuple[str, str] | None:
        if observable.value == "198.51.0.2":
            raise ZeroDivisionError("a bug in a list lookup")
        return None

    admitter = Admitter(agreements=AGREEMENTS, suppressor=suppressor)
    objects: list[object] = [indicator(1), indicator(2)]
    admission = admitter.admit(record(objects))
    assert [c.observable_value for c in admission.contributions] == ["198.51.0.1"]
    [rejection] = admission.rejections
    assert rejection.reason.code == ADMISSION_FAILED
    assert rejection.reason.index == 1
    assert rejection.reason.object_id == objects[1]["id"]  # type: ignore[index]
    assert "ZeroDivisionError('a bug in a list lookup')" in rejection.reason.detail
    # The object itself is kept, so a replay after the fix admits it.
    assert not rejection.payload_base64
    assert orjson.loads(rejection.payload) == objects[1]


def test_a_record_whose_decoder_fails_is_rejected_whole_and_kept() -> None:
    def broken(record: IngestRecord) -> list[StixObject]:
        raise KeyError("column")

    admitter = Admitter(agreements=AGREEMENTS, decoders={"isp-csv": broken})
    failing = record([indicator(1)], format="isp-csv")
    [rejection] = admitter.admit(failing).rejections
    assert rejection.reason.code == ADMISSION_FAILED
    assert "the isp-csv decoder failed (KeyError('column'))" in rejection.reason.detail
    assert (rejection.payload, rejection.format) == (failing.payload, "isp-csv")
    # The next record of the same partner is admitted as usual.
    assert admitter.admit(record([indicator(3)])).contributions
