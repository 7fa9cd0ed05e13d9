"""The e-crime picture the dashboard draws: curated indicators per crime code, sector, day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import orjson

from hub.disseminate.views import partner_identity_id, sector_identity_id
from hub.store import LAST, ObjectFilter, Store
from schemas.agreement import PartnerAgreement

_PAGE = 1000
_SECTORS = ("isp", "bank", "av-vendor", "cert", "telecom", "payments", "other")


def sector_of_refs(agreements: Mapping[str, PartnerAgreement]) -> dict[str, str]:
    """Contributor identity -> sector, for partners named and for sector attributions."""
    refs = {sector_identity_id(sector): sector for sector in _SECTORS}
    refs.update({partner_identity_id(a.id): a.sector for a in agreements.values()})
    return refs


async def ecrime_counts(
    store: Store,
    collection_id: str,
    agreements: Mapping[str, PartnerAgreement],
    *,
    max_tlp: int | None,
) -> dict[str, Any]:
    """Latest versions only: an indicator counts once however often it changed."""
    by_code: Counter[str] = Counter()
    by_sector: Counter[str] = Counter()
    by_day: Counter[str] = Counter()
    sectors = sector_of_refs(agreements)
    cursor: int | None = None
    total = 0
    while True:
        page = await store.page_objects(
            collection_id, ObjectFilter(after_us=cursor, versions=LAST, max_tlp=max_tlp), _PAGE
        )
        for item in page.items:
            stix = orjson.loads(item.body)
            if stix.get("type") != "indicator" or stix.get("revoked"):
                continue
            total += 1
            by_code[str(stix.get("x_fusion_crime_code", "unclassified"))] += 1
            by_day[str(stix.get("x_fusion_first_seen", stix.get("created", "")))[:10]] += 1
            contributors = stix.get("x_fusion_contributors") or []
            # An indicator corroborated by two sectors counts for each of them.
            for sector in {sectors.get(c.get("source_ref"), "anonymous") for c in contributors}:
                by_sector[sector] += 1
        if not page.more or page.last_added is None:
            break
        cursor = page.last_added
    return {
        "total": total,
        "by_crime_code": dict(by_code.most_common()),
        "by_sector": dict(by_sector.most_common()),
        "by_day": dict(sorted(by_day.items())),
    }
