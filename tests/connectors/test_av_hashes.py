"""AV vendors' hash feeds: JSON lines, canonical hashes, and bad lines rejected alone."""

from __future__ import annotations

from connectors.av_hashes import AvHashConnector
from hub.admit.admission import Admitter
from schemas.connectors import AvHashFields, AvHashSettings
from schemas.envelopes import Origin
from tests.connectors.conftest import admit_all, file_records

SHARED_SHA256 = "4f2a6c1e9b7d3a5f8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a"
VENDOR_A = AvHashSettings(kind="av-hashes", path="vendor-a.jsonl")
# Vendor B names its keys its own way: the agreement maps them.
VENDOR_B = AvHashSettings(
    kind="av-hashes",
    path="vendor-b.jsonl",
    fields=AvHashFields(
        sha256=["hash_sha256"],
        md5=["hash_md5"],
        malware_family=["family"],
        detection_name=["signature"],
        first_seen=["ts"],
    ),
)


def test_vendor_a_good_lines_all_arrive_and_each_bad_line_is_rejected(admitter: Admitter) -> None:
    records = file_records(AvHashConnector("av-sentinel", VENDOR_A), "vendor-a.jsonl")
    admitted = admit_all(admitter, records)
    assert admitted.values() == {
        1: [f"sha-256:{SHARED_SHA256}"],  # upper case in the feed, canonical here
        2: ["sha-256:b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184"],
        3: ["sha-1:2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"],
        4: ["md5:e4d909c290d0fb1ca068ffaddf22cbd0"],
    }
    assert admitted.rejected() == {
        5: "av-invalid-hash",
        6: "av-no-hash",
        7: "av-invalid-timestamp",
        8: "av-unparsable-json",
        9: "av-not-an-object",
    }
    rejection = admitted.by_line[5].rejections[0]
    assert rejection.origin == Origin("av-hashes", "vendor-a.jsonl", 5)
    assert "SHA-256" in rejection.reason.detail


def test_the_same_file_from_two_vendors_is_one_observable(admitter: Admitter) -> None:
    a = admit_all(
        admitter, file_records(AvHashConnector("av-sentinel", VENDOR_A), "vendor-a.jsonl")
    )
    b = admit_all(
        admitter, file_records(AvHashConnector("av-sentinel", VENDOR_B), "vendor-b.jsonl")
    )
    from_a, from_b = a.by_line[1].contributions[0], b.by_line[1].contributions[0]
    assert from_a.key == from_b.key == f"file|sha-256:{SHARED_SHA256}"
    assert from_a.pattern == from_b.pattern == f"[file:hashes.'SHA-256' = '{SHARED_SHA256}']"
    assert (from_a.malware_family, from_b.malware_family) == ("Emotet", "emotet")
    assert from_a.crime_code == from_b.crime_code == "malicious-code/malware-distribution"
    # Weaker hashes and the detection name are kept for the analyst.
    assert from_a.description is not None and "md5 9e107d9d372bb6826bd81d3542a419d6" in (
        from_a.description
    )
    assert from_b.valid_from == "2026-11-18T22:20:00.000Z"  # epoch seconds
    assert b.rejected() == {3: "av-invalid-hash"}
    assert sorted(b.by_line) == [1, 3, 4]  # the blank line is no record
