"""What the hub knows about observables an analyst holds (``fusionhub lookup``).

An analyst comes with values from a case: an address from a victim's firewall log, a URL
from a phishing e-mail, a hash from a sandbox report, often defanged
(``hxxp://login-verify[.]example``). The hub keys what it curates by the canonical
observable, so a lookup refangs the value, works out its type, canonicalises it as admission
does, and derives the curated indicator's id from it: the id every audience got.

What ``fusionhub lookup`` reports, read from the topics (every contribution named, whatever
its marking; the dashboard answers analysts from the store, hub/api/ui/lookup.py):
- the latest curated version and every version before it on ``fusion.curated``, and which
  audiences its sharing decisions let see it (``fusion.audit``);
- compound-pattern indicators whose pattern quotes the value;
- reports of it suppressed as known-benign (``fusion.suppressed``), and whether the shipped
  warninglists would suppress it now.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hub.canonical import (
    HASH_ALGORITHMS,
    CanonicalError,
    Observable,
    canonical_hash,
    observable,
    observable_from_pattern,
)
from hub.kafka_io import read_topics
from hub.suppressions import SuppressedEntry, list_suppressed
from hub.topics import Topics
from schemas.envelopes import audit_records_of
from schemas.merge import MergeRecord
from schemas.stix.primitives import UUID_RE

# Defanging as analysts and reports write it: brackets or parentheses around the dot, the
# at-sign or the colon, and mangled schemes (hxxp, fxp). Each is undone before anything else.
_DEFANGED = (
    (re.compile(r"[\[({](?:\.|dot)[\])}]", re.IGNORECASE), "."),
    (re.compile(r"[\[({](?:@|at)[\])}]", re.IGNORECASE), "@"),
    (re.compile(r"\[(:|://)\]"), r"\1"),
)
_SCHEMES = {"hxxp": "http", "hxxps": "https", "hxxpx": "https", "fxp": "ftp", "fxps": "ftps"}
_SCHEME = re.compile(r"^([a-z]+)(\[?:\]?//)", re.IGNORECASE)
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]+")
# A hash written with its algorithm first, as reports and this hub do: "sha256:ab…".
_ALGORITHM_PREFIX = re.compile(r"^([A-Za-z0-9-]+)[:=]([0-9a-fA-F]+)$")
_DIGEST_ALGORITHMS = {length: name for name, (_, length) in HASH_ALGORITHMS.items()}
_IPV4_SHAPED = re.compile(r"[0-9.]+(?:/[0-9]*)?")
_DOMAIN_LIKE = re.compile(r"^[^\s/@:]+\.[^\s/@:]+$")


class UnreadableValue(ValueError):
    """A value the lookup cannot read as any observable."""


def refang(text: str) -> str:
    """``hxxps://login-verify[.]example`` → ``https://login-verify.example``."""
    value = text.strip().strip("'\"<>").strip()
    for pattern, replacement in _DEFANGED:
        value = pattern.sub(replacement, value)
    scheme = _SCHEME.match(value)
    if scheme is not None:
        name = scheme.group(1).lower()
        value = f"{_SCHEMES.get(name, name)}://{value[scheme.end() :]}"
    return value


@dataclass(frozen=True, slots=True)
class Query:
    """One value as given, and what the hub would key it by (or why it cannot)."""

    given: str
    observable: Observable | None = None
    indicator_id: str | None = None
    error: str | None = None

    @property
    def canonical(self) -> str:
        return "" if self.observable is None else self.observable.value


def parse_query(text: str) -> Query:
    """The observable a value names: an indicator id, a STIX pattern, a hash, an IP address
    or network, a URL, an e-mail address or a domain name, defanged or not."""
    given = text.strip()
    try:
        if not given:
            raise UnreadableValue("an empty value")
        # A pattern compares something, so it has a space or a quote ([2001:db8::1] has
        # neither); it is taken as written, since refanging would rewrite its regexes' (.).
        if given.startswith("[") and (" " in given or "'" in given):
            found = observable_from_pattern(given)
        else:
            value = refang(given)
            if value.startswith("indicator--"):
                if UUID_RE.fullmatch(value, len("indicator--")) is None:
                    raise UnreadableValue("not an indicator id (indicator--<uuid>)")
                return Query(given, indicator_id=value)
            found = _observable(value)
    except (UnreadableValue, CanonicalError) as exc:
        return Query(given, error=str(exc))
    return Query(given, observable=found, indicator_id=found.indicator_id)


