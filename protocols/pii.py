"""Finding personal data in free text: the spans a redaction replaces.

Pure and pattern-based. E-mail addresses, card numbers (Luhn-checked), account numbers
(IBANs checked by mod 97, numbers labelled as accounts, UK sort code + account) and user
accounts (labelled logins, URL user-info) can be found by their shape. Person names cannot
be found reliably in free text, so redaction removes free text for that class instead
(protocols/redaction.py); this module never claims to find them.

Tokens a redaction wrote (``pii-<class>-<hex>``) are recognised and never matched again,
so redacting twice changes nothing (a replayed record is redacted again at admission).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from hub.canonical import CanonicalError, canonical_email

TOKEN_DOMAIN: Final = "redacted.invalid"  # RFC 2606: never resolves, never a real mailbox
_CLASSES = r"email|account-number|card-number|person-name|user-account"
_TOKEN = re.compile(rf"pii-(?:{_CLASSES})-[0-9a-f]{{32}}(?:@{re.escape(TOKEN_DOMAIN)})?")
# Percent-encoded '@' too: an address in a URL's query stays one after canonicalisation.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+(?:@|%40)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}(?![\w-])"
)
_URL_USERINFO = re.compile(r"(?<=://)[^/?#@\s'\"]+(?=@)")
_CARD = re.compile(r"(?<!\w)(?:\d[ -]?){12,18}\d(?!\w)")
_IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?!\w)")
_LABELLED_ACCOUNT = re.compile(
    r"(?i)\b(?:account|acct|a/c|konto(?:nummer)?)\s*(?:no\.?|number|nr\.?|#)?\s*[:=#]?\s*"
    r"(?P<value>\d[\d -]{4,32}\d)(?!\w)"
)
_SORT_CODE_ACCOUNT = re.compile(r"(?<!\w)\d{2}-\d{2}-\d{2}\s+\d{8}(?!\w)")
_LABELLED_USER = re.compile(
    r"(?i)\b(?:user(?:[ _-]?name|[ _-]?id)?|login|uid|account[ _-]?login)\s*[:=]\s*"
    r"(?P<value>[^\s,;'\"]+)"
)
_SEPARATORS = re.compile(r"[ -]")


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """Where one piece of personal data sits in a text; ``pii_class`` None: leave it."""

    start: int
    end: int
    pii_class: str | None
    value: str  # canonical, so equal data spelled differently gets one keyed hash


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def email_value(text: str) -> str:
    """The canonical form of an address (domain lower case), the hash's input."""
    address = text.replace("%40", "@")
    try:
        return canonical_email(address)
    except CanonicalError:
        return address


def is_email(text: str) -> bool:
    return _EMAIL.fullmatch(text) is not None and _TOKEN.fullmatch(text) is None


def _candidates(text: str, classes: frozenset[str]) -> list[tuple[int, PiiSpan]]:
    """Every span any finder sees, with a priority for spans that start together."""
    found = [(0, PiiSpan(m.start(), m.end(), None, m.group())) for m in _TOKEN.finditer(text)]
    # URL user-info is found even when not redacted, so `user:pass@host` in a URL is
    # never mistaken for the address `pass@host`.
    found += [
        (
            1,
            PiiSpan(
                m.start(), m.end(), "user-account" if "user-account" in classes else None, m.group()
            ),
        )
        for m in _URL_USERINFO.finditer(text)
    ]
    if "email" in classes:
        found += [
            (2, PiiSpan(m.start(), m.end(), "email", email_value(m.group())))
            for m in _EMAIL.finditer(text)
        ]
    if "card-number" in classes:
        for m in _CARD.finditer(text):
            digits = _SEPARATORS.sub("", m.group())
            if 13 <= len(digits) <= 19 and luhn_valid(digits):
                found.append((3, PiiSpan(m.start(), m.end(), "card-number", digits)))
    if "account-number" in classes:
        for m in _IBAN.finditer(text):
            iban = m.group().replace(" ", "")
            if iban_valid(iban):
                found.append((4, PiiSpan(m.start(), m.end(), "account-number", iban)))
        for m in _LABELLED_ACCOUNT.finditer(text):
            digits = _SEPARATORS.sub("", m.group("value"))
            span = PiiSpan(m.start("value"), m.end("value"), "account-number", digits)
            found.append((5, span))
        for m in _SORT_CODE_ACCOUNT.finditer(text):
            value = re.sub(r"\D", "", m.group())
            found.append((5, PiiSpan(m.start(), m.end(), "account-number", value)))
    if "user-account" in classes:
        found += [
            (6, PiiSpan(m.start("value"), m.end("value"), "user-account", m.group("value")))
            for m in _LABELLED_USER.finditer(text)
        ]
    return found


