"""The lookup's reading of an analyst's values, and its matching of the topics' messages."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hub.correlate.merge import merge
from hub.lookup import Lookup, parse_query, refang
from hub.suppressions import suppressed_entries, suppression_id
from schemas.envelopes import AuditedDecision, Contribution, Suppression, VersionAudit
from schemas.merge import MergeRecord
from tests.hub.test_merge import contribution


@pytest.mark.parametrize(
    ("defanged", "refanged"),
    [
        ("91.215.85[.]201", "91.215.85.201"),
        ("hxxps://login-verify[.]example/acc", "https://login-verify.example/acc"),
        ("hXXp[://]bad(.)example{.}com/", "http://bad.example.com/"),
        ("victim[at]mail[dot]example", "victim@mail.example"),
        ("fxp://files(dot)example/x", "ftp://files.example/x"),
        ("  '<evil.example>'  ", "evil.example"),
        ("https://plain.example/", "https://plain.example/"),
    ],
)
def test_refang_undoes_the_usual_defanging(defanged: str, refanged: str) -> None:
    assert refang(defanged) == refanged


@pytest.mark.parametrize(
    ("given", "kind", "value"),
    [
        ("91.215.85[.]201", "ipv4-addr", "91.215.85.201"),
        ("10.1.0.0/16", "ipv4-addr", "10.1.0.0/16"),
        ("2001:DB8:0:0:0:0:0:1", "ipv6-addr", "2001:db8::1"),
        ("[2001:db8::1]", "ipv6-addr", "2001:db8::1"),
        ("Example.COM.", "domain-name", "example.com"),
        ("HXXPS://Login-Verify[.]Example:443/acc", "url", "https://login-verify.example/acc"),
        ("Victim[@]Mail.Example", "email-addr", "Victim@mail.example"),
        ("D41D8CD98F00B204E9800998ECF8427E", "file", "md5:d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1:" + "AB" * 20, "file", "sha-1:" + "ab" * 20),
        ("ab" * 32, "file", "sha-256:" + "ab" * 32),
        ("[ipv4-addr:value = '198.51.100.7']", "ipv4-addr", "198.51.100.7"),
        (
            "[ipv4-addr:value = '198.51.100.7']  AND [domain-name:value = 'x.example']",
            "pattern",
            "[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'x.example']",
        ),
    ],
)
def test_a_value_is_keyed_as_admission_keys_it(given: str, kind: str, value: str) -> None:
    query = parse_query(given)
    assert query.error is None
    assert query.observable is not None
    assert (query.observable.type, query.observable.value) == (kind, value)
    assert query.indicator_id == query.observable.indicator_id


def test_a_pattern_is_taken_as_written_not_refanged() -> None:
    pattern = "[url:value MATCHES '^https://a(.)example/']"
    assert parse_query(pattern).canonical == pattern


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("", "an empty value"),
        ("999.1.1.1", "ipv4-addr value '999.1.1.1': Octet 999 (> 255) not permitted"),
        ("1.2.3.4/33", "ipv4-addr value '1.2.3.4/33': '33' is not a valid netmask"),
        ("2001:zz::1", "ipv6-addr value '2001:zz::1': Only hex digits permitted"),
        ("md5:abc", "file value 'abc': not a MD5 digest (32 hex digits)"),
        ("indicator--not-a-uuid", "not an indicator id (indicator--<uuid>)"),
        ("http://", "url value 'http://': not an absolute URL with a host"),
        ("not an ioc", "'not an ioc' is not an IP address or network, domain name, URL"),
    ],
)
def test_a_value_that_is_no_observable_says_why(given: str, reason: str) -> None:
    query = parse_query(given)
    assert query.observable is None and query.indicator_id is None
    assert query.error is not None and query.error.startswith(reason)


def test_an_indicator_id_is_looked_up_as_it_is() -> None:
    query = parse_query("indicator--2f7e4c8e-7a2a-4c5e-8d59-6a1b2c3d4e5f")
    assert query.indicator_id == "indicator--2f7e4c8e-7a2a-4c5e-8d59-6a1b2c3d4e5f"
    assert query.observable is None and query.error is None


def versions(*told: Contribution) -> list[MergeRecord]:
    """The curated versions the contributions cut, in turn."""
    record, cut = None, []
    for c in told:
        record, new = merge(record, c)
        if new:
            cut.append(record)
    return cut


def curated(lookup: Lookup, records: list[MergeRecord]) -> None:
    for record in records:
        lookup.curated(record.key.encode(), record.to_bytes())


def test_the_lookup_gathers_an_indicators_versions_once_each() -> None:
    address = versions(
        contribution("isp-a"),
        contribution("bank-b", received="2026-11-01T11:00:00.000Z", confidence=80),
    )
    other = versions(
        contribution(
            "isp-a",
            key="ipv4-addr|198.51.100.8",
            observable_value="198.51.100.8",
            pattern="[ipv4-addr:value = '198.51.100.8']",
        )
    )
    lookup = Lookup([parse_query("198.51.100[.]7"), parse_query("203.0.113.9")])
    curated(lookup, [*address, *other, address[0]])  # the first version re-delivered
    found, unknown = lookup.findings
    assert found.latest is not None and found.latest.version == 2
    assert set(found.latest.contributions) == {"isp-a", "bank-b"}
    assert [v.version for v in found.history()] == [1, 2]
    assert found.known
    assert unknown.latest is None and not unknown.known


def test_a_query_by_id_finds_the_indicator_and_learns_its_observable() -> None:
    [record] = versions(contribution("isp-a"))
    by_id = parse_query(record.indicator_id)
    lookup = Lookup([by_id, parse_query("198.51.100.7")])
    curated(lookup, [record])
    lookup.resolve_ids()
    for finding in lookup.findings:
        assert finding.latest is not None and finding.latest.indicator_id == record.indicator_id
    assert lookup.findings[0].query.canonical == "198.51.100.7"


def test_a_compound_pattern_that_quotes_the_value_is_named() -> None:
    compound = "[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'c2.example']"
    near_miss = "[ipv4-addr:value = '198.51.100.70'] AND [domain-name:value = 'C2.example']"
    records = [
        version
        for p in (compound, near_miss)
        for version in versions(
            contribution("av-c", key=f"pattern|{p}", observable_type="pattern", pattern=p)
        )
    ]
    lookup = Lookup([parse_query("198.51.100.7"), parse_query("C2.Example")])
    curated(lookup, records)
    address, domain = lookup.findings
    assert address.mentioned_in == {records[0].indicator_id: compound}
    assert address.latest is None and address.known
    # A host name is found whatever its case in the pattern.
    assert set(domain.mentioned_in) == {r.indicator_id for r in records}


def test_a_hash_is_found_in_a_compound_pattern_under_any_of_its_names_and_cases() -> None:
    digest = "d41d8cd98f00b204e9800998ecf8427e"
    compound = f"[file:hashes.MD5 = '{digest.upper()}'] AND [file:name = 'invoice.exe']"
    [record] = versions(
        contribution("av-c", key=f"pattern|{compound}", observable_type="pattern", pattern=compound)
    )
    lookup = Lookup([parse_query(digest), parse_query("md5:" + "0" * 32)])
    curated(lookup, [record])
    found, other = lookup.findings
    assert found.mentioned_in == {record.indicator_id: compound}
    assert other.mentioned_in == {}


def test_suppressed_reports_count_once_and_say_whether_released() -> None:
    told = contribution("bank-b", key="ipv4-addr|8.8.8.8", observable_value="8.8.8.8")
    held = Suppression(told, "List of known IPv4 public DNS resolvers", "8.8.8.8")
    again = Suppression(replace(told, ingest_id="i-2"), held.warninglist, held.matched)
    # Another ingest record's object (one object of one record is one suppression).
    elsewhere = Suppression(
        contribution("bank-b", ingest_id="i-3"), held.warninglist, "198.51.100.7"
    )
    lookup = Lookup([parse_query("8.8.8.8")])
    released = {suppression_id(again)}
    # The first re-delivered, as fusion.suppressed holds it then.
    lookup.suppressed(suppressed_entries([held, held, again, elsewhere], released))
    [finding] = lookup.findings
    reports = sorted((e.report() for e in finding.suppressed), key=lambda r: r["released"])
    assert [(r["partner"], r["matched"], r["released"]) for r in reports] == [
        ("bank-b", "8.8.8.8", False),
        ("bank-b", "8.8.8.8", True),
    ]
    assert finding.known and finding.latest is None


def test_the_latest_versions_decisions_say_who_may_see_it() -> None:
    first, latest = versions(
        contribution("isp-a"),
        contribution("bank-b", received="2026-11-01T11:00:00.000Z", confidence=80),
    )
    lookup = Lookup([parse_query("198.51.100.7")])
    curated(lookup, [first, latest])
    assert lookup.curated_ids() == {latest.indicator_id.encode()}

    def decided(version: MergeRecord, *decisions: tuple[str, str, bool]) -> bytes:
        return VersionAudit(
            version.indicator_id,
            version.modified,
            version.modified,
            [AuditedDecision(a, p, allowed, "rule") for a, p, allowed in decisions],
        ).to_bytes()

    # The first version's decisions are history: the partner it reached then is not counted.
    lookup.audit(decided(first, ("partner:c", "isp-a", True), ("analysts", "isp-a", True)))
    lookup.audit(
        decided(
            latest,
            ("analysts", "isp-a", True),
            ("analysts", "bank-b", True),
            ("partner:c", "isp-a", False),
            ("partner:c", "bank-b", False),
            ("liaison:nca", "isp-a", False),
            ("liaison:nca", "bank-b", True),  # one contribution it may see is enough
        )
    )
    [finding] = lookup.findings
    assert finding.shared_with() == ["analysts", "liaison:nca"]
    assert finding.withheld_from() == ["partner:c"]
