"""Known-benign index: every MISP list type honoured, the most specific list named, fast."""

from __future__ import annotations

import ipaddress
import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.admit.warninglists import (
    DEFAULT_EXCLUDED,
    KnownBenign,
    KnownBenignIndex,
    KnownBenignSettings,
    NetworkRanges,
    Warninglist,
    _Substrings,
    shipped_index,
    shipped_lists,
)
from hub.canonical import Observable, canonical_hash, observable


def wl(slug: str, kind: str, entries: list[str], attributes: list[str]) -> Warninglist:
    return Warninglist(slug, f"List {slug}", kind, frozenset(attributes), tuple(entries))


IPS = ["ip-src", "ip-dst"]
HOSTS = ["domain", "hostname", "url"]


@pytest.fixture(scope="module")
def index() -> KnownBenignIndex:
    return KnownBenignIndex(
        [
            wl("resolvers", "cidr", ["8.8.8.8", "2001:4860:4860::8888"], IPS),
            wl("private", "cidr", ["10.0.0.0/8", "fc00::/7", "not-a-network"], IPS),
            wl("reserved", "cidr", ["10.0.0.0/8", "192.0.2.0/24", "127.0.0.0/8", "0.0.0.0/8"], IPS),
            wl("top", "string", ["Google.com", "www.example.org"], HOSTS),
            wl("cdn", "hostname", [".akamaiedge.net", "cloudfront.net."], HOSTS),
            wl("sandboxes", "substring", ["analyze.intezer", "any.run"], HOSTS),
            wl("contacts", "regex", [r"/^(abuse|noc)\@.*$/i", "/[unclosed/"], ["email-src"]),
            wl("empty-files", "string", ["D41D8CD98F00B204E9800998ECF8427E"], ["md5", "sha256"]),
        ]
    )


@pytest.mark.parametrize(
    ("value", "hit"),
    [
        (observable("ipv4-addr", "8.8.8.8"), ("List resolvers", "8.8.8.8")),
        (
            observable("ipv6-addr", "2001:4860:4860:0::8888"),
            ("List resolvers", "2001:4860:4860::8888"),
        ),
        # In two lists: the smaller one is named.
        (observable("ipv4-addr", "10.20.30.40"), ("List private", "10.0.0.0/8")),
        (observable("ipv6-addr", "fd12::1"), ("List private", "fc00::/7")),
        (observable("ipv4-addr", "0.0.0.1"), ("List reserved", "0.0.0.0/8")),
        (observable("domain-name", "GOOGLE.com."), ("List top", "google.com")),
        (observable("domain-name", "a.b.e123.akamaiedge.net"), ("List cdn", "akamaiedge.net")),
        (observable("domain-name", "cloudfront.net"), ("List cdn", "cloudfront.net")),
        (observable("url", "https://www.example.org/login"), ("List top", "www.example.org")),
        (observable("url", "http://d1.cloudfront.net/x.exe"), ("List cdn", "cloudfront.net")),
        (
            observable("domain-name", "eu.analyze.intezer.com"),
            ("List sandboxes", "analyze.intezer"),
        ),
        (
            observable("email-addr", "Abuse@bank.example"),
            ("List contacts", r"/^(abuse|noc)\@.*$/i"),
        ),
        (
            Observable("file", canonical_hash("md5", "d41d8cd98f00b204e9800998ecf8427e")),
            ("List empty-files", "d41d8cd98f00b204e9800998ecf8427e"),
        ),
    ],
)
def test_each_list_type_matches_as_misp_defines_it(
    index: KnownBenignIndex, value: Observable, hit: tuple[str, str]
) -> None:
    assert index.match(value) == hit


@pytest.mark.parametrize(
    "value",
    [
        observable("ipv4-addr", "45.137.21.9"),
        observable("ipv4-addr", "11.0.0.1"),
        observable(
            "domain-name", "google.com.evil.example"
        ),  # a suffix of a string entry is not it
        observable("domain-name", "notakamaiedge.net"),  # a hostname entry matches whole labels
        observable("url", "https://phish.example/www.example.org"),
        observable("email-addr", "ceo@bank.example"),
        Observable("file", canonical_hash("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709")),
        Observable(
            "pattern", "[ipv4-addr:value = '8.8.8.8'] AND [domain-name:value = 'x.example']"
        ),
    ],
)
def test_what_no_list_holds_passes(index: KnownBenignIndex, value: Observable) -> None:
    assert index.match(value) is None


def test_a_list_applies_only_to_its_matching_attribute_types(index: KnownBenignIndex) -> None:
    # "8.8.8.8" as a domain name is not an address: the resolver list does not apply.
    assert index.match(Observable("domain-name", "8.8.8.8")) is None


def test_the_shipped_lists_suppress_resolvers_top_domains_and_private_space() -> None:
    lists = shipped_index()
    assert lists.match(observable("ipv4-addr", "8.8.8.8")) == (
        "List of known IPv4 public DNS resolvers",
        "8.8.8.8",
    )
    assert lists.match(observable("domain-name", "google.com")) == (
        "List of known google domains",
        "google.com",
    )
    assert lists.match(observable("ipv4-addr", "10.0.0.1")) == (
        "List of RFC 1918 CIDR blocks",
        "10.0.0.0/8",
    )
    assert lists.match(observable("ipv4-addr", "45.137.21.9")) is None
    # Cloud and VPN ranges say where a host is, not that it is benign: excluded by default.
    assert {wl.slug for wl in shipped_lists()} & DEFAULT_EXCLUDED == set()
    assert len(shipped_lists()) + len(DEFAULT_EXCLUDED) == len(shipped_lists(exclude=()))


