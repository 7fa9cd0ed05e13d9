"""TAXII 2.1 reads: collections, a collection, manifest, objects, an object, its versions."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from hub.api.taxii.calls import CollectionCall, in_collection, in_root
from hub.api.taxii.errors import forbidden, not_found
from hub.api.taxii.media import taxii_bytes, taxii_json
from hub.api.taxii.params import (
    OBJECT_FILTERS,
    OBJECTS_FILTERS,
    VERSIONS_FILTERS,
    ReadRequest,
    date_added_headers,
    next_token,
    read_request,
)
from hub.auth.access import access, reading_clearance
from hub.store import Page
from hub.store.collections import STIX_21, CollectionSpec
from hub.store.queries import ManifestEntry, StoredObject
from hub.store.timestamps import format_us

router = APIRouter()


def collection_resource(spec: CollectionSpec, can_read: bool, can_write: bool) -> dict[str, object]:
    return {
        "id": spec.id,
        "title": spec.title,
        "description": spec.description,
        "can_read": can_read,
        "can_write": can_write,
        "media_types": [STIX_21],
    }


@router.get("/{api_root}/collections/")
async def collections(request: Request, api_root: str) -> Response:
    call = await in_root(request, api_root)
    listed = []
    for spec in (await call.services.directory.current()).values():
        rights = access(call.principal, spec)
        if rights.visible:
            listed.append(collection_resource(spec, rights.can_read, rights.can_write))
    return taxii_json({"collections": listed} if listed else {})


@router.get("/{api_root}/collections/{collection_id}/")
async def collection(request: Request, api_root: str, collection_id: str) -> Response:
    call = await in_collection(request, api_root, collection_id)
    return taxii_json(
        collection_resource(call.collection, call.access.can_read, call.access.can_write)
    )


def _readable(call: CollectionCall) -> None:
    if not call.access.can_read:
        raise forbidden(
            f"{call.principal.label} may not read collection {call.collection.id!r} "
            f"({call.collection.title})"
        )


def _request(
    call: CollectionCall,
    request: Request,
    supported: frozenset[str],
    object_id: str | None = None,
) -> ReadRequest:
    settings = call.services.settings
    return read_request(
        request.query_params,
        supported=supported,
        page_size=settings.page_size,
        max_page_size=settings.max_page_size,
        max_tlp=reading_clearance(call.principal, call.collection),
        object_id=object_id,
    )


def _paging(page: Page[Any]) -> tuple[bytes, dict[str, str]]:
    """The envelope's ``more`` and ``next`` members as JSON text, and the date headers."""
    head = b'"more":' + (b"true" if page.more else b"false")
    if page.more and page.last_added is not None:
        head += b',"next":"' + next_token(page.last_added).encode() + b'"'
    return head, date_added_headers(page.first_added, page.last_added)


def _manifest_json(page: Page[ManifestEntry], member: str) -> Response:
    if not page.items:
        return taxii_json({})
    head, headers = _paging(page)
    if member == "versions":
        entries = orjson.dumps([entry.version for entry in page.items])
    else:
        entries = orjson.dumps(
            [
                {
                    "id": entry.object_id,
                    "date_added": format_us(entry.date_added),
                    "version": entry.version,
                    "media_type": f"application/stix+json;version={entry.spec_version}",
                }
                for entry in page.items
            ]
        )
    return taxii_bytes(
        b"{" + head + b',"' + member.encode() + b'":' + entries + b"}", headers=headers
    )


@router.get("/{api_root}/collections/{collection_id}/manifest/")
async def manifest(request: Request, api_root: str, collection_id: str) -> Response:
    call = await in_collection(request, api_root, collection_id)
    _readable(call)
    wanted = _request(call, request, OBJECTS_FILTERS)
    page = await call.services.store.page_manifest(call.collection.id, wanted.filter, wanted.limit)
    return _manifest_json(page, "objects")


def _objects_json(page: Page[StoredObject]) -> Response:
    if not page.items:
        return taxii_json({})
    head, headers = _paging(page)
    # The stored JSON text goes out as it came in: no parsing, no re-encoding per object.
    body = ",".join(item.body for item in page.items).encode()
    return taxii_bytes(b"{" + head + b',"objects":[' + body + b"]}", headers=headers)


@router.get("/{api_root}/collections/{collection_id}/objects/")
async def get_objects(request: Request, api_root: str, collection_id: str) -> Response:
    call = await in_collection(request, api_root, collection_id)
    _readable(call)
    wanted = _request(call, request, OBJECTS_FILTERS)
    page = await call.services.store.page_objects(call.collection.id, wanted.filter, wanted.limit)
    return _objects_json(page)


async def _held(call: CollectionCall, object_id: str) -> None:
    clearance = reading_clearance(call.principal, call.collection)
    if not await call.services.store.object_is_held(call.collection.id, object_id, clearance):
        raise not_found(f"collection {call.collection.id!r} holds no object {object_id!r}")


@router.get("/{api_root}/collections/{collection_id}/objects/{object_id}/")
async def get_object(
    request: Request, api_root: str, collection_id: str, object_id: str
) -> Response:
    call = await in_collection(request, api_root, collection_id)
    _readable(call)
    wanted = _request(call, request, OBJECT_FILTERS, object_id)
    page = await call.services.store.page_objects(call.collection.id, wanted.filter, wanted.limit)
    if not page.items:
        await _held(call, object_id)  # 404 unless filters left nothing of an object it holds
    return _objects_json(page)


@router.get("/{api_root}/collections/{collection_id}/objects/{object_id}/versions/")
async def versions(request: Request, api_root: str, collection_id: str, object_id: str) -> Response:
    call = await in_collection(request, api_root, collection_id)
    _readable(call)
    wanted = _request(call, request, VERSIONS_FILTERS, object_id)
    page = await call.services.store.page_manifest(call.collection.id, wanted.filter, wanted.limit)
    if not page.items:
        await _held(call, object_id)
    return _manifest_json(page, "versions")
