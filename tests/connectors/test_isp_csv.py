"""ISP sinkhole CSV reports: rows to STIX, and every bad row rejected with file, line, reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import ConnectorError
from connectors.isp_csv import IspCsvConnector
from hub.admit.admission import Admitter, DecodeError
from hub.kafka_io import new_ingest_record
from schemas.connectors import CsvColumns, IspCsvSettings
from schemas.envelopes import Origin, decode_payload
from schemas.stix import validate_object
from tests.connectors.conftest import DATA, admit_all, file_records

DRONE = IspCsvSettings(
    kind="isp-csv",
    path="sinkhole-drone.csv",
    columns=CsvColumns(c2_ip="cc", c2_port="cc_port", count="count"),
)
C2_REPORT = IspCsvSettings(
    kind="isp-csv",
    path="botnet-cc.csv",
    report="c2",
    delimiter=";",
    columns=CsvColumns(
        timestamp="seen_utc",
        ip="ip_address",
        port="dst_port",
        asn="as_number",
        geo="country",
        hostname="rdns",
        malware_family="malware",
    ),
)


def test_drone_report_good_rows_all_arrive_and_each_bad_row_is_rejected_alone(
    admitter: Admitter,
) -> None:
    records = file_records(IspCsvConnector("isp-northnet", DRONE), "sinkhole-drone.csv")
    admitted = admit_all(admitter, records)

    assert admitted.values() == {
        2: ["62.233.50.102", "45.137.21.9"],  # the infected host and the C2 it talked to
        3: ["62.233.50.117", "91.214.124.143"],
        4: ["176.113.115.84"],
        6: ["2a0d:4f80::1", "45.137.21.9"],
        12: ["77.91.68.61", "193.42.33.15"],  # a quoted user agent spans lines 12-13
    }
    assert admitted.rejected() == {
        7: "csv-invalid-ip",
        8: "csv-missing-value",
        9: "csv-column-count",
        10: "csv-invalid-port",
        11: "csv-invalid-timestamp",
        14: "csv-invalid-ip",
        15: "csv-encoding",
        16: "csv-unparsable",
    }
    lines = (DATA / "sinkhole-drone.csv").read_bytes().splitlines()
    for line, admission in admitted.by_line.items():
        for rejection in admission.rejections:
            # The original bytes, the file and line, and the decoder's settings: replayable.
            assert decode_payload(rejection.payload, rejection.payload_base64) == lines[line - 1]
            assert rejection.origin == Origin("csv", "sinkhole-drone.csv", line)
            assert rejection.format == "isp-csv" and rejection.context is not None
            assert rejection.reason.detail


def test_infected_rows_are_observed_hosts_and_c2_rows_are_indicators(admitter: Admitter) -> None:
    records = file_records(IspCsvConnector("isp-northnet", DRONE), "sinkhole-drone.csv")
    objects = IspCsvConnector.decode(records[0])
    host, observed, c2 = objects
    for obj in objects:
        validate_object(obj)
    assert host["type"] == "ipv4-addr" and host["value"] == "62.233.50.102"
    assert host["x_fusion_crime_code"] == "malicious-code/infected-system"
    assert observed["object_refs"] == [host["id"]]
    assert observed["number_observed"] == 3
    assert observed["first_observed"] == "2026-11-19T00:04:12.000Z"
    assert (observed["x_fusion_asn"], observed["x_fusion_geo"], observed["x_fusion_port"]) == (
        "64500",
        "GB",
        49811,
    )
    assert c2["pattern"] == "[ipv4-addr:value = '45.137.21.9']"
    assert c2["x_fusion_crime_code"] == "malicious-code/c2-server"
    assert c2["x_fusion_malware_family"] == "emotet"
    codes = {c.observable_value: c.crime_code for c in admitter.admit(records[0]).contributions}
    assert codes == {
        "62.233.50.102": "malicious-code/infected-system",
        "45.137.21.9": "malicious-code/c2-server",
    }


def test_c2_report_with_its_own_column_names_and_delimiter(admitter: Admitter) -> None:
    records = file_records(IspCsvConnector("isp-northnet", C2_REPORT), "botnet-cc.csv")
    admitted = admit_all(admitter, records)
    assert admitted.values() == {
        2: ["45.137.21.9"],
        3: ["91.214.124.143"],
        4: ["194.58.40.11"],
        6: ["185.215.113.66"],  # epoch seconds are a timestamp too
    }
    assert admitted.rejected() == {5: "csv-invalid-ip", 7: "csv-missing-value"}
    qakbot = admitted.by_line[3].contributions[0]
    assert qakbot.malware_family == "QakBot"
    assert qakbot.name == "C2 server 91.214.124.143:443 (QakBot)"


def test_a_header_without_a_required_column_stops_the_import(tmp_path: Path) -> None:
    settings = IspCsvSettings(kind="isp-csv", path="x.csv", columns=CsvColumns(ip="src_ip"))
    connector = IspCsvConnector("isp-northnet", settings)
    raw = (DATA / "sinkhole-drone.csv").read_bytes()
    with pytest.raises(ConnectorError, match="no column 'src_ip' for 'ip'"):
        list(connector.records(raw, name="x.csv", digest="d", received="2026-11-20T00:00:00Z"))


def test_a_replayed_row_decodes_with_the_context_it_was_rejected_with() -> None:
    records = file_records(IspCsvConnector("isp-northnet", DRONE), "sinkhole-drone.csv")
    bad = next(r for r in records if r.origin.line == 10)
    replayed = new_ingest_record(
        bad.partner,
        bad.raw().replace(b'"http"', b'"50003"'),  # the operator fixed the port
        origin=Origin("replay", bad.origin.name, bad.origin.line),
        format=bad.format,
        context=bad.context,
    )
    with pytest.raises(DecodeError):
        IspCsvConnector.decode(bad)
    assert [o["value"] for o in IspCsvConnector.decode(replayed) if o["type"] == "ipv4-addr"] == [
        "62.233.50.142"
    ]


def test_the_same_file_makes_the_same_records() -> None:
    connector = IspCsvConnector("isp-northnet", DRONE)
    first = file_records(connector, "sinkhole-drone.csv")
    again = file_records(connector, "sinkhole-drone.csv")
    assert [r.ingest_id for r in first] == [r.ingest_id for r in again]
    assert len({r.ingest_id for r in first}) == len(first)
