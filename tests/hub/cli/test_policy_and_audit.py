"""``fusionhub policy explain`` and ``fusionhub audit``: their pure parts, on fixed records."""

from __future__ import annotations

import pytest

from hub.cli.audit import select_decisions
from hub.cli.policy import audience_from_option, explain
from hub.disseminate.views import sector_identity_id
from protocols.audience import HUB_ANALYSTS, Audience, AudienceError
from protocols.tlp import Tlp
from schemas.envelopes import AuditRecord
from tests.protocols.builders import AGREEMENTS, HUB, contribution, record


def test_explain_gives_every_contribution_its_verdict_and_what_is_received() -> None:
    merged = record(
        contribution("isp-b", Tlp.GREEN, confidence=60),
        contribution("bank-a", Tlp.AMBER, confidence=90),
        contribution("av-c", Tlp.RED),
    )
    explanation = explain(merged, Audience("liaison", "interpol"), AGREEMENTS, hub_identity=HUB)
    verdicts = {v.partner: (v.allowed, v.rule, v.marking) for v in explanation.verdicts}
    assert verdicts == {
        "av-c": (False, "tlp-red-stays-in-hub", "TLP:RED"),
        "bank-a": (False, "no-liaison-consent", "TLP:AMBER"),
        "isp-b": (True, "tlp-green-liaison-consent", "TLP:GREEN"),
    }
    assert "built from 1 of 3 contribution(s): confidence 60" in explanation.receives
    assert [v.shown_as for v in explanation.verdicts] == ["", "", sector_identity_id("isp")]
    nothing = explain(
        record(contribution("av-c", Tlp.RED)),
        Audience("partner", "cert-d"),
        AGREEMENTS,
        hub_identity=HUB,
    )
    assert (
        nothing.receives == "partner:cert-d receives nothing: it may see none of the contributions"
    )


def test_an_anonymous_contributor_is_explained_as_the_hub() -> None:
    merged = record(contribution("bank-a", Tlp.AMBER))
    explanation = explain(merged, Audience("partner", "isp-b"), AGREEMENTS, hub_identity=HUB)
    [verdict] = explanation.verdicts
    assert (verdict.rule, verdict.shown_as) == ("tlp-amber-named-recipient", "the hub (anonymous)")


def test_audiences_are_named_as_audited_or_for_short() -> None:
    assert audience_from_option("analysts", AGREEMENTS) == HUB_ANALYSTS
    assert audience_from_option("partner:isp-b", AGREEMENTS) == Audience("partner", "isp-b")
    assert audience_from_option("isp-b", AGREEMENTS) == Audience("partner", "isp-b")
    assert audience_from_option("nca", AGREEMENTS) == Audience("liaison", "nca")
    with pytest.raises(AudienceError, match="'partner:' is not an audience"):
        audience_from_option("partner:", AGREEMENTS)


def test_audit_selection_filters_and_shows_each_decision_once() -> None:
    def entry(object_id: str, audience: str, allowed: bool) -> AuditRecord:
        rule = "tlp-clear" if allowed else "embargo-in-force"
        return AuditRecord(object_id, "v1", audience, "isp-b", allowed, rule, "v1")

    trail = [
        entry("indicator--b", "liaison:nca", True),
        entry("indicator--a", "liaison:nca", False),
        entry("indicator--a", "liaison:nca", False),  # re-delivered after a crash
        entry("indicator--a", "analysts", True),
    ]
    chosen = select_decisions(trail, object_id="indicator--a", audience=None)
    assert [(d.audience, d.allowed) for d in chosen] == [("analysts", True), ("liaison:nca", False)]
    by_audience = select_decisions(trail, object_id=None, audience="liaison:nca")
    assert [d.object_id for d in by_audience] == ["indicator--a", "indicator--b"]
