"""The names of the sharing rules: what every decision and audit record says decided it.

One place lists them, so the audit trail, ``fusionhub policy explain`` and the tests use
the same words. Values are stable: they are stored in the audit trail.
"""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    """Why one contribution does or does not reach one audience."""

    # hub analysts (the hub's own cell): everything within their clearance
    ANALYSTS_WITHIN_CLEARANCE = "analysts-within-clearance"
    RED_NEEDS_RED_CLEARANCE = "tlp-red-needs-red-clearance"
    # every audience outside the hub
    CONTRIBUTOR_WITHOUT_AGREEMENT = "contributor-without-agreement"
    RECIPIENT_WITHOUT_AGREEMENT = "recipient-without-agreement"
    EMBARGO_IN_FORCE = "embargo-in-force"
    AMBER_STRICT_STAYS_IN_HUB = "tlp-amber-strict-stays-in-hub"
    RED_STAYS_IN_HUB = "tlp-red-stays-in-hub"
    CLEAR = "tlp-clear"
    # partners
    OWN_CONTRIBUTION = "own-contribution"
    ABOVE_MAX_MARKING = "above-recipient-max-marking"
    CRIME_CODE_NOT_RECEIVED = "crime-code-not-received"
    GREEN_CRIME_CODE_RECEIVED = "tlp-green-crime-code-received"
    AMBER_NAMED_RECIPIENT = "tlp-amber-named-recipient"
    AMBER_NOT_NAMED = "tlp-amber-not-named-recipient"
    # liaison agencies
    GREEN_LIAISON_CONSENT = "tlp-green-liaison-consent"
    AMBER_LIAISON_CONSENT = "tlp-amber-liaison-consent"
    NO_LIAISON_CONSENT = "no-liaison-consent"
    CONSENT_BELOW_MARKING = "liaison-consent-below-marking"


ALLOWING = frozenset(
    {
        Rule.ANALYSTS_WITHIN_CLEARANCE,
        Rule.CLEAR,
        Rule.OWN_CONTRIBUTION,
        Rule.GREEN_CRIME_CODE_RECEIVED,
        Rule.AMBER_NAMED_RECIPIENT,
        Rule.GREEN_LIAISON_CONSENT,
        Rule.AMBER_LIAISON_CONSENT,
    }
)
"""The rules that let a contribution through; every other rule denies it."""
