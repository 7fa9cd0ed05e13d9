"""``/api/dashboard/lookup`` in process, on a real SQLite store: what an analyst may learn
of values from a case, within their clearance, and who may ask at all."""

from __future__ import annotations

from typing import Any

import httpx

from hub.agreements import AgreementBook
from hub.api import ApiServices, create_api
from hub.api.ui import create_dashboard_router
from hub.canonical import observable
from hub.disseminate.views import partner_identity_id
from hub.store.collections import analysts_collection
from protocols.tlp import Tlp
from tests.api.conftest import ANA, BEN, NORTHNET, OPS, SAMPLES, basic
from tests.store.stix import version_of

ANALYSTS = analysts_collection().id
C2 = observable("ipv4-addr", "45.155.206.10")
PHISH = observable("domain-name", "login-verify.example")
SECRET = observable("url", "https://drop.example/panel/")


def curated(
    seen: Any,
    modified: str,
    tlp: Tlp,
    contributors: dict[str, int],
    code: str,
    **extra: Any,
) -> dict[str, Any]:
    """A version of the analysts' view of ``seen``, its contributors named by identity."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": seen.indicator_id,
        "created": "2026-11-20T08:00:00.000Z",
        "modified": modified,
        "pattern": seen.pattern,
        "pattern_type": "stix",
        "valid_from": "2026-11-20T08:00:00.000Z",
        "confidence": max(contributors.values()),
        "object_marking_refs": [tlp.marking_id],
        "x_fusion_crime_code": code,
        "x_fusion_contributors": [
            {
                "source_ref": partner_identity_id(p),
                "first_seen": "2026-11-20T08:00:00.000Z",
                "last_seen": modified,
                "confidence": c,
            }
            for p, c in contributors.items()
        ],
        **extra,
    }


SEEDED = [
    curated(C2, "2026-11-20T08:00:00.000Z", Tlp.GREEN, {"isp-northnet": 60}, "malicious-code"),
    curated(
        C2,
        "2026-11-21T08:00:00.000Z",
        Tlp.GREEN,
        {"isp-northnet": 60, "av-sentinel": 80},
        "malicious-code/c2-server",
    ),
    # A bank's phishing domain, then marked RED by its contributor.
    curated(PHISH, "2026-11-20T09:00:00.000Z", Tlp.AMBER, {"bank-meridian": 70}, "fraud/phishing"),
    curated(PHISH, "2026-11-22T09:00:00.000Z", Tlp.RED, {"bank-meridian": 90}, "fraud/phishing"),
    # RED from the first version on.
    curated(SECRET, "2026-11-20T10:00:00.000Z", Tlp.RED, {"bank-meridian": 95}, "fraud"),
]


async def seeded(services: ApiServices) -> httpx.AsyncClient:
    await services.store.add_versions({ANALYSTS: [version_of(v) for v in SEEDED]})
    app = create_api(
        services,
        routers=[create_dashboard_router(AgreementBook(SAMPLES / "partners").current, None)],
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test")


async def look_up(
    client: httpx.AsyncClient, who: tuple[str, str], *values: str
) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/dashboard/lookup", params=[("q", v) for v in values], headers=basic(who)
    )
    assert response.status_code == 200, response.text
    answers: list[dict[str, Any]] = response.json()
    return answers


async def test_an_analyst_looks_up_defanged_values_and_gets_each_indicators_history(
    services: ApiServices,
) -> None:
    async with await seeded(services) as client:
        c2, phish, unknown, unreadable = await look_up(
            client, ANA, "45.155.206[.]10", "Login-Verify[.]Example.", "198.51.100.99", "999.1.1.1"
        )
    assert (c2["observable_type"], c2["observable_value"]) == ("ipv4-addr", "45.155.206.10")
    assert c2["indicator_id"] == C2.indicator_id
    assert c2["curated"]["versions"] == 2
    assert c2["curated"]["crime_code"] == "malicious-code/c2-server"
    assert c2["curated"]["marking"] == "TLP:GREEN"
    assert [(c["partner"], c["confidence"]) for c in c2["curated"]["contributors"]] == [
        ("isp-northnet", 60),
        ("av-sentinel", 80),
    ]
    assert [v["crime_code"] for v in c2["versions"]] == [
        "malicious-code",
        "malicious-code/c2-server",
    ]
    # ana holds RED clearance: she sees the bank's domain as it is now.
    assert phish["curated"]["marking"] == "TLP:RED" and phish["curated"]["versions"] == 2
    assert unknown["curated"] is None and unknown["error"] is None
    assert unknown["observable_value"] == "198.51.100.99"
    assert unreadable["curated"] is None
    assert unreadable["error"].startswith("ipv4-addr value '999.1.1.1': Octet 999")


async def test_an_analyst_without_red_clearance_learns_nothing_marked_red(
    services: ApiServices,
) -> None:
    async with await seeded(services) as client:
        phish, secret = await look_up(client, BEN, PHISH.value, SECRET.value)
        by_id = await look_up(client, BEN, SECRET.indicator_id)
        (ana_secret,) = await look_up(client, ANA, SECRET.value)
    # ben (AMBER+STRICT) keeps the AMBER version he could see, not the RED one after it.
    assert phish["curated"]["versions"] == 1
    assert phish["curated"]["marking"] == "TLP:AMBER"
    assert phish["curated"]["confidence"] == 70
    assert [v["marking"] for v in phish["versions"]] == ["TLP:AMBER"]
    # Of an indicator that was always RED he learns nothing, by value or by id: not even
    # that it exists (the answer is that of a value nobody reported).
    for answer in (secret, *by_id):
        assert answer["curated"] is None and answer["versions"] == []
    assert by_id[0]["observable_type"] is None
    assert ana_secret["curated"]["contributors"][0]["partner"] == "bank-meridian"


async def test_only_analysts_may_look_up_and_a_bad_request_says_why(
    services: ApiServices,
) -> None:
    async with await seeded(services) as client:
        url = "/api/dashboard/lookup"
        operator = await client.get(url, params={"q": C2.value}, headers=basic(OPS))
        partner = await client.get(url, params={"q": C2.value}, headers=basic(NORTHNET))
        anonymous = await client.get(url, params={"q": C2.value})
        empty = await client.get(url, headers=basic(ANA))
        too_many = await client.get(
            url, params=[("q", f"198.51.100.{n}") for n in range(101)], headers=basic(ANA)
        )
    assert operator.status_code == 403
    assert "operators" in operator.json()["detail"]
    assert partner.status_code == 403
    assert anonymous.status_code == 401
    assert empty.status_code == 400
    assert "name the values to look up" in empty.json()["detail"]
    assert too_many.status_code == 400
    assert "at most 100 values at once, not 101" in too_many.json()["detail"]
