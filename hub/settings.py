"""Hub settings, read once from the environment (``FUSIONHUB_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class HubSettings(BaseSettings):
    """Where the hub finds its broker, state and partners.

    Every field maps to an environment variable ``FUSIONHUB_<NAME>``:

    - ``broker`` (``FUSIONHUB_BROKER``, default ``127.0.0.1:9092``): Kafka bootstrap address.
    - ``app_id`` (``FUSIONHUB_APP_ID``, default ``fusionhub``): the workers' consumer group
      and the prefix of the merge table's changelog topic.
    - ``topic_namespace`` (``FUSIONHUB_TOPIC_NAMESPACE``, default empty): prefix put before
      every topic name, so tests and benchmarks on one broker never see each other's data.
    - ``data_dir`` (``FUSIONHUB_DATA_DIR``, default ``var``): the merge table's RocksDB
      partitions and local state.
    - ``partitions`` (``FUSIONHUB_PARTITIONS``, default 4): partitions of the hub's topics;
      the unit of parallelism for workers.
    - ``table_store`` (``FUSIONHUB_TABLE_STORE``, default ``rocksdb://``; or ``memory://``,
      which rebuilds each partition from the changelog whenever it is assigned).
    - ``partners_dir`` (``FUSIONHUB_PARTNERS_DIR``, default ``deploy/samples/partners``).
    - ``batch_size`` (default 1000): at most how many messages a worker takes from Kafka at
      once. It never waits to fill a batch: it takes what has arrived.
    - ``fetch_bytes`` (``FUSIONHUB_FETCH_BYTES``, default 4 MiB): at most how much a worker
      fetches from one partition in one request. aiokafka sends a broker no new fetch while
      records fetched from it wait to be handed out, so the worker waits a round trip per
      fetch: with the client's default of 1 MiB, workers working off a backlog of admitted
      records spent a quarter to a half of their time waiting (bench/connectors.py). A
      worker buffers up to this much for each partition it holds.
    - ``fetch_wait_ms`` (``FUSIONHUB_FETCH_WAIT_MS``, default 10): how long the broker may
      gather records for a worker's next fetch while records flow (hub/fetch_pacing.py):
      fewer, fuller rounds at moderate rates, for at most this much more latency per stage.
      A worker whose records do not flow long-polls instead; 0 makes it long-poll always,
      as Kafka's defaults do.
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
    table_store: str = "rocksdb://"
    partners_dir: Path = Path("deploy/samples/partners")
    hub_identity_name: str = "Fusion Hub e-crime unit"
    batch_size: int = Field(default=1000, ge=1)
    fetch_bytes: int = Field(default=4 << 20, ge=64 << 10)
    fetch_wait_ms: int = Field(default=10, ge=0, le=500)
    sweep_interval_s: float = Field(default=10.0, gt=0)
    hub_config: Path = Path("deploy/samples/hub.yaml")
    redaction_secret: SecretStr | None = None
