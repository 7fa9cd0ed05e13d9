"""ISP and sinkhole CSV reports: infected hosts and C2 servers, one row per ingest record.

The layout is the one national CERTs and ISPs receive from sinkhole operators (shadowserver
style: a header row, then ``timestamp, ip, port, asn, geo, hostname, infection, ...``); the
agreement maps the hub's fields onto the report's column names. A row of an ``infected``
report becomes the host's address with the observed-data that saw it (and an indicator for
the C2 server it talked to, when the report names one); a row of a ``c2`` report becomes an
indicator. A bad row is rejected at admission with its file, line and reason; the other
rows of the file are unaffected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from connectors.base import ConnectorError, FileFeedConnector, StixObject
from connectors.stix import feed_time, indicator, object_id, sco_id
from hub.admit.admission import DecodeError
from hub.admit.crime_codes import C2_SERVER, INFECTED_SYSTEM
from hub.canonical import CanonicalError, Observable, observable
from schemas.connectors import IspCsvSettings
from schemas.envelopes import IngestRecord

_REQUIRED = ("timestamp", "ip")


class IspCsvConnector(FileFeedConnector[IspCsvSettings]):
    """Sinkhole / botnet-infection / C2 reports as CSV with a header row."""

    kind = "isp-csv"
    channel = "csv"
    format = "isp-csv"
    settings_type = IspCsvSettings

    def records(
        self, raw: bytes, *, name: str, digest: str, received: str
    ) -> Iterator[IngestRecord]:
        rows = _rows(raw)
        header_row = next(rows, None)
        if header_row is None:
            return
        _, header_bytes = header_row
        header = _header(header_bytes, self.settings.delimiter)
        context = {
            "report": self.settings.report,
            "fields": self._field_columns(name, header),
            "width": len(header),
            "delimiter": self.settings.delimiter,
        }
        for line, row in rows:
            yield self.row_record(
                row, name=name, line=line, digest=digest, received=received, context=context
            )

    def _field_columns(self, name: str, header: list[str]) -> dict[str, int]:
        position = {column.strip().lower(): index for index, column in enumerate(header)}
        fields: dict[str, int] = {}
        for field, column in self.settings.columns.mapped().items():
            index = position.get(column.strip().lower())
            if index is not None:
                fields[field] = index
            elif field in _REQUIRED:
                raise ConnectorError(
                    self.label,
                    f"{name}: the header has no column {column!r} for {field!r} "
                    f"(columns: {', '.join(header)}); fix the agreement's column mapping",
                )
        return fields

    @staticmethod
    def decode(record: IngestRecord) -> list[StixObject]:
        context = record.context or {}
        cells = _parse_row(record.raw(), str(context.get("delimiter", ",")))
        width = context.get("width")
        if len(cells) != width:
            raise DecodeError(
                "csv-column-count", f"the row has {len(cells)} columns; the header has {width}"
            )
        row = _Row(cells, context.get("fields", {}))
        timestamp_text, ip_text = row.get("timestamp"), row.get("ip")
        if timestamp_text is None or ip_text is None:
            missing = "timestamp" if timestamp_text is None else "ip"
            raise DecodeError("csv-missing-value", f"the row has no {missing}")
        timestamp = feed_time(timestamp_text, code="csv-invalid-timestamp", what="timestamp")
        host = _address(ip_text, "ip")
        port = _port(row.get("port"), "port")
        if context.get("report") == "c2":
            return [_c2_indicator(record, row, host, port, timestamp, "c2")]
        objects = _infected_host(record, row, host, port, timestamp)
        c2_text = row.get("c2_ip")
        if c2_text is not None:
            c2 = _address(c2_text, "c2_ip")
            c2_port = _port(row.get("c2_port"), "c2_port")
            objects.append(_c2_indicator(record, row, c2, c2_port, timestamp, "c2_ip"))
        return objects


@dataclass(frozen=True, slots=True)
class _Row:
    """One parsed row, read by the hub's field names."""

    cells: list[str]
    fields: dict[str, int]

    def get(self, field: str) -> str | None:
        index = self.fields.get(field)
        cell = self.cells[index].strip() if index is not None else ""
        return cell or None


