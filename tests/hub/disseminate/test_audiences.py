"""Per-audience views: built from the visible contributions only, attributed as agreed."""

from __future__ import annotations

from typing import Any

import orjson

from hub.correlate.stage import correlate_message
from hub.disseminate.audiences import PublicationPlans, audiences_for, publish, version_audit
from hub.disseminate.views import partner_identity_id, sector_identity_id
from protocols.audience import HUB_ANALYSTS, Audience
from protocols.rules import Rule
from protocols.tlp import Tlp
from schemas.envelopes import EMBARGO_HOLD_TICK, Tick, VersionAudit
from schemas.merge import MergeRecord, PartnerContribution
from tests.protocols.builders import AGREEMENTS, HUB, KEY, MODIFIED, contribution, record

ISP = Audience("partner", "isp-b")
BANK = Audience("partner", "bank-a")
CERT = Audience("partner", "cert-d")
NCA = Audience("liaison", "nca")


def _merged() -> MergeRecord:
    return record(
        contribution("isp-b", Tlp.GREEN, confidence=60, first_seen="2026-11-20T06:00:00.000Z"),
        contribution("bank-a", Tlp.AMBER, confidence=90, last_seen="2026-11-20T09:30:00.000Z"),
        contribution("av-c", Tlp.RED, confidence=99, crime_code="malicious-code/c2-server"),
    )


def _view(audience: Audience) -> dict[str, Any] | None:
    [publication] = publish(_merged(), [audience], AGREEMENTS, hub_identity=HUB)
    return publication.stix


def test_audiences_are_analysts_every_partner_and_every_agency() -> None:
    labels = [a.label for a in audiences_for(AGREEMENTS, agencies=["europol"])]
    assert labels == [
        "analysts",
        "partner:av-c",
        "partner:bank-a",
        "partner:cert-d",
        "partner:isp-b",
        "liaison:europol",  # configured
        "liaison:interpol",  # named in isp-b's consent
        "liaison:nca",
    ]


def test_analysts_see_every_contributor_named() -> None:
    view = _view(HUB_ANALYSTS)
    assert view is not None
    refs = [c["source_ref"] for c in view["x_fusion_contributors"]]
    assert refs == [partner_identity_id(p) for p in ("av-c", "bank-a", "isp-b")]
    assert view["confidence"] == 100
    assert view["object_marking_refs"] == [Tlp.RED.marking_id]
    assert view["created_by_ref"] == HUB  # several contributors: the hub merged them


def test_a_view_derives_from_the_visible_contributions_alone() -> None:
    # cert-d may see only isp-b's GREEN (bank-a's AMBER does not name it; av-c's is RED).
    view = _view(CERT)
    assert view is not None
    assert view["confidence"] == 60
    assert view["object_marking_refs"] == [Tlp.GREEN.marking_id]
    assert view["x_fusion_crime_code"] == "fraud/phishing"
    assert view["x_fusion_first_seen"] == "2026-11-20T06:00:00.000Z"
    assert view["x_fusion_last_seen"] == "2026-11-20T09:00:00.000Z"
    # isp-b chose sector attribution: its sector stands for it, also as the creator.
    assert view["created_by_ref"] == sector_identity_id("isp")
    assert [c["source_ref"] for c in view["x_fusion_contributors"]] == [sector_identity_id("isp")]


def test_an_anonymous_contributor_stands_as_the_hub() -> None:
    view = _view(ISP)  # bank-a names isp-b for AMBER; bank-a is anonymous
    assert view is not None
    refs = {c["source_ref"] for c in view["x_fusion_contributors"]}
    assert refs == {HUB, partner_identity_id("isp-b")}  # isp-b sees itself named
    blob = orjson.dumps(view)
    for trace in (b"bank-a", partner_identity_id("bank-a").encode(), b"bank"):
        assert trace not in blob


def test_an_audience_that_may_see_nothing_receives_nothing() -> None:
    only_red = record(contribution("isp-b", Tlp.RED))
    [publication] = publish(only_red, [NCA], AGREEMENTS, hub_identity=HUB)
    assert publication.stix is None
    assert [d.rule for d in publication.decisions] == [Rule.RED_STAYS_IN_HUB]


