"""File feeds through a real hub: ISP CSV, AV hash lists and MISP events, one worker.

Each file is imported as `fusionhub import` does; the worker admits, suppresses, merges and
publishes. Bad rows land on fusion.rejected with file, line and reason while every good row
arrives; what two sources say about one thing becomes one curated indicator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from hub import suppressions as suppressed
from hub.kafka_io import TopicMessage
from schemas.envelopes import Contribution
from tests.connectors.test_av_hashes import SHARED_SHA256, VENDOR_B
from tests.connectors.test_isp_csv import DRONE
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.connector_hub import (
    CONNECTOR_DATA,
    curated,
    import_file,
    partners_dir,
    rejections,
    suppressions,
)
from tests.integration.hub_process import HubProcess, collect

pytestmark = pytest.mark.integration

AV_SECOND = """id: av-second
name: Second Opinion Antivirus
sector: av-vendor
default_marking: TLP:CLEAR
default_confidence: 75
receives: ["malicious-code/*"]
"""
C2 = "ipv4-addr|45.137.21.9"


@pytest.fixture(scope="module")
def hub(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    workdir = tmp_path_factory.mktemp("files-hub")
    process = HubProcess(
        bootstrap=kafka_broker.bootstrap,
        workdir=workdir,
        partners_dir=partners_dir(workdir / "partners", {"av-second": AV_SECOND}),
    )
    process.prepare_topics()
    process.start()
    yield process
    process.stop()


async def wait_for(
    hub: HubProcess,
    topic: str,
    until: Callable[[list[TopicMessage]], bool],
    *,
    timeout_s: float = 120,
) -> list[TopicMessage]:
    return await collect(
        hub.bootstrap,
        topics=[topic],
        until=until,
        timeout_s=timeout_s,
        settle_s=1.0,
    )


async def test_a_csv_report_arrives_row_by_row_and_each_bad_row_is_rejected(
    hub: HubProcess,
) -> None:
    sent = await import_file(
        hub, "isp-northnet", "isp-csv", CONNECTOR_DATA / "sinkhole-drone.csv", DRONE
    )
    assert sent == 13  # 5 good rows, 8 bad ones

    rejected = rejections(
        await wait_for(hub, hub.topics.rejected, lambda m: len(rejections(m)) >= 8)
    )
    assert {(r.origin.name, r.origin.line, r.reason.code) for r in rejected} == {
        ("sinkhole-drone.csv", 7, "csv-invalid-ip"),
        ("sinkhole-drone.csv", 8, "csv-missing-value"),
        ("sinkhole-drone.csv", 9, "csv-column-count"),
        ("sinkhole-drone.csv", 10, "csv-invalid-port"),
        ("sinkhole-drone.csv", 11, "csv-invalid-timestamp"),
        ("sinkhole-drone.csv", 14, "csv-invalid-ip"),
        ("sinkhole-drone.csv", 15, "csv-encoding"),
        ("sinkhole-drone.csv", 16, "csv-unparsable"),
    }
    assert all(r.partner == "isp-northnet" and r.reason.detail for r in rejected)

    good = {
        "ipv4-addr|62.233.50.102": {"isp-northnet"},
        "ipv4-addr|62.233.50.117": {"isp-northnet"},
        "ipv4-addr|176.113.115.84": {"isp-northnet"},
        "ipv6-addr|2a0d:4f80::1": {"isp-northnet"},
        "ipv4-addr|77.91.68.61": {"isp-northnet"},
        C2: {"isp-northnet"},
        "ipv4-addr|91.214.124.143": {"isp-northnet"},
        "ipv4-addr|193.42.33.15": {"isp-northnet"},
    }
    admitted = [
        Contribution.from_bytes(m.value)
        for m in await wait_for(hub, hub.topics.admitted, lambda m: len(m) >= 9)
    ]
    assert len(admitted) == 9  # every contribution of every good row, C2 twice
    records = await curated(hub, good)
    assert set(good) <= set(records)
    assert (
        records["ipv4-addr|62.233.50.102"].contributions["isp-northnet"].crime_code
        == "malicious-code/infected-system"
    )
    assert records[C2].contributions["isp-northnet"].crime_code == "malicious-code/c2-server"


async def test_the_same_file_from_two_av_vendors_is_one_indicator(hub: HubProcess) -> None:
    await import_file(hub, "av-sentinel", "av-hashes", CONNECTOR_DATA / "vendor-a.jsonl")
    await import_file(hub, "av-second", "av-hashes", CONNECTOR_DATA / "vendor-b.jsonl", VENDOR_B)
    key = f"file|sha-256:{SHARED_SHA256}"
    record = (await curated(hub, {key: {"av-sentinel", "av-second"}}))[key]
    assert set(record.contributions) == {"av-sentinel", "av-second"}, hub.log_tail()
    assert record.pattern == f"[file:hashes.'SHA-256' = '{SHARED_SHA256}']"


async def test_known_benign_values_are_suppressed_while_the_c2_beside_them_is_curated(
    hub: HubProcess,
) -> None:
    await import_file(hub, "bank-meridian", "misp", CONNECTOR_DATA / "misp-events.json")

    # The C2 from the bank's MISP event is the one the ISP's sinkhole report named: one
    # curated indicator, both partners merged.
    record = (await curated(hub, {C2: {"isp-northnet", "bank-meridian"}}))[C2]
    assert set(record.contributions) == {"isp-northnet", "bank-meridian"}, hub.log_tail()

    found = suppressions(
        await wait_for(hub, hub.topics.suppressed, lambda m: len(suppressions(m)) >= 3)
    )
    assert {(s.contribution.observable_value, s.warninglist, s.matched) for s in found} == {
        ("8.8.8.8", "List of known IPv4 public DNS resolvers", "8.8.8.8"),
        ("google.com", "List of known google domains", "google.com"),
        ("10.0.0.1", "List of RFC 1918 CIDR blocks", "10.0.0.0/8"),
    }
    curated_keys = set(await curated(hub, {}))
    assert not {s.contribution.key for s in found} & curated_keys

    # The operator releases the google.com hit: it goes on to correlation, once.
    entries = await suppressed.list_suppressed(hub.bootstrap, hub.topics, warninglist="google")
    assert [e.suppression.contribution.observable_value for e in entries] == ["google.com"]
    assert await suppressed.release(hub.bootstrap, hub.topics, entries) == 1
    released = await curated(hub, {"domain-name|google.com": {"bank-meridian"}})
    assert "domain-name|google.com" in released
    again = await suppressed.list_suppressed(hub.bootstrap, hub.topics, warninglist="google")
    assert [e.released for e in again] == [True]
    assert await suppressed.release(hub.bootstrap, hub.topics, again) == 0
