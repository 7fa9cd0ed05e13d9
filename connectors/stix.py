"""STIX 2.1 objects as the connectors write them: deterministic ids, hub extension properties.

Ids derive from the ingest record (or, for SCOs, from the value as STIX 2.1 §2.9 asks), so
re-importing the same file yields the same objects. Connectors say what they know about an
object in ``x_fusion_crime_code`` and ``x_fusion_malware_family``, which admission reads.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

from hub.admit.admission import DecodeError
from hub.canonical import Observable, stix_uuid5
from hub.timestamps import format_ms

StixObject = dict[str, Any]

_EPOCH = re.compile(r"^[0-9]{9,11}(\.[0-9]+)?$")


def object_id(object_type: str, *parts: object) -> str:
    return f"{object_type}--{stix_uuid5('|'.join(str(p) for p in parts))}"


def sco_id(object_type: str, value: str) -> str:
    """The deterministic id of an SCO over its id-contributing ``value`` (STIX 2.1 §2.9)."""
    contributing = orjson.dumps({"value": value}, option=orjson.OPT_SORT_KEYS).decode()
    return f"{object_type}--{stix_uuid5(contributing)}"


def feed_time(text: str, *, code: str, what: str) -> str:
    """A feed's timestamp as STIX wants it (UTC, ms, 'Z').

    Takes ISO 8601 with or without a zone ("2026-11-19 08:13:25" is UTC, as sinkhole
    reports mean it) and Unix epoch seconds; anything else is a DecodeError ``code``.
    """
    value = text.strip()
    return _plain_utc(value) or _any_time(value, text, code=code, what=what)


def _plain_utc(value: str) -> str | None:
    """``2026-11-19 08:13:25`` (or with a T, or a trailing Z) as STIX writes it; else None.

    Most report rows carry this shape: it is checked and rewritten in place instead of
    building and formatting a datetime for every row (a few per cent of a CSV import).
    tests/connectors/test_feed_time.py holds it to ``_any_time``.
    """
    body = value[:19] if len(value) == 20 and value[19] == "Z" else value
    if not (
        len(body) == 19
        and body.isascii()
        and body[0] != "0"  # years below 1000 take the general path, as they always did
        and body[4] == "-"
        and body[7] == "-"
        and body[10] in " T"
        and body[13] == ":"
        and body[16] == ":"
    ):
        return None
    try:
        datetime.fromisoformat(body)  # the calendar's verdict: digits, months, days, hours
    except ValueError:
        return None  # the general path gives the reason
    return f"{body[:10]}T{body[11:]}.000Z"


def _any_time(value: str, text: str, *, code: str, what: str) -> str:
    try:
        if _EPOCH.match(value):
            moment = datetime.fromtimestamp(float(value), tz=UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise DecodeError(
            code, f"{what} {text!r} is not an ISO 8601 time or epoch seconds"
        ) from None
    return format_ms(moment)


def indicator(
    *,
    id: str,
    observable: Observable,
    timestamp: str,
    name: str,
    labels: list[str],
    crime_code: str,
    malware_family: str | None,
    description: str | None = None,
) -> StixObject:
    """An indicator for one canonical observable, first seen at ``timestamp``."""
    obj: StixObject = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": id,
        "created": timestamp,
        "modified": timestamp,
        "name": name[:256],
        "pattern": observable.pattern,
        "pattern_type": "stix",
        "valid_from": timestamp,
        "indicator_types": ["malicious-activity"],
        "labels": labels,
        "x_fusion_crime_code": crime_code,
    }
    if description:
        obj["description"] = description
    if malware_family:
        obj["x_fusion_malware_family"] = malware_family
    return obj
