"""people.staff_consented_at: agreeing to an invitation is not the newcomer consent

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, never batch mode: a batch rebuild of `people` on SQLite would cascade
# away every row that references it (see 0002).


def upgrade() -> None:
    op.add_column("people", sa.Column("staff_consented_at", sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    op.drop_column("people", "staff_consented_at")
