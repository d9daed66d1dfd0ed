"""The services' tables: the offer box (``offers``, :mod:`govchain.services.offerbox`) and the
sealed objection texts (``objection_envelopes``, :mod:`govchain.node.objections`).

Before this revision the two routers created their tables themselves (``create_all`` when the
node started), so a store at 0001 may hold ``offers`` and ``objection_texts`` already, with rows:
each is created only if it is missing, and an existing one is left as it is, rows included (same
columns: the code that created it is the code this revision replaces). ``objection_texts`` held
the texts in the clear; it is kept read-only (the node serves its rows, sealed to the reader,
and never writes it again: new texts arrive sealed, in ``objection_envelopes``). Its rows cannot
be encrypted here (the readers' keys are on chain, not in the store); the operator deletes them
once the citizens have sent their reasons again, sealed.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "offers" not in existing:
        op.create_table(
            "offers",
            sa.Column("offer_id", sa.String(66), primary_key=True),
            sa.Column("service_id", sa.String(66), nullable=False),
            sa.Column("citizen", sa.String(42), nullable=False),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.Column("expires_at", sa.BigInteger(), nullable=False),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("sealed", sa.LargeBinary(), nullable=False),
            sa.Column("documents_hash", sa.String(66), nullable=False),
            sa.Column("step_deadline", sa.BigInteger(), nullable=False),
            sa.Column("acceptance", sa.Text(), nullable=True),
            sa.Column("case_id", sa.String(66), nullable=True),
            sa.Column("reason", sa.Text(), nullable=True),
            sa.UniqueConstraint("service_id", "citizen", name="uq_offers_service_citizen"),
        )
        op.create_index("ix_offers_citizen", "offers", ["citizen"])
    if "objection_texts" not in existing:
        op.create_table(
            "objection_texts",
            sa.Column("objection_id", sa.LargeBinary(32), primary_key=True),
            sa.Column("kind", sa.String(10), primary_key=True),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("salt", sa.LargeBinary(32), nullable=False),
            sa.Column("commitment", sa.LargeBinary(32), nullable=False),
            sa.Column("poster", sa.String(42), nullable=False),
            sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        )
    if "objection_envelopes" not in existing:
        op.create_table(
            "objection_envelopes",
            sa.Column("objection_id", sa.LargeBinary(32), primary_key=True),
            sa.Column("kind", sa.String(10), primary_key=True),
            sa.Column("recipient", sa.String(42), primary_key=True),
            sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
            sa.Column("commitment", sa.LargeBinary(32), nullable=False),
            sa.Column("poster", sa.String(42), nullable=False),
            sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("objection_envelopes")
    op.drop_table("objection_texts")
    op.drop_index("ix_offers_citizen", "offers")
    op.drop_table("offers")
