"""Publishing one curated record to every audience, as the protocols decide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from hub.admit.crime_codes import UNDETERMINED, prevailing_code, told_order
from hub.disseminate.views import (
    attributed,
    attribution_ref,
    partner_identity_id,
    unattributed_view,
    withdrawn,
)
from protocols.audience import DEFAULT_LIAISON_AGENCIES, HUB_ANALYSTS, Audience, audience_named
from protocols.decision import Decision, DecisionMemo, allowed_contributions, under_embargo
from protocols.rules import Rule
from schemas.agreement import PartnerAgreement
from schemas.envelopes import SHARING_TICK, AuditedDecision, VersionAudit, audit_message
from schemas.merge import MergeRecord, PartnerContribution


@dataclass(slots=True, init=False)
class Publication:
    """What one audience gets of one record (``stix`` None: nothing), and why.

    ``unchanged``: the audience sees only some of the contributions, and none of what it
    sees changed since the version before, so this version is not sent to it. An audience
    that may see nothing of a version but saw something of the one before gets, as
    ``stix``, the view it held marked no longer valid (``views.withdrawn``). Both only with
    the version before at hand (``PublicationPlans.publish_audited``).
    """

    audience: Audience
    decisions: list[Decision]
    stix: dict[str, Any] | None
    crime_code: str
    unchanged: bool = False

    def __init__(
        self,
        audience: Audience,
        decisions: list[Decision],
        stix: dict[str, Any] | None,
        crime_code: str,
        unchanged: bool = False,
    ) -> None:
        # Written out because mypyc compiles it (schemas/envelopes.py says why).
        self.audience = audience
        self.decisions = decisions
        self.stix = stix
        self.crime_code = crime_code
        self.unchanged = unchanged


def crime_code_of(visible: list[PartnerContribution]) -> str:
    """The code most visible contributions agree on, the one told first on a tie; a
    determined code beats undetermined."""
    return prevailing_code(visible)


def audiences_for(
    agreements: Mapping[str, PartnerAgreement],
    agencies: Iterable[str] = DEFAULT_LIAISON_AGENCIES,
) -> list[Audience]:
    """Every audience the hub publishes to: its analysts, each partner, each liaison agency."""
    return [
        HUB_ANALYSTS,
        *(Audience("partner", partner) for partner in sorted(agreements)),
        *(Audience("liaison", agency) for agency in liaison_agencies(agreements, agencies)),
    ]


def liaison_agencies(
    agreements: Mapping[str, PartnerAgreement], configured: Iterable[str]
) -> list[str]:
    """The configured agencies and any a partner consents to share with, sorted."""
    consented = {agency for a in agreements.values() for agency in a.liaison_consent}
    return sorted({*configured, *consented})


def contributor_refs(
    audience: Audience,
    visible: list[PartnerContribution],
    agreements: Mapping[str, PartnerAgreement],
    *,
    hub_identity: str,
) -> dict[str, str]:
    """How each visible contributor is named to ``audience``.

    The hub's analysts are its own cell and see who said what; a partner sees itself
    named; everyone else sees each contributor as its agreement's attribution chooses.
    """
    refs = {}
    for c in visible:
        if audience.kind == "analysts" or (
            audience.kind == "partner" and c.partner == audience.name
        ):
            refs[c.partner] = partner_identity_id(c.partner)
        else:
            refs[c.partner] = attribution_ref(
                c.partner, agreements.get(c.partner), hub_identity=hub_identity
            )
    return refs


def publish(
    record: MergeRecord,
    audiences: list[Audience],
    agreements: Mapping[str, PartnerAgreement],
    *,
    hub_identity: str,
) -> list[Publication]:
    """What each of ``audiences`` gets of ``record``."""
    return PublicationPlans(agreements, audiences, hub_identity=hub_identity).publish(record)


@dataclass(frozen=True, slots=True)
class _View:
    """One distinct view of a version: whose contributions, its crime code, who is named how."""

    visible: tuple[str, ...]  # partner ids, sorted
    crime_code: str
    refs: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What each audience gets of a version of one sharing shape, before the view is built.

    ``reach`` pairs each audience with its decisions and the index of its view in ``views``
    (None: it gets nothing).
    """

    views: list[_View]
    reach: list[tuple[Audience, list[Decision], int | None]]
    audited: list[AuditedDecision]  # the decisions as fusion.audit records them; not changed
    audited_json: bytes  # the same, encoded


