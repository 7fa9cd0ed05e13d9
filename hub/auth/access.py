"""Who may see, read, write and delete in which TAXII collection: one pure function.

TAXII 2.1 lets a server answer 404 for a collection the caller may not know about, and 403
for one it may see but not use that way; the hub hides every collection but the caller's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.auth.principals import Principal
from hub.store.collections import CollectionSpec


@dataclass(frozen=True, slots=True)
class Access:
    visible: bool
    can_read: bool = False
    can_write: bool = False
    can_delete: bool = False


HIDDEN = Access(visible=False)
READ_ONLY = Access(visible=True, can_read=True)
WRITE_ONLY = Access(visible=True, can_write=True)
# Operators see every collection and may take an object down, but read no intelligence.
OPERATOR = Access(visible=True, can_delete=True)


def access(principal: Principal, collection: CollectionSpec) -> Access:
    if principal.kind == "admin":
        return OPERATOR
    if collection.kind == "inbox" and principal.is_partner(collection.owner):
        return WRITE_ONLY
    if collection.kind == "feed" and principal.is_partner(collection.owner):
        return READ_ONLY
    if collection.kind == "analysts" and principal.kind == "analyst":
        return READ_ONLY
    if (
        collection.kind == "liaison"
        and principal.kind == "liaison"
        and principal.name == collection.owner
    ):
        return READ_ONLY
    return HIDDEN


def reading_clearance(principal: Principal, collection: CollectionSpec) -> int | None:
    """The highest TLP level the principal may read here; None when the collection is its own.

    The analysts' collection carries RED intelligence for analysts who hold RED clearance;
    every other collection already holds only what its audience may see.
    """
    if collection.kind == "analysts" and principal.clearance is not None:
        return int(principal.clearance)
    return None


def may_see_status(principal: Principal, partner: str) -> bool:
    """A status resource is its poster's (and the operators') business only."""
    return principal.kind == "admin" or principal.is_partner(partner)
