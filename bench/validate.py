"""Benchmark: the hub's STIX 2.1 validator against stix2 (parse + pattern validation).

Runs ``validate_object`` and the reference (``stix2.parse(obj, allow_custom=True)``
plus ``stix2patterns`` validation of STIX patterns) over the labelled corpus
and a generated batch of realistic indicators, reports µs per object for
each, their ratio, and how many of the corpus's spec verdicts each reaches.

    python bench/validate.py [--indicators 5000] [--rounds 5]

The last line is machine-readable:
``validate fast_us=N reference_us=N ratio=R agreement=K/M``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import stix2  # noqa: E402
from stix2patterns.validator import run_validator  # noqa: E402

from schemas.stix import StixViolation, validate_object  # noqa: E402

CORPUS_DIR = ROOT / "tests" / "schemas" / "corpus"
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
TLP2_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


def load_corpus() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(CORPUS_DIR.glob("*.json")):
        cases.extend(json.loads(path.read_text(encoding="utf-8")))
    return cases


def _uuid4(rng: random.Random) -> str:
    digits = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[rng.getrandbits(2)]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def _observation(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        octets = (
            rng.randrange(1, 224),
            rng.randrange(256),
            rng.randrange(256),
            rng.randrange(1, 255),
        )
        return "ipv4-addr:value = '{}.{}.{}.{}'".format(*octets)
    if kind == 1:
        return f"domain-name:value = 'c2-{rng.getrandbits(24):06x}.example.net'"
    if kind == 2:
        host, query = rng.getrandbits(16), rng.getrandbits(20)
        return f"url:value = 'https://cdn-{host:04x}.example.com/gate.php?id={query}'"
    if kind == 3:
        mailbox, domain = rng.randrange(999), rng.getrandbits(16)
        return f"email-addr:value = 'billing{mailbox}@invoice-{domain:04x}.example'"
    if kind == 4:
        return f"file:hashes.'SHA-256' = '{rng.getrandbits(256):064x}'"
    if kind == 5:
        return f"file:hashes.MD5 = '{rng.getrandbits(128):032x}'"
    return f"ipv6-addr:value = '2001:db8:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}'"


def generate_indicators(count: int, seed: int = 2024) -> list[dict[str, Any]]:
    """Valid indicators like those members share: mixed observables, common metadata."""
    rng = random.Random(seed)
    identities = [f"identity--{_uuid4(rng)}" for _ in range(20)]
    indicators = []
    for _ in range(count):
        comparisons = [_observation(rng)]
        if rng.random() < 0.2:
            comparisons.append(_observation(rng))
        joiner = " AND " if rng.random() < 0.5 else " OR "
        day, hour, minute = rng.randrange(1, 28), rng.randrange(24), rng.randrange(60)
        created = f"2024-03-{day:02d}T{hour:02d}:{minute:02d}:00.{rng.randrange(1000):03d}Z"
        indicator: dict[str, Any] = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{_uuid4(rng)}",
            "created_by_ref": rng.choice(identities),
            "created": created,
            "modified": created,
            "name": "Banking trojan infrastructure",
            "indicator_types": ["malicious-activity"],
            "pattern": "[" + joiner.join(comparisons) + "]",
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": created[:19] + "Z",
            "confidence": rng.randrange(101),
            "labels": ["e-crime", rng.choice(["phishing", "banking", "ransomware", "c2"])],
            "object_marking_refs": [rng.choice([TLP_GREEN, TLP2_AMBER])],
        }
        if rng.random() < 0.5:
            indicator["valid_until"] = f"2024-{rng.randrange(4, 13):02d}-01T00:00:00Z"
        if rng.random() < 0.3:
            indicator["external_references"] = [
                {"source_name": "member-feed", "url": f"https://feed.example/{rng.getrandbits(32)}"}
            ]
        if rng.random() < 0.2:
            indicator["x_hub_sightings"] = rng.randrange(1, 50)
        indicators.append(indicator)
    return indicators


def hub_accepts(obj: Any) -> bool:
    try:
        validate_object(obj)
    except StixViolation:
        return False
    return True


def reference_accepts(obj: Any) -> bool:
    """stix2's verdict: parse, and for STIX patterns, the OASIS pattern validator too."""
    try:
        parsed = stix2.parse(obj, allow_custom=True)
        if (
            isinstance(obj, dict)
            and obj.get("type") == "indicator"
            and parsed.get("pattern_type") == "stix"
            and run_validator(parsed["pattern"], stix_version="2.1")
        ):
            return False
    except Exception:  # stix2 raises a zoo of exception types
        return False
    return True


def time_per_object(judge: Callable[[Any], bool], objects: list[Any], rounds: int) -> float:
    """Best µs per object over ``rounds`` passes (perf_counter)."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for obj in objects:
            judge(obj)
        samples.append((time.perf_counter() - started) / len(objects) * 1e6)
    print(
        f"    rounds (µs/object): {', '.join(f'{s:.1f}' for s in samples)}; "
        f"median {statistics.median(samples):.1f}"
    )
    return min(samples)


def agreement(judge: Callable[[Any], bool], cases: Iterable[dict[str, Any]]) -> tuple[int, int]:
    matched = total = 0
    for case in cases:
        total += 1
        matched += judge(case["object"]) == (case["expect"] == "valid")
    return matched, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # stix2 deprecation chatter is not the subject here

    corpus = load_corpus()
    indicators = generate_indicators(args.indicators)
    rejected = [obj["id"] for obj in indicators if not hub_accepts(obj)]
    if rejected:
        raise SystemExit(f"generated indicators rejected by the hub: {rejected[:3]}")
    objects = [case["object"] for case in corpus] + indicators
    print(f"objects: {len(corpus)} corpus + {len(indicators)} generated indicators")

    print("  hub validate_object:")
    fast_us = time_per_object(hub_accepts, objects, args.rounds)
    print("  reference stix2.parse + pattern validation:")
    reference_us = time_per_object(reference_accepts, objects, max(1, args.rounds // 2))
    print("  generated indicators only:")
    indicator_fast = time_per_object(hub_accepts, indicators, args.rounds)

    hub_matched, total = agreement(hub_accepts, corpus)
    stix2_matched, _ = agreement(reference_accepts, corpus)
    ratio = reference_us / fast_us
    print(f"hub:       {fast_us:8.1f} µs/object  ({indicator_fast:.1f} µs per generated indicator)")
    print(f"reference: {reference_us:8.1f} µs/object")
    print(f"ratio:     {ratio:8.1f}x")
    print(
        f"spec verdicts matched on the corpus: hub {hub_matched}/{total}, "
        f"stix2 {stix2_matched}/{total}"
    )
    print(
        f"validate fast_us={fast_us:.1f} reference_us={reference_us:.1f} "
        f"ratio={ratio:.1f} agreement={hub_matched}/{total}"
    )


if __name__ == "__main__":
    main()
