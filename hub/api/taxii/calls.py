"""What every TAXII endpoint does first: media type, caller, API root, collection, access."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from hub.api.services import ApiServices
from hub.api.taxii.errors import TaxiiError, not_found, unauthorized
from hub.api.taxii.media import accepts_taxii
from hub.auth import AuthenticationError, Principal
from hub.auth.access import HIDDEN, Access, access
from hub.store.collections import CollectionSpec

API_ROOT = "fusion"


@dataclass(frozen=True, slots=True)
class Call:
    services: ApiServices
    principal: Principal


@dataclass(frozen=True, slots=True)
class CollectionCall:
    services: ApiServices
    principal: Principal
    collection: CollectionSpec
    access: Access


def services_of(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


async def authenticated(request: Request) -> Call:
    """Check the Accept header (406) and the credentials (401)."""
    if not accepts_taxii(request.headers.get("accept")):
        raise TaxiiError(
            406,
            f"this server answers only application/taxii+json;version=2.1, "
            f"which Accept {request.headers.get('accept')!r} does not admit",
            title="Not acceptable",
        )
    services = services_of(request)
    try:
        principal = await services.authenticator.authenticate(request.headers.get("authorization"))
    except AuthenticationError as exc:
        raise unauthorized(str(exc)) from None
    return Call(services, principal)


async def in_root(request: Request, api_root: str) -> Call:
    call = await authenticated(request)
    if api_root != API_ROOT:
        raise not_found(f"there is no API root {api_root!r}; this server has {API_ROOT!r}")
    return call


async def in_collection(request: Request, api_root: str, collection_id: str) -> CollectionCall:
    """The caller and a collection it may see; 404 for one it may not (or that is not there)."""
    call = await in_root(request, api_root)
    collection = (await call.services.directory.current()).get(collection_id)
    rights = access(call.principal, collection) if collection is not None else HIDDEN
    if collection is None or not rights.visible:
        raise not_found(f"there is no collection {collection_id!r} for {call.principal.label}")
    return CollectionCall(call.services, call.principal, collection, rights)
