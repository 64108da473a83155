"""Broadcasts (issue 10, groundwork): a broadcast and its versions per language, the
announcements switch, and which broadcast an outbox row belongs to

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New tables, and plain ALTER TABLE ADD COLUMN (see 0002): no batch mode. SQLite cannot add
# a foreign key to an existing table, so outbox.broadcast_id is a plain indexed column.


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=40), nullable=False),
        sa.Column("author_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("source_language", sa.String(length=8), nullable=False),
        sa.Column("languages", sa.String(length=40), nullable=False, server_default=""),
        sa.Column("begeleiding", sa.String(length=12), nullable=False, server_default="any"),
        sa.Column("sleutelpersonen_only", sa.Boolean(), nullable=False,
                  server_default=sa.false()),
        sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_person_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("status_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("status_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index(op.f("ix_broadcasts_municipality"), "broadcasts", ["municipality"])
    op.create_index("ix_broadcasts_state", "broadcasts", ["state"])
    op.create_table(
        "broadcast_versions",
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("fallback", sa.String(length=8), nullable=False, server_default="wait"),
        sa.Column("author_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("reviewer_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"],
                                name=op.f("fk_broadcast_versions_broadcast_id_broadcasts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("broadcast_id", "language", name=op.f("pk_broadcast_versions")),
    )
    op.add_column("people", sa.Column("announcements", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.add_column("outbox", sa.Column("broadcast_id", sa.Integer(), nullable=True))
    op.create_index("ix_outbox_broadcast_id_status", "outbox", ["broadcast_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_broadcast_id_status", table_name="outbox")
    op.drop_column("outbox", "broadcast_id")
    op.drop_column("people", "announcements")
    op.drop_table("broadcast_versions")
    op.drop_index("ix_broadcasts_state", table_name="broadcasts")
    op.drop_index(op.f("ix_broadcasts_municipality"), table_name="broadcasts")
    op.drop_table("broadcasts")
