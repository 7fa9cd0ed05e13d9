"""Kafka envelopes keep the JSON layout consumers in any language read."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from schemas.envelopes import AuditedDecision, VersionAudit, audit_message

TEXT = st.text(max_size=30)  # quotes, backslashes, control and non-ASCII characters too
DECISIONS = st.lists(
    st.builds(AuditedDecision, audience=TEXT, partner=TEXT, allowed=st.booleans(), rule=TEXT),
    max_size=8,
)


@given(TEXT, TEXT, TEXT, DECISIONS)
def test_an_audit_message_is_the_version_audit_as_json(
    object_id: str, version: str, decided_at: str, decisions: list[AuditedDecision]
) -> None:
    audit = VersionAudit(object_id, version, decided_at, decisions)
    # The layout orjson gives the dataclass itself, which the message was before it was
    # spliced from decisions encoded once per sharing shape.
    assert audit.to_bytes() == orjson.dumps(audit)
    assert audit_message(object_id, version, decided_at, orjson.dumps(decisions)) == orjson.dumps(
        audit
    )
    assert VersionAudit.from_bytes(audit.to_bytes()) == audit
