"""Alembic environment: runs on the connection hub.store.migrate hands over."""

from __future__ import annotations

from alembic import context

from hub.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run the store's migrations with hub.store.migrate.migrate(engine) "
        "(or `fusionhub serve`, which does), not with the alembic command"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
