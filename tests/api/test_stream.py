"""``/stream`` in process: filters, own-audience views, and resuming after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson

from hub.agreements import AgreementBook
from hub.api import ApiServices, ServeSettings, create_api, open_services
from hub.api.stream import create_stream_router
from hub.disseminate.views import partner_identity_id, sector_identity_id
from hub.settings import HubSettings
from hub.store.collections import analysts_collection, feed_collection
from tests.api.conftest import ANA, BEN, NORTHNET, OPS, SAMPLES, basic
from tests.store.stix import indicator, version_of

ANALYSTS = analysts_collection().id
FEED = feed_collection("isp-northnet").id


def curated(n: int, code: str, confidence: int, contributor: str, **extra: Any) -> dict[str, Any]:
    obj = indicator(n, **extra)
    obj.update(
        x_fusion_crime_code=code,
        confidence=confidence,
        x_fusion_contributors=[{"source_ref": contributor, "confidence": confidence}],
    )
    if n % 2:
        obj["pattern"] = f"[domain-name:value = 'phish{n}.example']"
    return obj


BANK = partner_identity_id("bank-meridian")
ISP = sector_identity_id("isp")
SEEDED = [
    curated(1, "fraud/phishing", 80, BANK),
    curated(2, "malicious-code/c2-server", 40, ISP),
    curated(3, "fraud/phishing", 30, ISP),
    curated(4, "fraud/card-fraud", 90, BANK),
    curated(5, "availability/ddos", 70, BANK),
]


async def seed(services: ApiServices) -> None:
    versions = [version_of(obj) for obj in SEEDED]
    await services.store.add_versions({ANALYSTS: versions})
    # The partner's feed holds only what its agreement lets it see: a different view.
    await services.store.add_versions({FEED: [version_of(curated(9, "fraud/phishing", 50, ISP))]})


def client_for(services: ApiServices) -> httpx.AsyncClient:
    app = create_api(
        services, routers=[create_stream_router(AgreementBook(SAMPLES / "partners").current)]
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test")


def parse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "id" in fields:
            found.append((fields["id"], orjson.loads(fields["data"])))
    return found


async def read(
    http: httpx.AsyncClient, who: tuple[str, str], n: int, **params: Any
) -> list[tuple[str, dict[str, Any]]]:
    headers = {"Authorization": basic(who)["Authorization"]}
    if "last_event_id" in params:
        headers["Last-Event-ID"] = params.pop("last_event_id")
    response = await http.get("/stream", params={**params, "max_events": n}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_events(response.text)


async def test_filters_by_code_confidence_type_and_sector(services: ApiServices) -> None:
    await seed(services)
    async with client_for(services) as http:
        everything = await read(http, ANA, 5)
        assert [e[1]["id"] for e in everything] == [o["id"] for o in SEEDED]
        fraud = await read(http, ANA, 3, crime_code="fraud")
        assert [e[1]["id"] for e in fraud] == [SEEDED[i]["id"] for i in (0, 2, 3)]
        confident = await read(http, ANA, 3, min_confidence=70)
        assert [e[1]["confidence"] for e in confident] == [80, 90, 70]
        domains = await read(http, ANA, 3, indicator_type="domain-name")
        assert [e[1]["id"] for e in domains] == [SEEDED[i]["id"] for i in (0, 2, 4)]
        banks = await read(http, ANA, 3, sector="bank")
        assert [e[1]["id"] for e in banks] == [SEEDED[i]["id"] for i in (0, 3, 4)]
        both = await read(http, ANA, 1, crime_code="fraud/phishing", sector="isp")
        assert [e[1]["id"] for e in both] == [SEEDED[2]["id"]]


async def test_resume_after_restart_has_no_gap_and_no_repeat(
    services: ApiServices, tmp_path: Path
) -> None:
    await seed(services)
    async with client_for(services) as http:
        first = await read(http, ANA, 2)
    # A new server on the same store: the event id alone says where to go on.
    await services.store.close()
    reopened = await open_services(
        HubSettings(partners_dir=SAMPLES / "partners"),
        ServeSettings(hub_config=SAMPLES / "hub.yaml"),
        store_url=f"sqlite+aiosqlite:///{tmp_path / 'store.db'}",
        publisher=services.publisher,
    )
    try:
        async with client_for(reopened) as http:
            rest = await read(http, ANA, 3, last_event_id=first[-1][0])
            filtered = await read(http, ANA, 1, crime_code="fraud", last_event_id=first[0][0])
            bad = await http.get(
                "/stream",
                headers={**basic(ANA), "Last-Event-ID": f"{FEED}:1"},
                params={"max_events": 1},
            )
    finally:
        await reopened.store.close()
    ids = [e[1]["id"] for e in first + rest]
    assert ids == [o["id"] for o in SEEDED]
    assert len({e[0] for e in first + rest}) == 5
    assert [e[1]["id"] for e in filtered] == [SEEDED[2]["id"]]
    assert bad.status_code == 400  # another stream's id cannot be used to read this one


async def test_each_principal_streams_only_its_own_view(services: ApiServices) -> None:
    await seed(services)
    red = curated(7, "fraud/phishing", 60, BANK)
    red["object_marking_refs"] = ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]
    await services.store.add_versions({ANALYSTS: [version_of(red)]})
    async with client_for(services) as http:
        partner = await read(http, NORTHNET, 1)
        assert [e[1]["id"] for e in partner] == [curated(9, "x", 0, ISP)["id"]]
        assert all(e[0].startswith(FEED + ":") for e in partner)
        stolen = await http.get(
            "/stream",
            headers={**basic(NORTHNET), "Last-Event-ID": f"{ANALYSTS}:0"},
            params={"max_events": 1},
        )
        assert stolen.status_code == 400
        ana = await read(http, ANA, 6)
        assert ana[-1][1]["id"] == red["id"]  # RED clearance
        ben = await read(http, BEN, 5)
        assert red["id"] not in {e[1]["id"] for e in ben}
        assert (await http.get("/stream", headers=basic(OPS))).status_code == 403
        assert (await http.get("/stream")).status_code == 401


def moved(n: int, *steps: tuple[str, str, bool]) -> list[dict[str, Any]]:
    """The versions of indicator ``n``, one per (modified, crime code, revoked) step."""
    first = steps[0][0]
    versions = []
    for modified, code, revoked in steps:
        obj = curated(n, code, 60, BANK, modified=modified, created=first)
        versions.append({**obj, "revoked": True} if revoked else obj)
    return versions


async def test_a_code_s_stream_follows_an_indicator_that_left_it_to_its_revocation(
    services: ApiServices,
) -> None:
    # 21 starts as phishing, is classed as a C2 server, then revoked; 22 goes the other way.
    left = moved(
        21,
        ("2026-11-20T08:00:00.000Z", "fraud/phishing", False),
        ("2026-11-20T09:00:00.000Z", "malicious-code/c2-server", False),
        ("2026-11-20T10:00:00.000Z", "malicious-code/c2-server", True),
    )
    came = moved(
        22,
        ("2026-11-20T08:30:00.000Z", "malicious-code/c2-server", False),
        ("2026-11-20T09:30:00.000Z", "fraud/phishing", False),
    )
    for version in (left[0], came[0], left[1], came[1], left[2]):
        await services.store.add_versions({ANALYSTS: [version_of(version)]})
    async with client_for(services) as http:
        # A stream waits for the events asked for: one that missed some would wait for ever.
        fraud = await asyncio.wait_for(read(http, ANA, 4, crime_code="fraud"), 30)
        c2 = await asyncio.wait_for(read(http, ANA, 4, crime_code="malicious-code/c2-server"), 30)
        # A stream resumed after the move has not seen the phishing version: the store has.
        resumed = await asyncio.wait_for(
            read(http, ANA, 2, crime_code="fraud", last_event_id=fraud[1][0]), 30
        )

    def seen(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
        return [(e[1]["id"], e[1]["modified"]) for e in events]

    expected = [(v["id"], v["modified"]) for v in (left[0], left[1], came[1], left[2])]
    assert seen(fraud) == expected
    assert fraud[-1][1]["revoked"] is True
    # Each code's stream: what the code's topic got, from when the indicator came under it.
    assert seen(c2) == [(v["id"], v["modified"]) for v in (came[0], left[1], came[1], left[2])]
    assert seen(resumed) == expected[2:]
