"""The sharing protocols from the receiving side, against a real broker and worker.

One worker (and ``fusionhub serve`` filling the store) runs the whole scenario of
sharing_scenario.py: every row of the TLP table, every agreement option, merged records, an
agreement changed while running, and an embargo that ends while the worker is down. The
tests then read what each audience's topic and collection really hold and must not hold,
the audit trail, every topic, log line and store byte for redacted values, and the CLI.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from hub.disseminate.views import partner_identity_id, sector_identity_id
from hub.kafka_io import TopicMessage
from hub.store import ObjectFilter, Store
from hub.store.collections import analysts_collection, feed_collection, liaison_collection
from hub.timestamps import now_ms, parse
from hub.topics import Topics
from protocols.rules import ALLOWING, Rule
from protocols.tlp import TLP2_IDS, Tlp
from schemas.envelopes import SHARING_TICK, AuditRecord, audit_records_of
from schemas.merge import MergeRecord
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.hub_process import REPO, HubProcess
from tests.integration.sharing_scenario import (
    ANALYSTS,
    AUDIENCES,
    BATCH,
    EMBARGOED,
    EXPECTED,
    HUB,
    PARTNERS,
    QUIET_UPDATE,
    RAW_PII,
    RELOADED,
    RESHARED,
    Watcher,
    audience_of,
    holdings,
    scenario_hub,
    source_refs,
    submit,
    write_agreement,
)
from tests.integration.taxii_server import TaxiiServer

pytestmark = pytest.mark.integration

SUBMISSIONS = [*BATCH, RELOADED, EMBARGOED]
IDS = {s.item: s.curated_id() for s in SUBMISSIONS}
ITEM_OF = {curated: item for item, curated in IDS.items()}


def rules(item: str, partner: str, *, reshared: bool) -> dict[str, Rule]:
    """Per audience, the rule that decides for ``partner``'s contribution to ``item``: as it
    was first sent, or once sigma-av's changed agreement was carried to what was sent."""
    changed = RESHARED.get(item, {}).get(partner, {}) if reshared else {}
    return {**EXPECTED[item][partner], **changed}


def visible(item: str, audience: str, *, reshared: bool = True) -> set[str]:
    return {p for p in EXPECTED[item] if rules(item, p, reshared=reshared)[audience] in ALLOWING}


def shown_as(partner: str, audience: str) -> str:
    """The identity ``audience`` must see ``partner`` as: named, its sector, or the hub."""
    attribution = PARTNERS[partner]["attribution"]
    if audience == ANALYSTS or audience == f"partner:{partner}" or attribution == "named":
        return partner_identity_id(partner)
    return sector_identity_id(PARTNERS[partner]["sector"]) if attribution == "sector" else HUB


def expected_refs(item: str, audience: str, *, reshared: bool = True) -> list[str]:
    return sorted(shown_as(p, audience) for p in visible(item, audience, reshared=reshared))


def undelivered(
    topics: Topics, messages: list[TopicMessage], items: list[str], *, reshared: bool = True
) -> list[str]:
    """What the audiences do not hold yet of ``items`` (as the rules expect it)."""
    held = holdings(topics, messages)
    missing = []
    for item in items:
        for audience in AUDIENCES:
            if not visible(item, audience, reshared=reshared):
                continue
            obj = held.get(audience, {}).get(IDS[item])
            if obj is None or source_refs(obj) != expected_refs(item, audience, reshared=reshared):
                missing.append(f"{item} at {audience}: {obj and source_refs(obj)}")
    return missing


def delivered(
    topics: Topics, items: list[str], *, reshared: bool = True
) -> Callable[[list[TopicMessage]], bool]:
    return lambda messages: not undelivered(topics, messages, items, reshared=reshared)


@dataclass
class Outcome:
    topics: Topics
    messages: list[TopicMessage]
    killed_at: str
    store_audit: list[AuditRecord]
    collections: dict[str, dict[str, Any]]  # audience -> id -> latest stored version
    cli: dict[str, str]
    logs: list[Path]
    store_files: list[Path]

    def audit(self) -> list[AuditRecord]:
        return [r for m in self.on(self.topics.audit) for r in audit_records_of(m.value)]

    def on(self, topic: str) -> list[TopicMessage]:
        return [m for m in self.messages if m.topic == topic]

    def curated(self, item: str) -> list[MergeRecord]:
        records = [MergeRecord.from_bytes(m.value) for m in self.on(self.topics.curated)]
        return sorted((r for r in records if r.indicator_id == IDS[item]), key=lambda r: r.version)


