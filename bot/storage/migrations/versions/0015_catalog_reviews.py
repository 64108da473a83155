"""Reviewing translations (issue 12): sleutelpersonen's votes on catalog texts, and the
language leads coordinators appoint

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_review_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("entry_key", sa.String(length=16), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("msgid", sa.Text(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("judged", sa.Text(), nullable=False),
        sa.Column("proposed", sa.Text(), nullable=True),
        sa.Column("by_lead", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_review_votes")),
        sa.UniqueConstraint("language", "entry_key", "telegram_id",
                            name=op.f("uq_catalog_review_votes_language")),
    )
    op.create_index(op.f("ix_catalog_review_votes_telegram_id"), "catalog_review_votes",
                    ["telegram_id"])
    op.create_index(op.f("ix_catalog_review_votes_voted_at"), "catalog_review_votes",
                    ["voted_at"])
    op.create_index("ix_catalog_review_votes_language_applied_at", "catalog_review_votes",
                    ["language", "applied_at"])
    op.create_table(
        "catalog_language_leads",
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("appointed_by", sa.BigInteger(), nullable=True),
        sa.Column("appointed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id", "language",
                                name=op.f("pk_catalog_language_leads")),
    )


def downgrade() -> None:
    op.drop_table("catalog_language_leads")
    op.drop_index("ix_catalog_review_votes_language_applied_at",
                  table_name="catalog_review_votes")
    op.drop_index(op.f("ix_catalog_review_votes_voted_at"), table_name="catalog_review_votes")
    op.drop_index(op.f("ix_catalog_review_votes_telegram_id"),
                  table_name="catalog_review_votes")
    op.drop_table("catalog_review_votes")