def _observable(value: str) -> Observable:
    prefixed = _ALGORITHM_PREFIX.match(value)
    if prefixed is not None and prefixed.group(1).lower() in HASH_ALGORITHMS:
        return Observable("file", canonical_hash(prefixed.group(1), prefixed.group(2)))
    if _HEX_DIGITS.fullmatch(value) and len(value) in _DIGEST_ALGORITHMS:
        return Observable("file", canonical_hash(_DIGEST_ALGORITHMS[len(value)], value))
    if "://" in value:
        return observable("url", value)
    if "@" in value:
        return observable("email-addr", value)
    address = value.strip("[]")
    # Shaped like an address, it is read as one: 999.1.1.1 is a bad address, not a domain.
    if _IPV4_SHAPED.fullmatch(address):
        return observable("ipv4-addr", address)
    if ":" in address:
        return observable("ipv6-addr", address)
    if _DOMAIN_LIKE.fullmatch(value) is None:
        raise UnreadableValue(
            f"{value!r} is not an IP address or network, domain name, URL, e-mail address, "
            "hash (32, 40, 64 or 128 hex digits), STIX pattern or indicator id"
        )
    return observable("domain-name", value)


@dataclass(frozen=True, slots=True)
class VersionSeen:
    """One curated version of the indicator, as ``fusion.curated`` holds it."""

    version: int
    modified: str
    changes: tuple[str, ...]


@dataclass(slots=True)
class Finding:
    """Everything the lookup found for one query."""

    query: Query
    latest: MergeRecord | None = None
    versions: dict[int, VersionSeen] = field(default_factory=dict)
    mentioned_in: dict[str, str] = field(default_factory=dict)  # indicator id -> pattern
    suppressed: list[SuppressedEntry] = field(default_factory=list)
    known_benign: tuple[str, str] | None = None  # (list name, entry), if a list holds it now
    # By audience, whether the sharing decisions for the latest version let it see any of
    # the contributions (fusion.audit): shared with it, or withheld.
    audiences: dict[str, bool] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return bool(self.latest or self.mentioned_in or self.suppressed)

    def shared_with(self) -> list[str]:
        return sorted(a for a, shared in self.audiences.items() if shared)

    def withheld_from(self) -> list[str]:
        return sorted(a for a, shared in self.audiences.items() if not shared)

    def history(self) -> list[VersionSeen]:
        return [self.versions[n] for n in sorted(self.versions)]

    def add_version(self, record: MergeRecord) -> None:
        """A curated version of this query's indicator (re-deliveries counted once)."""
        self.versions[record.version] = VersionSeen(
            record.version, record.modified, tuple(record.changes)
        )
        if self.latest is None or record.version > self.latest.version:
            self.latest = record


def _quoted_literal(found: Observable) -> tuple[str, bool] | None:
    """How a compound pattern would quote the observable, and whether case is immaterial;
    None for a pattern (a pattern of patterns is not a thing)."""
    if found.type == "pattern":
        return None
    if found.type == "file":  # the digest, as any of the hash names compares it
        return f"'{found.value.partition(':')[2]}'", True
    return f"'{found.value}'", found.type in ("domain-name", "ipv6-addr")


