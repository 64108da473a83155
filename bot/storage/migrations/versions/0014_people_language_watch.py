"""Asking once whether to switch language (issue 12): messages in another language, counted

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("people", sa.Column("language_watch", sa.String(length=120), nullable=False,
                                      server_default=""))


def downgrade() -> None:
    op.drop_column("people", "language_watch")  # in place: a batch rebuild would cascade
