"""Property: no audience ever receives what the rules deny, nor anything derived from it.

Hypothesis draws agreements (every option), contributions (markings of both TLP
generations, several at once or none, crime codes, embargoes before/at/after the version,
partners without agreements) and checks, for every audience:

- each decision equals the DESIGN table restated independently below (``may_see``);
- the published object is the one built from the allowed contributions alone: removing
  every denied contribution changes not one byte of it (so no field derives from them);
- liaison objects are built only from CLEAR or consenting contributions; nothing under
  embargo reaches anyone but the analysts;
- an anonymous contributor leaves no trace (id, name, identity, object id) in what others
  receive, and a sector-attributed one shows only its sector;
- every decision becomes exactly one audit record.
"""

from __future__ import annotations

import fnmatch
import itertools
import math
from dataclasses import replace
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.disseminate.audiences import (
    PublicationPlans,
    contributor_refs,
    publish,
    version_audit,
)
from hub.disseminate.views import indicator_view, partner_identity_id, sector_identity_id
from hub.timestamps import parse
from protocols.audience import HUB_ANALYSTS, Audience
from protocols.decision import DecisionMemo, allowed_contributions, decide
from protocols.rules import ALLOWING, Rule
from protocols.tlp import LEVEL_BY_ID, TLP1_IDS, TLP2_IDS, Tlp, level_named
from schemas.agreement import PartnerAgreement
from schemas.merge import MergeRecord, PartnerContribution
from tests.protocols.builders import HUB, MODIFIED, contribution, record

PARTNERS = ("alpha-bank", "bravo-isp", "charlie-av", "delta-cert")
GONE = "foxtrot-gone"  # contributes, but has no agreement (removed since)
AGENCIES = ("nca", "interpol", "europol")
CODES = ("fraud/phishing", "malicious-code/c2-server", "availability/ddos", "other/undetermined")
RECEIVES = ("*", "fraud/*", "malicious-code/*", "fraud/phishing", "availability/ddos")
SECTORS = ("isp", "bank", "av-vendor", "cert")
NON_TLP = "marking-definition--0d5f6a3e-2b4b-4f7e-9a59-1f0c1f0d6c11"
MARKINGS = (*TLP2_IDS.values(), *TLP1_IDS.values(), NON_TLP)
# Embargo ends before, exactly at, and after the version being published.
EMBARGOES = (None, "2026-11-20T09:59:59.999Z", MODIFIED, "2026-11-20T10:00:00.001Z")
AUDIENCES = [
    HUB_ANALYSTS,
    Audience("analysts", clearance=Tlp.AMBER_STRICT),
    *(Audience("partner", p) for p in (*PARTNERS, GONE)),
    *(Audience("liaison", a) for a in AGENCIES),
]
TIMES = [f"2026-11-20T0{h}:00:00.000Z" for h in range(1, 10)]

# Every field's choices are listed once; hypothesis draws ONE integer per agreement or
# contribution and it is decoded field by field (mixed radix), so 10,000 examples stay
# well under a minute on a shared CI runner. Shrinking still works: towards 0, every
# field's first choice.


def _subsets(items: tuple[str, ...], most: int) -> list[list[str]]:
    return [list(c) for n in range(most + 1) for c in itertools.combinations(items, n)]


class Choices:
    """Named lists of choices; a number in ``range(self.count)`` picks one of each."""

    def __init__(self, **choices: list[Any]) -> None:
        self.choices = choices
        self.count = math.prod(len(options) for options in choices.values())

    def __repr__(self) -> str:  # hypothesis prints strategies: keep it short
        return f"Choices({', '.join(self.choices)})"

    def pick(self, number: int) -> dict[str, Any]:
        picked = {}
        for name, options in self.choices.items():
            number, index = divmod(number, len(options))
            picked[name] = options[index]
        return picked

    def strategy(self) -> st.SearchStrategy[dict[str, Any]]:
        return st.integers(0, self.count - 1).map(self.pick)


