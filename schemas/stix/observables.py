"""Whether an SCO's ``value`` is what its type says it is (§6).

stix2 3.0.2 takes any string as an ipv4-addr, domain-name, url or email-addr
value; the spec does not. Each ``*_defect`` function returns a phrase saying
what is wrong, or None; :data:`VALUE_RULES` maps SCO types to them. The same
functions judge literals compared with ``<type>:value`` in patterns.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Final

from .spec import S_DOMAIN_NAME, S_EMAIL_ADDR, S_IPV4, S_IPV6, S_URL, TYPE_SECTIONS

_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_RE: Final = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}(?:/(?:3[0-2]|[12]?[0-9]))?")
# RFC 1123 host name label: letters, digits, hyphens; no hyphen at either end.
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME_RE: Final = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")
# RFC 3986: scheme ":" then only unreserved, reserved and %-encoded characters.
URL_RE: Final = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*:(?://((?:[A-Za-z0-9\-._~!$&'()*+,;=:@\[\]]|%[0-9A-Fa-f]{2})*))?"
    r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*"
)
MAC_RE: Final = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")
# RFC 5322 addr-spec: dot-atom or quoted local part, '@', domain.
EMAIL_RE: Final = re.compile(
    r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r'|"(?:[^"\\\r\n]|\\.)*")@(.+)'
)


def ipv4_defect(value: str) -> str | None:
    """§6.8: one IPv4 address or a CIDR block (prefix 0-32)."""
    if IPV4_RE.fullmatch(value) is None:
        return f"{value!r} is not an IPv4 address or CIDR block; STIX 2.1 {S_IPV4} requires one"
    return None


def ipv6_defect(value: str) -> str | None:
    """§6.9: one IPv6 address or a CIDR block (prefix 0-128)."""
    address, slash, prefix = value.partition("/")
    try:
        if "%" in address:
            raise ValueError("zone index")
        ipaddress.IPv6Address(address)
        if slash and not (prefix.isdigit() and len(prefix) <= 3 and int(prefix) <= 128):
            raise ValueError("prefix")
    except ValueError:
        return f"{value!r} is not an IPv6 address or CIDR block; STIX 2.1 {S_IPV6} requires one"
    return None


def hostname_defect(value: str) -> str | None:
    """Whether ``value`` is an RFC 1034/1123 host name (IDNs accepted in Unicode form)."""
    name = value
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return "is not a valid internationalised domain name"
    if len(name.rstrip(".")) > 253 or HOSTNAME_RE.fullmatch(name) is None:
        return "is not a host name (labels of letters, digits and inner hyphens)"
    if name.rstrip(".").rpartition(".")[2].isdigit():
        return "ends in an all-numeric label, so it is not a host name"
    return None


def domain_name_defect(value: str) -> str | None:
    """§6.4: the value MUST be a valid domain name (RFC 1034, RFC 5890)."""
    defect = hostname_defect(value)
    if defect is not None:
        return f"{value!r} {defect}; STIX 2.1 {S_DOMAIN_NAME} requires a domain name"
    return None


def url_defect(value: str) -> str | None:
    """§6.15: the value MUST conform to RFC 3986 (an absolute URI with a scheme)."""
    match = URL_RE.fullmatch(value)
    if match is None:
        return (
            f"{value!r} is not an absolute URL; STIX 2.1 {S_URL} requires an RFC 3986 URL "
            "with a scheme and no spaces or unencoded special characters"
        )
    authority = match[1]
    if authority is not None and not authority.rpartition("@")[2]:
        return f"{value!r} has an empty host; STIX 2.1 {S_URL} requires an RFC 3986 URL"
    return None


def email_addr_defect(value: str) -> str | None:
    """§6.5: the value MUST be an RFC 5322 addr-spec (local-part@domain)."""
    match = EMAIL_RE.fullmatch(value)
    if match is None or len(value) > 254:
        return f"{value!r} is not an email address; STIX 2.1 {S_EMAIL_ADDR} requires addr-spec"
    domain = match[1]
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        if literal.startswith("IPv6:"):
            if ipv6_defect(literal[5:]) is None:
                return None
        elif IPV4_RE.fullmatch(literal) is not None and "/" not in literal:
            return None
        return f"{value!r} has a bad address literal; STIX 2.1 {S_EMAIL_ADDR} requires addr-spec"
    if hostname_defect(domain) is not None:
        return f"{value!r} has no valid domain; STIX 2.1 {S_EMAIL_ADDR} requires addr-spec"
    return None


def mac_addr_defect(value: str) -> str | None:
    """§6.10: a single colon-delimited, lowercase MAC-48 address with leading zeros."""
    if MAC_RE.fullmatch(value) is None:
        return (
            f"{value!r} is not a MAC-48 address; STIX 2.1 {TYPE_SECTIONS['mac-addr']} requires "
            "six colon-separated lowercase hex pairs"
        )
    return None


#: SCO type -> (rule code, judge of its ``value`` property).
VALUE_RULES: Final[dict[str, tuple[str, Callable[[str], str | None]]]] = {
    "ipv4-addr": ("invalid-ipv4-value", ipv4_defect),
    "ipv6-addr": ("invalid-ipv6-value", ipv6_defect),
    "domain-name": ("invalid-domain-name-value", domain_name_defect),
    "url": ("invalid-url-value", url_defect),
    "email-addr": ("invalid-email-addr-value", email_addr_defect),
    "mac-addr": ("invalid-mac-addr-value", mac_addr_defect),
}
