"""Anti-virus vendors' hash feeds: JSON lines of file hashes with family and detection name.

Each line is one ingest record; the indicator compares the strongest hash the line gives
(SHA-256, then SHA-1, then MD5) in canonical form (lower-case hex), so the same file from
two vendors is one curated indicator however each spells its hashes. The weaker hashes are
kept in the description.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from connectors.base import FileFeedConnector, StixObject, numbered_lines
from connectors.stix import feed_time, indicator, object_id
from hub.admit.admission import DecodeError
from hub.admit.crime_codes import crime_code_for
from hub.canonical import CanonicalError, Observable, canonical_hash
from schemas.connectors import AvHashSettings
from schemas.envelopes import IngestRecord

# Strongest first: the one the indicator compares.
_ALGORITHMS = ("sha256", "sha1", "md5")


class AvHashConnector(FileFeedConnector[AvHashSettings]):
    """A vendor's detections as JSON lines: ``{"sha256": ..., "malware_family": ...}``."""

    kind = "av-hashes"
    channel = "av-hashes"
    format = "av-hashes"
    settings_type = AvHashSettings

    def records(
        self, raw: bytes, *, name: str, digest: str, received: str
    ) -> Iterator[IngestRecord]:
        context = {"fields": self.settings.fields.model_dump()}
        for line, payload in numbered_lines(raw):
            yield self.row_record(
                payload, name=name, line=line, digest=digest, received=received, context=context
            )

    @staticmethod
    def decode(record: IngestRecord) -> list[StixObject]:
        fields: dict[str, list[str]] = (record.context or {}).get("fields", {})
        try:
            line = orjson.loads(record.raw())
        except orjson.JSONDecodeError as exc:
            raise DecodeError("av-unparsable-json", f"the line is not JSON: {exc}") from None
        if not isinstance(line, dict):
            raise DecodeError("av-not-an-object", "the line must be one JSON object")
        hashes: list[Observable] = []
        for algorithm in _ALGORITHMS:
            digest = _first(line, fields.get(algorithm, [algorithm]))
            if digest is None:
                continue
            try:
                hashes.append(Observable("file", canonical_hash(algorithm, str(digest))))
            except CanonicalError as exc:
                raise DecodeError("av-invalid-hash", f"{algorithm}: {exc.reason}") from None
        if not hashes:
            raise DecodeError(
                "av-no-hash",
                "the line has no md5, sha1 or sha256 (looked for keys "
                + ", ".join(k for a in _ALGORITHMS for k in fields.get(a, [a]))
                + ")",
            )
        family = _text(_first(line, fields.get("malware_family", [])))
        detection = _text(_first(line, fields.get("detection_name", [])))
        file_name = _text(_first(line, fields.get("file_name", [])))
        seen = _text(_first(line, fields.get("first_seen", [])))
        timestamp = (
            feed_time(seen, code="av-invalid-timestamp", what="first_seen")
            if seen
            else record.received
        )
        strongest = hashes[0]
        notes = [f"detected as {detection}"] if detection else []
        if file_name:
            notes.append(f"file name {file_name}")
        notes += [f"{h.value.replace(':', ' ', 1)}" for h in hashes[1:]]
        return [
            indicator(
                id=object_id("indicator", record.ingest_id),
                observable=strongest,
                timestamp=timestamp,
                name=detection or (f"{family} sample" if family else "malware sample"),
                labels=["malware-sample"],
                crime_code=crime_code_for(
                    hint=None,
                    indicator_types=[],
                    labels=["malware-sample"],
                    name=detection,
                    malware_family=family,
                    observable_type="file",
                ),
                malware_family=family,
                description="; ".join(notes) or None,
            )
        ]


def _first(line: dict[str, Any], keys: list[str]) -> Any:
    for key in keys:
        value = line.get(key)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None
