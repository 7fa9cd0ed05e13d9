"""Where the store lives: one URL."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseSettings):
    """The store's database, from the environment.

    - ``store_url`` (``FUSIONHUB_STORE_URL``, default ``sqlite+aiosqlite:///var/store.db``):
      a SQLite file (embedded default) or ``postgresql+asyncpg://user:password@host/db``
      for production.
    """

    model_config = SettingsConfigDict(env_prefix="FUSIONHUB_", frozen=True, extra="ignore")

    store_url: str = "sqlite+aiosqlite:///var/store.db"
