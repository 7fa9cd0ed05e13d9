"""Disseminate: per-audience views of curated records, to topics and collections."""
