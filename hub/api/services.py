"""What the API's endpoints share: the store, who is calling, the collections, the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hub.agreements import AgreementBook
from hub.api.publisher import IngestPublisher, KafkaIngestPublisher
from hub.api.settings import ServeSettings
from hub.auth import Authenticator
from hub.settings import HubSettings
from hub.store import Store, StoreSettings
from hub.store.collections import CollectionSpec, catalog
from hub.topics import Topics
from schemas.agreement import PartnerAgreement
from schemas.hub_config import HubConfig, load_hub_config


class CollectionDirectory:
    """The collections the agreements and hub config call for, created in the store on sight.

    Recomputed only when the agreements change (AgreementBook hands out a new mapping).
    """

    def __init__(
        self,
        agreements: Callable[[], Mapping[str, PartnerAgreement]],
        config: HubConfig,
        store: Store,
    ) -> None:
        self._agreements = agreements
        self._config = config
        self._store = store
        self._seen: Mapping[str, PartnerAgreement] | None = None
        self._specs: dict[str, CollectionSpec] = {}

    async def current(self) -> dict[str, CollectionSpec]:
        """Every collection by id, in catalog order."""
        agreements = self._agreements()
        if agreements is not self._seen:
            specs = catalog(agreements, self._config)
            await self._store.ensure_collections(specs)
            self._specs = {spec.id: spec for spec in specs}
            self._seen = agreements
        return self._specs


@dataclass(slots=True)
class ApiServices:
    settings: ServeSettings
    hub_config: HubConfig
    store: Store
    authenticator: Authenticator
    directory: CollectionDirectory
    publisher: IngestPublisher


async def open_services(
    hub: HubSettings,
    serve: ServeSettings,
    *,
    store_url: str | None = None,
    publisher: IngestPublisher | None = None,
) -> ApiServices:
    """Load the hub config and agreements, open (and migrate) the store, ready the publisher."""
    config = load_hub_config(serve.hub_config)
    book = AgreementBook(hub.partners_dir)
    store = await Store.open(store_url or StoreSettings().store_url)
    directory = CollectionDirectory(book.current, config, store)
    await directory.current()
    return ApiServices(
        settings=serve,
        hub_config=config,
        store=store,
        authenticator=Authenticator(book.current, config),
        directory=directory,
        publisher=publisher or KafkaIngestPublisher(hub.broker, Topics(hub.topic_namespace).ingest),
    )
