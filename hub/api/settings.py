"""How ``fusionhub serve`` serves the API: address, TLS, hub config, TAXII limits."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServeSettings(BaseSettings):
    """Settings of the API server, each from ``FUSIONHUB_<NAME>``.

    - ``api_host`` (``FUSIONHUB_API_HOST``, default ``127.0.0.1``) and ``api_port``
      (``FUSIONHUB_API_PORT``, default 8000): where the server listens.
    - ``tls_cert`` / ``tls_key`` (``FUSIONHUB_TLS_CERT``, ``FUSIONHUB_TLS_KEY``, default
      unset): PEM certificate (chain) and private key; set both to serve HTTPS only.
    - ``hub_config`` (``FUSIONHUB_HUB_CONFIG``, default ``deploy/samples/hub.yaml``): the hub
      config (schemas/hub_config.py): TAXII title, analysts, liaison officers, admins.
    - ``max_content_length`` (``FUSIONHUB_MAX_CONTENT_LENGTH``, default 10 MiB): the largest
      POST body the TAXII API root accepts (413 above).
    - ``page_size`` / ``max_page_size`` (default 100 / 1000): objects per page without a
      ``limit``, and the most a ``limit`` may ask for.
    - ``store_group`` (``FUSIONHUB_STORE_GROUP``, default ``<app_id>-store``): the Kafka
      consumer group of the sinks that fill the store; servers sharing one PostgreSQL store
      share it, a server with a store of its own needs its own.
    """

    model_config = SettingsConfigDict(env_prefix="FUSIONHUB_", frozen=True, extra="ignore")

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    hub_config: Path = Path("deploy/samples/hub.yaml")
    max_content_length: int = Field(default=10 * 1024 * 1024, ge=1024)
    page_size: int = Field(default=100, ge=1)
    max_page_size: int = Field(default=1000, ge=1)
    store_group: str | None = None

    @model_validator(mode="after")
    def _tls_pair(self) -> ServeSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            given, missing = (
                ("tls_cert", "tls_key") if self.tls_cert is not None else ("tls_key", "tls_cert")
            )
            raise ValueError(
                f"{given} is set but {missing} is not: HTTPS needs both the certificate "
                "and its private key (FUSIONHUB_TLS_CERT and FUSIONHUB_TLS_KEY)"
            )
        if self.page_size > self.max_page_size:
            raise ValueError(
                f"page_size {self.page_size} is larger than max_page_size {self.max_page_size}"
            )
        return self

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None
