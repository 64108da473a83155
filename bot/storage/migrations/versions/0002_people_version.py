"""people.version: optimistic concurrency for turns

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, never batch mode: on SQLite a batch rebuild drops `people`, and with
# foreign keys on, ON DELETE CASCADE would take every conversation with it.


def upgrade() -> None:
    op.add_column("people", sa.Column("version", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade() -> None:
    op.drop_column("people", "version")  # SQLite 3.35+ drops a column in place
