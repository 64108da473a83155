"""outbox.sent_message_id: the Telegram message a sent row became, so it can be edited

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ALTER TABLE, never batch mode (see 0002).


def upgrade() -> None:
    op.add_column("outbox", sa.Column("sent_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "sent_message_id")
