"""Liaison exports: signed STIX 2.1 bundles of what one agency may receive."""

from __future__ import annotations

from hub.exports.bundle import ExportResult, write_export
from hub.exports.signing import (
    ExportVerificationError,
    load_or_create_signing_key,
    public_key_pem,
    verify_export,
)

__all__ = [
    "ExportResult",
    "ExportVerificationError",
    "load_or_create_signing_key",
    "public_key_pem",
    "verify_export",
    "write_export",
]
