"""Canonical forms of observables and the keys and ids derived from them.

`Example.COM.` and `example.com` are one indicator; so are `2001:DB8::1` and
`2001:db8:0:0:0:0:0:1` (DESIGN.md, "Canonical keys and identity"). Every key the correlate
table uses, and every curated id, comes from here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

# STIX 2.1 §2.9: the namespace for deterministic identifiers.
STIX_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
_STIX_NAMESPACE_BYTES = STIX_NAMESPACE.bytes


def stix_uuid5(name: str) -> str:
    """``str(uuid.uuid5(STIX_NAMESPACE, name))`` (RFC 4122 §4.3), without the UUID object.

    The pipeline derives an id per indicator (and per connector row); the standard library's
    builds and formats a UUID object, about three times the cost of the SHA-1 itself.
    tests/hub/test_canonical.py holds it to ``uuid.uuid5``.
    """
    digest = bytearray(hashlib.sha1(_STIX_NAMESPACE_BYTES + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


HASH_ALGORITHMS = {
    "md5": ("MD5", 32),
    "sha1": ("SHA-1", 40),
    "sha-1": ("SHA-1", 40),
    "sha256": ("SHA-256", 64),
    "sha-256": ("SHA-256", 64),
    "sha512": ("SHA-512", 128),
    "sha-512": ("SHA-512", 128),
}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9a-fA-F]{2})")

# One comparison inside one observation: [type:path = 'value'] (STIX 2.1 §9).
# The quoted value as an unrolled loop (runs of plain characters, each escape between them):
# it reads ``(?:[^'\\]|\\.)*`` without trying the alternation at every character, which took
# half the match's time on an address and two thirds on a hash (tests/hub/test_canonical.py
# holds the two to the same matches).
SIMPLE_PATTERN_VALUE = r"[^'\\]*(?:\\.[^'\\]*)*"
_SIMPLE_PATTERN = re.compile(
    r"^\[\s*(?P<type>[a-z0-9-]+):(?P<path>[a-z0-9_]+(?:\.'[^']+'|\.[A-Za-z0-9_]+)*)"
    rf"\s*=\s*'(?P<value>{SIMPLE_PATTERN_VALUE})'\s*\]$"
)
_WHITESPACE = re.compile(r"\s+")


class CanonicalError(ValueError):
    """An observable value that is not what its type claims."""

    def __init__(self, observable_type: str, value: str, reason: str) -> None:
        super().__init__(f"{observable_type} value {value!r}: {reason}")
        self.observable_type = observable_type
        self.value = value
        self.reason = reason


@dataclass(frozen=True, slots=True, init=False)
class Observable:
    """A canonical observable: its STIX type, the property compared, and the value."""

    type: str  # ipv4-addr | ipv6-addr | domain-name | url | email-addr | file | pattern
    value: str  # canonical value; for files "<algorithm>:<hex>", e.g. "sha-256:ab…"

    def __init__(self, type: str, value: str) -> None:
        # Written out because mypyc compiles it (schemas/envelopes.py says why); a frozen
        # class sets its fields as the generated one does.
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "value", value)

    @property
    def key(self) -> str:
        return f"{self.type}|{self.value}"

    @property
    def indicator_id(self) -> str:
        return indicator_id_for_key(self.key)

    @property
    def pattern(self) -> str:
        """The canonical STIX pattern the curated indicator carries."""
        if self.type == "pattern":
            return self.value
        if self.type == "file":
            algorithm, digest = self.value.split(":", 1)
            return f"[file:hashes.'{HASH_ALGORITHMS[algorithm][0]}' = '{digest}']"
        escaped = self.value.replace("\\", "\\\\").replace("'", "\\'")
        return f"[{self.type}:value = '{escaped}']"


def indicator_id_for_key(key: str) -> str:
    """The curated indicator's id: UUIDv5 over the canonical key, the same on every replica."""
    return f"indicator--{stix_uuid5(key)}"


# A dotted quad already in canonical form (decimal octets 0-255, no leading zeros): what
# almost every partner sends, and ``str(IPv4Address(value))`` would give it back unchanged
# at some twenty times the cost of this match.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"  # ASCII digits only
_CANONICAL_QUAD = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


def canonical_ipv4(value: str) -> str:
    if _CANONICAL_QUAD.fullmatch(value):
        return value
    try:
        if "/" in value:
            network = ipaddress.IPv4Network(value, strict=False)
            if network.prefixlen == 32:
                return str(network.network_address)
            return str(network)
        return str(ipaddress.IPv4Address(value))
    except ValueError as exc:
        raise CanonicalError("ipv4-addr", value, str(exc)) from None


def canonical_ipv6(value: str) -> str:
    try:
        if "/" in value:
            network = ipaddress.IPv6Network(value, strict=False)
            if network.prefixlen == 128:
                return network.network_address.compressed
            return network.compressed
        return ipaddress.IPv6Address(value).compressed
    except ValueError as exc:
        raise CanonicalError("ipv6-addr", value, str(exc)) from None


