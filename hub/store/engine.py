"""The store's engine from one URL: SQLite (aiosqlite) embedded, PostgreSQL (asyncpg) to scale.

SQLite specifics live here and only here: WAL so readers never wait for the writer, a busy
timeout so writers queue instead of failing, and ``BEGIN IMMEDIATE`` for write transactions
so two writers never both read a collection's last ``date_added`` and then collide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from hub.store.errors import StoreConfigError

_WRITE = "fusionhub_write"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def parse_store_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with a terse message
        raise StoreConfigError(f"store URL {url!r} is not a database URL: {exc}") from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise StoreConfigError(
            f"store URL {url!r} uses driver {parsed.drivername!r}; "
            f"use one of {', '.join(SUPPORTED_DRIVERS)} "
            "(e.g. sqlite+aiosqlite:///var/store.db or postgresql+asyncpg://user@host/db)"
        )
    return parsed


def create_store_engine(url: str) -> AsyncEngine:
    parsed = parse_store_url(url)
    if parsed.drivername.startswith("sqlite"):
        return _sqlite_engine(parsed)
    return create_async_engine(parsed, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> AsyncEngine:
    database = url.database or ""
    in_memory = database in ("", ":memory:")
    if not in_memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        connect_args={"timeout": 30},
        **({"poolclass": StaticPool} if in_memory else {}),
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not open transactions itself: "begin" below does, deliberately.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        writing = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine


@asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction: on SQLite it takes the write lock up front (waiting if needed)."""
    async with engine.connect() as connection:
        connection = await connection.execution_options(**{_WRITE: True})
        async with connection.begin():
            yield connection


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction: one consistent snapshot, never blocking writers."""
    async with engine.connect() as connection, connection.begin():
        yield connection
