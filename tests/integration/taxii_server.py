"""A real ``fusionhub serve`` in a subprocess, beside a HubProcess on the same broker."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hub.broker import free_ports
from hub.processes import stop_process_group, wait_until_answering
from tests.integration.hub_process import REPO, HubProcess

SAMPLES = REPO / "deploy" / "samples"


@dataclass
class TaxiiServer:
    """The hub's API server for one HubProcess: same broker and topic namespace, own store."""

    hub: HubProcess
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    port: int = field(default_factory=lambda: free_ports(1)[0])
    process: subprocess.Popen[bytes] | None = None

    @property
    def scheme(self) -> str:
        return "https" if "FUSIONHUB_TLS_CERT" in self.extra_env else "http"

    @property
    def url(self) -> str:
        """The discovery URL, with the trailing slash TAXII clients expect."""
        return f"{self.scheme}://127.0.0.1:{self.port}/taxii2/"

    @property
    def store_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.workdir / 'store.db'}"

    def start(self, *, verify: str | bool = True, timeout_s: float = 60.0) -> None:
        env = {
            **self.hub.env,
            "FUSIONHUB_API_PORT": str(self.port),
            "FUSIONHUB_STORE_URL": self.store_url,
            "FUSIONHUB_HUB_CONFIG": str(SAMPLES / "hub.yaml"),
            "FUSIONHUB_STORE_GROUP": f"{self.hub.name}-store",
            **self.extra_env,
        }
        log = open(self.workdir / "serve.log", "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", *self.extra_args],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers() -> bool:
            try:
                # Unauthenticated: any TAXII answer (401) means the server is up.
                httpx.get(self.url, verify=verify, timeout=2.0)
            except httpx.TransportError:
                return False
            return True

        wait_until_answering(
            self.process,
            answers,
            name="fusionhub serve",
            timeout_s=timeout_s,
            details=lambda: "\n" + self.log_tail(),
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)

    def log_tail(self, lines: int = 60) -> str:
        path = self.workdir / "serve.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