# A version's views' common parts, by their contributions and crime code (``_built``).
_Shared = dict[tuple[tuple[str, ...], str], tuple[list[PartnerContribution], dict[str, Any]]]


class Published(NamedTuple):
    """What each audience gets of a version, and the audit's fusion.audit message."""

    publications: list[Publication]
    audit_message: bytes
    record: MergeRecord
    audited: list[AuditedDecision]  # the plan's, shared with the versions of its shape
    # The views an update under embargo hid, by audience label, for an ``embargo-hold``
    # tick: withdrawn when the embargo ends from whoever may see nothing then.
    held_for_release: dict[str, Any] | None = None

    @property
    def audit(self) -> VersionAudit:
        """The ``version_audit`` the message encodes; built only when asked for (disseminate
        sends the message)."""
        return _stamped(self.record, self.audited)


class PublicationPlans:
    """``publish`` for many versions under one set of agreements and audiences.

    Which contributions an audience sees, under which crime code and naming whom how,
    depends only on each contribution's partner, markings and crime code (and an embargo,
    while there is one) - the sharing shape - not on the observable, times or confidence.
    Disseminate publishes thousands of versions of a handful of shapes, so the per-audience
    work is planned once per shape and only the views are built per version; a version with
    a contribution under an embargo still in force is planned afresh.
    """

    # Shapes grow with combinations of partners, markings and codes; a bound keeps a hub
    # with unusually many from holding every combination it ever met.
    MAX_PLANS = 20_000

    def __init__(
        self,
        agreements: Mapping[str, PartnerAgreement],
        audiences: list[Audience],
        *,
        hub_identity: str,
    ) -> None:
        self.agreements = agreements
        self.audiences = audiences
        self.hub_identity = hub_identity
        self._decisions = DecisionMemo(agreements)
        self._plans: dict[tuple[tuple[str, tuple[str, ...], str], ...], _Plan] = {}

    def publish(self, record: MergeRecord) -> list[Publication]:
        """What each audience gets of ``record``."""
        return self.publish_audited(record).publications

    def publish_audited(
        self,
        record: MergeRecord,
        previous: MergeRecord | None = None,
        held: dict[str, Any] | None = None,
    ) -> Published:
        """What each audience gets of ``record``, and its ``version_audit``.

        Audiences that see the same contributions named the same way (the analysts and the
        partner that alone contributed, say) share one view object, built once per version,
        so a view is never changed after this.

        ``previous`` is the record this version was cut from, when it was cut by a change
        (when it is sent again after a crash, as ``MergeRecord.cut_from`` kept it). An
        audience that sees only some of the contributions, and of those nothing changed,
        would get the view it already holds with a new ``modified``: the news that a
        contribution hidden from it came or changed, and when. Its publication is marked
        ``unchanged`` and not sent. An audience that sees every contribution has nothing
        hidden from it and gets every version. An audience that may see none of the
        contributions any more, after it saw some, is told that what it holds is no longer
        valid.

        ``held`` comes with a version cut because the agreements changed (``Tick.held``),
        naming the audiences whose view they changed, or with the version that ends an
        embargo, naming those from whom the embargoed update hid a view (``MergeRecord.
        held_until_release``). Those audiences get the version: their new view, or, if they
        may see nothing now, the view they held withdrawn (an audience whose agreement is
        gone too). An update under embargo that hides a view an audience held returns that
        view in ``Published.held_for_release``, for disseminate to have it kept till then.
        """
        plan = self._plan(record)
        shared: _Shared = {}
        # Each sees at least one contribution: a plan has no other.
        views = [self._built(record, view, shared) for view in plan.views]
        publications = [
            Publication(
                audience,
                decisions,
                None if index is None else views[index],
                UNDETERMINED if index is None else plan.views[index].crime_code,
            )
            for audience, decisions, index in plan.reach
        ]
        hidden = None
        if previous is not None and previous.version:
            resharing = record.changes == [SHARING_TICK]
            hidden = self._against_previous(publications, plan, record, previous, resharing)
        if held is not None:
            _against_held(publications, record, held)
        return Published(
            publications,
            audit_message(record.indicator_id, record.modified, record.modified, plan.audited_json),
            record,
            plan.audited,
            hidden or None,
        )

    def _against_previous(
        self,
        publications: list[Publication],
        plan: _Plan,
        record: MergeRecord,
        previous: MergeRecord,
        resharing: bool,
    ) -> dict[str, Any]:
        """Marks what is unchanged for its audience, and withdraws what an audience may no
        longer see (``publish_audited``). A version that only carries a change of the
        agreements (``resharing``) is news to no audience whose view it leaves as it was,
        not even to one that sees every contribution. Returns the views an update under
        embargo hid from audiences that held them (``Published.held_for_release``)."""
        before = self._plan(previous)  # the same audiences, in the same order
        everyone = len(record.contributions)
        hidden: dict[str, Any] = {}
        for publication, (_, decisions, index), (_, _, index_before) in zip(
            publications, plan.reach, before.reach, strict=True
        ):
            if index_before is None:
                continue  # it saw nothing before: this is news to it, or nothing
            if index is None:
                held = before.views[index_before]
                if any(
                    d.rule == Rule.EMBARGO_IN_FORCE and d.partner in held.visible for d in decisions
                ):
                    # An update under embargo: its end sends the news. What was released
                    # is not taken back meanwhile, but kept, to be withdrawn at the end if
                    # the audience may see nothing then.
                    hidden[publication.audience.label] = {
                        "crime_code": held.crime_code,
                        "stix": self._built(previous, held, {}),
                    }
                    continue
                publication.stix = withdrawn(self._built(previous, held, {}), record.modified)
                publication.crime_code = held.crime_code
                continue
            view_now = plan.views[index]
            if (resharing or len(view_now.visible) < everyone) and _same_view(
                view_now, record, before.views[index_before], previous
            ):
                publication.unchanged = True
        return hidden

    def _built(self, record: MergeRecord, view: _View, shared: _Shared) -> dict[str, Any]:
        """``view`` of ``record``. Views that differ only in whom they name (the analysts see
        a partner named, a liaison agency sees the hub) share the rest through ``shared``,
        built once."""
        common = shared.get((view.visible, view.crime_code))
        if common is None:
            visible = [record.contributions[partner] for partner in view.visible]
            common = shared[(view.visible, view.crime_code)] = (
                visible,
                unattributed_view(record, visible, crime_code=view.crime_code),
            )
        visible, unattributed = common
        return attributed(unattributed, visible, hub_identity=self.hub_identity, refs=view.refs)

    def _plan(self, record: MergeRecord) -> _Plan:
        contributions = sorted(record.contributions.items())
        # Every contribution of a partner whose agreement sets an embargo carries its end;
        # only while one is in force does it change what anyone sees.
        if any(under_embargo(c, record.modified) for _, c in contributions):
            return self._new_plan(record)
        if len(contributions) > 1 and len({c.crime_code for _, c in contributions}) > 1:
            # A tie between codes goes to the one told first: the order told is the shape's.
            contributions.sort(key=lambda item: told_order(item[1]))
        shape = tuple((p, tuple(c.markings), c.crime_code) for p, c in contributions)
        plan = self._plans.get(shape)
        if plan is None:
            if len(self._plans) >= self.MAX_PLANS:
                self._plans.clear()
            plan = self._plans[shape] = self._new_plan(record)
        return plan

    def _new_plan(self, record: MergeRecord) -> _Plan:
        views: dict[tuple[object, ...], int] = {}
        distinct: list[_View] = []
        reach: list[tuple[Audience, list[Decision], int | None]] = []
        for audience in self.audiences:
            decisions = self._decisions.decide(record, audience)
            visible = allowed_contributions(record, decisions)
            if not visible:
                reach.append((audience, decisions, None))
                continue
            crime_code = crime_code_of(visible)
            refs = contributor_refs(
                audience, visible, self.agreements, hub_identity=self.hub_identity
            )
            partners = tuple(c.partner for c in visible)
            key = (crime_code, partners, *refs.items())
            if key not in views:
                views[key] = len(distinct)
                distinct.append(_View(partners, crime_code, refs))
            reach.append((audience, decisions, views[key]))
        audited = _audited((a, decisions) for a, decisions, _ in reach)
        return _Plan(distinct, reach, audited, orjson.dumps(audited))


