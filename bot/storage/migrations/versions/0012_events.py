"""Local events (issue 11): events from files, feeds and coordinators, their occurrences,
who said they will go (with the reminder and follow-up), and how each feed fared

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("feed", sa.String(length=24), nullable=False, server_default=""),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("drafts", sa.String(length=40), nullable=False, server_default=""),
        sa.Column("languages", sa.String(length=40), nullable=False, server_default=""),
        sa.Column("venue_name", sa.String(length=200), nullable=True),
        sa.Column("venue_address", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("organiser", sa.String(length=24), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("municipality", "source", "feed", "uid",
                            name=op.f("uq_events_municipality")),
    )
    op.create_index("ix_events_municipality_source_feed", "events",
                    ["municipality", "source", "feed"])
    op.create_table(
        "event_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=24), nullable=False),
        sa.Column("municipality", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("spans", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE",
                                name=op.f("fk_event_occurrences_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_occurrences")),
        sa.UniqueConstraint("event_id", "key", name=op.f("uq_event_occurrences_event_id")),
    )
    op.create_index("ix_event_occurrences_municipality_starts_at", "event_occurrences",
                    ["municipality", "starts_at"])
    op.create_index("ix_event_occurrences_event_id_starts_at", "event_occurrences",
                    ["event_id", "starts_at"])
    op.create_index("ix_event_occurrences_municipality_spans_starts_at", "event_occurrences",
                    ["municipality", "spans", "starts_at"])
    op.create_table(
        "event_rsvps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["occurrence_id"], ["event_occurrences.id"],
                                ondelete="CASCADE",
                                name=op.f("fk_event_rsvps_occurrence_id_event_occurrences")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE",
                                name=op.f("fk_event_rsvps_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_rsvps")),
        sa.UniqueConstraint("occurrence_id", "person_id",
                            name=op.f("uq_event_rsvps_occurrence_id")),
    )
    op.create_index("ix_event_rsvps_person_id", "event_rsvps", ["person_id"])
    op.create_index("ix_event_rsvps_reminder_at", "event_rsvps", ["reminder_at"])
    op.create_index("ix_event_rsvps_follow_up_at", "event_rsvps", ["follow_up_at"])
    op.create_table(
        "event_feeds",
        sa.Column("municipality", sa.String(length=40), nullable=False),
        sa.Column("feed", sa.String(length=24), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("municipality", "feed", name=op.f("pk_event_feeds")),
    )
    op.create_table(
        "event_subscriptions",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE",
                                name=op.f("fk_event_subscriptions_person_id_people")),
        sa.PrimaryKeyConstraint("person_id", "category", name=op.f("pk_event_subscriptions")),
    )
    op.create_table(
        "event_digest_runs",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("next_person_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_event_digest_runs")),
    )


def downgrade() -> None:
    op.drop_table("event_digest_runs")
    op.drop_table("event_subscriptions")
    op.drop_table("event_feeds")
    op.drop_table("event_rsvps")
    op.drop_table("event_occurrences")
    op.drop_table("events")