# The finders that can give a span a class, per class (``_candidates``); the others (tokens,
# user-info when ``user-account`` is not asked for) only keep spans from being mistaken.
_CLASS_FINDERS: Final = {
    "email": (_EMAIL,),
    "card-number": (_CARD,),
    "account-number": (_IBAN, _LABELLED_ACCOUNT, _SORT_CODE_ACCOUNT),
    "user-account": (_URL_USERINFO, _LABELLED_USER),
}
_INLINE_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _alternative(finder: re.Pattern[str]) -> str:
    """``finder`` as one branch of an alternation: no names, its flags scoped to it."""
    pattern = _NAMED_GROUP.sub("(?:", finder.pattern)
    flags = _INLINE_FLAGS.match(pattern)
    if flags is None:
        return f"(?:{pattern})"
    return f"(?{flags.group(1)}:{pattern[flags.end() :]})"


_any_finder: dict[frozenset[str], re.Pattern[str] | None] = {}


def might_hold_pii(text: str, classes: frozenset[str]) -> bool:
    """False if no finder of ``classes`` matches anywhere in ``text``: nothing to redact.

    One search of every finder at once, where ``find_pii`` runs each in turn (most text - an
    indicator's labels, an address in its pattern - holds nothing, and the hub redacts every
    object of a partner whose agreement says so).
    """
    if not _shape_allows(text, classes):
        return False
    finder = _any_finder.get(classes)
    if finder is None and classes not in _any_finder:
        branches = [_alternative(f) for c in sorted(classes) for f in _CLASS_FINDERS.get(c, ())]
        finder = _any_finder[classes] = re.compile("|".join(branches)) if branches else None
    return finder is not None and finder.search(text) is not None


def _shape_allows(text: str, classes: frozenset[str]) -> bool:
    """False only where no finder of ``classes`` can match: ASCII ``text`` that lacks what
    each one needs at the least (an '@' for an address, 13 digits for a card, ...).

    A few scans of the string in C, where the alternation in ``might_hold_pii`` tries every
    finder at every position (15 us for an indicator's 32-character pattern here).
    """
    if not text.isascii():
        return True  # \d, \w and (?i) reach beyond ASCII: the finders judge
    digits = 0
    for digit in "0123456789":
        digits += text.count(digit)
    lowered = text.lower()
    if "email" in classes and ("@" in text or "%40" in text):
        return True
    if "card-number" in classes and digits >= 13:
        return True
    if "account-number" in classes and digits >= 2:
        if lowered != text:  # an IBAN starts with two capitals
            return True
        if "acc" in lowered or "a/c" in lowered or "konto" in lowered:  # a labelled number
            return True
        if digits >= 14 and "-" in text:  # sort code and account number
            return True
    if "user-account" in classes:
        if "://" in text and "@" in text:  # a URL's user-info
            return True
        if ("=" in text or ":" in text) and (
            "user" in lowered or "login" in lowered or "uid" in lowered
        ):
            return True
    return False


def find_pii(text: str, classes: frozenset[str]) -> list[PiiSpan]:
    """Non-overlapping spans of the requested classes in ``text``, left to right.

    Where finders overlap, the span that starts first wins, then the longer one, then the
    more specific finder (a token beats everything: it is already redacted).
    """
    if not might_hold_pii(text, classes):
        return []
    return spans_found(text, classes)


def spans_found(text: str, classes: frozenset[str]) -> list[PiiSpan]:
    """``find_pii`` without its first, quick look."""
    candidates = sorted(
        _candidates(text, classes),
        key=lambda item: (item[1].start, -(item[1].end - item[1].start), item[0]),
    )
    spans: list[PiiSpan] = []
    end = 0
    for _, span in candidates:
        if span.start >= end:
            spans.append(span)
            end = span.end
    return [span for span in spans if span.pii_class is not None]
