"""The partners, submissions and readers of the sharing-protocol tests (test_sharing_*.py).

Four partners whose agreements use every option between them, written into a fresh
partners directory; one real worker (and ``fusionhub serve`` for the store) per module.
A ``Watcher`` reads every topic of the hub's namespace, changelogs included, from the
start, so each assertion looks at what was really on the broker.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from hub.canonical import observable_from_pattern
from hub.disseminate.views import hub_identity_id
from hub.kafka_io import IngestProducer, TopicMessage, TopicReader, new_ingest_record
from hub.timestamps import now_ms, parse
from hub.topics import Topics
from protocols.redaction import Redaction
from protocols.rules import Rule
from protocols.tlp import TLP1_IDS, TLP2_IDS, Tlp
from schemas.envelopes import Origin
from schemas.merge import MergeRecord
from tests.integration.hub_process import HubProcess

SECRET = "sharing-tests-redaction-secret-0123456789"
ALL_PII = ["email", "account-number", "card-number", "person-name", "user-account"]
_NS = uuid.UUID("6f1c1a51-9d55-4f0e-8f35-2a3c1c4b7e10")

PARTNERS: dict[str, dict[str, Any]] = {
    "zeta-bank": {
        "name": "Zeta Savings Bank",
        "sector": "bank",
        "attribution": "anonymous",
        "default_marking": "TLP:AMBER",
        "redact": ALL_PII,
        "receives": ["fraud/*"],
        "max_marking": "TLP:AMBER",
        "amber_recipients": ["kappa-isp"],
        "liaison_consent": ["nca"],
    },
    "kappa-isp": {
        "name": "Kappa Broadband",
        "sector": "isp",
        "attribution": "sector",
        "default_marking": "TLP:GREEN",
        "redact": ["email"],
        "receives": ["malicious-code/*", "fraud/*"],
        "max_marking": "TLP:AMBER",
        "amber_recipients": ["zeta-bank"],
        "liaison_consent": ["nca"],
    },
    "sigma-av": {
        "name": "Sigma Antivirus Labs",
        "sector": "av-vendor",
        "attribution": "named",
        "default_marking": "TLP:CLEAR",
        "receives": ["malicious-code/*"],
        "max_marking": "TLP:AMBER",
        "liaison_consent": {"interpol": "TLP:GREEN"},
    },
    "omega-cert": {
        "name": "Omega National CERT",
        "sector": "cert",
        "attribution": "named",
        "default_marking": "TLP:GREEN",
        "receives": ["*"],
        "max_marking": "TLP:GREEN",
        "embargo": "PT20S",
        "liaison_consent": ["nca"],
    },
}


def write_agreement(directory: Path, partner: str, **changes: Any) -> None:
    body = {"id": partner, **PARTNERS[partner], **changes}
    (directory / f"{partner}.yaml").write_text(yaml.safe_dump(body), "utf-8")


@dataclass(frozen=True)
class Submission:
    """One STIX indicator a partner sends; ``item`` names the curated object it feeds."""

    item: str
    partner: str
    pattern: str
    label: str
    markings: tuple[str, ...] = ()
    confidence: int = 60
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def object_id(self) -> str:
        return f"indicator--{uuid.uuid5(_NS, self.partner + '|' + self.pattern)}"

    def stix(self) -> dict[str, Any]:
        ts = now_ms()
        obj: dict[str, Any] = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": self.object_id,
            "created": ts,
            "modified": ts,
            "pattern": self.pattern,
            "pattern_type": "stix",
            "valid_from": ts,
            "confidence": self.confidence,
            "labels": [self.label],
            "indicator_types": ["malicious-activity"],
            **self.extra,
        }
        if self.markings:
            obj["object_marking_refs"] = list(self.markings)
        return obj

    def curated_id(self) -> str:
        """The id the hub gives the object: over the (redacted) canonical key."""
        redact = PARTNERS[self.partner].get("redact", [])
        pattern = Redaction(SECRET.encode()).redact_pattern(self.pattern, frozenset(redact))
        return observable_from_pattern(pattern).indicator_id


async def submit(bootstrap: str, topics: Topics, submissions: list[Submission]) -> None:
    async with IngestProducer(bootstrap, topics.ingest) as producer:
        for s in submissions:
            raw = orjson.dumps(s.stix())
            await producer.send(new_ingest_record(s.partner, raw, origin=Origin(channel="cli")))
        await producer.flush()


async def scenario_hub(
    bootstrap: str, workdir: Path, extra_env: dict[str, str] | None = None
) -> HubProcess:
    """A worker (not started) for the scenario's partners, its topics made and settled."""
    partners_dir = workdir / "partners"
    partners_dir.mkdir()
    for partner in PARTNERS:
        write_agreement(partners_dir, partner)
    hub = HubProcess(
        bootstrap=bootstrap,
        workdir=workdir,
        partners_dir=partners_dir,
        extra_env={"FUSIONHUB_REDACTION_SECRET": SECRET, **(extra_env or {})},
    )
    await asyncio.to_thread(hub.prepare_topics)
    await broker_settled(hub.bootstrap, hub.topics)
    return hub


