"""Check-ins running: the reminders switch, following up unanswered check-ins, reminders
that expire with their season, and the seasonal reminders' progress

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ALTER TABLE, never batch mode (see 0002).


def upgrade() -> None:
    op.add_column("people", sa.Column("reminders", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.add_column("checkin_plans", sa.Column("follow_at", sa.DateTime(timezone=True),
                                             nullable=True))
    op.add_column("checkin_plans", sa.Column("not_reached_at", sa.DateTime(timezone=True),
                                             nullable=True))
    op.add_column("checkin_plans", sa.Column("pseudonym", sa.String(length=8), nullable=True))
    op.create_index("ix_checkin_plans_follow_at", "checkin_plans", ["follow_at"])
    # /checkins: who was not reached, and the figures of check-ins sent (in a turn).
    op.create_index("ix_checkin_plans_not_reached_at", "checkin_plans", ["not_reached_at"])
    op.create_index("ix_checkin_plans_kind_status_sent_at", "checkin_plans",
                    ["kind", "status", "sent_at"])
    # The tick orders by (due_at, id): with id in the index PostgreSQL reads only the
    # batch, not every row of a 10:00 burst (bench/checkins.py: 86 ms -> under 1 ms at 1M).
    op.drop_index("ix_checkin_plans_status_due_at", table_name="checkin_plans")
    op.create_index("ix_checkin_plans_status_due_at_id", "checkin_plans",
                    ["status", "due_at", "id"])
    op.add_column("outbox", sa.Column("not_after", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "seasonal_runs",
        sa.Column("entry", sa.String(length=24), nullable=False),
        sa.Column("season", sa.String(length=8), nullable=False),
        sa.Column("next_person_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("entry", "season", name=op.f("pk_seasonal_runs")),
    )


def downgrade() -> None:
    op.drop_table("seasonal_runs")
    op.drop_column("outbox", "sending_at")
    op.drop_column("outbox", "not_after")
    op.drop_index("ix_checkin_plans_status_due_at_id", table_name="checkin_plans")
    op.create_index("ix_checkin_plans_status_due_at", "checkin_plans", ["status", "due_at"])
    op.drop_index("ix_checkin_plans_kind_status_sent_at", table_name="checkin_plans")
    op.drop_index("ix_checkin_plans_not_reached_at", table_name="checkin_plans")
    op.drop_index("ix_checkin_plans_follow_at", table_name="checkin_plans")
    op.drop_column("checkin_plans", "pseudonym")
    op.drop_column("checkin_plans", "not_reached_at")
    op.drop_column("checkin_plans", "follow_at")
    op.drop_column("people", "reminders")
