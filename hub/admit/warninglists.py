"""Known-benign suppression: the MISP warninglists that pymispwarninglists ships, indexed.

pymispwarninglists' own search does not fit the admit hot path (its fast mode is a set
lookup that misses every CIDR list; its slow mode walks every entry, ~0.1 s a lookup). The
lists' data is read once from the package and indexed here per observable kind, honouring
each list's type as MISP does:

- ``string``: the value equals an entry (case-insensitive);
- ``hostname``: the host, or any parent domain of it, equals an entry;
- ``cidr``: the address lies in an entry's network (IPv4 and IPv6; a bare address is a /32
  or /128); the innermost network containing it is the one named;
- ``substring``: an entry occurs in the value (one Aho-Corasick automaton per kind);
- ``regex``: an entry (PHP-style ``/.../i``) matches.

A list applies only to the MISP attribute types in its ``matching_attributes``. When several
lists match, the smallest (most specific) list is named: ``10.0.0.1`` is reported as RFC 1918
rather than RFC 5735. A lookup costs a few microseconds.

Some shipped lists name infrastructure criminals rent or abuse (cloud and VPN ranges, dynamic
DNS, URL shorteners, free hosting, IPFS gateways, the top-million popularity lists): a hit
there says where something is, not that it is benign, so by default they do not suppress
(``DEFAULT_EXCLUDED``; ``FUSIONHUB_WARNINGLISTS_EXCLUDE`` replaces the set).
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from socket import AF_INET, AF_INET6, inet_pton
from urllib.parse import urlsplit

import orjson
import pymispwarninglists
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.canonical import Observable

LISTS_DIR = Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"

DEFAULT_EXCLUDED = frozenset(
    {
        # Cloud and datacentre ranges: C2 servers are commonly rented there.
        "amazon-aws",
        "google-gcp",
        "microsoft-azure",
        "microsoft-azure-china",
        "microsoft-azure-germany",
        "microsoft-azure-us-gov",
        "ovh-cluster",
        "vpn-ipv4",
        "vpn-ipv6",
        # Services abused to host or hide phishing and malware.
        "dynamic-dns",
        "url-shortener",
        "link-in-bio",
        "lots-project",
        "public-ipfs-gateways",
        "digitalside",
        "disposable-email",
        # Popularity, not benignity; a million entries each.
        "tranco",
        "google-chrome-crux-1million",
    }
)

# The MISP attribute types an observable kind stands for, to honour `matching_attributes`.
_ATTRIBUTE_TYPES: dict[str, frozenset[str]] = {
    "ip": frozenset({"ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain|ip", "ip"}),
    "domain": frozenset({"domain", "hostname", "domain|ip", "hostname|port"}),
    "url": frozenset({"url", "uri", "link"}),
    "email": frozenset(
        {"email", "email-src", "email-dst", "target-email", "whois-registrant-email"}
    ),
    "md5": frozenset({"md5", "filename|md5"}),
    "sha-1": frozenset({"sha1", "filename|sha1"}),
    "sha-256": frozenset({"sha256", "filename|sha256"}),
    "sha-512": frozenset({"sha512", "filename|sha512"}),
}
_DIGEST_LENGTHS = {"md5": 32, "sha-1": 40, "sha-256": 64, "sha-512": 128}
_KIND_OF_TYPE = {
    "ipv4-addr": "ip",
    "ipv6-addr": "ip",
    "domain-name": "domain",
    "url": "url",
    "email-addr": "email",
}
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class KnownBenignSettings(BaseSettings):
    """Which shipped warninglists suppress.

    - ``enabled`` (``FUSIONHUB_WARNINGLISTS_ENABLED``, default true).
    - ``exclude`` (``FUSIONHUB_WARNINGLISTS_EXCLUDE``, a JSON list of list directory names
      or list names; default ``DEFAULT_EXCLUDED``): lists that never suppress.
    """

    model_config = SettingsConfigDict(env_prefix="FUSIONHUB_WARNINGLISTS_", frozen=True)

    enabled: bool = True
    exclude: frozenset[str] = Field(default=DEFAULT_EXCLUDED)


@dataclass(frozen=True, slots=True)
class Warninglist:
    """One list as shipped: its directory name, its MISP name, type and attribute types."""

    slug: str
    name: str
    type: str
    matching_attributes: frozenset[str]
    entries: tuple[str, ...]

    def applies_to(self, kind: str) -> bool:
        # A list without matching_attributes applies to everything (MISP's rule).
        return not self.matching_attributes or bool(
            self.matching_attributes & _ATTRIBUTE_TYPES[kind]
        )


class _Substrings:
    """Aho-Corasick automaton: every entry occurring in a text, in one pass over the text."""

    def __init__(self) -> None:
        self._goto: list[dict[str, int]] = [{}]
        self._fail: list[int] = [0]
        self._out: list[tuple[str, int] | None] = [None]  # (entry, list index) ending here
        self._built = False
        self._entries: set[str] = set()
        # Whether any entry occurs at all, in one C search: almost no value holds one, and
        # the automaton walks a value a character at a time in Python (3-4 times slower).
        self._any: re.Pattern[str] | None = None

    def add(self, entry: str, list_index: int) -> None:
        node = 0
        for char in entry:
            nxt = self._goto[node].get(char)
            if nxt is None:
                nxt = len(self._goto)
                self._goto[node][char] = nxt
                self._goto.append({})
                self._fail.append(0)
                self._out.append(None)
            node = nxt
        if self._out[node] is None:  # the first (smallest) list keeps the entry
            self._out[node] = (entry, list_index)
        self._entries.add(entry)

    def build(self) -> None:
        queue = deque(self._goto[0].values())
        while queue:
            node = queue.popleft()
            for char, child in self._goto[node].items():
                queue.append(child)
                fail = self._fail[node]
                while fail and char not in self._goto[fail]:
                    fail = self._fail[fail]
                target = self._goto[fail].get(char, 0)
                self._fail[child] = target if target != child else 0
                if self._out[child] is None:
                    self._out[child] = self._out[self._fail[child]]
        if self._entries:
            self._any = re.compile("|".join(re.escape(e) for e in sorted(self._entries)))
        self._built = True

    def first(self, text: str) -> tuple[str, int] | None:
        """The entry the automaton meets first in ``text`` (its list's index), if any."""
        if self._any is None or self._any.search(text) is None:
            return None
        return self.walk(text)

    def walk(self, text: str) -> tuple[str, int] | None:
        """``first`` without its quick look."""
        node = 0
        goto, fail, out = self._goto, self._fail, self._out
        for char in text:
            while node and char not in goto[node]:
                node = fail[node]
            node = goto[node].get(char, 0)
            if out[node] is not None:
                return out[node]
        return None

    def __bool__(self) -> bool:
        return len(self._goto) > 1


class NetworkRanges:
    """Longest-prefix match over the CIDR networks of one IP version, by binary search.

    CIDR blocks nest or are disjoint, so the address space they cover splits into sorted,
    non-overlapping ranges, each owned by its innermost (longest-prefix) block. Looking an
    address up is then one bisect instead of a dict probe per prefix length in the lists
    (25 for IPv4 and 39 for IPv6 in the shipped lists).
    """

    def __init__(self, networks: dict[int, dict[int, tuple[str, int]]], bits: int) -> None:
        blocks = sorted(
            (start, length, hit)
            for length, by_start in networks.items()
            for start, hit in by_start.items()
        )  # by start, then outer (shorter prefix) before inner
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._hits: list[tuple[str, int]] = []
        enclosing: list[tuple[int, tuple[str, int]]] = []  # (end, hit), innermost last
        cursor = 0  # the first address not yet given to a range
        for start, length, hit in blocks:
            while enclosing and enclosing[-1][0] < start:
                cursor = self._close(enclosing.pop(), cursor)
            if enclosing and cursor < start:
                self._add(cursor, start - 1, enclosing[-1][1])
            cursor = max(cursor, start)
            enclosing.append((start + (1 << (bits - length)) - 1, hit))
        while enclosing:
            cursor = self._close(enclosing.pop(), cursor)

    def _close(self, block: tuple[int, tuple[str, int]], cursor: int) -> int:
        end, hit = block
        if cursor <= end:
            self._add(cursor, end, hit)
            return end + 1
        return cursor

    def _add(self, first: int, last: int, hit: tuple[str, int]) -> None:
        self._starts.append(first)
        self._ends.append(last)
        self._hits.append(hit)

    def find(self, address: int) -> tuple[str, int] | None:
        at = bisect_right(self._starts, address) - 1
        if at >= 0 and address <= self._ends[at]:
            return self._hits[at]
        return None


@dataclass(slots=True)
class _KindIndex:
    """Everything the lists applicable to one observable kind say, by list type."""

    exact: dict[str, int] = field(default_factory=dict)
    hostnames: dict[str, int] = field(default_factory=dict)
    networks: dict[int, dict[int, dict[int, tuple[str, int]]]] = field(
        default_factory=lambda: {4: {}, 6: {}}
    )  # ip version -> prefix length -> network int -> (entry, list); emptied once ranged
    ranges: dict[int, NetworkRanges] = field(default_factory=dict)  # ip version -> ranges
    substrings: _Substrings = field(default_factory=_Substrings)
    regexes: list[tuple[re.Pattern[str], str, int]] = field(default_factory=list)


class KnownBenignIndex:
    """Matches canonical observables against warninglists in microseconds."""

    def __init__(self, lists: Iterable[Warninglist]) -> None:
        # Smallest list first: it is the one named when several match.
        ordered = sorted(lists, key=lambda wl: (len(wl.entries), wl.slug))
        self._kinds = {kind: _KindIndex() for kind in _ATTRIBUTE_TYPES}
        for list_index, warninglist in enumerate(ordered):
            for kind, index in self._kinds.items():
                if warninglist.applies_to(kind):
                    _add(index, kind, warninglist, list_index)
        # The index holds what it needs; the raw entries would double its memory.
        self.lists = [replace(wl, entries=()) for wl in ordered]
        self.sizes = {wl.name: len(wl.entries) for wl in ordered}
        for index in self._kinds.values():
            for version, by_length in index.networks.items():
                index.ranges[version] = NetworkRanges(by_length, 32 if version == 4 else 128)
                by_length.clear()
            index.substrings.build()

    def match(self, observable: Observable) -> tuple[str, str] | None:
        """The name of the list that holds the observable and the entry that matched."""
        if observable.type == "file":
            algorithm, _, digest = observable.value.partition(":")
            if algorithm not in self._kinds:
                return None
            return self._named(_exact_hit(self._kinds[algorithm], digest))
        kind = _KIND_OF_TYPE.get(observable.type)
        if kind is None:
            return None
        index = self._kinds[kind]
        value = observable.value.lower()
        hit = _exact_hit(index, value)
        if hit is None:
            if kind == "ip":
                hit = _network_hit(index, value)
            elif kind == "domain":
                hit = _hostname_hit(index, value)
            elif kind == "url":
                host = urlsplit(value).hostname or ""
                hit = _exact_hit(index, host) or _hostname_hit(index, host)
                if hit is None and host and (host[0].isdigit() or ":" in host):
                    hit = _network_hit(index, host)
            elif kind == "email":
                hit = _hostname_hit(index, value.rpartition("@")[2])
        if hit is None and index.substrings:
            hit = index.substrings.first(value)
        if hit is None:
            for pattern, entry, list_index in index.regexes:
                if pattern.search(observable.value):
                    hit = (entry, list_index)
                    break
        return self._named(hit)

    __call__ = match

    def _named(self, hit: tuple[str, int] | None) -> tuple[str, str] | None:
        if hit is None:
            return None
        entry, list_index = hit
        return self.lists[list_index].name, entry


def _add(index: _KindIndex, kind: str, warninglist: Warninglist, list_index: int) -> None:
    kind_type = warninglist.type
    for raw in warninglist.entries:
        entry = raw.strip()
        if not entry:
            continue
        if kind_type == "regex":
            compiled = _php_regex(entry)
            if compiled is not None:
                index.regexes.append((compiled, entry, list_index))
        elif kind_type == "cidr":
            if kind in ("ip", "url"):
                _add_network(index, entry, list_index)
        elif kind_type == "substring":
            index.substrings.add(entry.lower(), list_index)
        elif kind_type == "hostname":
            if kind in ("domain", "url", "email"):
                index.hostnames.setdefault(entry.lower().strip("."), list_index)
        else:  # string
            lowered = entry.lower()
            # Keep each index to what can match it: an md5 never equals a sha-256, and an
            # address never equals a host name.
            if kind in _DIGEST_LENGTHS and len(lowered) != _DIGEST_LENGTHS[kind]:
                continue
            if kind == "ip" and not (lowered[0].isdigit() or ":" in lowered):
                continue
            index.exact.setdefault(lowered, list_index)


def _add_network(index: _KindIndex, entry: str, list_index: int) -> None:
    try:
        network: Network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return  # a few shipped entries are not networks; MISP skips them too
    by_length = index.networks[network.version].setdefault(network.prefixlen, {})
    by_length.setdefault(int(network.network_address), (entry, list_index))


def _exact_hit(index: _KindIndex, value: str) -> tuple[str, int] | None:
    list_index = index.exact.get(value)
    return None if list_index is None else (value, list_index)


def _hostname_hit(index: _KindIndex, host: str) -> tuple[str, int] | None:
    if not index.hostnames or not host:
        return None
    name = host.strip(".")
    while name:
        list_index = index.hostnames.get(name)
        if list_index is not None:
            return name, list_index
        _, _, name = name.partition(".")
    return None


def _network_hit(index: _KindIndex, value: str) -> tuple[str, int] | None:
    text = value.strip("[]").partition("/")[0]
    # The socket module reads an address some ten times faster than ipaddress.
    try:
        if ":" in text:
            number, version = int.from_bytes(inet_pton(AF_INET6, text)), 6
        else:
            number, version = int.from_bytes(inet_pton(AF_INET, text)), 4
    except OSError:
        return None
    ranges = index.ranges.get(version)
    return None if ranges is None else ranges.find(number)


def _php_regex(entry: str) -> re.Pattern[str] | None:
    """``/^(abuse|noc)@.*$/i`` as a Python pattern; None if Python cannot compile it."""
    body, flags = entry, 0
    if len(entry) > 2 and entry[0] == "/" and entry.rfind("/") > 0:
        end = entry.rfind("/")
        body = entry[1:end]
        for letter in entry[end + 1 :]:
            flags |= _REGEX_FLAGS.get(letter, 0)  # 'g' has no Python equivalent: harmless
    try:
        return re.compile(body, flags)
    except re.error:
        return None


def shipped_lists(
    exclude: Iterable[str] = DEFAULT_EXCLUDED, directory: Path = LISTS_DIR
) -> list[Warninglist]:
    """The lists pymispwarninglists ships, minus those excluded by directory name or name."""
    excluded = set(exclude)
    lists = []
    for path in sorted(directory.glob("*/list.json")):
        slug = path.parent.name
        if slug in excluded:
            continue  # skipped before parsing: the largest lists cost the most to read
        data: Mapping[str, object] = orjson.loads(path.read_bytes())
        name = str(data["name"])
        if name in excluded:
            continue
        entries = data.get("list")
        attributes = data.get("matching_attributes")
        lists.append(
            Warninglist(
                slug=slug,
                name=name,
                type=str(data["type"]),
                matching_attributes=frozenset(
                    str(a) for a in attributes if isinstance(attributes, list)
                )
                if isinstance(attributes, list)
                else frozenset(),
                entries=tuple(str(e) for e in entries) if isinstance(entries, list) else (),
            )
        )
    return lists


@cache
def shipped_index(exclude: frozenset[str] = DEFAULT_EXCLUDED) -> KnownBenignIndex:
    """The index over the shipped lists; built once per process and exclusion set."""
    return KnownBenignIndex(shipped_lists(exclude))


class KnownBenign:
    """The admit stage's suppressor: builds the index on first use (about a second), once.

    Lazy, so CLI commands and the API that build a hub context never pay for it.
    """

    def __init__(self, settings: KnownBenignSettings | None = None) -> None:
        self.settings = settings or KnownBenignSettings()
        self._index: KnownBenignIndex | None = None

    def __call__(self, observable: Observable) -> tuple[str, str] | None:
        if not self.settings.enabled:
            return None
        index = self._index
        if index is None:  # held, not looked up per observable (with its exclusion set)
            index = self._index = shipped_index(frozenset(self.settings.exclude))
        return index.match(observable)