AGREEMENT_CHOICES = Choices(
    sector=list(SECTORS),
    attribution=["named", "sector", "anonymous"],
    receives=_subsets(RECEIVES, 3),
    max_marking=[level.label for level in Tlp],
    amber_recipients=_subsets((*PARTNERS, GONE), 3),
    liaison_consent=[
        {agency: level for agency, level in zip(AGENCIES, levels, strict=True) if level}
        for levels in itertools.product(["", "TLP:GREEN", "TLP:AMBER"], repeat=len(AGENCIES))
    ],
)
CONTRIBUTION_CHOICES = Choices(
    # what the rules read first, so shrinking simplifies them first
    crime_code=list(CODES),
    markings=[list(m) for n in range(4) for m in itertools.combinations(MARKINGS, n)],
    embargo_until=list(EMBARGOES),
    # what only the views read
    confidence=list(range(101)),
    seen=[sorted(pair) for pair in itertools.product(TIMES, repeat=2)],
    valid_from=TIMES,
    valid_until=[None, "2026-12-01T00:00:00.000Z"],
    revoked=[False, True],
    labels=_subsets(("phishing", "c2", "mule"), 3),
    indicator_types=_subsets(("malicious-activity", "anomalous"), 2),
    malware_family=[None, "emotet", "qakbot"],
)


def _agreement(partner: str) -> st.SearchStrategy[PartnerAgreement]:
    def build(fields: dict[str, Any]) -> PartnerAgreement:
        return PartnerAgreement(id=partner, name=f"{partner.title()} Holdings", **fields)

    return AGREEMENT_CHOICES.strategy().map(build)


def _contribution(partner: str) -> st.SearchStrategy[PartnerContribution]:
    def build(fields: dict[str, Any]) -> PartnerContribution:
        first_seen, last_seen = fields.pop("seen")
        markings = list(fields.pop("markings"))
        return contribution(
            partner, None, markings=markings, first_seen=first_seen, last_seen=last_seen, **fields
        )

    return CONTRIBUTION_CHOICES.strategy().map(build)


AGREEMENT_SETS = st.fixed_dictionaries(
    {partner: st.none() | _agreement(partner) for partner in PARTNERS}
).map(lambda drawn: {p: a for p, a in drawn.items() if a is not None})
RECORDS = (
    st.fixed_dictionaries({p: st.none() | _contribution(p) for p in (*PARTNERS, GONE)})
    .map(lambda drawn: [c for _, c in sorted(drawn.items()) if c is not None])
    .filter(bool)
    .map(lambda contributions: record(*contributions))
)


def strictest(c: PartnerContribution) -> Tlp:
    levels = [LEVEL_BY_ID[m] for m in c.markings if m in LEVEL_BY_ID]
    return max(levels) if levels else Tlp.RED


def may_see(
    c: PartnerContribution, audience: Audience, agreements: dict[str, PartnerAgreement]
) -> bool:
    """The DESIGN table and agreement options, restated without reference to decide()."""
    level = strictest(c)
    if audience.kind == "analysts":
        return level < Tlp.RED or audience.clearance >= Tlp.RED
    contributor = agreements.get(c.partner)
    if contributor is None:
        return False
    if c.embargo_until is not None and parse(c.embargo_until) > parse(MODIFIED):
        return False
    if audience.kind == "partner":
        recipient = agreements.get(audience.name)
        if recipient is None:
            return False
        if c.partner == recipient.id:
            return True
        return (
            level <= Tlp.AMBER
            and level <= level_named(recipient.max_marking)
            and any(fnmatch.fnmatchcase(c.crime_code, p) for p in recipient.receives)
            and (level < Tlp.AMBER or recipient.id in contributor.amber_recipients)
        )
    if level is Tlp.CLEAR:
        return True
    consent = contributor.liaison_consent.get(audience.name)
    return level <= Tlp.AMBER and consent is not None and level <= level_named(consent)


def traces(partner: str, agreement: PartnerAgreement, c: PartnerContribution) -> list[bytes]:
    """What would identify ``partner`` in serialized bytes."""
    return [
        partner.encode(),
        agreement.name.encode(),
        partner_identity_id(partner).encode(),
        c.object_id.encode(),
    ]


