"""handoffs, relay_messages and helper_state: questions to sleutelpersonen and the relay

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New tables only: plain CREATE TABLE, never a batch rebuild of an existing table.


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("municipality", sa.String(length=40), nullable=False),
        sa.Column("pseudonym", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("first_media", sa.String(length=12), nullable=False),
        sa.Column("helper_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=12), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("asked", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("wake_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("private_media_ok", sa.Boolean(), nullable=False),
        sa.Column("shared_name", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["newcomer_id"], ["people.id"],
                                name=op.f("fk_handoffs_newcomer_id_people"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    op.create_index(op.f("ix_handoffs_newcomer_id"), "handoffs", ["newcomer_id"])
    op.create_index(op.f("ix_handoffs_municipality"), "handoffs", ["municipality"])
    op.create_index(op.f("ix_handoffs_helper_id"), "handoffs", ["helper_id"])
    op.create_index("ix_handoffs_status_wake_at", "handoffs", ["status", "wake_at"])
    op.create_table(
        "relay_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("media", sa.String(length=12), nullable=False),
        sa.Column("source_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("source_message_id", sa.BigInteger(), nullable=False),
        sa.Column("copy_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("copy_message_id", sa.BigInteger(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"],
                                name=op.f("fk_relay_messages_handoff_id_handoffs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_messages")),
    )
    op.create_index(op.f("ix_relay_messages_handoff_id"), "relay_messages", ["handoff_id"])
    op.create_index(op.f("ix_relay_messages_outbox_id"), "relay_messages", ["outbox_id"])
    op.create_index("ix_relay_messages_source", "relay_messages",
                    ["source_chat_id", "source_message_id"])
    op.create_index("ix_relay_messages_copy", "relay_messages",
                    ["copy_chat_id", "copy_message_id"])
    op.create_table(
        "helper_state",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("focus_id", sa.Integer(), nullable=True),
        sa.Column("header_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["focus_id"], ["handoffs.id"],
                                name=op.f("fk_helper_state_focus_id_handoffs"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["header_id"], ["handoffs.id"],
                                name=op.f("fk_helper_state_header_id_handoffs"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_helper_state")),
    )


def downgrade() -> None:
    op.drop_table("helper_state")
    op.drop_table("relay_messages")
    op.drop_table("handoffs")
