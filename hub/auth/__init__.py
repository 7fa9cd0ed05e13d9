"""Principals of the hub's API and how they prove who they are (HTTP Basic, bearer tokens)."""

from __future__ import annotations

from hub.auth.credentials import AuthenticationError, Authenticator, hash_secret
from hub.auth.principals import Principal, PrincipalKind

__all__ = ["AuthenticationError", "Authenticator", "Principal", "PrincipalKind", "hash_secret"]
