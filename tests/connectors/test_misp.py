"""MISP event exports via misp-stix: one record per attribute, markings on every object."""

from __future__ import annotations

import pytest

from connectors.misp import MispConnector
from hub.admit.admission import Admitter
from protocols.tlp import Tlp
from schemas.connectors import MispSettings
from schemas.envelopes import IngestRecord
from schemas.stix import validate_object
from tests.connectors.conftest import RECEIVED, admit_all, file_records

SETTINGS = MispSettings(kind="misp", path="misp-events.json")


@pytest.fixture(scope="module")
def records() -> list[IngestRecord]:
    return file_records(MispConnector("bank-meridian", SETTINGS), "misp-events.json")


def test_every_attribute_arrives_or_is_rejected_alone_at_its_line(
    admitter: Admitter, records: list[IngestRecord]
) -> None:
    admitted = admit_all(admitter, records)
    assert admitted.values() == {
        41: ["meridian-secure-login.example"],
        68: ["https://meridian-secure-login.example/auth/login.php"],
        106: ["security-team@meridian-secure-login.example"],
        162: ["meridian-verify.example"],
        194: ["sha-256:b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184"],
        296: ["45.137.21.9"],  # ip-dst|port: the address is what is keyed and merged
    }
    assert admitted.rejected() == {
        87: "misp-invalid-attribute",  # ip-dst 256.10.10.10
        144: "misp-invalid-attribute",  # no value
        420: "misp-not-an-event",  # "Attribute" is a string in the third event
    }
    # Not for detection (to_ids false): observed-data, admitted, but no indicator.
    assert admitted.by_line[125].contributions == []
    assert [o.id for o in admitted.by_line[125].outcomes] == [
        "observed-data--4fae7096-6eb2-4d5c-8b4e-5d6c7b8a9f0e"
    ]
    rejection = admitted.by_line[87].rejections[0]
    assert (rejection.origin.name, rejection.format) == ("misp-events.json", "misp")
    assert "256.10.10.10" in rejection.reason.detail


def test_known_benign_values_in_an_event_are_suppressed_with_the_list_name(
    admitter: Admitter, records: list[IngestRecord]
) -> None:
    admitted = admit_all(admitter, records)
    suppressed = {
        line: (s.contribution.observable_value, s.warninglist)
        for line, a in admitted.by_line.items()
        for s in a.suppressions
    }
    assert suppressed == {
        315: ("8.8.8.8", "List of known IPv4 public DNS resolvers"),
        334: ("google.com", "List of known google domains"),
        353: ("10.0.0.1", "List of RFC 1918 CIDR blocks"),
    }


def test_each_object_carries_the_strictest_of_tlp_tags_and_distribution(
    records: list[IngestRecord],
) -> None:
    levels = {}
    for record in records:
        if record.origin.line in (87, 144, 420):
            continue
        for obj in MispConnector.decode(record):
            validate_object(obj)
            levels[(record.origin.line, obj["type"])] = obj["object_marking_refs"]
    amber, green, red = (
        [Tlp.AMBER.marking_id],
        [Tlp.GREEN.marking_id],
        [Tlp.RED.marking_id],
    )
    # Event 1 is tlp:amber, distribution "this community" (GREEN): AMBER wins, even for
    # the attribute tagged tlp:green and the one shared with all communities (CLEAR).
    assert levels[(41, "indicator")] == levels[(68, "indicator")] == amber
    assert levels[(41, "observed-data")] == amber
    assert levels[(162, "indicator")] == red  # tagged tlp:red, "your organisation only"
    assert levels[(194, "indicator")] == amber  # a MISP object inherits the event's
    assert levels[(296, "indicator")] == green  # event 2: tlp:green, connected communities


def test_crime_codes_and_families_come_from_tags_and_galaxies(records: list[IngestRecord]) -> None:
    by_line = {r.origin.line: MispConnector.decode(r) for r in records if r.origin.line == 296}
    (c2,) = [o for o in by_line[296] if o["type"] == "indicator"]
    assert c2["pattern"] == "[ipv4-addr:value = '45.137.21.9']"
    assert "dst_port = '8080'" in c2["x_fusion_misp_pattern"]  # misp-stix's, kept
    assert c2["x_fusion_crime_code"] == "malicious-code/c2-server"  # rsit: tag on the event
    assert c2["x_fusion_malware_family"] == "Emotet"  # malpedia galaxy cluster
    (phishing,) = [
        o
        for r in records
        if r.origin.line == 41
        for o in MispConnector.decode(r)
        if o["type"] == "indicator"
    ]
    assert phishing["x_fusion_crime_code"] == "fraud/phishing"


def test_a_file_that_is_not_json_is_one_rejected_record(admitter: Admitter) -> None:
    connector = MispConnector("bank-meridian", SETTINGS)
    (record,) = connector.records(
        b'{"Event": {"info": "cut short"', name="broken.json", digest="d", received=RECEIVED
    )
    (rejection,) = admitter.admit(record).rejections
    assert rejection.reason.code == "misp-unparsable-json"
    assert rejection.origin.name == "broken.json"
