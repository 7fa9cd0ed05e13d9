"""The Alembic migrations create exactly the models' schema, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from hub.store import Store
from hub.store.migrate import current_revision, head_revision, migrate
from hub.store.models import Base


async def test_migrated_schema_matches_the_models(store: Store) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with store.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_migrating_again_changes_nothing(store: Store) -> None:
    assert await current_revision(store.engine) == head_revision()
    await migrate(store.engine)
    assert await current_revision(store.engine) == head_revision()
