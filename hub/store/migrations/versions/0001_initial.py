"""Initial schema: collections, object versions, status resources, audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "taxii_collections",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("last_date_added", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_taxii_collections"),
    )
    op.create_table(
        "taxii_objects",
        sa.Column("pk", RowId, autoincrement=True, nullable=False),
        sa.Column("collection_id", sa.String(36), nullable=False),
        sa.Column("object_id", sa.String(300), nullable=False),
        sa.Column("object_type", sa.String(250), nullable=False),
        sa.Column("spec_version", sa.String(16), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("version_us", sa.BigInteger(), nullable=False),
        sa.Column("date_added", sa.BigInteger(), nullable=False),
        sa.Column("is_first", sa.Boolean(), nullable=False),
        sa.Column("is_last", sa.Boolean(), nullable=False),
        sa.Column("tlp", sa.SmallInteger(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_taxii_objects"),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["taxii_collections.id"],
            name="fk_taxii_objects_collection_id_taxii_collections",
        ),
        sa.UniqueConstraint(
            "collection_id", "date_added", name="uq_taxii_objects_collection_id_date_added"
        ),
        sa.UniqueConstraint(
            "collection_id",
            "object_id",
            "version_us",
            name="uq_taxii_objects_collection_id_object_id_version_us",
        ),
    )
    op.create_index(
        "ix_taxii_objects_collection_id_object_type_date_added",
        "taxii_objects",
        ["collection_id", "object_type", "date_added"],
    )
    op.create_table(
        "taxii_status",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("collection_id", sa.String(36), nullable=False),
        sa.Column("partner", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("success_count", sa.Integer(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column("posted", sa.Text(), nullable=False),
        sa.Column("successes", sa.Text(), nullable=False),
        sa.Column("failures", sa.Text(), nullable=False),
        sa.Column("completed", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_taxii_status"),
    )
    op.create_table(
        "audit_trail",
        sa.Column("pk", RowId, autoincrement=True, nullable=False),
        sa.Column("object_id", sa.String(300), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("audience", sa.String(200), nullable=False),
        sa.Column("partner", sa.String(128), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("decided_at", sa.String(40), nullable=False),
        sa.Column("decided_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_audit_trail"),
        sa.UniqueConstraint(
            "object_id",
            "version",
            "audience",
            "partner",
            "rule",
            name="uq_audit_trail_object_id_version_audience_partner_rule",
        ),
    )
    op.create_index("ix_audit_trail_object_id", "audit_trail", ["object_id"])
    op.create_index("ix_audit_trail_audience_decided_us", "audit_trail", ["audience", "decided_us"])


def downgrade() -> None:
    op.drop_table("audit_trail")
    op.drop_table("taxii_status")
    op.drop_index("ix_taxii_objects_collection_id_object_type_date_added", "taxii_objects")
    op.drop_table("taxii_objects")
    op.drop_table("taxii_collections")
