"""Hub settings, read once from the environment (``FUSIONHUB_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class HubSettings(BaseSettings):
    """Where the hub finds its broker, state and partners.

    Every field maps to an environment variable ``FUSIONHUB_<NAME>``:

    - ``broker`` (``FUSIONHUB_BROKER``, default ``127.0.0.1:9092``): Kafka bootstrap address.
    - ``app_id`` (``FUSIONHUB_APP_ID``, default ``fusionhub``): Faust app id = consumer group
      and prefix of the table changelog topics.
    - ``topic_namespace`` (``FUSIONHUB_TOPIC_NAMESPACE``, default empty): prefix put before
      every topic name, so tests and benchmarks on one broker never see each other's data.
    - ``data_dir`` (``FUSIONHUB_DATA_DIR``, default ``var``): RocksDB tables and local state.
    - ``partitions`` (``FUSIONHUB_PARTITIONS``, default 4): partitions of the hub's topics;
      the unit of parallelism for workers.
    - ``processing_guarantee`` (``FUSIONHUB_PROCESSING_GUARANTEE``, default
      ``at_least_once``): a re-delivery after a crash is an exact duplicate (same id and
      ``modified``), never a loss; see README, "Delivery guarantee", for why not
      ``exactly_once``.
    - ``table_store`` (``FUSIONHUB_TABLE_STORE``, default ``rocksdb://``).
    - ``partners_dir`` (``FUSIONHUB_PARTNERS_DIR``, default ``deploy/samples/partners``).
    - ``batch_size`` / ``batch_within_s`` (default 1000 / 0.01): how many records an agent
      takes at once, and how long it waits to fill a batch. Each of the three stages may
      wait that long, so it bounds the latency an idle hub adds (bench/pipeline.py at 300/s:
      p50 173 ms at 0.05 s, 66 ms at 0.01 s; about 10 % less peak throughput).
    - ``sweep_interval_s`` (default 10): how often correlate looks for ended embargoes and
      expired records.
    - ``hub_identity_name`` (``FUSIONHUB_HUB_IDENTITY_NAME``): the name the hub signs
      curated objects with.
    - ``hub_config`` (``FUSIONHUB_HUB_CONFIG``, default ``deploy/samples/hub.yaml``): the
      hub config ``fusionhub serve`` reads too; the worker takes the liaison agencies from
      it, so every agency with a collection also gets its ``liaison.<agency>`` topic. A
      missing file means the default agencies (nca, interpol).
    - ``redaction_secret`` (``FUSIONHUB_REDACTION_SECRET``, default unset): key of the
      keyed hash that replaces personal data at admission; unset, one is generated once in
      ``<data_dir>/redaction.secret``. Every worker of a deployment needs the same one.
    """

    model_config = SettingsConfigDict(env_prefix="FUSIONHUB_", frozen=True)

    broker: str = "127.0.0.1:9092"
    app_id: str = "fusionhub"
    topic_namespace: str = ""
    data_dir: Path = Path("var")
    partitions: int = Field(default=4, ge=1)
    processing_guarantee: str = Field(
        default="at_least_once", pattern="^(exactly_once|at_least_once)$"
    )
    table_store: str = "rocksdb://"
    partners_dir: Path = Path("deploy/samples/partners")
    hub_identity_name: str = "Fusion Hub e-crime unit"
    batch_size: int = Field(default=1000, ge=1)
    batch_within_s: float = Field(default=0.01, gt=0)
    sweep_interval_s: float = Field(default=10.0, gt=0)
    hub_config: Path = Path("deploy/samples/hub.yaml")
    redaction_secret: SecretStr | None = None
