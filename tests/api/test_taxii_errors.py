"""Every TAXII error status the spec asks for, in its error format and media type."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from hub.store import Store
from protocols.tlp import Tlp
from tests.api.conftest import (
    ANA,
    ANALYSTS,
    BEN,
    NORTHNET,
    NORTHNET_FEED,
    NORTHNET_INBOX,
    OPS,
    ROOT,
    TAXII,
    assert_taxii_error,
    basic,
)
from tests.store.stix import indicator, indicator_id, version_of

OBJECTS = f"{ROOT}/collections/{ANALYSTS}/objects/"


def post_headers(credentials: tuple[str, str] = NORTHNET) -> dict[str, str]:
    return {**basic(credentials), "Content-Type": TAXII}


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=0",
        "limit=-5",
        "added_after=yesterday",
        "added_after=2026-02-30T00:00:00Z",
        "next=not-a-cursor",
        "match[version]=newest",
        "match[spec_version]=two",
        "match[type]=Not_A_Type",
        "match[colour]=red",
        "match[id]=",
        "limit=5&limit=6",
    ],
)
async def test_400_for_malformed_parameters(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"{OBJECTS}?{query}", headers=basic(ANA))
    body = assert_taxii_error(response, 400)
    name = query.split("=")[0]
    assert name in str(body["description"])


async def test_400_for_a_filter_the_endpoint_does_not_have(client: httpx.AsyncClient) -> None:
    url = f"{ROOT}/collections/{ANALYSTS}/objects/{indicator_id(1)}/versions/?match[type]=x"
    body = assert_taxii_error(await client.get(url, headers=basic(ANA)), 400)
    assert "match[spec_version]" in str(body["description"])


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic " + "aXNwLW5vcnRobmV0Ondyb25n",  # isp-northnet:wrong
        "Basic not-base64!",
        "Bearer not-a-token",
        "Digest username=x",
    ],
)
async def test_401_with_a_challenge_for_missing_or_bad_credentials(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Accept": TAXII}
    if authorization is not None:
        headers["Authorization"] = authorization
    for url in ("/taxii2/", f"{ROOT}/collections/", OBJECTS):
        response = await client.get(url, headers=headers)
        assert_taxii_error(response, 401)
        challenge = response.headers["www-authenticate"]
        assert "Basic" in challenge and "Bearer" in challenge


async def test_403_for_a_collection_the_caller_sees_but_may_not_use_that_way(
    client: httpx.AsyncClient,
) -> None:
    # A partner's inbox is write-only, its feed read-only; an operator reads no intelligence.
    reading_inbox = await client.get(
        f"{ROOT}/collections/{NORTHNET_INBOX}/objects/", headers=basic(NORTHNET)
    )
    assert "may not read" in str(assert_taxii_error(reading_inbox, 403)["description"])
    manifest_of_inbox = await client.get(
        f"{ROOT}/collections/{NORTHNET_INBOX}/manifest/", headers=basic(NORTHNET)
    )
    assert_taxii_error(manifest_of_inbox, 403)
    writing_feed = await client.post(
        f"{ROOT}/collections/{NORTHNET_FEED}/objects/",
        headers=post_headers(),
        content=orjson.dumps({"objects": [indicator(1)]}),
    )
    assert "may not write" in str(assert_taxii_error(writing_feed, 403)["description"])
    admin_reading = await client.get(OBJECTS, headers=basic(OPS))
    assert_taxii_error(admin_reading, 403)
    analyst_deleting = await client.delete(f"{OBJECTS}{indicator_id(1)}/", headers=basic(ANA))
    assert_taxii_error(analyst_deleting, 403)


@pytest.mark.parametrize(
    "path",
    [
        "/taxii2/elsewhere/",
        f"{ROOT}/collections/00000000-0000-0000-0000-000000000000/",
        f"{ROOT}/collections/{ANALYSTS}/objects/{indicator_id(404)}/",
        f"{ROOT}/collections/{ANALYSTS}/objects/{indicator_id(404)}/versions/",
        f"{ROOT}/status/6b3e7a43-0f4c-4c64-9f2e-0b9e3c8f3a11/",
        f"{ROOT}/no-such-endpoint/",
    ],
)
async def test_404_for_what_is_not_there(client: httpx.AsyncClient, path: str) -> None:
    assert_taxii_error(await client.get(path, headers=basic(ANA)), 404)


async def test_404_hides_an_object_above_the_analysts_clearance(
    client: httpx.AsyncClient, store: Store
) -> None:
    await store.add_versions({ANALYSTS: [version_of(indicator(9, tlp=Tlp.RED))]})
    url = f"{OBJECTS}{indicator_id(9)}/"
    assert (await client.get(url, headers=basic(ANA))).status_code == 200
    assert_taxii_error(await client.get(url, headers=basic(BEN)), 404)


@pytest.mark.parametrize(
    "accept",
    ["application/json", "application/taxii+json;version=2.0", "text/html", "*/*;q=0"],
)
async def test_406_for_an_accept_header_without_taxii_21(
    client: httpx.AsyncClient, accept: str
) -> None:
    headers = {**basic(ANA), "Accept": accept}
    for url in ("/taxii2/", f"{ROOT}/", OBJECTS):
        assert_taxii_error(await client.get(url, headers=headers), 406)


async def test_413_for_a_body_over_max_content_length(client: httpx.AsyncClient) -> None:
    root = (await client.get(f"{ROOT}/", headers=basic(NORTHNET))).json()
    limit = root["max_content_length"]
    objects = [indicator(n) for n in range(limit // 300)]
    body = orjson.dumps({"objects": objects})
    assert len(body) > limit
    url = f"{ROOT}/collections/{NORTHNET_INBOX}/objects/"
    response = await client.post(url, headers=post_headers(), content=body)
    assert str(limit) in str(assert_taxii_error(response, 413)["description"])

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length to go by
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    streamed = await client.post(url, headers=post_headers(), content=chunked())
    assert_taxii_error(streamed, 413)


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json", "application/stix+json;version=2.1", TAXII.replace("2.1", "2.0")],
)
async def test_415_for_a_body_that_is_not_a_taxii_envelope_type(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = basic(NORTHNET)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await client.post(
        f"{ROOT}/collections/{NORTHNET_INBOX}/objects/",
        headers=headers,
        content=orjson.dumps({"objects": [indicator(1)]}),
    )
    assert_taxii_error(response, 415)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "JSON list"),
        (b'"objects"', "JSON str"),
        (b'{"more": false}', "needs 'objects'"),
        (b'{"objects": {"type": "indicator"}}', "JSON dict"),
    ],
)
async def test_422_for_a_body_that_is_not_an_envelope(
    client: httpx.AsyncClient, body: bytes, says: str
) -> None:
    response = await client.post(
        f"{ROOT}/collections/{NORTHNET_INBOX}/objects/", headers=post_headers(), content=body
    )
    assert says in str(assert_taxii_error(response, 422)["description"])


async def test_405_is_a_taxii_error_too(client: httpx.AsyncClient) -> None:
    response = await client.put(f"{ROOT}/collections/", headers=basic(ANA))
    assert_taxii_error(response, 405)
