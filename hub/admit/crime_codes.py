"""Crime codes from the Reference Security Incident Taxonomy (RSIT, via pytaxonomies).

A code comes from the most explicit evidence available, in this order: the hint a connector
or partner gives (``x_fusion_crime_code``, or what a feed's report type means), machine tags
among the labels (``rsit:fraud="phishing"``, and eCSIRT tags that map onto RSIT one to one),
words in labels and indicator types, words in the name, and last what a malware family says
about a file (a sample of a named family). What none of them decides stays
``other/undetermined``, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache

from pytaxonomies.api import Taxonomies

from hub.timestamps import parse
from schemas.merge import PartnerContribution

UNDETERMINED = "other/undetermined"
C2_SERVER = "malicious-code/c2-server"
INFECTED_SYSTEM = "malicious-code/infected-system"
MALWARE_DISTRIBUTION = "malicious-code/malware-distribution"

# Words partners use in labels, indicator_types and names, mapped to RSIT codes.
_WORD_CODES = {
    "phishing": "fraud/phishing",
    "phish": "fraud/phishing",
    "c2": C2_SERVER,
    "c&c": C2_SERVER,
    "botnet-c2": C2_SERVER,
    "command-and-control": C2_SERVER,
    "botnet": INFECTED_SYSTEM,
    "infected-system": INFECTED_SYSTEM,
    "bot": INFECTED_SYSTEM,
    "malware-distribution": MALWARE_DISTRIBUTION,
    "malware-download": MALWARE_DISTRIBUTION,
    "malware-sample": MALWARE_DISTRIBUTION,
    "ddos": "availability/ddos",
    "dos": "availability/dos",
    "scanner": "information-gathering/scanner",
    "brute-force": "intrusion-attempts/brute-force",
    "spam": "abusive-content/spam",
    "fraud": "fraud/masquerade",
    "masquerade": "fraud/masquerade",
    "card-fraud": "fraud/unauthorised-use-of-resources",
    "money-mule": "fraud/unauthorised-use-of-resources",
    # STIX 2.1 indicator-type-ov: only "compromised" names an incident class; the others
    # (malicious-activity, anomalous-activity, attribution, ...) decide nothing.
    "compromised": "intrusions/system-compromise",
}

# What a connector knows from the kind of report a row came from (e.g. a sinkhole's drone
# report lists infected hosts; its C2 report lists servers).
CONNECTOR_HINTS = {
    "infected": INFECTED_SYSTEM,
    "drone": INFECTED_SYSTEM,
    "sinkhole": INFECTED_SYSTEM,
    "c2": C2_SERVER,
    "malware-sample": MALWARE_DISTRIBUTION,
}

# eCSIRT.net values whose RSIT successor is certain (ENISA's RSIT mapping table); the rest
# map only where the eCSIRT value is itself an RSIT type of the same category.
_ECSIRT_CODES = {
    "malicious-code/botnet-drone": INFECTED_SYSTEM,
    "malicious-code/c&c": C2_SERVER,
    "malicious-code/malware": INFECTED_SYSTEM,
    "malicious-code/virus": INFECTED_SYSTEM,
    "malicious-code/worm": INFECTED_SYSTEM,
    "malicious-code/trojan": INFECTED_SYSTEM,
    "malicious-code/spyware": INFECTED_SYSTEM,
    "malicious-code/rootkit": INFECTED_SYSTEM,
    "malicious-code/ransomware": INFECTED_SYSTEM,
    "malicious-code/dialer": INFECTED_SYSTEM,
    "intrusions/compromised": "intrusions/system-compromise",
    "intrusions/backdoor": "intrusions/system-compromise",
    "fraud/unauthorized-use-of-resources": "fraud/unauthorised-use-of-resources",
    "vulnerable/vulnerable-service": "vulnerable/vulnerable-system",
    "other/unknown": UNDETERMINED,
}

# A MISP-style machine tag: namespace:predicate="value".
_MACHINE_TAG = re.compile(r'^(?P<ns>rsit|ecsirt):(?P<predicate>[a-z-]+)="?(?P<value>[^"]+)"?$')


@cache
def rsit_codes() -> frozenset[str]:
    """Every ``category/type`` code the RSIT taxonomy that pytaxonomies ships defines."""
    rsit = Taxonomies()["rsit"]
    codes = set()
    for tag in rsit.machinetags():
        # rsit:fraud="phishing" -> fraud/phishing
        predicate, _, value = str(tag).removeprefix("rsit:").partition("=")
        codes.add(f"{predicate}/{value.strip(chr(34))}")
    return frozenset(codes)


def is_rsit_code(code: str) -> bool:
    return code in rsit_codes()


def code_from_machine_tag(tag: str) -> str | None:
    """The RSIT code an ``rsit:`` or ``ecsirt:`` machine tag names, if it names one."""
    match = _MACHINE_TAG.match(tag.strip().lower())
    if match is None:
        return None
    code = f"{match.group('predicate')}/{match.group('value')}"
    if match.group("ns") == "ecsirt":
        code = _ECSIRT_CODES.get(code, code)
    return code if is_rsit_code(code) else None


def crime_code_for(
    *,
    hint: str | None,
    indicator_types: list[str],
    labels: list[str],
    name: str | None,
    malware_family: str | None = None,
    observable_type: str | None = None,
) -> str:
    """The RSIT code for one indicator, from the most explicit evidence available."""
    if hint:
        code = hint if is_rsit_code(hint) else CONNECTOR_HINTS.get(hint.strip().lower())
        if code:
            return code
    for label in labels:
        code = code_from_machine_tag(label)
        if code:
            return code
    for word in [*labels, *indicator_types]:
        code = _WORD_CODES.get(word.strip().lower())
        if code:
            return code
    if name:
        lowered = name.lower()
        for word, code in _WORD_CODES.items():
            if len(word) > 3 and word in lowered:
                return code
    # A file of a named malware family is a sample of it; an address with only a family
    # could be its C2, a victim or a download site, so it stays undetermined.
    if malware_family and observable_type == "file":
        return MALWARE_DISTRIBUTION
    return UNDETERMINED


def prevailing_code(contributions: Sequence[PartnerContribution]) -> str:
    """The code an indicator is published under, from its contributions (those an audience
    sees): the determined code most of them agree on; a determined code beats undetermined.

    On a tie the code told first stays. An indicator then keeps its code until more
    partners disagree with it than agree: a second partner's different code does not move
    it (and a third's back), which would leave a copy on each code's topic for nothing.
    """
    if len(contributions) == 1:  # most indicators have one contributor
        return contributions[0].crime_code
    counts: dict[str, int] = {}
    for contribution in contributions:
        code = contribution.crime_code
        if code != UNDETERMINED:
            counts[code] = counts.get(code, 0) + 1
    if not counts:
        return UNDETERMINED
    most = max(counts.values())
    leaders = [code for code, count in counts.items() if count == most]
    if len(leaders) == 1:
        return leaders[0]
    return min((c for c in contributions if c.crime_code in leaders), key=told_order).crime_code


def told_order(contribution: PartnerContribution) -> tuple[datetime, str]:
    """When a contribution was first told; the partner's name orders two told at once."""
    return parse(contribution.first_seen), contribution.partner
