"""Each merge partition is reshared from the agreements it kept (real broker, the worker's
``Sharing`` and ``MergeTable``, no worker process).

A worker holds two partitions that were published under different agreements - one by a
worker that carried kappa-isp's consent to the NCA, the other by one that carried its move
to INTERPOL - and the files now consent to both. Each partition must be reshared from its
own agreements: the first to INTERPOL, the second to the NCA; and then keep the files'.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from hub.context import HubContext
from hub.correlate.table import MergeTable
from hub.disseminate.sharing import Sharing, kept_terms
from hub.kafka_admin import ensure_topics
from hub.kafka_io import read_topics
from hub.settings import HubSettings
from hub.streams import Outbox
from protocols.tlp import Tlp
from schemas.agreement import PartnerAgreement
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.sharing_scenario import PARTNERS, write_agreement
from tests.protocols.builders import contribution, record

pytestmark = pytest.mark.integration

KEYS = {0: "ipv4-addr|45.155.205.150", 1: "ipv4-addr|45.155.205.151"}


def agreements(**kappa: Any) -> dict[str, PartnerAgreement]:
    return {
        partner: PartnerAgreement.model_validate(
            {"id": partner, **body, **(kappa if partner == "kappa-isp" else {})}
        )
        for partner, body in PARTNERS.items()
    }


async def test_each_partition_is_reshared_from_the_agreements_it_kept(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    name = f"terms{uuid.uuid4().hex[:8]}"
    partners = tmp_path / "partners"
    partners.mkdir()
    for partner in PARTNERS:
        write_agreement(partners, partner)
    write_agreement(partners, "kappa-isp", liaison_consent=["nca", "interpol"])
    settings = HubSettings(
        broker=kafka_broker.bootstrap,
        app_id=name,
        topic_namespace=f"{name}.",
        data_dir=tmp_path / "state",
        partners_dir=partners,
    )
    context = HubContext.from_settings(settings)
    changelog = f"{name}-merge-changelog"
    await ensure_topics(kafka_broker.bootstrap, [context.topics.admitted, changelog], 2)
    table = MergeTable(
        bootstrap=kafka_broker.bootstrap,
        changelog=changelog,
        store_url="memory://",
        data_dir=settings.data_dir,
    )
    await table.restore([0, 1])
    shared = record(contribution("kappa-isp", Tlp.GREEN, crime_code="malicious-code/c2-server"))
    for partition, key in KEYS.items():
        table.partition(partition)[key.encode()] = shared.to_bytes()
    table.set_sharing_terms(0, kept_terms(agreements(liaison_consent=["nca"])))
    table.set_sharing_terms(1, kept_terms(agreements(liaison_consent=["interpol"])))
    table.pending.clear()  # as restored from a changelog: nothing of it to write again

    outbox = Outbox(settings)
    try:
        sharing = Sharing(context, table)
        lane = outbox.lane()
        await sharing.follow(lane)
        await sharing.follow(lane)  # checked: nothing more
    finally:
        await outbox.stop()
        table.close()

    ticks = {
        m.partition: orjson.loads(m.value)
        async for m in read_topics(kafka_broker.bootstrap, topics=[context.topics.admitted])
    }
    assert {p: (t["key"], t["tick"], t["held"]) for p, t in ticks.items()} == {
        0: (KEYS[0], "sharing", {"liaison:interpol": None}),
        1: (KEYS[1], "sharing", {"liaison:nca": None}),
    }
    # Each partition keeps the files' agreements now, in its changelog too.
    files = kept_terms(context.agreements.current())
    written = {
        (m.partition, m.key): m.value
        async for m in read_topics(kafka_broker.bootstrap, topics=[changelog])
    }
    assert written == {(0, b"\x00sharing-terms"): files, (1, b"\x00sharing-terms"): files}
