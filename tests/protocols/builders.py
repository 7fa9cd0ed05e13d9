"""Records, contributions and agreements for the protocol tests, with fixed times and ids."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from hub.canonical import indicator_id_for_key
from protocols.tlp import TLP2_IDS, Tlp
from schemas.agreement import PartnerAgreement
from schemas.merge import MergeRecord, PartnerContribution

KEY = "domain-name|login.phish.example"
MODIFIED = "2026-11-20T10:00:00.000Z"
HUB = "identity--00000000-0000-4000-8000-000000000001"


def contribution(
    partner: str,
    level: Tlp | None = Tlp.GREEN,
    crime_code: str = "fraud/phishing",
    **changes: Any,
) -> PartnerContribution:
    base = PartnerContribution(
        partner=partner,
        first_seen="2026-11-20T08:00:00.000Z",
        last_seen="2026-11-20T09:00:00.000Z",
        object_id=f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, partner)}",
        created="2026-11-20T07:00:00.000Z",
        modified="2026-11-20T07:00:00.000Z",
        confidence=60,
        markings=[] if level is None else [TLP2_IDS[level]],
        crime_code=crime_code,
        valid_from="2026-11-20T07:00:00.000Z",
    )
    return replace(base, **changes)


def record(*contributions: PartnerContribution, modified: str = MODIFIED) -> MergeRecord:
    return MergeRecord(
        key=KEY,
        observable_type="domain-name",
        observable_value="login.phish.example",
        pattern="[domain-name:value = 'login.phish.example']",
        indicator_id=indicator_id_for_key(KEY),
        contributions={c.partner: c for c in contributions},
        version=1,
        created=modified,
        modified=modified,
    )


def agreement(partner: str, **fields: Any) -> PartnerAgreement:
    return PartnerAgreement.model_validate(
        {"id": partner, "name": f"{partner} Ltd", "sector": "other", **fields}
    )


# Four partners whose agreements between them use every option of the TLP table.
AGREEMENTS = {
    a.id: a
    for a in (
        agreement(
            "bank-a",
            sector="bank",
            attribution="anonymous",
            receives=["fraud/*"],
            amber_recipients=["isp-b"],
            liaison_consent=["nca"],
        ),
        agreement(
            "isp-b",
            sector="isp",
            attribution="sector",
            receives=["malicious-code/*", "fraud/*"],
            amber_recipients=["bank-a"],
            liaison_consent={"nca": "TLP:AMBER", "interpol": "TLP:GREEN"},
        ),
        agreement(
            "av-c",
            sector="av-vendor",
            receives=["malicious-code/*"],
            max_marking="TLP:GREEN",
        ),
        agreement("cert-d", sector="cert", receives=["*"]),
    )
}