def canonical_domain(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    if not name:
        raise CanonicalError("domain-name", value, "empty host name")
    try:
        return ".".join(_idna_label(label) for label in name.split("."))
    except UnicodeError as exc:
        raise CanonicalError("domain-name", value, f"not a valid IDNA name: {exc}") from None


def _idna_label(label: str) -> str:
    if label.isascii():
        if not label or len(label) > 63:
            raise UnicodeError(f"label {label!r} must be 1-63 characters")
        return label
    return label.encode("idna").decode("ascii")


def _normalise_percent(part: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others' hex (RFC 3986 §6.2.2)."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _PERCENT.sub(fix, part)


def canonical_url(value: str) -> str:
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as exc:
        raise CanonicalError("url", value, str(exc)) from None
    if not parts.scheme or not parts.hostname:
        raise CanonicalError("url", value, "not an absolute URL with a host")
    scheme = parts.scheme.lower()
    # Hosts may carry escapes too (Ex%61mple.com); decode them before IDNA.
    host = _normalise_percent(parts.hostname)
    netloc = f"[{canonical_ipv6(host)}]" if ":" in host else canonical_domain(host)
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    path = _normalise_percent(parts.path) or "/"
    return urlunsplit(
        (scheme, netloc, path, _normalise_percent(parts.query), _normalise_percent(parts.fragment))
    )


def canonical_email(value: str) -> str:
    local, sep, domain = value.strip().rpartition("@")
    if not sep or not local or not domain:
        raise CanonicalError("email-addr", value, "not local@domain")
    return f"{local}@{canonical_domain(domain)}"


def canonical_hash(algorithm: str, digest: str) -> str:
    entry = HASH_ALGORITHMS.get(algorithm.lower())
    if entry is None:
        raise CanonicalError("file", digest, f"unsupported hash algorithm {algorithm!r}")
    if len(digest) != entry[1] or not _HEX.match(digest):
        raise CanonicalError("file", digest, f"not a {entry[0]} digest ({entry[1]} hex digits)")
    canonical_algorithm = entry[0].lower()
    return f"{canonical_algorithm}:{digest.lower()}"


_CANONICAL_VALUE = {
    "ipv4-addr": canonical_ipv4,
    "ipv6-addr": canonical_ipv6,
    "domain-name": canonical_domain,
    "url": canonical_url,
    "email-addr": canonical_email,
}


def observable(observable_type: str, value: str) -> Observable:
    """The canonical observable for a SCO type and its ``value``."""
    canonicalise = _CANONICAL_VALUE.get(observable_type)
    if canonicalise is None:
        raise CanonicalError(observable_type, value, "no canonical form for this type")
    return Observable(observable_type, canonicalise(value))


_ESCAPED = re.compile(r"\\(.)")


def _unescape(value: str) -> str:
    # Most values have nothing escaped; re.sub costs a pattern-cache lookup even then.
    return _ESCAPED.sub(r"\1", value) if "\\" in value else value


def observable_from_pattern(pattern: str) -> Observable:
    """The observable a simple pattern compares, or the whole pattern for anything richer.

    A pattern such as ``[ipv4-addr:value = '1.2.3.4']`` names one observable and is keyed by
    its canonical value; compound patterns are keyed by their whitespace-normalised text.
    """
    match = _SIMPLE_PATTERN.match(pattern.strip())
    if match is not None:
        sco_type, path, value = match.group("type"), match.group("path"), match.group("value")
        value = _unescape(value)
        if path == "value" and sco_type in _CANONICAL_VALUE:
            return observable(sco_type, value)
        if sco_type == "file" and path.startswith("hashes."):
            algorithm = path[len("hashes.") :].strip("'")
            return Observable("file", canonical_hash(algorithm, value))
    return Observable("pattern", _WHITESPACE.sub(" ", pattern.strip()))


def observable_from_sco(sco: dict[str, object]) -> Observable:
    """The observable a bare SCO (ipv4-addr, domain-name, file, ...) stands for."""
    sco_type = str(sco["type"])
    if sco_type == "file":
        hashes = sco.get("hashes")
        if not isinstance(hashes, dict) or not hashes:
            raise CanonicalError("file", str(sco.get("id")), "a file needs hashes to be keyed")
        # Prefer the strongest hash so the same file keys the same from every partner.
        for preferred in ("SHA-256", "SHA-512", "SHA-1", "MD5"):
            for algorithm, digest in hashes.items():
                if HASH_ALGORITHMS.get(algorithm.lower(), ("",))[0] == preferred:
                    return Observable("file", canonical_hash(algorithm, str(digest)))
        algorithm, digest = next(iter(hashes.items()))
        return Observable("file", canonical_hash(str(algorithm), str(digest)))
    return observable(sco_type, str(sco["value"]))
