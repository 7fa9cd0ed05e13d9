"""A partner's own TAXII 2.1 server, for ``make demo`` and the connector tests.

medallion (the OASIS TAXII 2.1 reference server, a dev dependency) with its memory backend,
in a subprocess on a free loopback port: one API root with one read/write collection that
the hub's TAXII connector polls, and that objects are added to in batches.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from hub.broker import free_ports
from hub.processes import stop_process_group, wait_until_answering

MEDIA_STIX = "application/stix+json;version=2.1"
MEDIA_TAXII = "application/taxii+json;version=2.1"


class PartnerTaxiiServer:
    """medallion serving one collection; ``url`` is what a connector's ``url`` names."""

    def __init__(
        self,
        workdir: Path,
        *,
        api_root: str = "partner",
        collection_id: str = "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
        username: str = "hub",
        password: str = "hub-demo-password",
        max_page_size: int = 100,
    ) -> None:
        self.workdir = workdir
        self.api_root = api_root
        self.collection_id = collection_id
        self.username = username
        self.password = password
        self.max_page_size = max_page_size
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/{self.api_root}/collections/{self.collection_id}/"

    def _data(self) -> dict[str, Any]:
        return {
            "/discovery": {
                "title": "Partner TAXII server",
                "description": "medallion, memory backend",
                "default": f"{self.base}/{self.api_root}/",
                "api_roots": [f"{self.base}/{self.api_root}/"],
            },
            self.api_root: {
                "information": {
                    "title": "Partner feed",
                    "versions": ["application/taxii+json;version=2.1"],
                    "max_content_length": 10_485_760,
                },
                "status": [],
                "collections": [
                    {
                        "id": self.collection_id,
                        "title": "Indicators shared with the hub",
                        "can_read": True,
                        "can_write": True,
                        "media_types": [MEDIA_STIX],
                        "objects": [],
                        "manifest": [],
                    }
                ],
            },
        }

    def start(self, *, timeout_s: float = 60.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        data, config = self.workdir / "taxii-data.json", self.workdir / "taxii-config.json"
        data.write_text(json.dumps(self._data()), "utf-8")
        backend = {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(data),
        }
        config.write_text(
            json.dumps(
                {
                    "backend": backend,
                    "users": {self.username: self.password},
                    "taxii": {"max_page_size": self.max_page_size},
                }
            ),
            "utf-8",
        )
        (self.port,) = free_ports(1)
        log = open(self.workdir / "medallion.log", "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "medallion.scripts.run",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "WARN",
                str(config),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        medallion_log = self.workdir / "medallion.log"
        wait_until_answering(
            self.process,
            self._answers,
            name=f"medallion on port {self.port}",
            timeout_s=timeout_s,
            details=lambda: f"see {medallion_log}",
        )

    def _answers(self) -> bool:
        try:
            response = httpx.get(
                self.url, auth=(self.username, self.password), headers={"Accept": MEDIA_TAXII}
            )
        except httpx.TransportError:
            return False
        return response.status_code == 200

    def add(self, objects: list[dict[str, Any]]) -> dict[str, Any]:
        """POST one envelope to the collection (one Add Objects request: one date_added)."""
        response = httpx.post(
            f"{self.url}objects/",
            auth=(self.username, self.password),
            headers={"Accept": MEDIA_TAXII, "Content-Type": MEDIA_TAXII},
            content=json.dumps({"objects": objects}),
            timeout=30.0,
        )
        response.raise_for_status()
        status: dict[str, Any] = response.json()
        if status.get("failure_count"):
            raise RuntimeError(f"medallion refused objects: {status.get('failures')}")
        return status

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, timeout_s=10)

    def __enter__(self) -> PartnerTaxiiServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