def test_every_decision_of_a_version_is_in_its_one_audit_message() -> None:
    merged = _merged()
    publications = publish(merged, [HUB_ANALYSTS, NCA], AGREEMENTS, hub_identity=HUB)
    audit = version_audit(merged, publications)
    records = VersionAudit.from_bytes(audit.to_bytes()).records()
    assert {r.object_id for r in records} == {merged.indicator_id}
    assert {(r.version, r.decided_at) for r in records} == {(merged.modified, merged.modified)}
    assert len(records) == 6
    assert {(r.audience, r.partner, r.allowed, r.rule) for r in records} == {
        ("analysts", "av-c", True, "analysts-within-clearance"),
        ("analysts", "bank-a", True, "analysts-within-clearance"),
        ("analysts", "isp-b", True, "analysts-within-clearance"),
        ("liaison:nca", "av-c", False, "tlp-red-stays-in-hub"),
        ("liaison:nca", "bank-a", True, "tlp-amber-liaison-consent"),
        ("liaison:nca", "isp-b", True, "tlp-green-liaison-consent"),
    }
    assert {(r.version, r.decided_at) for r in records} == {(MODIFIED, MODIFIED)}


def test_revoked_only_when_every_visible_contribution_is() -> None:
    merged = record(contribution("isp-b", Tlp.GREEN, revoked=True), contribution("bank-a", Tlp.RED))
    [to_cert] = publish(merged, [CERT], AGREEMENTS, hub_identity=HUB)
    assert to_cert.stix is not None and to_cert.stix["revoked"] is True
    [to_analysts] = publish(merged, [HUB_ANALYSTS], AGREEMENTS, hub_identity=HUB)
    assert to_analysts.stix is not None and "revoked" not in to_analysts.stix


# --- a version an audience's view does not change -------------------------------------------

LATER = "2026-11-20T11:00:00.000Z"


def _next(previous: MergeRecord, *contributions: PartnerContribution) -> MergeRecord:
    """The version after ``previous``, holding ``contributions``."""
    version = previous.copy()
    version.contributions = {c.partner: c for c in contributions}
    version.version, version.modified = previous.version + 1, LATER
    return version


def _unchanged(record: MergeRecord, previous: MergeRecord | None) -> dict[str, bool]:
    """Per audience that gets a view of ``record``: whether it is withheld as unchanged."""
    plans = PublicationPlans(AGREEMENTS, [HUB_ANALYSTS, ISP, BANK, CERT, NCA], hub_identity=HUB)
    published = plans.publish_audited(record, previous)
    return {p.audience.label: p.unchanged for p in published.publications if p.stix is not None}


# cert-d may see isp-b's GREEN only; bank-a's AMBER names isp-b, not cert-d; RED stays in.
ISP_GREEN = contribution("isp-b", Tlp.GREEN)
BANK_AMBER = contribution("bank-a", Tlp.AMBER, confidence=90)


def test_a_change_hidden_from_an_audience_is_not_sent_to_it() -> None:
    before = record(ISP_GREEN, BANK_AMBER)
    after = _next(before, ISP_GREEN, contribution("bank-a", Tlp.AMBER, confidence=95))
    assert _unchanged(after, before) == {
        "analysts": False,  # sees every contribution: nothing is hidden from it
        "partner:bank-a": False,
        "partner:isp-b": False,  # named for bank-a's AMBER: sees both
        "partner:cert-d": True,  # only isp-b's, which did not change
        "liaison:nca": False,  # bank-a consents to the NCA: sees both
    }


def test_a_contributor_hidden_from_an_audience_is_no_news_to_it() -> None:
    before = record(ISP_GREEN)
    after = _next(before, ISP_GREEN, contribution("av-c", Tlp.RED, confidence=99))
    unchanged = _unchanged(after, before)
    assert unchanged["partner:cert-d"] and unchanged["liaison:nca"] and unchanged["partner:isp-b"]
    assert not unchanged["analysts"]


