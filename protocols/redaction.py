"""Redaction at admission: personal data replaced by a keyed hash before it goes further.

The admitter calls a ``Redaction`` on every valid object of a partner whose agreement lists
PII classes (``redact``). Each value found becomes ``pii-<class>-<32 hex>``: the first 128
bits of HMAC-SHA256 under the hub's secret over the class and the canonical value. Equal
values give equal tokens, so they still correlate across partners and over time, while
nobody without the secret can test a guess. The raw value goes no further than this
function: not to ``fusion.admitted``, the table, any topic or the store.

An e-mail address becomes ``pii-email-<hex>@redacted.invalid``: still an addr-spec, so an
``[email-addr:value = '...']`` indicator stays a valid pattern with a canonical key, and
the ``.invalid`` TLD (RFC 2606) guarantees no one mails it. Person names have no shape to
find, so for that class free-text properties (``description``, an SDO's ``name``, ...) are
removed, and structured names (``display_name``) are hashed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Any, Final

from protocols.pii import TOKEN_DOMAIN, email_value, find_pii, is_email, might_hold_pii
from schemas.agreement import PartnerAgreement
from schemas.stix.spec import SCO_TYPES

StixObject = dict[str, Any]

MIN_SECRET_BYTES: Final = 16
# Properties that hold ids, times, hashes or vocabulary, never personal data: left alone
# (a SHA-256 may well contain a Luhn-valid run of digits).
_STRUCTURAL: Final = frozenset(
    {
        "type",
        "id",
        "spec_version",
        "created",
        "modified",
        "valid_from",
        "valid_until",
        "first_seen",
        "last_seen",
        "first_observed",
        "last_observed",
        "pattern_type",
        "pattern_version",
        "lang",
        "hashes",
        "x_fusion_crime_code",
    }
)
# Free text where a person's name may sit unfindable: removed for ``person-name``.
_FREE_TEXT: Final = frozenset({"description", "abstract", "content", "opinion", "explanation"})
# Whole values of a known kind: hashed as one.
_WHOLE_VALUES: Final = {
    ("email-addr", "value"): "email",
    ("user-account", "user_id"): "user-account",
    ("user-account", "account_login"): "user-account",
}
# STIX 2.1 §9: a path (with quoted steps such as hashes.'SHA-256') or a string constant.
_QUOTED = r"'(?:[^'\\]|\\['\\])*'"
_PATTERN_TOKEN = re.compile(
    rf"(?P<path>(?P<sco>[a-z0-9-]+):(?P<steps>[a-z0-9_]+(?:\.(?:[a-z0-9_]+|{_QUOTED})"
    rf"|\[(?:\d+|\*)\])*))|(?P<prefix>[tbh]?)(?P<literal>{_QUOTED})"
)


class Redaction:
    """The admission ``redactor``: an object with the agreement's PII classes hashed away."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the redaction secret must be at least {MIN_SECRET_BYTES} bytes long")
        self._secret = secret

    def __repr__(self) -> str:
        return "Redaction(secret=***)"

    def token(self, pii_class: str, value: str) -> str:
        """The keyed hash standing for ``value``; an e-mail address stays an address."""
        message = f"{pii_class}:{value}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]
        token = f"pii-{pii_class}-{digest}"
        return f"{token}@{TOKEN_DOMAIN}" if pii_class == "email" else token

    def __call__(self, obj: StixObject, agreement: PartnerAgreement) -> StixObject:
        if not agreement.redact:
            return obj
        return self.redact(obj, frozenset(agreement.redact))

    def redact(self, obj: StixObject, classes: frozenset[str]) -> StixObject:
        """A copy of ``obj`` with every value of ``classes`` replaced or removed."""
        object_type = str(obj.get("type", ""))
        redacted: StixObject = {}
        for key, value in obj.items():
            if key in _STRUCTURAL or key.endswith(("_ref", "_refs")):
                redacted[key] = value
            elif "person-name" in classes and _is_free_text(object_type, key):
                continue
            elif key == "pattern" and isinstance(value, str):
                redacted[key] = self.redact_pattern(value, classes)
            elif isinstance(value, str) and (object_type, key) in _WHOLE_VALUES:
                redacted[key] = self._whole(_WHOLE_VALUES[object_type, key], value, classes)
            elif isinstance(value, str) and key == "display_name":
                redacted[key] = self._whole("person-name", value, classes)
            else:
                redacted[key] = self._nested(value, classes)
        return redacted

    def redact_text(self, text: str, classes: frozenset[str]) -> str:
        spans = find_pii(text, classes)
        if not spans:
            return text
        parts, end = [], 0
        for span in spans:
            parts += [text[end : span.start], self.token(str(span.pii_class), span.value)]
            end = span.end
        parts.append(text[end:])
        return "".join(parts)

    def redact_pattern(self, pattern: str, classes: frozenset[str]) -> str:
        """The pattern with each string constant redacted as what its path compares."""
        if not _may_redact_in(pattern, classes):
            return pattern
        return self.redact_each_constant(pattern, classes)

    def redact_each_constant(self, pattern: str, classes: frozenset[str]) -> str:
        """``redact_pattern`` without its quick look: every constant tokenised and judged."""
        path: tuple[str, str] = ("", "")

        def constant(match: re.Match[str]) -> str:
            nonlocal path
            if match.group("path") is not None:
                path = (match.group("sco"), match.group("steps"))
                return match.group()
            if match.group("prefix"):  # a timestamp, binary or hex constant
                return match.group()
            body = _unquote(match.group("literal"))
            redacted = self._constant(path, body, classes)
            return match.group() if redacted == body else _quote(redacted)

        return _PATTERN_TOKEN.sub(constant, pattern)

    def _constant(self, path: tuple[str, str], body: str, classes: frozenset[str]) -> str:
        sco, steps = path
        last_step = steps.rsplit(".", 1)[-1]
        if "hashes" in steps:
            return body
        if sco == "user-account" and last_step in ("user_id", "account_login"):
            return self._whole("user-account", body, classes)
        if last_step == "display_name":
            return self._whole("person-name", body, classes)
        return self._whole("email", body, classes)

    def _whole(self, pii_class: str, value: str, classes: frozenset[str]) -> str:
        if pii_class not in classes:
            return self.redact_text(value, classes)
        if pii_class == "email":
            if is_email(value):
                return self.token("email", email_value(value))
            return self.redact_text(value, classes)  # not one address: look inside
        if value.startswith(f"pii-{pii_class}-"):
            return value  # already redacted
        normalised = " ".join(value.split()).casefold() if pii_class == "person-name" else value
        return self.token(pii_class, normalised)

    def _nested(self, value: object, classes: frozenset[str]) -> Any:
        if isinstance(value, str):
            return self.redact_text(value, classes)
        if isinstance(value, list):
            return [self._nested(item, classes) for item in value]
        if isinstance(value, dict):
            return self.redact(value, classes)
        return value