async def read_store(server: TaxiiServer, decisions: int, held: int) -> tuple[Any, Any]:
    """The store's audit trail and collections, once the sinks have caught up."""
    store = await Store.open(server.store_url, upgrade=False)
    specs = {
        ANALYSTS: analysts_collection(),
        **{f"partner:{p}": feed_collection(p) for p in PARTNERS},
        **{f"liaison:{a}": liaison_collection(a) for a in ("nca", "interpol")},
    }
    try:
        deadline = time.monotonic() + 90
        while True:
            audit = await store.query_audit()
            collections = {}
            for audience, spec in specs.items():
                page = await store.page_objects(spec.id, ObjectFilter(), 10_000)
                bodies = [orjson.loads(item.body) for item in page.items]
                collections[audience] = {body["id"]: body for body in bodies}
            stored = sum(len(c) for c in collections.values())
            keys = {(r.object_id, r.version, r.audience, r.partner) for r in audit}
            if (len(keys) >= decisions and stored >= held) or time.monotonic() > deadline:
                return audit, collections
            await asyncio.sleep(1.0)
    finally:
        await store.close()


async def fusionhub(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


async def play(hub: HubProcess, server: TaxiiServer, watcher: Watcher) -> str:
    """The scenario, step by step; returns when the worker was killed."""

    async def until(check: Callable[[list[TopicMessage]], bool], why: str) -> None:
        try:
            await watcher.wait_for(check, timeout_s=180, why=why)
        except TimeoutError as exc:
            items = [*EXPECTED]
            missing = undelivered(hub.topics, watcher.messages, items)
            raise AssertionError(
                f"{exc}; missing {missing}\n{hub.log_tail()}\n{server.log_tail()}"
            ) from None

    await submit(hub.bootstrap, hub.topics, BATCH)
    matrix = [s.item for s in BATCH]
    await until(delivered(hub.topics, matrix, reshared=False), "the TLP matrix")

    await submit(hub.bootstrap, hub.topics, [QUIET_UPDATE])
    quiet = IDS["quiet-update"]
    await until(
        lambda m: (
            QUIET_UPDATE.confidence
            in [
                c["confidence"]
                for c in holdings(hub.topics, m)[ANALYSTS][quiet]["x_fusion_contributors"]
            ]
        ),
        "kappa-isp's changed confidence at the analysts",
    )

    write_agreement(hub.partners_dir, "sigma-av", amber_recipients=["kappa-isp"])
    await asyncio.sleep(2.5)  # the running hub looks for changed agreements every 2 s
    await submit(hub.bootstrap, hub.topics, [RELOADED])
    await until(delivered(hub.topics, ["after-reload", *RESHARED]), "the changed agreement")

    await submit(hub.bootstrap, hub.topics, [EMBARGOED])
    embargoed = IDS["embargoed"]
    await until(
        lambda m: embargoed in holdings(hub.topics, m).get(ANALYSTS, {}),
        "the embargoed contribution at the analysts",
    )
    hub.kill()  # SIGKILL well before the 20 s embargo ends: the release is the restart's
    killed_at = now_ms()
    hub.start()
    await until(delivered(hub.topics, ["embargoed"]), "the embargo's release")
    await asyncio.sleep(3.0)  # time for anything the rules deny to show up too
    return killed_at


async def ask_cli(hub: HubProcess, server: TaxiiServer) -> dict[str, str]:
    env = {**hub.env, "FUSIONHUB_STORE_URL": server.store_url, "COLUMNS": "400"}
    answers = await asyncio.gather(
        fusionhub(env, "audit", "--object", IDS["amber-c2"]),
        fusionhub(env, "audit", "--audience", "liaison:interpol", "--from-topic"),
        fusionhub(env, "policy", "explain", IDS["merged-c2"], "--to", "liaison:interpol"),
    )
    return dict(zip(("audit-object", "audit-audience", "explain"), answers, strict=True))


@pytest.fixture(scope="module")
async def outcome(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Outcome]:
    workdir = tmp_path_factory.mktemp("sharing")
    hub = await scenario_hub(kafka_broker.bootstrap, workdir, {"FUSIONHUB_SWEEP_INTERVAL_S": "1"})
    server = TaxiiServer(hub=hub, workdir=workdir)
    hub.start()
    try:
        await asyncio.to_thread(server.start)
        async with Watcher(kafka_broker.bootstrap, hub.name) as watcher:
            killed_at = await play(hub, server, watcher)
            messages = list(watcher.messages)
        audit = [
            r for m in messages if m.topic == hub.topics.audit for r in audit_records_of(m.value)
        ]
        decisions = len({(a.object_id, a.version, a.audience, a.partner) for a in audit})
        held = sum(len(h) for h in holdings(hub.topics, messages).values())
        store_audit, collections = await read_store(server, decisions, held)
        cli = await ask_cli(hub, server)
    finally:
        server.stop()
        hub.stop()
    yield Outcome(
        topics=hub.topics,
        messages=messages,
        killed_at=killed_at,
        store_audit=store_audit,
        collections=collections,
        cli=cli,
        logs=sorted(workdir.glob("*.log")),
        store_files=sorted(workdir.glob("store.db*")),
    )


def test_each_audience_holds_exactly_what_the_rules_allow(outcome: Outcome) -> None:
    held = holdings(outcome.topics, outcome.messages)
    for audience in AUDIENCES:
        wanted = {IDS[i]: expected_refs(i, audience) for i in EXPECTED if visible(i, audience)}
        mine = held.get(audience, {})
        assert set(mine) == set(wanted), audience  # everything allowed, nothing else
        for object_id, refs in wanted.items():
            assert source_refs(mine[object_id]) == refs, (audience, ITEM_OF[object_id])
        # The audience's TAXII collection holds the same latest versions as its topic.
        stored = outcome.collections[audience]
        assert {k: v["modified"] for k, v in stored.items()} == {
            k: v["modified"] for k, v in mine.items()
        }, audience
    # No version ever showed an audience more than the rules allow, not even briefly.
    for message in outcome.messages:
        reader = audience_of(outcome.topics, message.topic)
        if reader is not None:
            obj = orjson.loads(message.value)
            allowed = set(expected_refs(ITEM_OF[obj["id"]], reader))
            assert set(source_refs(obj)) <= allowed, (reader, ITEM_OF[obj["id"]])


def test_a_view_derives_only_from_what_its_audience_may_see(outcome: Outcome) -> None:
    held = holdings(outcome.topics, outcome.messages)
    merged = IDS["merged-c2"]
    assert held[ANALYSTS][merged]["confidence"] == 82  # noisy-OR of sigma's 70 and kappa's 40
    assert held["liaison:interpol"][merged]["confidence"] == 70  # sigma consents; kappa not
    assert held["liaison:interpol"][merged]["created_by_ref"] == partner_identity_id("sigma-av")
    assert held["liaison:nca"][merged]["confidence"] == 40  # kappa consents; sigma not
    assert held["liaison:nca"][merged]["created_by_ref"] == sector_identity_id("isp")
    assert held["partner:omega-cert"][merged]["created_by_ref"] == HUB  # two: the hub merged
    # One victim, spelled two ways by two partners that redact: one object, keyed hash.
    victim = IDS["victim-email"]
    assert "pii-email-" in held[ANALYSTS][victim]["pattern"]
    assert len(held[ANALYSTS][victim]["x_fusion_contributors"]) == 2
    assert held[ANALYSTS][victim]["object_marking_refs"] == [TLP2_IDS[Tlp.AMBER]]
    assert held["partner:omega-cert"][victim]["object_marking_refs"] == [TLP2_IDS[Tlp.GREEN]]
    assert held[ANALYSTS][IDS["red-c2"]]["object_marking_refs"] == [TLP2_IDS[Tlp.RED]]


def test_anonymous_and_sector_contributors_leave_no_trace(outcome: Outcome) -> None:
    def traces(partner: str) -> list[bytes]:
        own_objects = [s.object_id for s in SUBMISSIONS if s.partner == partner]
        return [
            partner.encode(),
            PARTNERS[partner]["name"].encode(),
            partner_identity_id(partner).encode(),
            *(object_id.encode() for object_id in own_objects),
        ]

    hidden = {
        "zeta-bank": [*traces("zeta-bank"), sector_identity_id("bank").encode()],  # anonymous
        "kappa-isp": traces("kappa-isp"),  # sector only
    }
    others = 0
    for message in outcome.messages:
        audience = audience_of(outcome.topics, message.topic)
        if audience is None or audience == ANALYSTS:
            continue
        blob = (message.key or b"") + message.value
        for partner, marks in hidden.items():
            if audience != f"partner:{partner}":
                others += 1
                for mark in marks:
                    assert mark not in blob, (audience, partner, mark)
    assert others > 20  # and they did receive those partners' contributions:
    held = holdings(outcome.topics, outcome.messages)
    assert source_refs(held["partner:kappa-isp"][IDS["amber-c2"]]) == [HUB]
    assert source_refs(held["liaison:nca"][IDS["amber-c2"]]) == [HUB]


def test_redacted_values_appear_in_no_topic_log_or_store(outcome: Outcome) -> None:
    after_admission = [m for m in outcome.messages if m.topic != outcome.topics.ingest]
    scanned = {m.topic for m in after_admission}
    assert {outcome.topics.admitted, outcome.topics.curated, outcome.topics.audit} <= scanned
    assert any(topic.endswith("-changelog") for topic in scanned)  # the merge table too
    for message in after_admission:
        blob = ((message.key or b"") + message.value).lower()
        for raw in RAW_PII:
            assert raw.encode() not in blob, (message.topic, raw)
    assert not outcome.on(outcome.topics.rejected)  # rejected records keep the raw bytes
    # The raw values did come in, on the partner's own delivery before admission.
    delivered_raw = b"".join(m.value for m in outcome.on(outcome.topics.ingest)).lower()
    assert b"jvictim77" in delivered_raw and b"4111111111111111" in delivered_raw
    assert outcome.logs and outcome.store_files
    for path in [*outcome.logs, *outcome.store_files]:
        content = path.read_bytes().lower()
        for raw in RAW_PII:
            assert raw.encode() not in content, (path.name, raw)


def test_a_change_hidden_from_an_audience_does_not_reach_it(outcome: Outcome) -> None:
    """A version goes to an audience that sees only some contributions only when what it
    sees changed; else the new `modified` alone would tell it that a contribution hidden
    from it came or changed, and when."""
    curated = outcome.curated("quiet-update")
    assert [r.version for r in curated] == [1, 2, 3]  # sigma-av, kappa-isp, kappa's update
    update = curated[-1]
    assert update.contributions["kappa-isp"].confidence == QUIET_UPDATE.confidence
    got: dict[str, set[str]] = {}
    for message in outcome.messages:
        audience = audience_of(outcome.topics, message.topic)
        obj = orjson.loads(message.value) if audience else {}
        if audience and obj["id"] == IDS["quiet-update"]:
            got.setdefault(audience, set()).add(obj["modified"])
    every = {r.modified for r in curated}
    # Those that see both contributions have nothing hidden: every version.
    for audience in (ANALYSTS, "partner:kappa-isp", "partner:sigma-av", "partner:omega-cert"):
        assert got[audience] == every, audience
    # The NCA sees kappa-isp's alone: its arrival and its update, not sigma-av's.
    assert len(got["liaison:nca"]) == 2 and update.modified in got["liaison:nca"]
    # INTERPOL sees sigma-av's alone: one version, and nothing of kappa-isp's update.
    assert len(got["liaison:interpol"]) == 1
    assert parse(max(got["liaison:interpol"], key=parse)) < parse(update.modified)
    assert "partner:zeta-bank" not in got


def test_a_changed_agreement_applies_without_a_restart(outcome: Outcome) -> None:
    held = holdings(outcome.topics, outcome.messages)
    kappa = held["partner:kappa-isp"]
    assert IDS["after-reload"] in kappa  # sigma-av now names kappa-isp for AMBER
    # Its AMBER from before the change reaches kappa-isp too, in a version cut for the
    # change, audited under the new agreement; no other audience gets that version.
    first, *rest = outcome.curated("two-generations")
    assert [r.changes for r in rest] == [[SHARING_TICK]]
    assert kappa[IDS["two-generations"]]["modified"] == rest[0].modified
    assert held[ANALYSTS][IDS["two-generations"]]["modified"] == first.modified
    reshared = [
        audience_of(outcome.topics, m.topic)
        for m in outcome.messages
        if audience_of(outcome.topics, m.topic)
        and orjson.loads(m.value)["id"] == IDS["two-generations"]
        and orjson.loads(m.value)["modified"] == rest[0].modified
    ]
    assert set(reshared) == {"partner:kappa-isp"}
    decided = {
        a.audience: a.rule
        for a in outcome.audit()
        if a.object_id == IDS["two-generations"] and a.version == rest[0].modified
    }
    assert decided["partner:kappa-isp"] == str(Rule.AMBER_NAMED_RECIPIENT)


def test_an_embargo_holds_until_it_ends_even_across_a_worker_restart(outcome: Outcome) -> None:
    versions = outcome.curated("embargoed")
    first, release = versions[0], versions[-1]
    until = first.contributions["omega-cert"].embargo_until
    assert until is not None
    assert parse(outcome.killed_at) < parse(until)  # killed while the embargo held
    assert release.changes == ["embargo-release"] and release.modified == until
    for message in outcome.messages:
        audience = audience_of(outcome.topics, message.topic)
        obj = orjson.loads(message.value) if audience else {}
        if audience and obj["id"] == IDS["embargoed"] and audience != ANALYSTS:
            assert obj["modified"] == release.modified, audience  # nothing before the release
    analysts = {
        orjson.loads(m.value)["modified"]
        for m in outcome.messages
        if audience_of(outcome.topics, m.topic) == ANALYSTS
        and orjson.loads(m.value)["id"] == IDS["embargoed"]
    }
    assert first.modified in analysts and parse(first.modified) < parse(until)
    during = [a for a in outcome.audit() if a.object_id == IDS["embargoed"]]
    during = [a for a in during if a.version == first.modified and a.audience != ANALYSTS]
    assert {a.audience for a in during} == set(AUDIENCES) - {ANALYSTS}
    assert {(a.allowed, a.rule) for a in during} == {(False, "embargo-in-force")}


def test_every_decision_is_in_the_audit_trail_with_its_rule(outcome: Outcome) -> None:
    held = holdings(outcome.topics, outcome.messages)
    for trail in (outcome.audit(), outcome.store_audit):
        decided: dict[tuple[str, str, str, str], set[tuple[bool, str]]] = {}
        for r in trail:
            key = (r.object_id, r.version, r.audience, r.partner)
            decided.setdefault(key, set()).add((r.allowed, r.rule))
        assert all(len(verdicts) == 1 for verdicts in decided.values())  # replays agree
        for item, contributors in EXPECTED.items():
            version = held[ANALYSTS][IDS[item]]["modified"]
            for partner, rules in contributors.items():
                for audience, rule in rules.items():
                    key = (IDS[item], version, audience, partner)
                    assert decided.get(key) == {(rule in ALLOWING, str(rule))}, key


def test_the_cli_prints_the_trail_and_the_reasoning(outcome: Outcome) -> None:
    by_object = outcome.cli["audit-object"]
    for audience, rule in EXPECTED["amber-c2"]["zeta-bank"].items():
        assert f"{audience} " in by_object and str(rule) in by_object
    by_audience = outcome.cli["audit-audience"]
    assert "tlp-green-liaison-consent" in by_audience and "liaison-consent-below-marking" in (
        by_audience
    )
    assert "partner:" not in by_audience
    explanation = outcome.cli["explain"]
    assert "sigma-av" in explanation and "kappa-isp" in explanation
    assert "tlp-green-liaison-consent" in explanation and "no-liaison-consent" in explanation
    assert f"receives {IDS['merged-c2']} built from 1 of 2 contribution(s)" in explanation
