"""Redaction at admission: personal data leaves as a keyed hash, or not at all."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.admit.admission import Admitter
from hub.canonical import observable_from_pattern
from protocols.pii import find_pii, luhn_valid, might_hold_pii, spans_found
from protocols.redaction import Redaction, redaction_secret
from schemas.envelopes import IngestRecord, Origin
from tests.protocols.builders import agreement

SECRET = b"test-secret-of-32-bytes-exactly!"
ALL = frozenset({"email", "account-number", "card-number", "person-name", "user-account"})
CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"
RAW = ("victim.jane@customers.example", CARD, "4111111111111111", IBAN, "Jane Doe", "jdoe99")


def _indicator(**fields: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--5f6a3e3c-2b4b-4f7e-9a59-1f0c1f0d6c11",
        "created": "2026-11-20T08:00:00.000Z",
        "modified": "2026-11-20T08:00:00.000Z",
        "pattern": "[email-addr:value = 'Victim.Jane@Customers.EXAMPLE']",
        "pattern_type": "stix",
        "valid_from": "2026-11-20T08:00:00.000Z",
        "labels": ["phishing"],
        **fields,
    }


def test_an_email_indicator_keeps_a_valid_pattern_with_a_keyed_hash() -> None:
    redacted = Redaction(SECRET).redact(_indicator(), ALL)
    observable = observable_from_pattern(redacted["pattern"])
    assert observable.type == "email-addr"
    assert observable.value.startswith("pii-email-")
    assert observable.value.endswith("@redacted.invalid")
    assert "victim" not in redacted["pattern"].lower()


def test_equal_values_correlate_and_the_key_matters() -> None:
    spelled_twice = [
        Redaction(SECRET).redact(_indicator(pattern=f"[email-addr:value = '{v}']"), ALL)
        for v in ("Victim.Jane@customers.example", "Victim.Jane@CUSTOMERS.example")
    ]
    assert spelled_twice[0]["pattern"] == spelled_twice[1]["pattern"]
    other_key = Redaction(b"another-secret-of-enough-length!").redact(_indicator(), ALL)
    assert other_key["pattern"] != spelled_twice[0]["pattern"]


def test_free_text_loses_every_class_asked_for() -> None:
    text = (
        f"Jane Doe (victim.jane@customers.example, user: jdoe99) paid with {CARD}; "
        f"IBAN {IBAN}, account no: 12345678 via https://jdoe99:pw@evil.example/x"
    )
    redacted = Redaction(SECRET).redact(_indicator(description=text, name=text), ALL)
    # person-name: free text cannot be searched for names, so it is removed.
    assert "description" not in redacted and "name" not in redacted
    kept = Redaction(SECRET).redact(_indicator(description=text), ALL - {"person-name"})
    for raw in ("victim.jane@", CARD, "4111", "GB82", "12345678", "jdoe99"):
        assert raw not in kept["description"], raw
    assert "https://pii-user-account-" in kept["description"]
    assert "evil.example/x" in kept["description"]


def test_only_the_classes_of_the_agreement_are_touched() -> None:
    obj = _indicator(description=f"card {CARD} of victim.jane@customers.example")
    redacted = Redaction(SECRET).redact(obj, frozenset({"card-number"}))
    assert redacted["pattern"] == obj["pattern"]
    assert "victim.jane@customers.example" in redacted["description"]
    assert CARD not in redacted["description"]
    assert Redaction(SECRET)(obj, agreement("isp-b")) is obj  # nothing to redact


def test_redacting_twice_changes_nothing() -> None:
    obj = _indicator(description=f"{CARD} {IBAN} victim.jane@customers.example user=jdoe99")
    once = Redaction(SECRET).redact(obj, ALL - {"person-name"})
    assert Redaction(SECRET).redact(once, ALL - {"person-name"}) == once


def test_hashes_ids_and_times_are_never_mistaken_for_numbers() -> None:
    digest = "4111111111111111" + "a" * 48
    obj = _indicator(pattern=f"[file:hashes.'SHA-256' = '{digest}']")
    assert Redaction(SECRET).redact(obj, ALL) == {k: v for k, v in obj.items()}
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert find_pii("order 4111111111111112 ref", ALL) == []


def test_structured_accounts_and_names_are_hashed_whole() -> None:
    account = {
        "type": "user-account",
        "id": "user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c",
        "account_login": "jdoe99",
        "display_name": "Jane  DOE",
    }
    redacted = Redaction(SECRET).redact(account, ALL)
    assert redacted["account_login"].startswith("pii-user-account-")
    assert redacted["display_name"] == Redaction(SECRET).token("person-name", "jane doe")
    pattern = "[user-account:account_login = 'jdoe99'] AND [url:value = 'https://a.example/']"
    assert Redaction(SECRET).redact_pattern(pattern, ALL) == (
        f"[user-account:account_login = '{redacted['account_login']}'] "
        "AND [url:value = 'https://a.example/']"
    )


def test_the_admitter_keys_the_redacted_value_and_never_carries_the_raw_one() -> None:
    bank = agreement("bank-a", sector="bank", redact=sorted(ALL))
    obj = _indicator(description=f"Jane Doe paid with {CARD}", labels=["phishing", "login=jdoe99"])
    record = IngestRecord(
        ingest_id="i-1",
        partner="bank-a",
        received="2026-11-20T08:00:01.000Z",
        payload=orjson.dumps(obj).decode(),
        origin=Origin(channel="cli"),
    )
    admission = Admitter(agreements={"bank-a": bank}, redactor=Redaction(SECRET)).admit(record)
    [contribution] = admission.contributions
    assert contribution.observable_value.startswith("pii-email-")
    blob = contribution.to_bytes().decode().lower()
    for raw in RAW:
        assert raw.lower() not in blob, raw


def test_the_secret_is_configured_or_made_once_and_kept(tmp_path: Path) -> None:
    assert redaction_secret("a-configured-secret-value", tmp_path / "k") == (
        b"a-configured-secret-value"
    )
    with pytest.raises(ValueError, match="at least 16 bytes"):
        redaction_secret("short", tmp_path / "k")
    made = redaction_secret(None, tmp_path / "state" / "redaction.secret")
    assert len(made) >= 32
    assert redaction_secret(None, tmp_path / "state" / "redaction.secret") == made
    mode = os.stat(tmp_path / "state" / "redaction.secret").st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert "test-secret" not in repr(Redaction(SECRET))


def test_an_escaped_quote_in_the_address_is_hashed_with_it() -> None:
    def redacted(address: str) -> str:
        pattern = f"[email-addr:value = '{address}']"
        return str(Redaction(SECRET).redact(_indicator(pattern=pattern), ALL)["pattern"])

    assert redacted(r"o\'brien@customers.example") == redacted(r"o\'brien@CUSTOMERS.example")
    assert redacted(r"o\'brien@customers.example") != redacted("obrien@customers.example")
    assert "brien" not in redacted(r"o\'brien@customers.example")


# Pieces PII is made of, and near misses, for the quick look's property test below.
_PIECES = [
    "a",
    "Z",
    "7",
    "0",
    "4111",
    "1111",
    " ",
    "-",
    ".",
    "@",
    "%40",
    "://",
    "'",
    ":",
    "=",
    "#",
    "x@example.com",
    "bob",
    "account no",
    "Account No",
    "a/c",
    "A/C",
    "acct",
    "konto",
    "user",
    "USER",
    "login",
    "Login",
    "uid",
    "DE89",
    "3704",
    "0044",
    "0532",
    "013000",
    "12-34-56 ",
    "12345678",
    "pii-email-",
    "0" * 32,
    "https://",
    "\n",
    "é",
]
_CLASS_SETS = [
    frozenset(c)
    for c in (
        {"email"},
        {"card-number"},
        {"account-number"},
        {"user-account"},
        {"person-name"},
        {"email", "account-number", "card-number"},
        {"email", "account-number", "card-number", "person-name", "user-account"},
    )
]


@settings(max_examples=3000, deadline=None)
@given(
    text=st.lists(st.sampled_from(_PIECES), max_size=14).map("".join),
    classes=st.sampled_from(_CLASS_SETS),
)
def test_the_quick_look_never_passes_over_text_that_holds_pii(
    text: str, classes: frozenset[str]
) -> None:
    # find_pii first searches every finder of the classes at once and stops if none
    # matches: it must never stop where the finders, run one by one, find a span.
    found = spans_found(text, classes)
    if found:
        assert might_hold_pii(text, classes)
    assert find_pii(text, classes) == found


_PATHS = [
    "ipv4-addr:value",
    "email-addr:value",
    "user-account:user_id",
    "user-account:account_login",
    "user-account:display_name",
    "url:value",
    "file:hashes.'SHA-256'",
    "x-custom:name",
]


def _quoted(body: str) -> str:
    return "'" + body.replace("\\", "\\\\").replace("'", "\\'") + "'"


@settings(max_examples=2000, deadline=None)
@given(
    comparisons=st.lists(
        st.tuples(
            st.sampled_from(_PATHS),
            st.lists(st.sampled_from([*_PIECES, "\\", "'", "b'"]), max_size=8).map("".join),
        ),
        min_size=1,
        max_size=3,
    ),
    classes=st.sampled_from(_CLASS_SETS),
)
def test_the_quick_look_at_a_pattern_never_passes_over_a_constant_that_changes(
    comparisons: list[tuple[str, str]], classes: frozenset[str]
) -> None:
    # redact_pattern first asks whether any constant could change and returns the pattern
    # as it is if none can; tokenising and judging each constant must agree.
    pattern = " AND ".join(f"[{path} = {_quoted(body)}]" for path, body in comparisons)
    redaction = Redaction(b"k" * 32)
    assert redaction.redact_pattern(pattern, classes) == redaction.redact_each_constant(
        pattern, classes
    )


# The least text each finder matches (and a few spellings): the quick look's cheap checks
# of what a finder needs must let every one through.
_LEAST_MATCHES = [
    ("email", "x@example.com"),
    ("email", "q=bob%40example.com"),
    ("card-number", "4222222222222"),
    ("account-number", "DE89370400440532013000"),
    ("account-number", "DE89 3704 0044 0532 0130 00"),
    ("account-number", "a/c 123456"),
    ("account-number", "acct# 12-34-56"),
    ("account-number", "konto 123456"),
    ("account-number", "12-34-56 12345678"),
    ("user-account", "https://bob:pw@example.com/"),
    ("user-account", "user=bob"),
    ("user-account", "USER_ID: bob"),
    ("user-account", "login:bob"),
    ("user-account", "uid=7"),
]


@pytest.mark.parametrize(("pii_class", "text"), _LEAST_MATCHES)
def test_the_quick_look_passes_the_least_match_of_every_finder(pii_class: str, text: str) -> None:
    classes = frozenset({pii_class})
    assert any(span.pii_class == pii_class for span in spans_found(text, classes)), text
    assert might_hold_pii(text, classes)
    assert might_hold_pii(f"[x:y = '{text}']", classes)