class Lookup:
    """Matches the messages of the curated and suppressed topics against the queries.

    One pass over each topic answers every query: a curated message's key is its canonical
    key, so most messages are skipped on a dict look-up without being parsed.
    """

    def __init__(self, queries: Iterable[Query]) -> None:
        self.findings = [Finding(query) for query in queries]
        self._by_id: dict[str, list[Finding]] = {}  # queries by indicator id alone
        self._by_key: dict[str, list[Finding]] = {}
        self._ids: list[bytes] = []  # the queried ids as they appear in a message's bytes
        # The quoted literal a compound pattern would carry, whether to compare it without
        # case (hex digits and host names are written in either), and whose it is.
        self._quoted: list[tuple[str, bool, Finding]] = []
        for finding in self.findings:
            query = finding.query
            if query.observable is None and query.indicator_id is not None:
                self._by_id.setdefault(query.indicator_id, []).append(finding)
            if query.observable is not None:
                self._by_key.setdefault(query.observable.key, []).append(finding)
                quoted = _quoted_literal(query.observable)
                if quoted is not None:
                    self._quoted.append((*quoted, finding))
        self._ids = [id_.encode() for id_ in self._by_id]

    def curated(self, key: bytes | None, value: bytes) -> None:
        """One message of ``fusion.curated``."""
        text_key = key.decode() if key is not None else ""
        wanted = self._by_key.get(text_key)
        compound = text_key.startswith("pattern|")
        # Neither its key nor a compound pattern: one of ours only if it holds a queried id.
        if wanted is None and not compound and not any(id_ in value for id_ in self._ids):
            return
        record = MergeRecord.from_bytes(value)
        # A query by value and one by id may name the same indicator: each gets it once.
        for finding in {
            id(f): f for f in (*(wanted or ()), *self._by_id.get(record.indicator_id, ()))
        }.values():
            finding.add_version(record)
        if compound:
            pattern = record.pattern
            folded = pattern.lower()
            for literal, fold_case, finding in self._quoted:
                if literal in (folded if fold_case else pattern):
                    finding.mentioned_in[record.indicator_id] = pattern

    def suppressed(self, entries: Iterable[SuppressedEntry]) -> None:
        """The reports held back as known-benign (``fusion.suppressed``, each once)."""
        for entry in entries:
            for finding in self._by_key.get(entry.suppression.contribution.key, ()):
                finding.suppressed.append(entry)

    def curated_ids(self) -> set[bytes]:
        """The ids of the indicators found, as ``fusion.audit`` keys its messages."""
        return {f.latest.indicator_id.encode() for f in self.findings if f.latest is not None}

    def audit(self, value: bytes) -> None:
        """One message of ``fusion.audit`` about a found indicator: its decisions for the
        latest version say which audiences may see it."""
        records = audit_records_of(value)
        for finding in self.findings:
            latest = finding.latest
            if latest is None:
                continue
            for r in records:
                if r.object_id == latest.indicator_id and r.version == latest.modified:
                    shared = finding.audiences.get(r.audience, False)
                    finding.audiences[r.audience] = shared or r.allowed

    def resolve_ids(self) -> None:
        """A query by id learns its observable from the version found."""
        for finding in self.findings:
            query, latest = finding.query, finding.latest
            if query.observable is None and latest is not None:
                finding.query = Query(
                    query.given,
                    observable=Observable(latest.observable_type, latest.observable_value),
                    indicator_id=query.indicator_id,
                )

    def check_lists(self, known_benign: Callable[[Observable], tuple[str, str] | None]) -> None:
        for finding in self.findings:
            if finding.query.observable is not None:
                finding.known_benign = known_benign(finding.query.observable)


async def look_up(
    bootstrap: str,
    topics: Topics,
    queries: Iterable[Query],
    *,
    known_benign: Callable[[Observable], tuple[str, str] | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Finding]:
    """Every query's finding, from one pass over the curated, audit and suppressed topics.

    ``progress`` is told how many curated versions have been read, every thousand.
    """
    lookup = Lookup(queries)
    read = 0
    async for message in read_topics(bootstrap, topics=[topics.curated], idle_timeout_s=1.0):
        lookup.curated(message.key, message.value)
        read += 1
        if progress is not None and read % 1000 == 0:
            progress(read)
    if progress is not None:
        progress(read)
    found = lookup.curated_ids()
    if found:
        async for message in read_topics(bootstrap, topics=[topics.audit], idle_timeout_s=1.0):
            if message.key in found:
                lookup.audit(message.value)
    lookup.suppressed(await list_suppressed(bootstrap, topics))
    lookup.resolve_ids()
    if known_benign is not None:
        lookup.check_lists(known_benign)
    return lookup.findings
