"""Synthetic partner feeds for the pipeline tests: variants, duplicates and invalid objects."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

import orjson

from hub.canonical import Observable, observable_from_pattern
from hub.kafka_io import new_ingest_record
from schemas.envelopes import IngestRecord, Origin

PARTNERS = ("isp-northnet", "bank-meridian", "av-sentinel")
_NS = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")


def _variants(kind: str, n: int) -> tuple[str, list[str]]:
    """A canonical pattern, the label that codes it, and spellings partners may use."""
    if kind == "ipv4":
        ip = f"198.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        return "c2", [f"[ipv4-addr:value = '{ip}']", f"[ipv4-addr:value = '{ip}/32']"]
    if kind == "ipv6":
        word = f"{n:x}"
        # 3fff::/20 (RFC 9637) is documentation space no warninglist holds; 2001:db8::/32
        # is on MISP's RFC 3849 list, so the hub would suppress it as known-benign.
        return "c2", [
            f"[ipv6-addr:value = '3fff::{word}']",
            f"[ipv6-addr:value = '3FFF:0:0:0:0:0:0:{word.upper()}']",
        ]
    if kind == "domain":
        name = f"login-{n}.phish.example"
        return "phishing", [
            f"[domain-name:value = '{name}']",
            f"[domain-name:value = '{name.upper()}.']",
        ]
    if kind == "url":
        return "phishing", [
            f"[url:value = 'https://pay-{n}.example/auth/~x']",
            f"[url:value = 'HTTPS://Pay-{n}.example:443/auth/%7Ex']",
        ]
    digest = uuid.uuid5(_NS, f"hash{n}").hex * 2
    return "malware-sample", [
        f"[file:hashes.'SHA-256' = '{digest}']",
        f"[file:hashes.'SHA-256' = '{digest.upper()}']",
    ]


def indicator(partner: str, pattern: str, label: str, *, confidence: int) -> dict[str, object]:
    ts = "2026-11-20T08:00:00.000Z"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(_NS, partner + '|' + pattern)}",
        "created": ts,
        "modified": ts,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": ts,
        "confidence": confidence,
        "labels": [label],
        "indicator_types": ["malicious-activity"],
    }


_INVALID = [
    ("confidence", 150),
    ("modified", "2026-01-01T00:00:00.000Z"),  # earlier than created
    ("id", "indicator--{not-a-uuid}"),
    ("pattern", "[ipv4-addr:value = '1.2.3.4'] WITHIN 0 SECONDS"),
    ("valid_from", None),  # missing
    ("confidence", "50"),  # a string
]


@dataclass
class Feed:
    records: list[IngestRecord] = field(default_factory=list)
    expected: dict[str, set[str]] = field(default_factory=dict)  # curated id -> partners
    expected_crime: dict[str, str] = field(default_factory=dict)
    invalid_objects: int = 0
    keys: dict[str, Observable] = field(default_factory=dict)


def make_feed(*, distinct: int, records: int, invalid: int, seed: int = 7) -> Feed:
    """``records`` ingest records over ``distinct`` observables with ``invalid`` bad objects.

    Partners spell the same observable differently, re-send exact duplicates, and every
    20th invalid object sits in a bundle beside valid siblings.
    """
    rng = random.Random(seed)
    feed = Feed()
    kinds = ("ipv4", "ipv6", "domain", "url", "hash")
    reports: list[tuple[str, dict[str, object]]] = []
    for n in range(distinct):
        label, spellings = _variants(kinds[n % len(kinds)], n)
        obs = observable_from_pattern(spellings[0])
        partners = rng.sample(PARTNERS, rng.randint(1, 3))
        feed.expected[obs.indicator_id] = set(partners)
        feed.keys[obs.indicator_id] = obs
        for partner in partners:
            pattern = rng.choice(spellings)
            reports.append(
                (partner, indicator(partner, pattern, label, confidence=rng.randint(30, 90)))
            )
    bad: list[tuple[str, dict[str, object]]] = []
    for i in range(invalid):
        partner = PARTNERS[i % 3]
        obj = indicator(partner, f"[ipv4-addr:value = '203.0.113.{i % 250}']", "c2", confidence=50)
        obj["id"] = f"indicator--{uuid.uuid5(_NS, f'bad{i}')}"
        prop, value = _INVALID[i % len(_INVALID)]
        if value is None:
            del obj[prop]
        else:
            obj[prop] = value
        bad.append((partner, obj))
    feed.invalid_objects = len(bad)
    ingest: list[IngestRecord] = []

    def record(partner: str, payload: bytes, n: int) -> IngestRecord:
        return new_ingest_record(
            partner,
            payload,
            origin=Origin(channel="cli", name="synthetic", line=n),
            received=f"2026-11-20T09:{n // 60000 % 60:02d}:{n // 1000 % 60:02d}.{n % 1000:03d}Z",
        )

    # Every 20th bad object travels in a bundle with two valid reports.
    for i, (partner, obj) in enumerate(bad):
        if i % 20 == 0 and reports:
            siblings = [reports.pop() for _ in range(2)]
            objects = [s[1] for s in siblings if s[0] == partner] + [obj]
            for s in siblings:
                if s[0] != partner:
                    reports.append(s)
            payload = orjson.dumps(
                {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
            )
            ingest.append(record(partner, payload, len(ingest)))
        else:
            ingest.append(record(partner, orjson.dumps(obj), len(ingest)))
    for partner, obj in reports:
        ingest.append(record(partner, orjson.dumps(obj), len(ingest)))
    # Exact duplicates (same bytes re-delivered) of valid records fill the rest; a re-sent
    # invalid object is a new delivery, rejected again, so those keep the count exact.
    originals = ingest[len(bad) :]
    while len(ingest) < records:
        dup = rng.choice(originals)
        ingest.append(
            IngestRecord(
                ingest_id=str(uuid.uuid4()),
                partner=dup.partner,
                received=dup.received,
                payload=dup.payload,
                origin=dup.origin,
            )
        )
    if len(ingest) > records:
        raise ValueError(f"{len(ingest)} records needed for {distinct} observables; raise records")
    rng.shuffle(ingest)
    feed.records = ingest
    return feed
