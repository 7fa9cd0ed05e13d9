"""TAXII 2.1 media types: what the server speaks, and checking Accept and Content-Type."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

TAXII_21 = "application/taxii+json;version=2.1"
_TAXII = "application/taxii+json"


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for part in header.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        if not pieces[0]:
            continue
        params = {}
        for piece in pieces[1:]:
            name, _, value = piece.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        ranges.append((pieces[0].lower(), params))
    return ranges


def _is_taxii_21(media: str, params: dict[str, str]) -> bool:
    return media == _TAXII and params.get("version", "2.1") == "2.1"


def accepts_taxii(header: str | None) -> bool:
    """Whether an Accept header admits TAXII 2.1 JSON.

    No header, ``*/*`` and ``application/*`` admit anything (RFC 9110 §12.5.1);
    ``application/taxii+json`` without a version means the newest, 2.1.
    """
    if header is None or not header.strip():
        return True
    for media, params in _media_ranges(header):
        if params.get("q", "1").strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        if media in ("*/*", "application/*") or _is_taxii_21(media, params):
            return True
    return False


def is_taxii_content(header: str | None) -> bool:
    """Whether a request's Content-Type is a TAXII 2.1 envelope."""
    if not header:
        return False
    ranges = _media_ranges(header)
    return len(ranges) == 1 and _is_taxii_21(*ranges[0])


def taxii_json(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return taxii_bytes(orjson.dumps(content), status_code, headers)


def taxii_bytes(
    body: bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(body, status_code=status_code, headers=headers, media_type=TAXII_21)
