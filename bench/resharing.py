"""Benchmark: what a change of the agreements costs a worker, per record it holds.

When the agreements change, a worker looks at every record of its table: it decodes it and
compares each audience's view under the old agreements and the new
(``hub.disseminate.audiences.sharing_changes``), building the held views of those that
differ (hub/disseminate/sharing.py). This bench runs that loop over a table of generated
records, in one process, twice in the same run:

- ``same``: a switch to the same terms (a file saved unchanged): nothing differs, the
  baseline cost of looking;
- ``changed``: the ISP withdraws its consent to the NCA: the records it contributed to
  change for the NCA, and their held views are built.

    python bench/resharing.py [--records 50000] [--rounds 3]

The last line is machine-readable:
``resharing records=N changed=K same_us=X changed_us=Y`` (µs a record, best round).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hub.canonical import indicator_id_for_key  # noqa: E402
from hub.disseminate.audiences import (  # noqa: E402
    PublicationPlans,
    audiences_for,
    sharing_changes,
)
from protocols.tlp import TLP2_IDS, Tlp  # noqa: E402
from schemas.agreement import PartnerAgreement  # noqa: E402
from schemas.merge import MergeRecord, PartnerContribution  # noqa: E402

HUB = "identity--00000000-0000-4000-8000-000000000001"
STAMP = "2026-11-20T07:00:00.000Z"


def agreements(isp_consent: list[str]) -> dict[str, PartnerAgreement]:
    terms: list[dict[str, Any]] = [
        {"id": "isp", "sector": "isp", "attribution": "sector", "liaison_consent": isp_consent},
        {"id": "bank", "sector": "bank", "attribution": "anonymous", "amber_recipients": ["isp"]},
        {"id": "av", "sector": "av-vendor", "receives": ["malicious-code/*"]},
    ]
    return {
        t["id"]: PartnerAgreement.model_validate({"name": f"{t['id']} Ltd", **t}) for t in terms
    }


def contribution(partner: str, level: Tlp, n: int) -> PartnerContribution:
    return PartnerContribution(
        partner=partner,
        first_seen=STAMP,
        last_seen=STAMP,
        object_id=f"indicator--00000000-0000-4000-8000-{n:012d}",
        created=STAMP,
        modified=STAMP,
        confidence=60,
        markings=[TLP2_IDS[level]],
        crime_code="malicious-code/c2-server",
        valid_from=STAMP,
    )


def table(records: int) -> list[bytes]:
    """Records of three sharing shapes: the ISP's alone, the ISP's and the bank's, the AV's."""
    stored = []
    for n in range(records):
        key = f"ipv4-addr|10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        shapes = [
            [contribution("isp", Tlp.GREEN, n)],
            [contribution("isp", Tlp.GREEN, n), contribution("bank", Tlp.AMBER, n)],
            [contribution("av", Tlp.CLEAR, n)],
        ]
        record = MergeRecord(
            key=key,
            observable_type="ipv4-addr",
            observable_value=key.split("|")[1],
            pattern=f"[ipv4-addr:value = '{key.split('|')[1]}']",
            indicator_id=indicator_id_for_key(key),
            contributions={c.partner: c for c in shapes[n % 3]},
            version=1,
            created=STAMP,
            modified=STAMP,
        )
        stored.append(record.to_bytes())
    return stored


def plans(terms: Mapping[str, PartnerAgreement]) -> PublicationPlans:
    return PublicationPlans(terms, audiences_for(terms), hub_identity=HUB)


def look(stored: list[bytes], before: PublicationPlans, after: PublicationPlans) -> int:
    """The worker's loop (``Sharing._reshare``) without the sends: records changed."""
    changed = 0
    for raw in stored:
        if sharing_changes(before, after, MergeRecord.from_bytes(raw)):
            changed += 1
    return changed


def best_us(
    stored: list[bytes], after: Mapping[str, PartnerAgreement], rounds: int
) -> tuple[float, int]:
    best, changed = float("inf"), 0
    for _ in range(rounds):
        # Fresh plans each round, as a switch makes them.
        before, new = plans(agreements(["nca"])), plans(after)
        started = time.perf_counter()
        changed = look(stored, before, new)
        best = min(best, (time.perf_counter() - started) / len(stored) * 1e6)
    return best, changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    stored = table(args.records)
    same_us, unchanged = best_us(stored, agreements(["nca"]), args.rounds)
    changed_us, changed = best_us(stored, agreements([]), args.rounds)
    assert unchanged == 0
    print(f"same terms: {same_us:.1f} µs a record, none changed")
    print(f"consent withdrawn: {changed_us:.1f} µs a record, {changed} of {len(stored)} changed")
    print(
        f"resharing records={len(stored)} changed={changed} "
        f"same_us={same_us:.1f} changed_us={changed_us:.1f}"
    )


if __name__ == "__main__":
    main()