def test_a_change_an_audience_sees_is_sent_to_it() -> None:
    before = record(ISP_GREEN, BANK_AMBER)
    after = _next(before, contribution("isp-b", Tlp.GREEN, confidence=70), BANK_AMBER)
    assert not any(_unchanged(after, before).values())


def test_the_first_contribution_an_audience_may_see_is_sent_to_it() -> None:
    before = record(BANK_AMBER)  # nothing cert-d may see
    after = _next(before, BANK_AMBER, ISP_GREEN)
    assert _unchanged(after, before)["partner:cert-d"] is False


def test_a_version_sent_again_goes_to_every_audience_that_may_see_it() -> None:
    before = record(ISP_GREEN, BANK_AMBER)
    after = _next(before, ISP_GREEN, contribution("bank-a", Tlp.AMBER, confidence=95))
    assert not any(_unchanged(after, None).values())  # no previous: a re-send


def _published(record: MergeRecord, previous: MergeRecord | None) -> dict[str, Any]:
    plans = PublicationPlans(AGREEMENTS, [HUB_ANALYSTS, ISP, BANK, CERT, NCA], hub_identity=HUB)
    publications = plans.publish_audited(record, previous).publications
    return {p.audience.label: p for p in publications}


def test_an_audience_that_may_see_nothing_any_more_is_told_its_view_is_no_longer_valid() -> None:
    before = record(ISP_GREEN, BANK_AMBER)
    # isp-b marks its statement RED: cert-d may see nothing of the indicator now.
    after = _next(before, contribution("isp-b", Tlp.RED), BANK_AMBER)
    held = _published(before, None)["partner:cert-d"].stix
    last = _published(after, before)["partner:cert-d"]
    assert held is not None and last.stix is not None
    assert [d.allowed for d in last.decisions] == [False, False]  # the decisions stand
    assert last.stix["modified"] == last.stix["valid_until"] == LATER
    # Nothing it did not hold: the view it had, stamped and ended.
    assert {k: v for k, v in last.stix.items() if k not in ("modified", "valid_until")} == {
        k: v for k, v in held.items() if k != "modified"
    }
    assert last.crime_code == "fraud/phishing" and not last.unchanged
    # The NCA still sees bank-a's (consented AMBER): a view of that alone, valid as before.
    to_nca = _published(after, before)["liaison:nca"].stix
    assert to_nca is not None and "valid_until" not in to_nca
    assert to_nca["confidence"] == 90


def test_no_withdrawal_without_the_version_before() -> None:
    before = record(ISP_GREEN, BANK_AMBER)
    after = _next(before, contribution("isp-b", Tlp.RED), BANK_AMBER)
    assert _published(after, None)["partner:cert-d"].stix is None
    # ... nor to an audience that never saw anything of it.
    assert _published(after, record(BANK_AMBER))["partner:cert-d"].stix is None


def test_a_withdrawal_keeps_an_earlier_end() -> None:
    ended = contribution("isp-b", Tlp.GREEN, valid_until="2026-11-20T08:00:00.000Z")
    before = record(ended, BANK_AMBER)
    after = _next(before, contribution("isp-b", Tlp.RED), BANK_AMBER)
    last = _published(after, before)["partner:cert-d"].stix
    assert last is not None and last["valid_until"] == "2026-11-20T08:00:00.000Z"


def test_an_update_under_embargo_withdraws_nothing() -> None:
    # isp-b's new statement is embargoed: what cert-d held is not taken back meanwhile.
    before = record(ISP_GREEN, BANK_AMBER)
    embargoed = contribution("isp-b", Tlp.GREEN, embargo_until="2026-11-20T12:00:00.000Z")
    after = _next(before, embargoed, BANK_AMBER)
    to_cert = _published(after, before)["partner:cert-d"]
    assert to_cert.stix is None
    assert [d.rule for d in to_cert.decisions if d.partner == "isp-b"] == [Rule.EMBARGO_IN_FORCE]


