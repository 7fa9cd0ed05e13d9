"""What every registered connector must share, checked on each one with its sample feed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from connectors.base import Connector
from connectors.registry import CONNECTORS, connector_for, decoders
from hub.admit.admission import Admitter
from schemas.connectors import (
    AnyConnectorSettings,
    AvHashSettings,
    CsvColumns,
    IspCsvSettings,
    MispSettings,
    TaxiiPullSettings,
)
from tests.connectors.conftest import DATA, RecordingDelivery
from tests.connectors.test_taxii import T1, URL, FakeCollection, indicator

SAMPLES: dict[str, AnyConnectorSettings] = {
    "isp-csv": IspCsvSettings(
        kind="isp-csv", path="sinkhole-*.csv", columns=CsvColumns(c2_ip="cc", count="count")
    ),
    "misp": MispSettings(kind="misp", path="misp-events.json"),
    "av-hashes": AvHashSettings(kind="av-hashes", path="vendor-a.jsonl"),
    "taxii": TaxiiPullSettings(kind="taxii", url=URL, page_size=3),
}
PARTNER = "isp-northnet"


@pytest.fixture(autouse=True)
def taxii_collection(monkeypatch: pytest.MonkeyPatch) -> FakeCollection:
    fake = FakeCollection()
    fake.add(T1, *(indicator(n) for n in range(7)))
    monkeypatch.setattr("connectors.taxii.TaxiiSession", lambda url, settings: fake)
    return fake


def test_every_kind_has_a_sample_and_a_settings_model() -> None:
    assert sorted(SAMPLES) == sorted(CONNECTORS)
    adapter: TypeAdapter[AnyConnectorSettings] = TypeAdapter(AnyConnectorSettings)
    for kind, cls in CONNECTORS.items():
        assert cls.kind == kind
        assert isinstance(adapter.validate_python(SAMPLES[kind].model_dump()), cls.settings_type)


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
async def test_a_connector_delivers_records_the_admit_stage_reads(
    kind: str, admitter: Admitter
) -> None:
    connector: Connector[Any] = connector_for(PARTNER, SAMPLES[kind], base_dir=DATA)
    delivery = RecordingDelivery()
    await connector.collect(delivery, None)

    assert delivery.records, "the sample feed delivers records"
    assert len({r.ingest_id for r in delivery.records}) == len(delivery.records)
    for record in delivery.records:
        assert record.partner == PARTNER
        assert record.format == type(connector).format
        assert record.origin.channel == type(connector).channel
        assert record.origin.name
        if record.format != "stix":
            assert record.origin.line is not None and record.origin.line >= 1
        admission = admitter.admit(record)
        # Decoded by the connector's own decoder: whatever fails, fails for a reason of
        # its own (never "no decoder"), and nothing is silently dropped.
        assert all(
            r.reason.code not in ("unknown-format", "unknown-partner") for r in admission.rejections
        )
        assert admission.outcomes
    assert delivery.checkpoint is not None


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
async def test_a_second_run_from_the_checkpoint_delivers_nothing_again(kind: str) -> None:
    connector = connector_for(PARTNER, SAMPLES[kind], base_dir=DATA)
    first = RecordingDelivery()
    await connector.collect(first, None)
    again = RecordingDelivery()
    await connector.collect(again, first.checkpoint)
    assert again.records == []
    # Without the checkpoint (a one-off import) the same records come, with the same ids.
    fresh = RecordingDelivery()
    await connector.collect(fresh, None)
    assert [r.ingest_id for r in fresh.records] == [r.ingest_id for r in first.records]


def test_every_format_that_is_not_stix_has_a_decoder() -> None:
    formats = {cls.format for cls in CONNECTORS.values()}
    assert set(decoders()) == formats - {"stix"}