def test_a_lookup_takes_microseconds() -> None:
    lists = shipped_index()
    values = [
        observable("ipv4-addr", "10.0.0.1"),
        observable("ipv4-addr", "45.137.21.9"),
        observable("ipv6-addr", "3fff::1"),
        observable("domain-name", "login.meridian-secure.example"),
        observable("url", "https://login.meridian-secure.example/a/b?c=d"),
        Observable("file", canonical_hash("sha256", "ab" * 32)),
    ]
    rounds = 2000
    start = time.perf_counter()
    for _ in range(rounds):
        for value in values:
            lists.match(value)
    per_lookup_us = (time.perf_counter() - start) / (rounds * len(values)) * 1e6
    assert per_lookup_us < 100, f"{per_lookup_us:.1f} µs per lookup"  # ~5 µs unloaded


def test_suppression_can_be_switched_off() -> None:
    assert (
        KnownBenign(KnownBenignSettings(enabled=False))(observable("ipv4-addr", "8.8.8.8")) is None
    )
    assert KnownBenign()(observable("ipv4-addr", "8.8.8.8")) is not None


def innermost(
    networks: dict[int, dict[int, tuple[str, int]]], bits: int, address: int
) -> tuple[str, int] | None:
    """The reference longest-prefix match: a probe per prefix length, longest first."""
    for length in sorted(networks, reverse=True):
        shift = bits - length
        hit = networks[length].get((address >> shift) << shift)
        if hit is not None:
            return hit
    return None


def edges(networks: dict[int, dict[int, tuple[str, int]]], bits: int) -> list[int]:
    """Each network's first and last address, and the addresses just outside them."""
    top = (1 << bits) - 1
    probes = []
    for length, by_start in networks.items():
        for start in by_start:
            end = start + (1 << (bits - length)) - 1
            probes += [max(start - 1, 0), start, end, min(end + 1, top)]
    return probes


@st.composite
def nested_networks(draw: st.DrawFn) -> dict[int, dict[int, tuple[str, int]]]:
    """IPv4 networks crowded into one /16 or /24, so that many nest, share starts or abut."""
    networks: dict[int, dict[int, tuple[str, int]]] = {}
    room = draw(st.sampled_from([8, 16]))  # host bits of the crowded block
    for n in range(draw(st.integers(0, 40))):
        length = draw(st.integers(32 - room, 32))
        address = (10 << 24) | draw(st.integers(0, (1 << room) - 1))
        start = (address >> (32 - length)) << (32 - length)
        networks.setdefault(length, {}).setdefault(start, (f"net{n}", n))
    return networks


@given(nested_networks(), st.lists(st.integers(0, (1 << 32) - 1), max_size=20))
def test_network_ranges_find_the_innermost_network(
    networks: dict[int, dict[int, tuple[str, int]]], others: list[int]
) -> None:
    ranges = NetworkRanges(networks, 32)
    for address in [*edges(networks, 32), *others, 10 << 24, (11 << 24) - 1]:
        assert ranges.find(address) == innermost(networks, 32, address), hex(address)


def test_network_ranges_agree_with_the_reference_on_every_shipped_cidr_list() -> None:
    networks: dict[int, dict[int, dict[int, tuple[str, int]]]] = {4: {}, 6: {}}
    for list_index, warninglist in enumerate(shipped_lists(exclude=())):
        if warninglist.type != "cidr":
            continue
        for entry in warninglist.entries:
            try:
                network = ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                continue
            by_start = networks[network.version].setdefault(network.prefixlen, {})
            by_start.setdefault(int(network.network_address), (entry, list_index))
    sample = random.Random(7)
    for version, bits in ((4, 32), (6, 128)):
        ranges = NetworkRanges(networks[version], bits)
        probes = edges(networks[version], bits)
        probes = sample.sample(probes, min(len(probes), 20_000))
        probes += [sample.getrandbits(bits) for _ in range(5_000)]
        assert len(probes) > 10_000
        for address in probes:
            assert ranges.find(address) == innermost(networks[version], bits, address)


_SUBSTRING_ENTRIES = ["any.run", "analyze.intezer", "run", "52.168.52.134", "x.y", "a"]


@given(
    text=st.lists(
        st.sampled_from([*_SUBSTRING_ENTRIES, ".", "any", "intezer", "52.168", "b", "7"]),
        max_size=8,
    ).map("".join)
)
def test_the_substring_search_answers_as_its_automaton_walked_alone(text: str) -> None:
    # The quick look (one regex search for any entry) only skips the walk where it would
    # find nothing.
    substrings = _Substrings()
    for list_index, entry in enumerate(_SUBSTRING_ENTRIES):
        substrings.add(entry, list_index)
    substrings.build()
    assert substrings.first(text) == substrings.walk(text)
