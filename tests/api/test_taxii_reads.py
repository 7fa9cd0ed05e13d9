"""Reading collections over TAXII 2.1: resources, paging, filters, headers."""

from __future__ import annotations

import httpx
import orjson

from hub.store import Store
from hub.store.timestamps import to_us
from tests.api.conftest import ANA, ANALYSTS, ROOT, TAXII, basic
from tests.store.stix import indicator, indicator_id, version_of

OBJECTS = f"{ROOT}/collections/{ANALYSTS}/objects/"
DAYS = ["2026-11-20T08:00:00.000Z", "2026-11-21T08:00:00.000Z", "2026-11-22T08:00:00.000Z"]


async def fill(store: Store, count: int) -> None:
    await store.add_versions({ANALYSTS: [version_of(indicator(n)) for n in range(count)]})


async def test_discovery_and_api_root_describe_the_server(client: httpx.AsyncClient) -> None:
    discovery = await client.get("/taxii2/", headers=basic(ANA))
    assert discovery.headers["content-type"] == TAXII
    assert discovery.json()["api_roots"] == ["http://hub.test/taxii2/fusion/"]
    assert discovery.json()["default"] == "http://hub.test/taxii2/fusion/"
    root = (await client.get(f"{ROOT}/", headers=basic(ANA))).json()
    assert root["versions"] == [TAXII]
    assert root["max_content_length"] == 64 * 1024


async def test_objects_page_with_more_next_and_date_added_headers(
    client: httpx.AsyncClient, store: Store
) -> None:
    await fill(store, 25)
    seen: list[str] = []
    query = "limit=10"
    last_header = None
    while True:
        response = await client.get(f"{OBJECTS}?{query}", headers=basic(ANA))
        assert response.status_code == 200 and response.headers["content-type"] == TAXII
        envelope = response.json()
        ids = [obj["id"] for obj in envelope["objects"]]
        seen.extend(ids)
        first = to_us(response.headers["X-TAXII-Date-Added-First"])
        last = to_us(response.headers["X-TAXII-Date-Added-Last"])
        assert first <= last and (last_header is None or first > last_header)
        last_header = last
        if not envelope["more"]:
            assert "next" not in envelope
            break
        query = f"limit=10&next={envelope['next']}"
    assert seen == [indicator_id(n) for n in range(25)]


async def test_added_after_the_last_header_continues_like_next(
    client: httpx.AsyncClient, store: Store
) -> None:
    await fill(store, 6)
    first = await client.get(f"{OBJECTS}?limit=4", headers=basic(ANA))
    after = first.headers["X-TAXII-Date-Added-Last"]
    rest = await client.get(OBJECTS, params={"added_after": after}, headers=basic(ANA))
    assert [o["id"] for o in rest.json()["objects"]] == [indicator_id(4), indicator_id(5)]
    assert rest.json()["more"] is False


async def test_an_empty_page_is_an_empty_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get(OBJECTS, headers=basic(ANA))
    assert response.status_code == 200 and response.json() == {}


async def test_manifest_lists_ids_versions_and_date_added(
    client: httpx.AsyncClient, store: Store
) -> None:
    await store.add_versions({ANALYSTS: [version_of(indicator(1, day)) for day in DAYS]})
    response = await client.get(f"{ROOT}/collections/{ANALYSTS}/manifest/", headers=basic(ANA))
    (entry,) = response.json()["objects"]
    assert entry["id"] == indicator_id(1)
    assert entry["version"] == DAYS[2]
    assert entry["media_type"] == "application/stix+json;version=2.1"
    assert entry["date_added"] == response.headers["X-TAXII-Date-Added-First"]
    everything = await client.get(
        f"{ROOT}/collections/{ANALYSTS}/manifest/?match[version]=all", headers=basic(ANA)
    )
    assert sorted(e["version"] for e in everything.json()["objects"]) == DAYS


async def test_one_object_by_version_and_its_versions(
    client: httpx.AsyncClient, store: Store
) -> None:
    await store.add_versions({ANALYSTS: [version_of(indicator(1, day)) for day in DAYS]})
    url = f"{OBJECTS}{indicator_id(1)}/"

    async def modified(query: str) -> list[str]:
        response = await client.get(f"{url}?{query}", headers=basic(ANA))
        assert response.status_code == 200
        assert "X-TAXII-Date-Added-First" in response.headers
        return sorted(obj["modified"] for obj in response.json()["objects"])

    assert await modified("") == [DAYS[2]]
    assert await modified("match[version]=first") == [DAYS[0]]
    assert await modified("match[version]=first,last") == [DAYS[0], DAYS[2]]
    assert await modified(f"match[version]={DAYS[1]}") == [DAYS[1]]
    assert await modified("match[version]=all&match[spec_version]=2.1") == DAYS
    none = await client.get(f"{url}?match[spec_version]=2.0", headers=basic(ANA))
    assert none.status_code == 200 and none.json() == {}

    versions = await client.get(f"{url}versions/?limit=2", headers=basic(ANA))
    assert versions.status_code == 200 and versions.headers["content-type"] == TAXII
    assert versions.json()["more"] is True and len(versions.json()["versions"]) == 2
    assert "X-TAXII-Date-Added-Last" in versions.headers
    rest = await client.get(
        f"{url}versions/?limit=2&next={versions.json()['next']}", headers=basic(ANA)
    )
    assert sorted(versions.json()["versions"] + rest.json()["versions"]) == DAYS


async def test_objects_go_out_exactly_as_they_came_in(
    client: httpx.AsyncClient, store: Store
) -> None:
    obj = indicator(1)
    obj["x_fusion_note"] = "ünïcode survives"
    await store.add_versions({ANALYSTS: [version_of(obj)]})
    response = await client.get(OBJECTS, headers=basic(ANA))
    assert response.json()["objects"] == [orjson.loads(orjson.dumps(obj))]


async def test_filters_by_type_and_id(client: httpx.AsyncClient, store: Store) -> None:
    await fill(store, 5)
    by_id = await client.get(
        OBJECTS, params={"match[id]": f"{indicator_id(1)},{indicator_id(3)}"}, headers=basic(ANA)
    )
    assert [o["id"] for o in by_id.json()["objects"]] == [indicator_id(1), indicator_id(3)]
    by_type = await client.get(OBJECTS, params={"match[type]": "malware"}, headers=basic(ANA))
    assert by_type.json() == {}