def _against_held(
    publications: list[Publication], record: MergeRecord, held: dict[str, Any]
) -> None:
    """A sharing or embargo-release version's publications (``publish_audited``): sent to
    the audiences in ``held``, their earlier view withdrawn if they may see nothing now. The
    others were judged against the version before (on a re-send too: ``MergeRecord.
    cut_from``)."""
    for publication in publications:
        label = publication.audience.label
        if label not in held:
            continue
        before = held[label]
        if publication.stix is None and before is not None:
            publication.stix = withdrawn(before["stix"], record.modified)
            publication.crime_code = before["crime_code"]
        publication.unchanged = False  # its view changed: new to it, or no longer there
    # An audience whose agreement is gone (a partner no longer in the partnership) is told
    # too that what it holds is no longer valid.
    present = {p.audience.label for p in publications}
    for label, before in sorted(held.items()):
        if label not in present and before is not None:
            publications.append(
                Publication(
                    audience_named(label),
                    [],
                    withdrawn(before["stix"], record.modified),
                    before["crime_code"],
                )
            )


def sharing_changes(
    before: PublicationPlans, after: PublicationPlans, record: MergeRecord
) -> dict[str, Any]:
    """The audiences whose view of ``record`` differs under ``after``'s agreements from
    ``before``'s, by label: for one that may see nothing now, the view it held
    (``{"crime_code", "stix"}``), to withdraw; None for one that gets its new view. Empty
    if the change of agreements concerns no audience of it.

    Only withdrawals carry a view (the ticks of a change that concerns many indicators stay
    small): an audience that may see something at the record's `modified` may see it later
    too, embargoes only ending."""
    then, now = _by_label(before._plan(record)), _by_label(after._plan(record))
    shared: _Shared = {}
    changed: dict[str, Any] = {}
    for label in sorted(then.keys() | now.keys()):
        view, new = then.get(label), now.get(label)
        if view == new:
            continue
        changed[label] = (
            None
            if view is None or new is not None
            else {"crime_code": view.crime_code, "stix": before._built(record, view, shared)}
        )
    return changed


