"""The store's errors, under one root."""

from __future__ import annotations


class StoreError(Exception):
    """Anything the store refuses, with what was wrong."""


class StoreConfigError(StoreError):
    """A store URL or setting that cannot work; says which and what to use instead."""


class UnknownCollectionError(StoreError):
    def __init__(self, collection_id: str) -> None:
        super().__init__(f"collection {collection_id!r} is not in the store")
        self.collection_id = collection_id


class BadObjectError(StoreError):
    """An object version the store cannot keep (no id, a malformed timestamp)."""
