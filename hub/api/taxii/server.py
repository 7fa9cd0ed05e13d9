"""TAXII 2.1 server-level endpoints: discovery, API root information, status resources."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hub.api.taxii.calls import API_ROOT, authenticated, in_root
from hub.api.taxii.errors import not_found
from hub.api.taxii.media import TAXII_21, taxii_json
from hub.auth.access import may_see_status

router = APIRouter()


def root_url(request: Request) -> str:
    """The API root's absolute URL as the client reached this server (scheme, host, mount)."""
    mount = str(request.scope.get("root_path", "")).rstrip("/")
    return str(request.url.replace(path=f"{mount}/{API_ROOT}/", query=None, fragment=None))


@router.get("/")
async def discovery(request: Request) -> Response:
    call = await authenticated(request)
    config = call.services.hub_config
    url = root_url(request)
    resource = {
        "title": config.title,
        "description": config.description,
        "default": url,
        "api_roots": [url],
    }
    if config.contact:
        resource["contact"] = config.contact
    return taxii_json(resource)


@router.get("/{api_root}/")
async def api_root_information(request: Request, api_root: str) -> Response:
    call = await in_root(request, api_root)
    return taxii_json(
        {
            "title": call.services.hub_config.title,
            "description": "Partners post to their inbox; audiences read their own collection.",
            "versions": [TAXII_21],
            "max_content_length": call.services.settings.max_content_length,
        }
    )


@router.get("/{api_root}/status/{status_id}/")
async def status(request: Request, api_root: str, status_id: str) -> Response:
    call = await in_root(request, api_root)
    resource = await call.services.store.get_status(status_id)
    # Another partner's status is as absent as a status that never was.
    if resource is None or not may_see_status(call.principal, resource.partner):
        raise not_found(f"there is no status {status_id!r} for {call.principal.label}")
    return taxii_json(resource.to_taxii())