@settings(
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(agreements=AGREEMENT_SETS, merged=RECORDS)
def test_no_audience_receives_what_the_rules_deny(
    agreements: dict[str, PartnerAgreement], merged: MergeRecord
) -> None:
    for publication in publish(merged, AUDIENCES, agreements, hub_identity=HUB):
        audience = publication.audience
        decisions = publication.decisions
        assert [d.partner for d in decisions] == sorted(merged.contributions)
        allowed = {d.partner for d in decisions if d.allowed}
        for d in decisions:
            assert d.rule in set(Rule) and d.allowed == (d.rule in ALLOWING)
            assert d.allowed == may_see(merged.contributions[d.partner], audience, agreements), (
                audience.label,
                d,
            )
        if audience.kind != "analysts":
            for partner in allowed:
                c = merged.contributions[partner]
                assert c.embargo_until is None or parse(c.embargo_until) <= parse(MODIFIED)
        if audience.kind == "liaison":
            for partner in allowed:
                level = strictest(merged.contributions[partner])
                assert level is Tlp.CLEAR or audience.name in agreements[partner].liaison_consent

        # Built from the allowed contributions alone: without the denied ones, byte-equal.
        if len(allowed) < len(decisions):
            only_allowed = replace(
                merged, contributions={p: merged.contributions[p] for p in sorted(allowed)}
            )
            [alone] = publish(only_allowed, [audience], agreements, hub_identity=HUB)
            assert alone.stix == publication.stix
        assert (publication.stix is None) == (not allowed)

        audit = version_audit(merged, [publication]).records()
        assert [(r.partner, r.allowed, r.rule) for r in audit] == [
            (d.partner, d.allowed, str(d.rule)) for d in decisions
        ]
        if publication.stix is None or audience.kind == "analysts":
            continue
        blob = orjson.dumps(publication.stix)
        shown_sectors = {
            agreements[p].sector
            for p in allowed
            if agreements[p].attribution == "sector" and p != audience.name
        }
        for partner in allowed - {audience.name}:
            agreement = agreements[partner]
            if agreement.attribution == "named":
                continue
            for trace in traces(partner, agreement, merged.contributions[partner]):
                assert trace not in blob, (audience.label, partner, trace)
            if agreement.attribution == "anonymous" and agreement.sector not in shown_sectors:
                assert sector_identity_id(agreement.sector).encode() not in blob


def _variants(merged: MergeRecord) -> list[MergeRecord]:
    """``merged``, then the same with each contribution's crime code moved on, with its
    markings dropped, under an embargo and with none: what a memo keyed too loosely would
    answer from memory."""

    def each(change: Any) -> MergeRecord:
        return replace(
            merged,
            contributions={p: change(c) for p, c in merged.contributions.items()},
        )

    def next_code(c: PartnerContribution) -> PartnerContribution:
        return replace(c, crime_code=CODES[(CODES.index(c.crime_code) + 1) % len(CODES)])

    return [
        merged,
        each(next_code),
        each(lambda c: replace(c, markings=[])),
        each(lambda c: replace(c, embargo_until=EMBARGOES[-1])),  # in force at MODIFIED
        each(lambda c: replace(c, embargo_until=None)),
    ]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(agreements=AGREEMENT_SETS, records=st.lists(RECORDS, min_size=1, max_size=4))
def test_a_decision_memo_decides_as_decide_does_across_records(
    agreements: dict[str, PartnerAgreement], records: list[MergeRecord]
) -> None:
    # One memo for many records under one set of agreements, as disseminate keeps it: a
    # verdict remembered from an earlier record must be the one decide gives this record.
    memo = DecisionMemo(agreements)
    for merged in (variant for drawn in records for variant in _variants(drawn)):
        for audience in AUDIENCES:
            assert memo.decide(merged, audience) == decide(merged, audience, agreements)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(agreements=AGREEMENT_SETS, records=st.lists(RECORDS, min_size=1, max_size=4))
def test_publication_plans_publish_as_a_fresh_publish_does_across_records(
    agreements: dict[str, PartnerAgreement], records: list[MergeRecord]
) -> None:
    # One set of plans for many records, as disseminate keeps it: what a plan remembered
    # from an earlier record of the same sharing shape must be what this record gets.
    plans = PublicationPlans(agreements, AUDIENCES, hub_identity=HUB)
    for merged in (variant for drawn in records for variant in _variants(drawn)):
        published = plans.publish_audited(merged)
        remembered, audit = published.publications, published.audit
        fresh = [
            publish(merged, [audience], agreements, hub_identity=HUB)[0] for audience in AUDIENCES
        ]
        assert [(p.audience, p.decisions, p.crime_code) for p in remembered] == [
            (p.audience, p.decisions, p.crime_code) for p in fresh
        ]
        assert [p.stix for p in remembered] == [p.stix for p in fresh]
        assert audit == version_audit(merged, fresh)
        assert published.audit_message == audit.to_bytes()
        # Views that differ only in whom they name share what they have in common: each is
        # still the view built for its audience alone, key order included.
        for publication in remembered:
            visible = allowed_contributions(merged, publication.decisions)
            alone = indicator_view(
                merged,
                visible,
                hub_identity=HUB,
                crime_code=publication.crime_code,
                contributor_refs=contributor_refs(
                    publication.audience, visible, agreements, hub_identity=HUB
                ),
            )
            assert publication.stix == alone
            assert list(publication.stix or ()) == list(alone or ())
