"""Crime codes from the Reference Security Incident Taxonomy (RSIT, via pytaxonomies).

A code comes from the partner's explicit hint, then from labels, indicator types and
name; what none of them decides stays ``other/undetermined``, never a guess.
"""

from __future__ import annotations

from functools import cache

from pytaxonomies.api import Taxonomies

UNDETERMINED = "other/undetermined"

# Words partners use in labels, indicator_types and names, mapped to RSIT codes.
_WORD_CODES = {
    "phishing": "fraud/phishing",
    "phish": "fraud/phishing",
    "c2": "malicious-code/c2-server",
    "c&c": "malicious-code/c2-server",
    "botnet-c2": "malicious-code/c2-server",
    "command-and-control": "malicious-code/c2-server",
    "botnet": "malicious-code/infected-system",
    "infected-system": "malicious-code/infected-system",
    "bot": "malicious-code/infected-system",
    "malware-distribution": "malicious-code/malware-distribution",
    "malware-download": "malicious-code/malware-distribution",
    "malware-sample": "malicious-code/malware-distribution",
    "ddos": "availability/ddos",
    "dos": "availability/dos",
    "scanner": "information-gathering/scanner",
    "brute-force": "intrusion-attempts/brute-force",
    "spam": "abusive-content/spam",
    "fraud": "fraud/masquerade",
    "masquerade": "fraud/masquerade",
    "card-fraud": "fraud/unauthorised-use-of-resources",
    "money-mule": "fraud/unauthorised-use-of-resources",
}


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


def crime_code_for(
    *,
    hint: str | None,
    indicator_types: list[str],
    labels: list[str],
    name: str | None,
) -> str:
    """The RSIT code for one indicator, from the most explicit evidence available."""
    if hint and is_rsit_code(hint):
        return hint
    for word in [*labels, *indicator_types]:
        code = _WORD_CODES.get(word.strip().lower())
        if code:
            return code
    if name:
        lowered = name.lower()
        for word, code in _WORD_CODES.items():
            if len(word) > 3 and word in lowered:
                return code
    return UNDETERMINED
