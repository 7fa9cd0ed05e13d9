"""Each principal sees and uses only its own collections; everyone else's is not there."""

from __future__ import annotations

import httpx
import orjson
import pytest

from hub.store import Store
from tests.api.conftest import (
    ANA,
    ANALYSTS,
    INTERPOL_EXPORT,
    MERIDIAN,
    MERIDIAN_FEED,
    MERIDIAN_INBOX,
    NCA,
    NCA_EXPORT,
    NORTHNET,
    NORTHNET_FEED,
    NORTHNET_INBOX,
    OPS,
    ROOT,
    TAXII,
    RecordingPublisher,
    assert_taxii_error,
    basic,
)
from tests.store.stix import indicator, version_of


async def listed(client: httpx.AsyncClient, who: tuple[str, str]) -> dict[str, tuple[bool, bool]]:
    response = await client.get(f"{ROOT}/collections/", headers=basic(who))
    assert response.status_code == 200
    return {c["id"]: (c["can_read"], c["can_write"]) for c in response.json()["collections"]}


async def test_each_principal_lists_only_its_own_collections(client: httpx.AsyncClient) -> None:
    assert await listed(client, NORTHNET) == {
        NORTHNET_INBOX: (False, True),
        NORTHNET_FEED: (True, False),
    }
    assert await listed(client, ANA) == {ANALYSTS: (True, False)}
    assert await listed(client, NCA) == {NCA_EXPORT: (True, False)}
    everything = await listed(client, OPS)
    assert {ANALYSTS, NORTHNET_INBOX, MERIDIAN_FEED, NCA_EXPORT, INTERPOL_EXPORT} <= set(everything)
    assert set(everything.values()) == {(False, False)}


@pytest.mark.parametrize(
    ("who", "collection"),
    [
        (NORTHNET, MERIDIAN_FEED),  # a partner reading another's feed
        (NORTHNET, ANALYSTS),
        (NCA, ANALYSTS),  # a liaison officer reading the analysts' collection
        (NCA, INTERPOL_EXPORT),  # ... or another agency's export
        (ANA, NORTHNET_FEED),
        (ANA, NCA_EXPORT),
    ],
)
async def test_reading_someone_elses_collection_finds_nothing(
    client: httpx.AsyncClient, store: Store, who: tuple[str, str], collection: str
) -> None:
    await store.add_versions({collection: [version_of(indicator(1))]})
    for endpoint in ("", "objects/", "manifest/", f"objects/{indicator(1)['id']}/"):
        response = await client.get(
            f"{ROOT}/collections/{collection}/{endpoint}", headers=basic(who)
        )
        assert "no collection" in str(assert_taxii_error(response, 404)["description"])


@pytest.mark.parametrize(
    ("who", "collection"),
    [
        (NORTHNET, MERIDIAN_INBOX),  # posting to another partner's inbox
        (MERIDIAN, NORTHNET_INBOX),
        (ANA, NORTHNET_INBOX),
        (NCA, MERIDIAN_INBOX),
    ],
)
async def test_posting_to_someone_elses_inbox_is_refused_and_sends_nothing(
    client: httpx.AsyncClient,
    publisher: RecordingPublisher,
    who: tuple[str, str],
    collection: str,
) -> None:
    response = await client.post(
        f"{ROOT}/collections/{collection}/objects/",
        headers={**basic(who), "Content-Type": TAXII},
        content=orjson.dumps({"objects": [indicator(1)]}),
    )
    assert_taxii_error(response, 404)
    assert publisher.records == []


async def test_a_partner_cannot_read_another_partners_status(client: httpx.AsyncClient) -> None:
    posted = await client.post(
        f"{ROOT}/collections/{NORTHNET_INBOX}/objects/",
        headers={**basic(NORTHNET), "Content-Type": TAXII},
        content=orjson.dumps({"objects": [indicator(1)]}),
    )
    status_url = f"{ROOT}/status/{posted.json()['id']}/"
    assert (await client.get(status_url, headers=basic(NORTHNET))).status_code == 200
    assert_taxii_error(await client.get(status_url, headers=basic(MERIDIAN)), 404)
    assert (await client.get(status_url, headers=basic(OPS))).status_code == 200


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])
async def test_tokens_authenticate_as_bearer_or_taxii2_clients_token_scheme(
    client: httpx.AsyncClient, scheme: str
) -> None:
    headers = {"Authorization": f"{scheme} northnet-token-demo", "Accept": TAXII}
    response = await client.get(f"{ROOT}/collections/", headers=headers)
    assert response.status_code == 200
    assert {c["id"] for c in response.json()["collections"]} == {NORTHNET_INBOX, NORTHNET_FEED}


async def test_the_admin_may_take_an_object_down(client: httpx.AsyncClient, store: Store) -> None:
    obj = indicator(3)
    await store.add_versions({ANALYSTS: [version_of(obj)]})
    url = f"{ROOT}/collections/{ANALYSTS}/objects/{obj['id']}/"
    deleted = await client.delete(url, headers=basic(OPS))
    assert deleted.status_code == 200 and deleted.headers["content-type"] == TAXII
    assert_taxii_error(await client.get(url, headers=basic(ANA)), 404)
    assert_taxii_error(await client.delete(url, headers=basic(OPS)), 404)
