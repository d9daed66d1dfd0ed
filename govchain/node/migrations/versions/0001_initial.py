"""The store as the first released node wrote it: records, batches, outbox, nonces, serve log.

A store made before migrations existed (no ``alembic_version`` table) has exactly this schema;
it is stamped with this revision and upgraded from there.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("category", sa.LargeBinary(32), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("leaf_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.UniqueConstraint("category", "root"),
    )
    op.create_index("ix_batches_state", "batches", ["state"])
    op.create_table(
        "records",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("category", sa.LargeBinary(32), nullable=False),
        sa.Column("record_id", sa.LargeBinary(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(42), nullable=True),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("salt", sa.LargeBinary(32), nullable=False),
        sa.Column("content_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("anchored", sa.Boolean(), nullable=False),
        sa.Column("anchor_kind", sa.String(10), nullable=False),
        sa.Column("anchor_tx", sa.String(66), nullable=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("batches.id"), nullable=True),
        sa.Column("leaf_index", sa.Integer(), nullable=True),
        sa.UniqueConstraint("category", "record_id", "version"),
    )
    for column in ("category", "record_id", "subject", "anchored"):
        op.create_index(f"ix_records_{column}", "records", [column])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("record_pk", sa.Integer(), sa.ForeignKey("records.id"), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("done_at", _TZ, nullable=True),
        sa.UniqueConstraint("record_pk"),
    )
    op.create_index("ix_outbox_state", "outbox", ["state"])
    op.create_table(
        "used_nonces",
        sa.Column("signer", sa.String(42), primary_key=True),
        sa.Column("nonce", sa.String(78), primary_key=True),
        sa.Column("used_at", _TZ, nullable=False),
    )
    op.create_table(
        "serve_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("served_at", _TZ, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("requester", sa.String(42), nullable=False),
        sa.Column("department", sa.LargeBinary(32), nullable=True),
        sa.Column("grant_id", sa.LargeBinary(32), nullable=True),
        sa.Column("access_tx", sa.String(66), nullable=True),
        sa.Column("request_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("category", sa.LargeBinary(32), nullable=False),
        sa.Column("record_id", sa.LargeBinary(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(42), nullable=True),
        sa.Column("content_hash", sa.LargeBinary(32), nullable=False),
        sa.UniqueConstraint("request_hash"),
    )
    op.create_index("ix_serve_log_requester", "serve_log", ["requester"])
    op.create_index("ix_serve_log_subject", "serve_log", ["subject"])


def downgrade() -> None:
    for table in ("serve_log", "used_nonces", "outbox", "records", "batches"):
        op.drop_table(table)
