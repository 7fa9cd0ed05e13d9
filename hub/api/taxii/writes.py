"""TAXII 2.1 collection endpoints that change things: add objects (POST), delete an object.

A POST to a partner's inbox becomes one ingest record on ``fusion.ingest``, tagged with the
partner who authenticated (whatever the envelope says), and a ``pending`` status resource
whose id is the record's ``ingest_id``; the admit stage's report on ``fusion.status``
completes it. STIX validation is the admit stage's job: here only the media type, the size
and the envelope's shape are checked.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from hub.api.publisher import PublishError
from hub.api.taxii.calls import CollectionCall, in_collection
from hub.api.taxii.errors import TaxiiError, bad_request, forbidden, not_found
from hub.api.taxii.media import is_taxii_content, taxii_bytes, taxii_json
from hub.api.taxii.params import OBJECT_FILTERS, read_request
from hub.kafka_io import new_ingest_record
from hub.store import ALL, Detail
from schemas.envelopes import TAXII_PUSH, Origin

router = APIRouter()
CHANNEL = TAXII_PUSH


def _too_large(limit: int, size: int | None = None) -> TaxiiError:
    told = f"{size} bytes" if size is not None else "the body"
    return TaxiiError(
        413,
        f"{told} exceeds this API root's max_content_length of {limit} bytes; "
        "post fewer objects per request",
        title="Payload too large",
    )


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise bad_request(f"Content-Length {declared!r} is not a number of bytes")
        if int(declared) > limit:
            raise _too_large(limit, int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a chunked body has no Content-Length to check beforehand
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _envelope_objects(body: bytes) -> list[Any]:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise TaxiiError(
            422, f"the body is not JSON: {exc}", title="Unprocessable content"
        ) from None
    if not isinstance(envelope, dict):
        raise TaxiiError(
            422,
            "the body must be a TAXII envelope (a JSON object with 'objects'), "
            f"not a JSON {type(envelope).__name__}",
            title="Unprocessable content",
        )
    objects = envelope.get("objects")
    if not isinstance(objects, list):
        raise TaxiiError(
            422,
            "the envelope needs 'objects', a list of STIX objects"
            + ("" if objects is None else f", not a JSON {type(objects).__name__}"),
            title="Unprocessable content",
        )
    return objects


def _posted(obj: Any) -> Detail:
    """The id and version a status detail names; '' where the object lacks them."""
    if not isinstance(obj, dict):
        return {"id": "", "version": ""}
    object_id = obj.get("id")
    version = obj.get("modified") or obj.get("created")
    return {
        "id": object_id if isinstance(object_id, str) else "",
        "version": version if isinstance(version, str) else "",
    }


def _writable(call: CollectionCall) -> None:
    if not call.access.can_write:
        raise forbidden(
            f"{call.principal.label} may not write to collection {call.collection.id!r} "
            f"({call.collection.title})"
        )


@router.post("/{api_root}/collections/{collection_id}/objects/")
async def add_objects(request: Request, api_root: str, collection_id: str) -> Response:
    call = await in_collection(request, api_root, collection_id)
    _writable(call)
    content_type = request.headers.get("content-type")
    if not is_taxii_content(content_type):
        raise TaxiiError(
            415,
            f"POST a TAXII envelope as application/taxii+json;version=2.1, not {content_type!r}",
            title="Unsupported media type",
        )
    services = call.services
    body = await _body(request, services.settings.max_content_length)
    posted = [_posted(obj) for obj in _envelope_objects(body)]
    # Only a partner writes an inbox; the record is the partner's because it authenticated.
    partner = call.principal.name
    status = await services.store.create_status(
        status_id=str(uuid.uuid4()),
        collection_id=call.collection.id,
        partner=partner,
        posted=posted,
    )
    if posted:
        record = new_ingest_record(
            partner,
            body,
            origin=Origin(channel=CHANNEL, name=call.collection.id),
            ingest_id=status.id,
        )
        try:
            await services.publisher.publish(record)
        except PublishError as exc:
            await services.store.forget_status(status.id)
            if exc.too_large:
                raise TaxiiError(413, str(exc), title="Payload too large") from None
            raise TaxiiError(503, str(exc), title="Pipeline unavailable") from None
    return taxii_json(status.to_taxii(), 202)


@router.delete("/{api_root}/collections/{collection_id}/objects/{object_id}/")
async def delete_object(
    request: Request, api_root: str, collection_id: str, object_id: str
) -> Response:
    call = await in_collection(request, api_root, collection_id)
    if not call.access.can_delete:
        raise forbidden(
            f"{call.principal.label} may not delete from collection {call.collection.id!r}"
        )
    settings = call.services.settings
    # Without match[version] every version goes: deleting an object deletes the object.
    query = request.query_params
    wanted = read_request(
        query,
        supported=OBJECT_FILTERS,
        page_size=settings.page_size,
        max_page_size=settings.max_page_size,
        object_id=object_id,
    )
    versions = wanted.filter.versions if "match[version]" in query else ALL
    deleted = await call.services.store.delete_versions(
        call.collection.id,
        object_id,
        versions=versions,
        spec_versions=wanted.filter.spec_versions,
    )
    if not deleted:
        raise not_found(f"collection {call.collection.id!r} holds no such version of {object_id!r}")
    return taxii_bytes(b"", 200)