def _may_redact_in(pattern: str, classes: frozenset[str]) -> bool:
    """False if no constant of ``pattern`` can change: most patterns (an address, a domain,
    a hash) hold nothing, and tokenising them cost more than the rest of the redaction.

    A constant changes if its path hashes it whole (a user account's ids, a display name;
    only when that class is asked for), or if a finder matches in it. A finder matching in
    a constant also matches in the pattern's text: unquoting only drops a backslash before
    a quote or a backslash, which no finder's match or its edges tells apart.
    """
    if "user-account" in classes and "user-account:" in pattern:
        return True
    if "person-name" in classes and "display_name" in pattern:
        return True
    return might_hold_pii(pattern, classes)


def _is_free_text(object_type: str, key: str) -> bool:
    # An SCO's `name` is what it is (a file name, a mutex): an SDO's is prose.
    return key in _FREE_TEXT or (key == "name" and object_type not in SCO_TYPES)


_ESCAPED_QUOTE = re.compile(r"\\(['\\])")


def _unquote(literal: str) -> str:
    inner = literal[1:-1]
    return _ESCAPED_QUOTE.sub(r"\1", inner) if "\\" in inner else inner


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def redaction_secret(configured: str | None, key_file: Path) -> bytes:
    """The hub's redaction secret: ``FUSIONHUB_REDACTION_SECRET``, else one kept in a file.

    Without a configured secret a random one is made once in ``key_file`` (mode 0600) and
    reused, so tokens stay equal across restarts of one deployment. Workers on several hosts
    must share one configured secret, or their tokens will not correlate.
    """
    if configured:
        secret = configured.encode()
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(
                f"FUSIONHUB_REDACTION_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
            )
        return secret
    if key_file.exists():
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    draft = key_file.with_name(f".{key_file.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_hex(32).encode())
    try:
        os.link(draft, key_file)  # atomic: of two workers starting at once, one secret wins
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return key_file.read_bytes().strip()
