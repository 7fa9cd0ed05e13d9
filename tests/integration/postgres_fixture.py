"""One real PostgreSQL server per test session, from Debian's ``postgresql`` package.

Import the ``postgres_server`` fixture where it is needed
(``from tests.integration.postgres_fixture import postgres_server``). The server runs from a
fresh data directory on a free loopback port, with its socket in that directory, and stops
at the end of the session. PostgreSQL refuses to run as root, so under root (tests and CI
run as root here) initdb and pg_ctl run as the ``postgres`` system user.

Without ``initdb`` the PostgreSQL tests skip, unless ``CI`` is set: CI must run them
(``scripts/system-deps`` installs the package), so there a missing server fails.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from hub.broker import free_ports

SUPERUSER = "fusionhub"
_START_ATTEMPTS = 3


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    data_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"

    async def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        connection = await asyncpg.connect(
            host=self.host, port=self.port, user=self.user, database="postgres"
        )
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return self.url(name)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_bindir() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``: PATH first, then Debian's versioned dirs."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def _as_postgres_if_root(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(
        _as_postgres_if_root(command), capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {result.returncode}): {' '.join(command)}\n"
            f"{result.stdout}\n{result.stderr}"
        )


def _prepare_root() -> Path:
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="fusionhub-pg-"))
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(
                "running as root, PostgreSQL must run as the 'postgres' user, which does not "
                "exist: install Debian's postgresql package (scripts/system-deps)"
            ) from None
        shutil.chown(root, "postgres", "postgres")
    return root


def start_postgres(bindir: Path) -> tuple[PostgresServer, Path]:
    """initdb + pg_ctl start on a free port; returns the server and its temp root."""
    root = _prepare_root()
    data = root / "data"
    _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ],
        "initdb",
    )
    last_error: Exception | None = None
    for _ in range(_START_ATTEMPTS):
        (port,) = free_ports(1)
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            _run(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(root / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                "pg_ctl start",
            )
        except RuntimeError as exc:  # most likely the port was taken in between
            last_error = exc
            continue
        return PostgresServer("127.0.0.1", port, SUPERUSER, data), root
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start: {last_error}")


def stop_postgres(bindir: Path, server: PostgresServer, root: Path) -> None:
    try:
        _run(
            [str(bindir / "pg_ctl"), "-D", str(server.data_dir), "-m", "immediate", "-w", "stop"],
            "pg_ctl stop",
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        message = (
            "PostgreSQL's initdb is not installed (Debian: apt-get install postgresql, "
            "or scripts/system-deps)"
        )
        if _in_ci():
            pytest.fail(f"{message}; CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(message)
    server, root = start_postgres(bindir)
    try:
        yield server
    finally:
        stop_postgres(bindir, server, root)