def _by_label(plan: _Plan) -> dict[str, _View]:
    return {a.label: plan.views[i] for a, _, i in plan.reach if i is not None}


def _same_view(view: _View, record: MergeRecord, before: _View, previous: MergeRecord) -> bool:
    """Whether two versions' views hold the same but for ``modified``: the same
    contributions, unchanged, under the same crime code, named the same way (a view is
    built from nothing else but the record's id, pattern and ``created``, which stay)."""
    if (
        view.visible != before.visible
        or view.crime_code != before.crime_code
        or view.refs != before.refs
    ):
        return False
    now, then = record.contributions, previous.contributions
    return all(now[p] is then[p] or now[p] == then[p] for p in view.visible)


def version_audit(record: MergeRecord, publications: list[Publication]) -> VersionAudit:
    """Every decision of one version's publications, for ``fusion.audit``.

    Stamped with the version's `modified`, not the wall clock, so a replay reproduces the
    trail exactly (and re-deliveries are exact duplicates). Audiences that get nothing are
    in it too: a refusal is a decision.
    """
    return _stamped(record, _audited((p.audience, p.decisions) for p in publications))


def _stamped(record: MergeRecord, decisions: list[AuditedDecision]) -> VersionAudit:
    return VersionAudit(
        object_id=record.indicator_id,
        version=record.modified,
        decided_at=record.modified,
        decisions=decisions,
    )


def _audited(reach: Iterable[tuple[Audience, list[Decision]]]) -> list[AuditedDecision]:
    return [
        AuditedDecision(
            audience=audience.label,
            partner=decision.partner,
            allowed=decision.allowed,
            rule=str(decision.rule),
        )
        for audience, decisions in reach
        for decision in decisions
    ]
