"""A change of the agreements reaches the audiences whose view it changes, and no other.

From the sharing tick (``sharing_changes``) through correlate (``correlate_message``) to
what each audience is sent (``publish_audited``): the real functions, no broker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from hub.correlate.stage import Version, correlate_message
from hub.disseminate.audiences import (
    Publication,
    PublicationPlans,
    audiences_for,
    sharing_changes,
)
from hub.disseminate.stage import DisseminateStage
from hub.quarantine import UnreadableChange
from protocols.tlp import Tlp
from schemas.agreement import PartnerAgreement
from schemas.envelopes import SHARING_TICK, Tick
from schemas.merge import MergeRecord
from tests.protocols.builders import AGREEMENTS, HUB, KEY, MODIFIED, agreement, contribution, record

CHANGED_AT = "2026-11-21T09:00:00.000Z"
ISP_GREEN = contribution("isp-b", Tlp.GREEN)

# isp-b no longer consents to the NCA (INTERPOL still gets its GREEN statements).
NO_NCA = {
    **AGREEMENTS,
    "isp-b": agreement(
        "isp-b",
        sector="isp",
        attribution="sector",
        receives=["malicious-code/*", "fraud/*"],
        amber_recipients=["bank-a"],
        liaison_consent={"interpol": "TLP:GREEN"},
    ),
}


def plans(agreements: Mapping[str, PartnerAgreement]) -> PublicationPlans:
    return PublicationPlans(agreements, audiences_for(agreements), hub_identity=HUB)


def reshared(
    before: Mapping[str, PartnerAgreement], after: Mapping[str, PartnerAgreement], rec: MergeRecord
) -> tuple[Version, dict[str, Publication]]:
    """The sharing version correlate cuts for ``rec``, and what each audience gets of it."""
    held = sharing_changes(plans(before), plans(after), rec)
    assert held, "the change concerns some audience of the record"
    table = {KEY.encode(): rec.to_bytes()}
    tick = Tick(KEY, SHARING_TICK, CHANGED_AT, held).to_bytes()
    version = correlate_message(table, KEY.encode(), rec.applied_offset + 1, tick)
    assert version is not None
    published = plans(after).publish_audited(version.record, version.previous, version.held)
    return version, {p.audience.label: p for p in published.publications}


def sent(publications: dict[str, Publication]) -> dict[str, dict[str, Any]]:
    """What each audience is actually sent (disseminate's ``_views`` skips the rest)."""
    return {
        label: p.stix for label, p in publications.items() if p.stix is not None and not p.unchanged
    }


def held_views(agreements: Mapping[str, PartnerAgreement], rec: MergeRecord) -> dict[str, Any]:
    return {
        p.audience.label: p.stix
        for p in plans(agreements).publish_audited(rec).publications
        if p.stix is not None
    }


def without_stamps(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in ("modified", "valid_until")}


def test_the_tick_names_only_the_audiences_whose_view_changes() -> None:
    held = sharing_changes(plans(AGREEMENTS), plans(NO_NCA), record(ISP_GREEN))
    assert list(held) == ["liaison:nca"]
    assert held["liaison:nca"]["stix"] == held_views(AGREEMENTS, record(ISP_GREEN))["liaison:nca"]
    assert held["liaison:nca"]["crime_code"] == "fraud/phishing"
    # The same agreements, or a change that concerns none of its audiences: no tick.
    assert sharing_changes(plans(AGREEMENTS), plans(dict(AGREEMENTS)), record(ISP_GREEN)) == {}


def test_a_withdrawn_consent_withdraws_the_view_from_that_agency_alone() -> None:
    rec = record(ISP_GREEN)
    version, publications = reshared(AGREEMENTS, NO_NCA, rec)
    assert version.record.version == rec.version + 1
    assert version.record.modified == CHANGED_AT and version.record.changes == [SHARING_TICK]
    assert version.previous is not None and version.previous.modified == MODIFIED
    got = sent(publications)
    assert list(got) == ["liaison:nca"]  # the analysts, the partners, INTERPOL: nothing new
    last = got["liaison:nca"]
    assert last["modified"] == last["valid_until"] == CHANGED_AT
    held = held_views(AGREEMENTS, rec)["liaison:nca"]
    assert without_stamps(last) == without_stamps(held)
    assert publications["liaison:nca"].crime_code == "fraud/phishing"


def test_a_consent_granted_sends_the_view_to_the_agency_that_may_now_see_it() -> None:
    rec = record(ISP_GREEN)
    version, publications = reshared(NO_NCA, AGREEMENTS, rec)
    got = sent(publications)
    assert list(got) == ["liaison:nca"]
    assert got["liaison:nca"]["modified"] == CHANGED_AT and "valid_until" not in got["liaison:nca"]
    assert without_stamps(got["liaison:nca"]) == without_stamps(
        held_views(AGREEMENTS, version.record)["liaison:nca"]
    )


def test_a_partner_whose_agreement_is_gone_is_told_its_view_is_no_longer_valid() -> None:
    rec = record(ISP_GREEN)
    gone = {p: a for p, a in AGREEMENTS.items() if p != "cert-d"}
    _, publications = reshared(AGREEMENTS, gone, rec)
    got = sent(publications)
    assert list(got) == ["partner:cert-d"]
    assert got["partner:cert-d"]["valid_until"] == CHANGED_AT
    assert without_stamps(got["partner:cert-d"]) == without_stamps(
        held_views(AGREEMENTS, rec)["partner:cert-d"]
    )


def test_a_changed_view_replaces_the_one_held() -> None:
    # bank-a's AMBER goes to isp-b; bank-a stops naming isp-b: isp-b sees its own only.
    bank_amber = contribution("bank-a", Tlp.AMBER, confidence=90)
    rec = record(ISP_GREEN, bank_amber)
    only_own = {
        **AGREEMENTS,
        "bank-a": agreement(
            "bank-a",
            sector="bank",
            attribution="anonymous",
            receives=["fraud/*"],
            liaison_consent=["nca"],
        ),
    }
    # The tick names isp-b without a view: it still sees something, so nothing is withdrawn.
    assert sharing_changes(plans(AGREEMENTS), plans(only_own), rec)["partner:isp-b"] is None
    _, publications = reshared(AGREEMENTS, only_own, rec)
    got = sent(publications)
    assert "partner:isp-b" in got and "analysts" not in got
    assert [c["confidence"] for c in got["partner:isp-b"]["x_fusion_contributors"]] == [60]
    assert "valid_until" not in got["partner:isp-b"]


def test_a_sharing_tick_is_read_strictly() -> None:
    rec = record(ISP_GREEN)
    table = {KEY.encode(): rec.to_bytes()}

    def tick(name: str, held: Any) -> bytes:
        return Tick(KEY, name, CHANGED_AT, held).to_bytes()

    for bad in (
        tick(SHARING_TICK, None),  # what changed for whom is the point of it
        tick("expiry", {"liaison:nca": None}),  # held views only with a sharing tick
        tick(SHARING_TICK, {"liaison:nca": {"stix": "not a view"}}),
    ):
        with pytest.raises(UnreadableChange):
            correlate_message(table, KEY.encode(), 1, bad)
    assert table == {KEY.encode(): rec.to_bytes()}  # nothing applied


def test_an_embargo_ended_meanwhile_is_released_by_the_sharing_version() -> None:
    embargoed = contribution("cert-d", Tlp.GREEN, embargo_until="2026-11-20T12:00:00.000Z")
    rec = record(ISP_GREEN, embargoed)  # at MODIFIED, cert-d's statement is still embargoed
    _, publications = reshared(AGREEMENTS, NO_NCA, rec)
    got = sent(publications)
    # The partners' views did not change with the agreements, but cert-d's embargo ended:
    # its statement is news to them. The analysts saw it under embargo already; INTERPOL
    # may not see it.
    assert sorted(got) == ["liaison:nca", "partner:bank-a", "partner:cert-d", "partner:isp-b"]
    assert [c["confidence"] for c in got["partner:bank-a"]["x_fusion_contributors"]] == [60, 60]


def test_a_sharing_version_sent_again_after_a_crash_goes_to_whom_it_concerns_alone() -> None:
    rec = record(ISP_GREEN)
    held = sharing_changes(plans(AGREEMENTS), plans(NO_NCA), rec)
    table = {KEY.encode(): rec.to_bytes()}
    tick = Tick(KEY, SHARING_TICK, CHANGED_AT, held).to_bytes()
    offset = rec.applied_offset + 1
    assert correlate_message(table, KEY.encode(), offset, tick) is not None
    # The worker died before committing: the tick comes again, the version is sent again.
    again = correlate_message(table, KEY.encode(), offset, tick)
    assert again is not None and again.held == held
    assert again.previous is not None and again.previous.version == rec.version
    published = DisseminateStage._publish(plans(NO_NCA), again)  # as disseminate sends it
    got = sent({p.audience.label: p for p in published.publications})
    assert list(got) == ["liaison:nca"]
    assert got["liaison:nca"]["valid_until"] == CHANGED_AT
