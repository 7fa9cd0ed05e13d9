"""Checking HTTP Basic credentials and bearer tokens against argon2 hashes.

Partners' credentials come from their agreement files, everyone else's from the hub config.
An argon2 check costs tens of milliseconds by design, far more than serving a page of a
collection, so a successful check is remembered for a few minutes under a keyed digest of the
presented secret (never the secret itself); a change of the agreements forgets them all.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.auth.principals import Principal
from schemas.agreement import Credential, PartnerAgreement
from schemas.hub_config import HubConfig

# Schemes a token may come under: RFC 6750 says Bearer; taxii2-client's TokenAuth sends Token.
TOKEN_SCHEMES = frozenset({"bearer", "token"})


class AuthenticationError(Exception):
    """Missing or wrong credentials; the message says which, never whose."""


@dataclass(frozen=True, slots=True)
class _Secret:
    principal: Principal
    hash: str


@dataclass(slots=True)
class CredentialIndex:
    """Every credential by the way it is presented: Basic by username, tokens all together."""

    basic: dict[str, list[_Secret]] = field(default_factory=dict)
    tokens: list[_Secret] = field(default_factory=list)

    def add(self, principal: Principal, credential: Credential, default_username: str) -> None:
        secret = _Secret(principal, credential.hash)
        if credential.kind == "token":
            self.tokens.append(secret)
        else:
            self.basic.setdefault(credential.username or default_username, []).append(secret)


def index_credentials(
    agreements: Mapping[str, PartnerAgreement], config: HubConfig
) -> CredentialIndex:
    index = CredentialIndex()
    for agreement in agreements.values():
        principal = Principal("partner", agreement.id, account=agreement.id)
        for credential in agreement.credentials:
            index.add(principal, credential, agreement.id)
    for analyst in config.analysts:
        principal = Principal(
            "analyst", analyst.name, account=analyst.name, clearance=analyst.clearance_level
        )
        for credential in analyst.credentials:
            index.add(principal, credential, analyst.name)
    for officer in config.liaison:
        principal = Principal("liaison", officer.agency, account=officer.name)
        for credential in officer.credentials:
            index.add(principal, credential, officer.name)
    for admin in config.admins:
        principal = Principal("admin", admin.name, account=admin.name)
        for credential in admin.credentials:
            index.add(principal, credential, admin.name)
    return index


class Authenticator:
    """Turns an ``Authorization`` header into a principal, or says why it cannot."""

    def __init__(
        self,
        agreements: Callable[[], Mapping[str, PartnerAgreement]],
        config: HubConfig,
        *,
        remember_s: float = 300.0,
        remember_at_most: int = 10_000,
    ) -> None:
        self._agreements = agreements
        self._config = config
        self._remember_s = remember_s
        self._remember_at_most = remember_at_most
        self._hasher = PasswordHasher()
        self._key = os.urandom(32)
        self._seen: Mapping[str, PartnerAgreement] | None = None
        self._index = CredentialIndex()
        self._remembered: dict[bytes, tuple[Principal, float]] = {}

    def _current_index(self) -> CredentialIndex:
        agreements = self._agreements()
        # AgreementBook hands out a new mapping when a file changed: rebuild, forget checks.
        if agreements is not self._seen:
            self._seen = agreements
            self._index = index_credentials(agreements, self._config)
            self._remembered.clear()
        return self._index

    async def authenticate(self, authorization: str | None) -> Principal:
        index = self._current_index()
        scheme, username, secret = parse_authorization(authorization)
        digest = hmac.new(
            self._key, f"{scheme}\0{username}\0{secret}".encode(), hashlib.sha256
        ).digest()
        remembered = self._remembered.get(digest)
        now = time.monotonic()
        if remembered is not None and remembered[1] > now:
            return remembered[0]
        candidates = index.tokens if scheme in TOKEN_SCHEMES else index.basic.get(username, [])
        principal = await asyncio.to_thread(self._first_match, candidates, secret)
        if principal is None:
            if scheme in TOKEN_SCHEMES:
                raise AuthenticationError("the bearer token is not valid")
            raise AuthenticationError("the username or password is not valid")
        if len(self._remembered) >= self._remember_at_most:
            self._remembered.pop(next(iter(self._remembered)))
        self._remembered[digest] = (principal, now + self._remember_s)
        return principal

    def _first_match(self, candidates: list[_Secret], secret: str) -> Principal | None:
        for candidate in candidates:
            try:
                if self._hasher.verify(candidate.hash, secret):
                    return candidate.principal
            except (VerificationError, InvalidHashError):
                continue
        return None


def parse_authorization(header: str | None) -> tuple[str, str, str]:
    """``(scheme, username, secret)`` from an Authorization header; username is '' for tokens."""
    if not header or not header.strip():
        raise AuthenticationError("no credentials: send HTTP Basic credentials or a bearer token")
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme in TOKEN_SCHEMES:
        if not value:
            raise AuthenticationError(f"the {scheme} authorization has no token")
        return scheme, "", value
    if scheme != "basic":
        raise AuthenticationError(
            f"authorization scheme {scheme!r} is not supported: use Basic or Bearer"
        )
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationError(
            "the Basic credentials are not base64 of 'user:password'"
        ) from None
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise AuthenticationError("the Basic credentials are not base64 of 'user:password'")
    return "basic", username, password


def hash_secret(secret: str) -> str:
    """An argon2id hash to paste into an agreement or hub config (OWASP minimum cost)."""
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1).hash(secret)
