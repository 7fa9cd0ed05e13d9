"""The hub's TAXII collections: which exist, their deterministic ids, and their titles.

Every partner has an inbox (it writes there, the pipeline takes it from there) and a feed
(what the hub shares back with it); the hub's analysts have one collection; every liaison
agency has its own. Ids are UUIDv5 over kind and owner, so every replica, restart and
fresh store agrees on them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from hub.disseminate.audiences import liaison_agencies
from schemas.agreement import PartnerAgreement
from schemas.hub_config import HubConfig

CollectionKind = Literal["inbox", "feed", "analysts", "liaison"]
COLLECTION_NAMESPACE = uuid.UUID("5b0e2f9c-6f3e-5a49-9a0e-6b1d2c3f4a51")
STIX_21 = "application/stix+json;version=2.1"


def collection_id(kind: CollectionKind, owner: str = "") -> str:
    return str(uuid.uuid5(COLLECTION_NAMESPACE, f"fusionhub:{kind}:{owner}"))


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    """One collection; ``owner`` is the partner id or agency ('' for the analysts')."""

    kind: CollectionKind
    owner: str
    title: str
    description: str

    @property
    def id(self) -> str:
        return collection_id(self.kind, self.owner)


def analysts_collection() -> CollectionSpec:
    return CollectionSpec(
        "analysts",
        "",
        "Hub analysts: curated indicators",
        "Every curated indicator the hub's tactical analysts may see, all crime codes.",
    )


def inbox_collection(partner_id: str, name: str | None = None) -> CollectionSpec:
    return CollectionSpec(
        "inbox",
        partner_id,
        f"{name or partner_id}: inbox",
        f"Where {partner_id} posts indicators to the hub; write-only.",
    )


def feed_collection(partner_id: str, name: str | None = None) -> CollectionSpec:
    return CollectionSpec(
        "feed",
        partner_id,
        f"{name or partner_id}: feed",
        f"Curated indicators the hub shares with {partner_id} under its agreement.",
    )


def liaison_collection(agency: str) -> CollectionSpec:
    return CollectionSpec(
        "liaison",
        agency,
        f"Liaison export: {agency}",
        f"Curated, consented indicators exported to {agency}.",
    )


def catalog(agreements: Mapping[str, PartnerAgreement], config: HubConfig) -> list[CollectionSpec]:
    """Every collection the configuration calls for, analysts first, then by owner."""
    specs = [analysts_collection()]
    for agreement in sorted(agreements.values(), key=lambda a: a.id):
        specs.append(inbox_collection(agreement.id, agreement.name))
        specs.append(feed_collection(agreement.id, agreement.name))
    # The same agencies disseminate publishes to.
    for agency in liaison_agencies(agreements, config.published_agencies):
        specs.append(liaison_collection(agency))
    return specs


def by_id(specs: Iterable[CollectionSpec]) -> dict[str, CollectionSpec]:
    return {spec.id: spec for spec in specs}