async def broker_settled(bootstrap: str, topics: Topics, *, timeout_s: float = 120.0) -> None:
    """Wait until every partition of the namespace has a leader and groups can be joined.

    A fresh broker creating dozens of topics (and, on the first group, its offsets topic)
    answers slowly for a while; a worker started then may fail to create its changelog.
    """
    deadline = time.monotonic() + timeout_s
    consumer = AIOKafkaConsumer(
        topics.ingest,
        bootstrap_servers=bootstrap,
        group_id=f"{topics.namespace}settle",
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    try:
        while time.monotonic() < deadline:
            cluster = consumer._client.cluster
            await consumer._client.force_metadata_update()
            ours = [t for t in cluster.topics() if t.startswith(topics.namespace)]
            leaderless = [
                (t, p)
                for t in ours
                for p in cluster.partitions_for_topic(t) or ()
                if cluster.leader_for_partition(TopicPartition(t, p)) in (None, -1)
            ]
            await consumer.getmany(timeout_ms=500)  # joins the group: the coordinator answers
            if ours and not leaderless and consumer.assignment():
                return
        raise TimeoutError(f"the broker did not settle within {timeout_s} s")
    finally:
        await consumer.stop()


def audience_of(topics: Topics, topic: str) -> str | None:
    """The audience label (as audited) whose topic this is, or None."""
    name = topic.removeprefix(topics.namespace)
    kind, _, owner = name.partition(".")
    if kind == "analysts" and owner:
        return "analysts"
    if kind in ("partner", "liaison") and owner:
        return f"{kind}:{owner}"
    return None


class Watcher:
    """Everything on the topics whose names start with ``prefix``, read as it arrives."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.messages: list[TopicMessage] = []
        self._reader = TopicReader(bootstrap, pattern="^" + re.escape(prefix) + ".*")
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Watcher:
        await self._reader.__aenter__()
        self._task = asyncio.create_task(self._follow())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._reader.__aexit__()

    async def _follow(self) -> None:
        while True:
            self.messages.extend(await self._reader.poll(0.3))

    async def wait_for(
        self, condition: Callable[[list[TopicMessage]], bool], *, timeout_s: float, why: str
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition(self.messages):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{why}: not seen within {timeout_s} s")
            await asyncio.sleep(0.3)


@asynccontextmanager
async def watched_hub(
    bootstrap: str,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    agreements: dict[str, dict[str, Any]] | None = None,
) -> AsyncIterator[tuple[HubProcess, Watcher]]:
    """The scenario's worker, started, and a ``Watcher`` on everything it writes; the
    worker is stopped on the way out. ``agreements``: changes to partners' agreements, by
    partner, made before it starts."""
    hub = await scenario_hub(bootstrap, workdir, extra_env)
    for partner, changes in (agreements or {}).items():
        write_agreement(hub.partners_dir, partner, **changes)
    hub.start()
    try:
        async with Watcher(bootstrap, hub.name) as watcher:
            yield hub, watcher
    finally:
        hub.stop()


def holdings(topics: Topics, messages: list[TopicMessage]) -> dict[str, dict[str, Any]]:
    """Per audience, the newest version of every object its topics hold."""
    held: dict[str, dict[str, Any]] = {}
    for message in messages:
        audience = audience_of(topics, message.topic)
        if audience is None:
            continue
        obj = orjson.loads(message.value)
        mine = held.setdefault(audience, {})
        if obj["id"] not in mine or obj["modified"] > mine[obj["id"]]["modified"]:
            mine[obj["id"]] = obj
    return held


def versions_of(
    curated_id: str, topics: Topics, messages: list[TopicMessage]
) -> dict[str, list[dict[str, Any]]]:
    """Per audience, every version of one indicator it received, oldest first."""
    got: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        audience = audience_of(topics, message.topic)
        obj = orjson.loads(message.value) if audience else {}
        if audience and obj["id"] == curated_id:
            got.setdefault(audience, []).append(obj)
    return {a: sorted(vs, key=lambda v: v["modified"]) for a, vs in got.items()}


def curated_records(topics: Topics, messages: list[TopicMessage]) -> list[MergeRecord]:
    """Every version written to ``fusion.curated``, in version order."""
    records = [MergeRecord.from_bytes(m.value) for m in messages if m.topic == topics.curated]
    return sorted(records, key=lambda r: r.version)


def received(
    curated_id: str, topics: Topics, audiences: tuple[str, ...], count: int
) -> Callable[[list[TopicMessage]], bool]:
    """Whether each of ``audiences`` received ``count`` versions of the indicator or more."""

    def check(messages: list[TopicMessage]) -> bool:
        got = versions_of(curated_id, topics, messages)
        return all(len(got.get(a, [])) >= count for a in audiences)

    return check


async def shared_then_restricted(
    hub: HubProcess,
    watcher: Watcher,
    shared: Submission,
    restricted: Submission,
    held_by: tuple[str, ...],
    why: str = "shared",
) -> list[TopicMessage]:
    """Share a statement, then mark it stricter: what the hub wrote once every audience in
    ``held_by`` holds the first version and has been told of the change (and two seconds
    more, for anything else to show up too)."""

    def held_by_all(count: int) -> Callable[[list[TopicMessage]], bool]:
        return received(shared.curated_id(), hub.topics, held_by, count)

    await submit(hub.bootstrap, hub.topics, [shared])
    await watcher.wait_for(held_by_all(1), timeout_s=120, why=why)
    await submit(hub.bootstrap, hub.topics, [restricted])
    await watcher.wait_for(held_by_all(2), timeout_s=120, why="withdrawal")
    await asyncio.sleep(2.0)
    return list(watcher.messages)


def reported_again(
    hub: HubProcess, item: Submission, partner: str, since: str | None = None
) -> Callable[[list[TopicMessage]], bool]:
    """Whether the merge table's changelog holds ``partner``'s statement about ``item``
    seen again after it was first seen (and at ``since`` or later, if given): a report
    that cut no version leaves no other trace on the broker."""
    changelog = f"{hub.name}-hub-merge-changelog"
    key = observable_from_pattern(item.pattern).key.encode()

    def check(messages: list[TopicMessage]) -> bool:
        for message in messages:
            if message.topic == changelog and message.key == key:
                seen = MergeRecord.from_bytes(message.value).contributions.get(partner)
                if seen is None or seen.last_seen == seen.first_seen:
                    continue
                if since is None or parse(seen.last_seen) >= parse(since):
                    return True
        return False

    return check


def unstamped(view: dict[str, Any]) -> dict[str, Any]:
    """A view but for its version stamp and end: what a withdrawal keeps of what was held."""
    return {k: v for k, v in view.items() if k not in ("modified", "valid_until")}


def source_refs(obj: dict[str, Any]) -> list[str]:
    return sorted(c["source_ref"] for c in obj["x_fusion_contributors"])


# The scenario: what each partner sends, and the rule that must decide for each audience.
ANALYSTS, AGENCIES = "analysts", ("liaison:nca", "liaison:interpol")
ROW = (
    "partner:zeta-bank",
    "partner:kappa-isp",
    "partner:sigma-av",
    "partner:omega-cert",
    *AGENCIES,
)
AUDIENCES = (ANALYSTS, *ROW)
VICTIM_URL = (
    "https://jvictim77@pay-verify.example/confirm?card=4111111111111111"
    "&email=jane.victim%40mailbox.example&iban=GB82WEST12345698765432"
)
RAW_PII = (
    "jane.victim@mailbox.example",
    "jane.victim%40mailbox.example",
    "4111111111111111",
    "4111 1111 1111 1111",
    "gb82west12345698765432",
    "gb82 west 1234",
    "jane victim",
    "jvictim77",
    "12345678",
)
HUB = hub_identity_id("Fusion Hub e-crime unit")
_GREEN, _AMBER = (TLP2_IDS[Tlp.GREEN],), (TLP2_IDS[Tlp.AMBER],)


def sigma_and_kappa(item: str, address: str) -> list[Submission]:
    """One C2 address from two partners: sigma-av's GREEN (70) and kappa-isp's default (40)."""
    pattern = f"[ipv4-addr:value = '{address}']"
    return [
        Submission(item, "sigma-av", pattern, "c2", markings=_GREEN, confidence=70),
        Submission(item, "kappa-isp", pattern, "c2", confidence=40),
    ]


BATCH = [
    Submission("clear-c2", "sigma-av", "[ipv4-addr:value = '45.155.205.10']", "c2"),
    Submission("green-phish", "kappa-isp", "[domain-name:value = 'green.phish.test']", "phishing"),
    Submission("amber-c2", "zeta-bank", "[ipv4-addr:value = '45.155.205.30']", "c2"),
    Submission(
        "strict-c2",
        "kappa-isp",
        "[ipv4-addr:value = '45.155.205.40']",
        "c2",
        markings=(TLP2_IDS[Tlp.AMBER_STRICT],),
    ),
    Submission(
        "red-c2",
        "sigma-av",
        "[ipv4-addr:value = '45.155.205.50']",
        "c2",
        markings=(TLP1_IDS[Tlp.RED],),
    ),
    # TLP 1.0 GREEN beside TLP 2.0 AMBER: the stricter decides.
    Submission(
        "two-generations",
        "sigma-av",
        "[ipv4-addr:value = '45.155.205.60']",
        "c2",
        markings=(TLP1_IDS[Tlp.GREEN], TLP2_IDS[Tlp.AMBER]),
    ),
    Submission(
        "white-phish",
        "kappa-isp",
        "[domain-name:value = 'white.phish.test']",
        "phishing",
        markings=(TLP1_IDS[Tlp.CLEAR],),
    ),
    *sigma_and_kappa("merged-c2", "45.155.205.80"),
    # Both partners redact e-mail addresses: the same victim meets under one keyed hash.
    Submission(
        "victim-email",
        "zeta-bank",
        "[email-addr:value = 'jane.victim@mailbox.example']",
        "phishing",
        extra={
            "name": "Phish of Jane Victim",
            "description": "Jane Victim's account 12345678, login=jvictim77",
        },
    ),
    Submission(
        "victim-email",
        "kappa-isp",
        "[email-addr:value = 'jane.victim@MAILBOX.Example']",
        "phishing",
    ),
    Submission("victim-url", "zeta-bank", f"[url:value = '{VICTIM_URL}']", "phishing"),
    # As merged-c2; then kappa-isp changes its confidence (QUIET_UPDATE), which only the
    # audiences that see kappa-isp's contribution may learn of.
    *sigma_and_kappa("quiet-update", "45.155.205.90"),
]
QUIET_UPDATE = Submission(
    "quiet-update", "kappa-isp", "[ipv4-addr:value = '45.155.205.90']", "c2", confidence=55
)
RELOADED = Submission(
    "after-reload", "sigma-av", "[ipv4-addr:value = '45.155.205.100']", "c2", markings=_AMBER
)
EMBARGOED = Submission("embargoed", "omega-cert", "[ipv4-addr:value = '45.155.205.110']", "c2")

OWN, CLEAR, NOT_CODE = Rule.OWN_CONTRIBUTION, Rule.CLEAR, Rule.CRIME_CODE_NOT_RECEIVED
GREEN_CODE, NAMED, NOT_NAMED = (
    Rule.GREEN_CRIME_CODE_RECEIVED,
    Rule.AMBER_NAMED_RECIPIENT,
    Rule.AMBER_NOT_NAMED,
)
ABOVE_MAX, STRICT, RED = (
    Rule.ABOVE_MAX_MARKING,
    Rule.AMBER_STRICT_STAYS_IN_HUB,
    Rule.RED_STAYS_IN_HUB,
)
CONSENT_G, CONSENT_A = Rule.GREEN_LIAISON_CONSENT, Rule.AMBER_LIAISON_CONSENT
NO_CONSENT, BELOW = Rule.NO_LIAISON_CONSENT, Rule.CONSENT_BELOW_MARKING


def row(*decisions: Rule) -> dict[str, Rule]:
    """Rules for zeta-bank, kappa-isp, sigma-av, omega-cert, nca, interpol; analysts see all."""
    return {ANALYSTS: Rule.ANALYSTS_WITHIN_CLEARANCE, **dict(zip(ROW, decisions, strict=True))}


# item -> contributor -> audience -> the rule that must decide (so what each may hold).
#                                 zeta-bank  kappa-isp   sigma-av   omega-cert nca        interpol
EXPECTED: dict[str, dict[str, dict[str, Rule]]] = {
    "clear-c2": {"sigma-av": row(NOT_CODE, CLEAR, OWN, CLEAR, CLEAR, CLEAR)},
    "green-phish": {"kappa-isp": row(GREEN_CODE, OWN, NOT_CODE, GREEN_CODE, CONSENT_G, NO_CONSENT)},
    "amber-c2": {"zeta-bank": row(OWN, NAMED, NOT_NAMED, ABOVE_MAX, CONSENT_A, NO_CONSENT)},
    "strict-c2": {"kappa-isp": row(STRICT, OWN, STRICT, STRICT, STRICT, STRICT)},
    "red-c2": {"sigma-av": row(RED, RED, OWN, RED, RED, RED)},
    "two-generations": {"sigma-av": row(NOT_CODE, NOT_NAMED, OWN, ABOVE_MAX, NO_CONSENT, BELOW)},
    "white-phish": {"kappa-isp": row(CLEAR, OWN, NOT_CODE, CLEAR, CLEAR, CLEAR)},
    "merged-c2": {
        "sigma-av": row(NOT_CODE, GREEN_CODE, OWN, GREEN_CODE, NO_CONSENT, CONSENT_G),
        "kappa-isp": row(NOT_CODE, OWN, GREEN_CODE, GREEN_CODE, CONSENT_G, NO_CONSENT),
    },
    "victim-email": {
        "zeta-bank": row(OWN, NAMED, NOT_CODE, ABOVE_MAX, CONSENT_A, NO_CONSENT),
        "kappa-isp": row(GREEN_CODE, OWN, NOT_CODE, GREEN_CODE, CONSENT_G, NO_CONSENT),
    },
    "victim-url": {"zeta-bank": row(OWN, NAMED, NOT_CODE, ABOVE_MAX, CONSENT_A, NO_CONSENT)},
    "quiet-update": {
        "sigma-av": row(NOT_CODE, GREEN_CODE, OWN, GREEN_CODE, NO_CONSENT, CONSENT_G),
        "kappa-isp": row(NOT_CODE, OWN, GREEN_CODE, GREEN_CODE, CONSENT_G, NO_CONSENT),
    },
    # Sent after sigma-av's agreement was changed, while running, to name kappa-isp for AMBER.
    "after-reload": {"sigma-av": row(NOT_CODE, NAMED, OWN, ABOVE_MAX, NO_CONSENT, BELOW)},
    # The version that lifts the embargo (before it, every audience but the analysts: embargo).
    "embargoed": {"omega-cert": row(NOT_CODE, GREEN_CODE, GREEN_CODE, OWN, CONSENT_G, NO_CONSENT)},
}
# What the change of sigma-av's agreement while the hub runs (kappa-isp named for AMBER)
# changes of what had been sent: its AMBER from before goes to kappa-isp in a version of its
# own, cut for the change (hub/disseminate/sharing.py). The rest of EXPECTED stands.
RESHARED: dict[str, dict[str, dict[str, Rule]]] = {
    "two-generations": {"sigma-av": {"partner:kappa-isp": NAMED}},
}
CURATED_IDS = {s.item: s.curated_id() for s in [*BATCH, RELOADED, EMBARGOED]}
OBJECT_IDS = {s.object_id: s for s in [*BATCH, RELOADED, EMBARGOED]}
