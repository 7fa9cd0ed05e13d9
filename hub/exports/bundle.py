"""Writing one liaison export: the agency's STIX 2.1 bundle, its manifest and signature.

The bundle is read from the agency's store collection, which holds exactly what the
disseminate stage published for it (the same content as its TAXII collection and its
``liaison.<agency>`` topic): only consented contributions, attributed as agreed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.exports.signing import MANIFEST, key_fingerprint, sha256_file, sign_manifest
from hub.store import LAST, ObjectFilter, Store
from hub.store.collections import liaison_collection
from hub.timestamps import now_ms

BUNDLE = "bundle.json"
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ExportResult:
    directory: Path
    agency: str
    objects: int
    fingerprint: str


async def agency_objects(store: Store, agency: str, since_us: int | None) -> list[dict[str, Any]]:
    """The latest version of every object the agency's collection holds (added after since)."""
    collection = liaison_collection(agency).id
    objects: list[dict[str, Any]] = []
    cursor = since_us
    while True:
        page = await store.page_objects(
            collection, ObjectFilter(after_us=cursor, versions=LAST), _PAGE
        )
        objects.extend(orjson.loads(item.body) for item in page.items)
        if not page.more or page.last_added is None:
            return objects
        cursor = page.last_added


async def write_export(
    store: Store,
    agency: str,
    out: Path,
    key: Ed25519PrivateKey,
    *,
    since_us: int | None = None,
    since: str | None = None,
) -> ExportResult:
    objects = await agency_objects(store, agency, since_us)
    out.mkdir(parents=True, exist_ok=True)
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    (out / BUNDLE).write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    fingerprint = key_fingerprint(key)
    manifest = {
        "agency": agency,
        "created": now_ms(),
        "since": since,
        "objects": len(objects),
        "signing_key": fingerprint,
        "signature": "Ed25519 over this file's bytes, base64, in manifest.json.sig",
        "files": {BUNDLE: sha256_file(out / BUNDLE)},
    }
    (out / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    sign_manifest(out, key)
    return ExportResult(out, agency, len(objects), fingerprint)
