from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.canonical import (
    CanonicalError,
    Observable,
    canonical_url,
    observable,
    observable_from_pattern,
    observable_from_sco,
)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("[domain-name:value = 'Example.COM.']", "[domain-name:value = 'example.com']"),
        ("[ipv6-addr:value = '2001:DB8::1']", "[ipv6-addr:value = '2001:db8:0:0:0:0:0:1']"),
        ("[ipv6-addr:value = '::ffff:1.2.3.4']", "[ipv6-addr:value = '::ffff:102:304']"),
        ("[ipv4-addr:value = '10.1.2.3/32']", "[ipv4-addr:value = '10.1.2.3']"),
        (
            "[file:hashes.'SHA-256' = '" + "AB" * 32 + "']",
            "[file:hashes.'sha256' = '" + "ab" * 32 + "']",
        ),
        ("[url:value = 'HTTP://Example.com:80/a%7e']", "[url:value = 'http://example.com/a~']"),
        ("[email-addr:value = 'Bob@Example.COM']", "[email-addr:value = 'Bob@example.com']"),
        ("[domain-name:value = 'bücher.de']", "[domain-name:value = 'xn--bcher-kva.de']"),
    ],
)
def test_variants_of_one_observable_share_key_and_id(left: str, right: str) -> None:
    a, b = observable_from_pattern(left), observable_from_pattern(right)
    assert a.key == b.key
    assert a.indicator_id == b.indicator_id


def test_canonical_values() -> None:
    assert observable("ipv6-addr", "2001:DB8:0:0:0:0:0:1").value == "2001:db8::1"
    assert observable("domain-name", "Example.COM.").value == "example.com"
    assert canonical_url("https://EXAMPLE.com:443/p%2fq?x=%41") == "https://example.com/p%2Fq?x=A"
    assert canonical_url("http://example.com:8080") == "http://example.com:8080/"


def test_local_part_of_email_keeps_case() -> None:
    assert observable("email-addr", "Bob@EXAMPLE.com").value == "Bob@example.com"


def test_id_is_uuid5_in_the_stix_namespace() -> None:
    # uuid5(00abedb4-aa42-466c-9c01-fed23315a9b7, "ipv4-addr|1.2.3.4"), computed independently.
    import uuid

    expected = uuid.uuid5(uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7"), "ipv4-addr|1.2.3.4")
    assert observable("ipv4-addr", "1.2.3.4").indicator_id == f"indicator--{expected}"


def test_canonical_pattern_round_trips() -> None:
    obs = observable_from_pattern("[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']")
    assert obs == Observable("file", "md5:d41d8cd98f00b204e9800998ecf8427e")
    assert obs.pattern == "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']"
    assert observable_from_pattern(obs.pattern) == obs


def test_compound_patterns_key_on_normalised_text() -> None:
    a = observable_from_pattern("[ipv4-addr:value = '1.2.3.4'  OR  ipv4-addr:value = '5.6.7.8']")
    b = observable_from_pattern("[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '5.6.7.8']")
    assert a.type == "pattern"
    assert a.key == b.key


def test_sco_prefers_the_strongest_hash() -> None:
    sco = {"type": "file", "hashes": {"MD5": "a" * 32, "SHA-256": "B" * 64}}
    assert observable_from_sco(sco).value == "sha-256:" + "b" * 64


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("ipv4-addr", "not-an-ip"),
        ("ipv4-addr", "1.2.3.4/33"),
        ("ipv6-addr", "2001:db8::g"),
        ("domain-name", "."),
        ("url", "not a url"),
        ("email-addr", "nobody"),
    ],
)
def test_values_that_are_not_what_they_claim(kind: str, value: str) -> None:
    with pytest.raises(CanonicalError) as info:
        observable(kind, value)
    assert info.value.observable_type == kind


def test_stix_uuid5_is_the_standard_uuid5_in_the_stix_namespace() -> None:
    import random
    import uuid

    from hub.canonical import STIX_NAMESPACE, stix_uuid5

    rng = random.Random(11)
    names = ["", "ipv4-addr|198.51.100.7", "domain-name|bücher.example", "ingest:x" * 40]
    names += [
        "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(60)))
        for _ in range(2000)
    ]
    for name in names:
        assert stix_uuid5(name) == str(uuid.uuid5(STIX_NAMESPACE, name)), name


def test_canonical_ipv4_fast_path_agrees_with_ipaddress() -> None:
    import ipaddress
    import random

    from hub.canonical import CanonicalError, canonical_ipv4

    def reference(value: str) -> str | None:
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            return None

    rng = random.Random(5)
    octets = ["0", "00", "01", "9", "10", "099", "99", "100", "199", "200", "249", "250", "255"]
    octets += ["256", "260", "300", "999", "1000", "", " 1", "1 ", "٣", "-1", "+1", "0x1"]
    values = [
        ".".join(rng.choice(octets) for _ in range(rng.choice((3, 4, 4, 4, 5))))
        for _ in range(20000)
    ]
    values += [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(5000)]
    values += ["1.2.3.4\n", "1.2.3.4.", ".1.2.3.4", "1..2.3"]
    for value in values:
        expected = reference(value)
        try:
            got: str | None = canonical_ipv4(value)
        except CanonicalError:
            got = None
        assert got == expected, value


def test_escaped_quotes_and_backslashes_in_a_pattern_are_unescaped() -> None:
    assert (
        observable_from_pattern(r"[url:value = 'http://a.example/o\'brien\\x']").value
        == "http://a.example/o'brien\\x"
    )
    assert observable_from_pattern(r"[email-addr:value = 'o\'brien@bank.example']").value == (
        "o'brien@bank.example"
    )


# The quoted value as first written: a plain character or an escape, tried at every character.
_ALTERNATION_VALUE = r"(?:[^'\\]|\\.)*"


@settings(max_examples=2000, deadline=None)
@given(
    value=st.text(alphabet="ab.'\\\n é١", max_size=12),
    path=st.sampled_from(["value", "hashes.'SHA-256'", "hashes.MD5", "x_y"]),
    tail=st.sampled_from(["']", "' ]", "'] ", "'", "'x]", ""]),
)
def test_the_unrolled_value_matches_what_the_alternation_matched(
    value: str, path: str, tail: str
) -> None:
    import re

    from hub import canonical

    reference = re.compile(
        canonical._SIMPLE_PATTERN.pattern.replace(
            canonical.SIMPLE_PATTERN_VALUE, _ALTERNATION_VALUE
        )
    )
    assert reference.pattern != canonical._SIMPLE_PATTERN.pattern
    pattern = f"[url:{path} = '{value}{tail}"
    ours, theirs = canonical._SIMPLE_PATTERN.match(pattern), reference.match(pattern)
    assert (ours and ours.groupdict()) == (theirs and theirs.groupdict())
