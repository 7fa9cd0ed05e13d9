"""A partner's feed health on the dashboard: which rejections count as a connector's errors.

A connector's run that refuses records means its feed (or its parser) is broken; a record a
partner pushed or an operator imported or replayed, or what the pipeline itself quarantined,
says nothing about a connector.
"""

from __future__ import annotations

import pytest

from connectors.av_hashes import AvHashConnector
from connectors.isp_csv import IspCsvConnector
from connectors.misp import MispConnector
from connectors.taxii import TaxiiConnector
from hub.api.pipeline_watch import PipelineWatch
from hub.topics import Topics
from schemas.envelopes import (
    CLI_IMPORT,
    PIPELINE,
    REPLAY,
    TAXII_PUSH,
    Origin,
    Reason,
    Rejection,
)


def rejection(n: int, channel: str) -> bytes:
    return Rejection(
        rejection_id=f"rejection-{n}",
        ingest_id=f"ingest-{n}",
        partner="isp-northnet",
        received="2026-11-27T06:00:00.000Z",
        reason=Reason(code="invalid-pattern", detail="pattern '[x' is not STIX"),
        payload="{}",
        origin=Origin(channel=channel, name="feed"),
    ).to_bytes()


@pytest.mark.parametrize(
    "connector", [AvHashConnector, IspCsvConnector, MispConnector, TaxiiConnector]
)
def test_a_connectors_rejections_are_its_errors(connector: type) -> None:
    topics = Topics()
    watch = PipelineWatch("127.0.0.1:1", topics, worker_group="fusionhub")
    watch.observe(topics.rejected, rejection(1, connector.channel), 0)
    watch.observe(topics.rejected, rejection(2, connector.channel), 0)
    health = watch.feeds["isp-northnet"]
    assert (health.rejected, health.connector_errors) == (2, 2)


@pytest.mark.parametrize("channel", [TAXII_PUSH, CLI_IMPORT, REPLAY, PIPELINE])
def test_no_connector_behind_these_channels(channel: str) -> None:
    topics = Topics()
    watch = PipelineWatch("127.0.0.1:1", topics, worker_group="fusionhub")
    watch.observe(topics.rejected, rejection(1, channel), 0)
    health = watch.feeds["isp-northnet"]
    assert (health.rejected, health.connector_errors) == (1, 0)