def test_a_view_an_embargoed_update_hid_is_withdrawn_when_the_embargo_ends() -> None:
    # isp-b marks its statement RED under an embargo: cert-d keeps its GREEN view meanwhile,
    # and is told at the embargo's end that it is no longer valid.
    before = record(ISP_GREEN, BANK_AMBER)
    hidden = contribution("isp-b", Tlp.RED, embargo_until="2026-11-20T12:00:00.000Z")
    embargoed = _next(before, hidden, BANK_AMBER)
    plans = PublicationPlans(AGREEMENTS, [HUB_ANALYSTS, ISP, BANK, CERT, NCA], hub_identity=HUB)
    during = plans.publish_audited(embargoed, before)
    held = _published(before, None)["partner:cert-d"].stix
    assert during.held_for_release == {
        "partner:cert-d": {"crime_code": "fraud/phishing", "stix": held}
    }
    assert {p.audience.label: p.stix for p in during.publications}["partner:cert-d"] is None

    table = {KEY.encode(): embargoed.to_bytes()}
    hold = Tick(KEY, EMBARGO_HOLD_TICK, embargoed.modified, during.held_for_release)
    assert correlate_message(table, KEY.encode(), 1, hold.to_bytes()) is None  # kept, not sent
    release = Tick(KEY, "embargo-release", "2026-11-20T12:00:01.000Z").to_bytes()
    version = correlate_message(table, KEY.encode(), 2, release)
    assert version is not None and version.record.held_until_release is None
    at_end = {
        p.audience.label: p
        for p in plans.publish_audited(version.record, version.previous, version.held).publications
    }
    last = at_end["partner:cert-d"].stix
    assert last is not None and not at_end["partner:cert-d"].unchanged
    assert last["valid_until"] == last["modified"] == "2026-11-20T12:00:00.000Z"
    assert {k: v for k, v in last.items() if k not in ("modified", "valid_until")} == {
        k: v for k, v in held.items() if k != "modified"
    }
    # The analysts see the released RED statement; bank-a, which still sees its own, a view.
    assert at_end["analysts"].stix is not None and at_end["partner:bank-a"].stix is not None
    # The release tick comes again after a crash: the withdrawal goes again, as it went.
    again = correlate_message(table, KEY.encode(), 2, release)
    assert again is not None and again.held == version.held
    resent = plans.publish_audited(again.record, again.previous, again.held).publications
    assert [(p.audience, p.stix, p.unchanged) for p in resent] == [
        (p.audience, p.stix, p.unchanged) for p in at_end.values()
    ]


def test_a_hold_that_comes_after_the_embargo_ended_is_dropped() -> None:
    ended = _next(record(ISP_GREEN), contribution("isp-b", Tlp.GREEN))
    table = {KEY.encode(): ended.to_bytes()}
    view = {"crime_code": "fraud/phishing", "stix": {"id": "indicator--x"}}
    hold = Tick(KEY, EMBARGO_HOLD_TICK, ended.modified, {"partner:cert-d": view})
    assert correlate_message(table, KEY.encode(), 1, hold.to_bytes()) is None
    assert MergeRecord.from_bytes(table[KEY.encode()]).held_until_release is None


def test_a_tie_between_codes_goes_to_the_one_told_first_for_every_audience() -> None:
    # av-c calls the domain a C2 server, isp-b a phishing site, both GREEN: cert-d sees both
    # as the analysts do. Told in one order, then the other, then the first again: one set
    # of plans (cached by the record's shape) must not carry a code from one to the other.
    c2, phishing = "malicious-code/c2-server", "fraud/phishing"
    early, late = "2026-11-20T06:00:00.000Z", "2026-11-20T08:00:00.000Z"
    c2_first = record(
        contribution("av-c", crime_code=c2, first_seen=early),
        contribution("isp-b", crime_code=phishing, first_seen=late),
    )
    phishing_first = record(
        contribution("av-c", crime_code=c2, first_seen=late),
        contribution("isp-b", crime_code=phishing, first_seen=early),
    )
    plans = PublicationPlans(AGREEMENTS, [HUB_ANALYSTS, CERT], hub_identity=HUB)
    for told, code in ((c2_first, c2), (phishing_first, phishing), (c2_first, c2)):
        got = {
            p.audience.label: (p.crime_code, p.stix and p.stix["x_fusion_crime_code"])
            for p in plans.publish(told)
        }
        assert got == {"analysts": (code, code), "partner:cert-d": (code, code)}
