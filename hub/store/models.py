"""The store's tables: TAXII collections, every object version, status resources, audit trail.

Timestamps are integer microseconds (hub/store/timestamps.py). The migrations in
hub/store/migrations/ create exactly these tables; tests/store/ checks the two agree.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
RowId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CollectionRow(Base):
    """A collection, and the last ``date_added`` it handed out (so the next is later)."""

    __tablename__ = "taxii_collections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text)
    last_date_added: Mapped[int] = mapped_column(BigInteger, default=0)


class ObjectVersionRow(Base):
    """One version of one STIX object in one collection, with its original JSON text.

    ``is_first``/``is_last`` mark the earliest and latest version (by ``version_us``) of the
    object in the collection, kept on every write, so ``match[version]=first|last`` is an
    indexed filter rather than a grouping over all versions.
    """

    __tablename__ = "taxii_objects"
    __table_args__ = (
        UniqueConstraint("collection_id", "date_added"),
        UniqueConstraint("collection_id", "object_id", "version_us"),
        Index(None, "collection_id", "object_type", "date_added"),
    )

    pk: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    collection_id: Mapped[str] = mapped_column(String(36), ForeignKey("taxii_collections.id"))
    object_id: Mapped[str] = mapped_column(String(300))
    object_type: Mapped[str] = mapped_column(String(250))
    spec_version: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(40))
    version_us: Mapped[int] = mapped_column(BigInteger)
    date_added: Mapped[int] = mapped_column(BigInteger)
    is_first: Mapped[bool] = mapped_column(Boolean)
    is_last: Mapped[bool] = mapped_column(Boolean)
    tlp: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    body: Mapped[str] = mapped_column(Text)


class StatusRow(Base):
    """A TAXII status resource: one POST to an inbox, i.e. one ingest record.

    ``posted`` keeps the (id, version) of every posted object, in order, for ``pendings``
    and for a report that rejected the whole record; the lists are JSON text.
    """

    __tablename__ = "taxii_status"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    collection_id: Mapped[str] = mapped_column(String(36))
    partner: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    request_timestamp: Mapped[int] = mapped_column(BigInteger)
    total_count: Mapped[int] = mapped_column(Integer)
    success_count: Mapped[int] = mapped_column(Integer, default=0)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    pending_count: Mapped[int] = mapped_column(Integer)
    posted: Mapped[str] = mapped_column(Text)
    successes: Mapped[str] = mapped_column(Text, default="[]")
    failures: Mapped[str] = mapped_column(Text, default="[]")
    completed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AuditRow(Base):
    """One sharing decision from ``fusion.audit`` (schemas.envelopes.AuditRecord)."""

    __tablename__ = "audit_trail"
    __table_args__ = (
        UniqueConstraint("object_id", "version", "audience", "partner", "rule"),
        Index(None, "object_id"),
        Index(None, "audience", "decided_us"),
    )

    pk: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    object_id: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(200))
    partner: Mapped[str] = mapped_column(String(128))
    allowed: Mapped[bool] = mapped_column(Boolean)
    rule: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[str] = mapped_column(String(40))
    decided_us: Mapped[int] = mapped_column(BigInteger)


collections_table = cast(Table, CollectionRow.__table__)
objects_table = cast(Table, ObjectVersionRow.__table__)
status_table = cast(Table, StatusRow.__table__)
audit_table = cast(Table, AuditRow.__table__)
