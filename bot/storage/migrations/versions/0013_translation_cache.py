"""Machine translation (issue 12): translations of shared texts, by model; the text of a
newcomer's message until it is copied to the one who takes the question

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "translation_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_translation_cache")),
    )
    op.create_index(op.f("ix_translation_cache_used_at"), "translation_cache", ["used_at"])
    op.add_column("relay_messages", sa.Column("waiting_text", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("relay_messages", "waiting_text")  # in place: a batch rebuild would cascade
    op.drop_index(op.f("ix_translation_cache_used_at"), table_name="translation_cache")
    op.drop_table("translation_cache")
