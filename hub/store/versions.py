"""What the store needs to know of a STIX object version before keeping it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from hub.store.errors import BadObjectError
from hub.store.timestamps import to_us
from protocols.tlp import tlp_of


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    """One version of a STIX object: the properties the TAXII filters use, and its JSON text.

    ``version`` is ``modified``, else ``created`` (as TAXII 2.1 defines an object's version);
    an object with neither (a cyber observable) is immutable, and its version becomes the
    ``date_added`` it is given.
    ``tlp`` is the strictest TLP level among its markings, for analysts' clearance. An object
    without ``spec_version`` is taken as 2.1, the only version the hub speaks.
    """

    object_id: str
    object_type: str
    spec_version: str
    version: str | None
    version_us: int | None
    tlp: int | None
    body: str

    @classmethod
    def from_json(cls, raw: bytes | str) -> ObjectVersion:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadObjectError(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BadObjectError("a STIX object must be a JSON object")
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return cls.from_dict(data, text)

    @classmethod
    def from_dict(cls, data: dict[str, Any], text: str | None = None) -> ObjectVersion:
        object_id, object_type = data.get("id"), data.get("type")
        if not isinstance(object_id, str) or "--" not in object_id:
            raise BadObjectError(f"'id' must be a STIX identifier (type--uuid), not {object_id!r}")
        if not isinstance(object_type, str) or not object_id.startswith(object_type + "--"):
            raise BadObjectError(f"{object_id}: 'type' {object_type!r} does not match the id")
        version = data.get("modified", data.get("created"))
        if version is not None and not isinstance(version, str):
            raise BadObjectError(f"{object_id}: 'modified'/'created' must be a timestamp string")
        try:
            version_us = to_us(version) if version is not None else None
        except ValueError as exc:
            raise BadObjectError(f"{object_id}: {exc}") from None
        markings = data.get("object_marking_refs")
        level = (
            tlp_of([m for m in markings if isinstance(m, str)])
            if isinstance(markings, list)
            else None
        )
        spec_version = data.get("spec_version", "2.1")
        return cls(
            object_id=object_id,
            object_type=object_type,
            spec_version=spec_version if isinstance(spec_version, str) else "2.1",
            version=version,
            version_us=version_us,
            tlp=int(level) if level is not None else None,
            body=text if text is not None else orjson.dumps(data).decode("utf-8"),
        )