def _rows(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes) of each CSV record; a quoted field may span lines."""
    pending: list[bytes] = []
    start = 0
    for number, line in enumerate(raw.splitlines(), start=1):
        if not pending:
            if not line.strip() or line.startswith(b"#"):
                continue  # blank lines and comment lines some reports carry
            start = number
        pending.append(line)
        joined = b"\n".join(pending)
        if joined.count(b'"') % 2 == 0:  # an odd count: a quoted field goes on
            yield start, joined
            pending = []
    if pending:
        yield start, b"\n".join(pending)  # an unterminated quote: rejected at admission


def _header(row: bytes, delimiter: str) -> list[str]:
    text = row.decode("utf-8-sig", errors="replace")
    return next(csv.reader([text], delimiter=delimiter))


def _parse_row(raw: bytes, delimiter: str) -> list[str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("csv-encoding", f"the row is not UTF-8: {exc}") from None
    # Nearly every row is one line, read as it is; a quoted field spanning lines needs the
    # line splitting of a file object.
    lines = io.StringIO(text) if "\n" in text or "\r" in text else (text,)
    try:
        rows = list(csv.reader(lines, delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise DecodeError("csv-unparsable", f"not a CSV row: {exc}") from None
    if len(rows) != 1:
        raise DecodeError("csv-unparsable", f"expected one CSV row, found {len(rows)}")
    return rows[0]


def _address(text: str, field: str) -> Observable:
    kind = "ipv6-addr" if ":" in text else "ipv4-addr"
    try:
        return observable(kind, text)
    except CanonicalError as exc:
        raise DecodeError(
            "csv-invalid-ip", f"{field} {text!r} is not an IP address: {exc.reason}"
        ) from None


def _port(text: str | None, field: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise DecodeError("csv-invalid-port", f"{field} {text!r} is not a port number (0-65535)")
    return int(text)


def _c2_indicator(
    record: IngestRecord,
    row: _Row,
    host: Observable,
    port: int | None,
    timestamp: str,
    role: str,
) -> StixObject:
    family = row.get("malware_family")
    where = host.value + (f":{port}" if port is not None else "")
    return indicator(
        id=object_id("indicator", record.ingest_id, role),
        observable=host,
        timestamp=timestamp,
        name=f"C2 server {where}" + (f" ({family})" if family else ""),
        labels=["c2"],
        crime_code=C2_SERVER,
        malware_family=family,
        description=f"reported in {record.origin.name}, line {record.origin.line}",
    )


def _infected_host(
    record: IngestRecord, row: _Row, host: Observable, port: int | None, timestamp: str
) -> list[StixObject]:
    """The host's address (keyed and merged like an indicator) and what observed it."""
    family = row.get("malware_family")
    address: StixObject = {
        "type": host.type,
        "spec_version": "2.1",
        "id": sco_id(host.type, host.value),
        "value": host.value,
        "x_fusion_crime_code": INFECTED_SYSTEM,
    }
    count_text = row.get("count") or ""
    observed: StixObject = {
        "type": "observed-data",
        "spec_version": "2.1",
        "id": object_id("observed-data", record.ingest_id),
        "created": timestamp,
        "modified": timestamp,
        "first_observed": timestamp,
        "last_observed": timestamp,
        # A count the report cannot state is one observation, not a rejection; STIX caps it.
        "number_observed": min(int(count_text), 999_999_999)
        if count_text.isdigit() and int(count_text)
        else 1,
        "object_refs": [address["id"]],
        "labels": ["infected-system"],
    }
    for field in ("asn", "geo", "hostname"):
        text = row.get(field)
        if text:
            observed[f"x_fusion_{field}"] = text
    if port is not None:
        observed["x_fusion_port"] = port
    if family:
        address["x_fusion_malware_family"] = family
        observed["x_fusion_malware_family"] = family
    return [address, observed]
