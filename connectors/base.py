"""The connector base: what every feed kind shares, and its contract with the hub.

A connector fetches a partner's data in the form the partner publishes it and puts it on
``fusion.ingest`` as ingest records; where the partner's form is not STIX, each record is
one raw line or row (``format`` = the connector's kind) that the connector's ``decode``
turns into STIX at admission. So a bad row is rejected there like any bad input: with its
original bytes, file, line and reason, replayable after a fix.

``collect`` delivers what is new since the connector's checkpoint and commits the new
checkpoint only after the records before it are acknowledged, so a restart neither loses
nor repeats anything.
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import httpx

from hub.canonical import stix_uuid5
from hub.timestamps import now_ms
from schemas.connectors import ConnectorCredentials, ConnectorSettings, FileFeedSettings
from schemas.envelopes import IngestRecord, Origin, encode_payload

JSON = dict[str, Any]
StixObject = dict[str, Any]
SettingsT = TypeVar("SettingsT", bound=ConnectorSettings)
FileSettingsT = TypeVar("FileSettingsT", bound=FileFeedSettings)

# How many content digests a file feed's checkpoint remembers (files already imported).
_REMEMBERED_FILES = 1000


class ConnectorError(Exception):
    """A run that cannot proceed: its configuration, or a source that cannot be read."""

    def __init__(self, connector: str, detail: str) -> None:
        super().__init__(f"{connector}: {detail}")
        self.connector = connector
        self.detail = detail


class Delivery(Protocol):
    """Where a run puts its records: ``fusion.ingest``, then the connector's checkpoint."""

    def expect(self, total: int | None) -> None:
        """How many records the run is about to send (None: not known), for progress."""

    async def send(self, record: IngestRecord) -> None: ...

    async def commit(self, checkpoint: JSON) -> None:
        """Keep ``checkpoint`` once every record sent so far is acknowledged."""


class Connector(ABC, Generic[SettingsT]):
    """One feed of one partner: fetches it and turns it into ingest records."""

    kind: ClassVar[str]  # the name agreements and `fusionhub import --kind` use
    channel: ClassVar[str]  # Origin.channel of its records
    format: ClassVar[str] = "stix"  # IngestRecord.format of its records
    settings_type: ClassVar[type[ConnectorSettings]]

    def __init__(self, partner: str, settings: SettingsT, *, base_dir: Path = Path()) -> None:
        self.partner = partner
        self.settings = settings
        self.base_dir = base_dir  # where relative paths in the settings start

    @property
    def label(self) -> str:
        return f"{self.partner}/{self.settings.label}"

    @abstractmethod
    async def collect(
        self, delivery: Delivery, checkpoint: JSON | None, *, source: str | None = None
    ) -> None:
        """Deliver what is new since ``checkpoint``.

        ``source`` (a path or URL) replaces the configured location for a one-off run from
        the CLI, which then starts from nothing and keeps no checkpoint.
        """

    @staticmethod
    def decode(record: IngestRecord) -> list[StixObject]:
        """The STIX objects of one of its records (the admit stage calls it)."""
        raise NotImplementedError("records in STIX need no decoder")

    def ingest_id(self, *parts: object) -> str:
        """Deterministic: the same row of the same file is the same ingest record."""
        key = ":".join(str(p) for p in (self.partner, self.kind, *parts))
        return stix_uuid5("ingest:" + key)


class FileFeedConnector(Connector[FileSettingsT]):
    """A feed published as files: each new file (by content) is imported once."""

    async def collect(
        self, delivery: Delivery, checkpoint: JSON | None, *, source: str | None = None
    ) -> None:
        imported: list[str] = (
            [] if source is not None else list((checkpoint or {}).get("files", []))
        )
        location = source or self.settings.location
        for name, raw in await read_documents(
            self.label, location, self.base_dir, self.settings.credentials
        ):
            digest = hashlib.sha256(raw).hexdigest()
            if digest in imported:
                continue
            # Splitting a large file takes a while: off the event loop the worker shares.
            records = await asyncio.to_thread(self._all_records, raw, name, digest, now_ms())
            delivery.expect(len(records))
            for record in records:
                await delivery.send(record)
            imported.append(digest)
            await delivery.commit({"files": imported[-_REMEMBERED_FILES:]})

    def _all_records(self, raw: bytes, name: str, digest: str, received: str) -> list[IngestRecord]:
        return list(self.records(raw, name=name, digest=digest, received=received))

    @abstractmethod
    def records(
        self, raw: bytes, *, name: str, digest: str, received: str
    ) -> Iterator[IngestRecord]:
        """The ingest records of one file: one per row (or per event), in file order.

        Raises ConnectorError when the file as a whole cannot be read (e.g. a CSV header
        without a required column); a bad row is not an error here but at admission.
        """

    def row_record(
        self,
        payload: bytes,
        *,
        name: str,
        line: int,
        digest: str,
        received: str,
        context: JSON | None,
    ) -> IngestRecord:
        text, is_base64 = encode_payload(payload)
        return IngestRecord(
            ingest_id=self.ingest_id(digest, line),
            partner=self.partner,
            received=received,
            payload=text,
            payload_base64=is_base64,
            format=self.format,
            origin=Origin(channel=self.channel, name=name, line=line),
            context=context,
        )


async def read_documents(
    connector: str, location: str, base_dir: Path, credentials: ConnectorCredentials
) -> list[tuple[str, bytes]]:
    """(name, bytes) of each file a location names: an http(s) URL, a path or a glob."""
    if location.startswith(("http://", "https://")):
        return [(location, await _download(connector, location, credentials))]
    path = Path(location).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    if glob.has_magic(str(path)):
        paths = sorted(Path(p) for p in glob.glob(str(path)))
    elif path.is_file():
        paths = [path]
    else:
        raise ConnectorError(connector, f"no file at {path}")
    return [(p.name, await asyncio.to_thread(p.read_bytes)) for p in paths if p.is_file()]


async def _download(connector: str, url: str, credentials: ConnectorCredentials) -> bytes:
    try:
        headers = {}
        auth = None
        token = credentials.secret(credentials.token_env)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        password = credentials.secret(credentials.password_env)
        if credentials.username and password is not None:
            auth = httpx.BasicAuth(credentials.username, password)
    except KeyError as exc:
        raise ConnectorError(connector, str(exc.args[0])) from None
    try:
        async with httpx.AsyncClient(timeout=60.0, follow_redirects=True) as client:
            response = await client.get(url, headers=headers, auth=auth)
    except httpx.HTTPError as exc:
        raise ConnectorError(connector, f"cannot fetch {url}: {exc}") from None
    if response.status_code >= 400:
        raise ConnectorError(connector, f"{url} answered HTTP {response.status_code}")
    return response.content


def numbered_lines(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line without its end) of each non-blank line."""
    for number, line in enumerate(raw.splitlines(), start=1):
        if line.strip():
            yield number, line
