"""Broadcasts running (issue 10): urgent outbox rows that go in quiet hours, a photo or
document with a broadcast, and what the coordinator's status message shows

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ALTER TABLE, never batch mode (see 0002).


def upgrade() -> None:
    op.add_column("outbox", sa.Column("urgent", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.add_column("broadcasts", sa.Column("media_kind", sa.String(length=12), nullable=True))
    op.add_column("broadcasts", sa.Column("media_chat_id", sa.BigInteger(), nullable=True))
    op.add_column("broadcasts", sa.Column("media_message_id", sa.BigInteger(), nullable=True))
    op.add_column("broadcasts", sa.Column("written_all", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.add_column("broadcasts", sa.Column("started_at", sa.DateTime(timezone=True),
                                          nullable=True))
    op.add_column("broadcasts", sa.Column("status_edited_at", sa.DateTime(timezone=True),
                                          nullable=True))
    op.add_column("broadcasts", sa.Column("status_shown", sa.String(length=80), nullable=False,
                                          server_default=""))
    op.add_column("broadcasts", sa.Column("status_edits", sa.Integer(), nullable=False,
                                          server_default="0"))
    op.add_column("broadcasts", sa.Column("counts", sa.String(length=80), nullable=False,
                                          server_default=""))


def downgrade() -> None:
    for column in ("counts", "status_edits", "status_shown", "status_edited_at", "started_at",
                   "written_all", "media_message_id", "media_chat_id", "media_kind"):
        op.drop_column("broadcasts", column)
    op.drop_column("outbox", "urgent")
