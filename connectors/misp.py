"""MISP events as MISP exports them (JSON), converted to STIX 2.1 with misp-stix.

Each attribute and each MISP object of an event is one ingest record, carrying the event's
header (info, tags, distribution, organisation) as its context and the line of its uuid in
the file; so a bad attribute is rejected alone, with file, line and reason, and the rest of
the event arrives. ``decode`` rebuilds a one-attribute event and converts it with misp-stix.

misp-stix puts the event's tlp tag on the report object only. Here every object gets the
marking that applies to it: the strictest of the event's tlp tag, its own (and, for a MISP
object, its attributes') tlp tags, and the MISP distribution level, read as TLP:

| distribution | means | TLP |
|---|---|---|
| 0 | your organisation only | AMBER+STRICT |
| 1 | this community only | GREEN |
| 2 | connected communities | GREEN |
| 3 | all communities | CLEAR |
| 4 | a sharing group | AMBER (named recipients) |
| 5 | inherit | the level of the object or event above |

Attributes not meant for detection (``to_ids`` false) arrive as observed-data only: they
inform, but are not curated as indicators.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from connectors.base import JSON, FileFeedConnector, StixObject
from hub.admit.admission import DecodeError
from hub.admit.crime_codes import code_from_machine_tag, crime_code_for
from hub.canonical import (
    CanonicalError,
    Observable,
    canonical_hash,
    observable,
    observable_from_pattern,
)
from protocols.tlp import Tlp, level_named
from schemas.connectors import MispSettings
from schemas.envelopes import IngestRecord

DISTRIBUTION_TLP = {0: Tlp.AMBER_STRICT, 1: Tlp.GREEN, 2: Tlp.GREEN, 3: Tlp.CLEAR, 4: Tlp.AMBER}
_INHERIT = 5
# Galaxies whose clusters name a malware family.
_MALWARE_GALAXIES = frozenset(
    {
        "malpedia",
        "mitre-malware",
        "malware",
        "banker",
        "botnet",
        "ransomware",
        "rat",
        "stealer",
        "android",
        "backdoor",
        "tool",
        "mitre-tool",
    }
)
_GALAXY_TAG = re.compile(r'^misp-galaxy:(?P<galaxy>[a-z0-9_-]+)="(?P<value>[^"]+)"$')
_UUID_KEY = re.compile(rb'"uuid"\s*:\s*"([0-9a-fA-F-]{36})"')
# Parts of an event that are not its header: each attribute and object travels on its own.
_NOT_HEADER = ("Attribute", "Object", "EventReport", "ShadowAttribute", "RelatedEvent", "Galaxy")
_KEPT_TYPES = frozenset({"indicator", "observed-data"})


class MispConnector(FileFeedConnector[MispSettings]):
    """MISP JSON exports: one event, a list of events, or a REST search response."""

    kind = "misp"
    channel = "misp"
    format = "misp"
    settings_type = MispSettings

    def records(
        self, raw: bytes, *, name: str, digest: str, received: str
    ) -> Iterator[IngestRecord]:
        try:
            content = orjson.loads(raw)
        except orjson.JSONDecodeError:
            # The file as one record: admission rejects it with the parser's line and
            # reason, and keeps it for a replay once the partner fixes the export.
            yield self.row_record(
                raw, name=name, line=1, digest=digest, received=received, context=None
            )
            return
        lines = _uuid_lines(raw)

        def row(part: Any, line: int, context: JSON | None) -> IngestRecord:
            return self.row_record(
                orjson.dumps(part),
                name=name,
                line=line,
                digest=digest,
                received=received,
                context=context,
            )

        for position, wrapped in enumerate(_events(content), start=1):
            event = wrapped.get("Event", wrapped) if isinstance(wrapped, dict) else wrapped
            event_line = (
                lines.get(str(event.get("uuid")), position) if isinstance(event, dict) else position
            )
            if not isinstance(event, dict) or not isinstance(event.get("Attribute", []), list):
                yield row(wrapped, event_line, {"event": None})
                continue
            context = {"event": _header(event), "galaxy_tags": _galaxy_tags(event)}
            for part in [*event.get("Attribute", []), *(event.get("Object") or [])]:
                uuid = part.get("uuid") if isinstance(part, dict) else None
                yield row(part, lines.get(str(uuid), event_line), context)

    @staticmethod
    def decode(record: IngestRecord) -> list[StixObject]:
        try:
            part = orjson.loads(record.raw())
        except orjson.JSONDecodeError as exc:
            raise DecodeError("misp-unparsable-json", f"not JSON: {exc}") from None
        header = (record.context or {}).get("event")
        if not isinstance(header, dict):
            raise DecodeError(
                "misp-not-an-event",
                'expected a MISP event ({"Event": {...}}) with a list of attributes',
            )
        if not isinstance(part, dict):
            raise DecodeError("misp-invalid-attribute", "an attribute must be a JSON object")
        is_object = isinstance(part.get("Attribute"), list) and "name" in part
        attributes = part["Attribute"] if is_object else [part]
        keyed = _keyed_observable(part, attributes, is_object)
        event = {**header, "Attribute": [] if is_object else [part]}
        event["Object"] = [part] if is_object else []
        parser = _misp_to_stix()
        try:
            parser.parse_misp_event({"Event": event})
            converted = [orjson.loads(o.serialize()) for o in parser.stix_objects]
        except Exception as exc:  # misp-stix raises many kinds; each rejects this row only
            raise DecodeError(
                "misp-conversion-failed", f"misp-stix cannot convert it: {exc!r}"
            ) from None
        marking = _level(header, part, attributes).marking_id
        galaxy_tags = (record.context or {}).get("galaxy_tags") or []
        family = _malware_family(header, [str(t) for t in galaxy_tags], attributes)
        tags = [t for a in [part, *attributes] for t in _tag_names(a)] + _tag_names(header)
        hint = next((c for c in map(code_from_machine_tag, tags) if c), None)
        objects = []
        for obj in converted:
            if obj.get("type") not in _KEPT_TYPES:
                continue
            obj["object_marking_refs"] = [marking]
            if family:
                obj["x_fusion_malware_family"] = family
            if obj["type"] == "indicator":
                if keyed is not None:
                    obj["x_fusion_misp_pattern"] = obj["pattern"]
                    obj["pattern"] = keyed.pattern
                obj["x_fusion_crime_code"] = hint or _crime_code(obj, header, family)
            objects.append(obj)
        return objects


def _events(content: Any) -> list[Any]:
    """The events of an export: {"Event": ...}, [{"Event": ...}, ...] or {"response": [...]}."""
    if isinstance(content, dict) and isinstance(content.get("response"), list):
        return list(content["response"])
    if isinstance(content, list):
        return content
    return [content]


def _uuid_lines(raw: bytes) -> dict[str, int]:
    """The line on which each uuid first appears: where an attribute sits in the file."""
    lines: dict[str, int] = {}
    line, position = 1, 0
    for match in _UUID_KEY.finditer(raw):
        line += raw.count(b"\n", position, match.start())
        position = match.start()
        lines.setdefault(match.group(1).decode().lower(), line)
    return lines


def _header(event: JSON) -> JSON:
    return {key: value for key, value in event.items() if key not in _NOT_HEADER}


def _galaxy_tags(event: JSON) -> list[str]:
    """The event's galaxy clusters as tags, for the malware family they name.

    Only the tags travel with each row: a cluster's description can run to kilobytes.
    """
    return [
        str(cluster["tag_name"])
        for galaxy in event.get("Galaxy") or []
        if isinstance(galaxy, dict)
        for cluster in galaxy.get("GalaxyCluster") or []
        if isinstance(cluster, dict) and cluster.get("tag_name")
    ]


def _attribute_observable(attribute: Any) -> Observable | None:
    """The canonical observable an attribute's value is, if its type names one.

    Refuses what misp-stix would write into a pattern unchecked: a value not of its type.
    """
    if not isinstance(attribute, dict):
        raise DecodeError("misp-invalid-attribute", "an attribute must be a JSON object")
    for key in ("type", "value"):
        if not isinstance(attribute.get(key), str) or not attribute[key].strip():
            raise DecodeError("misp-invalid-attribute", f"the attribute has no {key}")
    misp_type, value = attribute["type"], attribute["value"]
    # Composite types (ip-dst|port, filename|sha256): the part that is keyed.
    if "|" in misp_type:
        first_type, _, second_type = misp_type.partition("|")
        first_value, _, second_value = value.partition("|")
        misp_type, value = (
            (second_type, second_value) if first_type == "filename" else (first_type, first_value)
        )
    make = _OBSERVABLE_OF.get(misp_type)
    if make is None:
        return None
    try:
        return make(value.strip())
    except CanonicalError as exc:
        raise DecodeError(
            "misp-invalid-attribute", f"{attribute['type']} {attribute['value']!r}: {exc.reason}"
        ) from None


def _ip(value: str) -> Observable:
    return observable("ipv6-addr" if ":" in value else "ipv4-addr", value)


def _hash(algorithm: str) -> Callable[[str], Observable]:
    return lambda value: Observable("file", canonical_hash(algorithm, value))


_OBSERVABLE_OF: dict[str, Callable[[str], Observable]] = {
    "ip-src": _ip,
    "ip-dst": _ip,
    "domain": lambda value: observable("domain-name", value),
    "hostname": lambda value: observable("domain-name", value),
    "url": lambda value: observable("url", value),
    "link": lambda value: observable("url", value),
    "email": lambda value: observable("email-addr", value),
    "email-src": lambda value: observable("email-addr", value),
    "email-dst": lambda value: observable("email-addr", value),
    "sha512": _hash("sha512"),
    "sha256": _hash("sha256"),
    "sha1": _hash("sha1"),
    "md5": _hash("md5"),
}
_HASH_ORDER = ("sha-256:", "sha-512:", "sha-1:", "md5:")  # the hub keys files this way


def _to_ids(item: JSON) -> bool:
    return str(item.get("to_ids", False)).lower() in ("true", "1")


def _keyed_observable(part: JSON, attributes: list[JSON], is_object: bool) -> Observable | None:
    """What the row's indicator is about, as the hub keys it (validating every value).

    misp-stix writes an ip-dst as a network-traffic pattern and a file object's hashes as
    one AND-pattern; the hub compares the canonical observable instead, so a MISP
    attribute merges with the same address, domain or file from every other source.
    """
    found = [(_attribute_observable(a), a) for a in attributes]
    if not is_object:
        return found[0][0]
    if part.get("name") != "file":
        return None
    hashes = [o for o, a in found if o is not None and o.type == "file" and _to_ids(a)]
    for prefix in _HASH_ORDER:
        for candidate in hashes:
            if candidate.value.startswith(prefix):
                return candidate
    return None


def _tag_names(item: Any) -> list[str]:
    tags = item.get("Tag") if isinstance(item, dict) else None
    if not isinstance(tags, list):
        return []
    return [str(t["name"]) for t in tags if isinstance(t, dict) and t.get("name")]


def _tlp_of_tags(tags: list[str]) -> list[Tlp]:
    levels = []
    for tag in tags:
        if tag.lower().startswith("tlp:"):
            try:
                levels.append(level_named(tag))
            except ValueError:
                continue  # tlp:ex:chr and other extensions name no level
    return levels


def _distribution(item: Any, inherited: int) -> int:
    try:
        value = int(item.get("distribution", _INHERIT))
    except (TypeError, ValueError):
        return inherited
    return inherited if value == _INHERIT or value not in DISTRIBUTION_TLP else value


def _level(header: JSON, part: JSON, attributes: list[JSON]) -> Tlp:
    """The strictest of the tlp tags and distribution levels that apply to one row."""
    event_distribution = _distribution(header, 1)
    part_distribution = _distribution(part, event_distribution)
    levels = [DISTRIBUTION_TLP[part_distribution]]
    levels += _tlp_of_tags(_tag_names(header)) + _tlp_of_tags(_tag_names(part))
    for attribute in attributes:
        levels.append(DISTRIBUTION_TLP[_distribution(attribute, part_distribution)])
        levels += _tlp_of_tags(_tag_names(attribute))
    return max(levels)


def _malware_family(header: JSON, galaxy_tags: list[str], attributes: list[JSON]) -> str | None:
    tags = [t for a in attributes for t in _tag_names(a)] + _tag_names(header) + galaxy_tags
    for tag in tags:
        match = _GALAXY_TAG.match(tag)
        if match and match.group("galaxy") in _MALWARE_GALAXIES:
            return match.group("value")
    return None


def _crime_code(obj: StixObject, header: JSON, family: str | None) -> str:
    try:
        observable_type = observable_from_pattern(str(obj.get("pattern", ""))).type
    except CanonicalError:
        observable_type = None
    return crime_code_for(
        hint=None,
        indicator_types=list(obj.get("indicator_types", [])),
        labels=list(obj.get("labels", [])),
        name=str(header.get("info") or ""),
        malware_family=family,
        observable_type=observable_type,
    )


def _misp_to_stix() -> Any:
    """A fresh misp-stix parser (it keeps state per event).

    Imported on first use: misp-stix is heavy, and it registers its custom types with
    stix2, which must happen after the STIX validator has read stix2's registry.
    """
    with warnings.catch_warnings():
        # Its dependencies' import machinery (six) warns on Python 3.11; nothing to act on.
        warnings.simplefilter("ignore", ImportWarning)
        from misp_stix_converter import MISPtoSTIX21Parser

    return MISPtoSTIX21Parser()
