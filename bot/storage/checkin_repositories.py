"""The check-in plan: a row per person and step (bot.domain.checkins)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import checkins as c
from bot.storage.models import CheckinPlanRow
from bot.storage.repositories import _utc

# A claimed row whose process died is taken again after this (as the outbox's lease).
LEASE_MINUTES = 2


def _entry(row: CheckinPlanRow) -> c.Entry:
    return c.Entry(row.id, row.person_id, row.step, c.Kind(row.kind), c.Status(row.status),
                   _utc(row.due_at) or row.due_at, _utc(row.sent_at), _utc(row.reminded_at),
                   _utc(row.answered_at), row.answer, row.area)


class SqlCheckins:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def of(self, person_id: int) -> list[c.Entry]:
        rows = await self._s.scalars(select(CheckinPlanRow).where(
            CheckinPlanRow.person_id == person_id).order_by(CheckinPlanRow.due_at))
        return [_entry(r) for r in rows]

    async def done_steps(self, person_id: int) -> frozenset[str]:
        """Steps sent or skipped: a re-plan never plans them again."""
        return frozenset(await self._s.scalars(select(CheckinPlanRow.step).where(
            CheckinPlanRow.person_id == person_id,
            CheckinPlanRow.status != c.Status.PLANNED.value)))

    async def replace_plan(self, person_id: int, planned: Sequence[c.Planned]) -> None:
        """What is still planned becomes `planned` (steps done stay as they were)."""
        await self._s.execute(delete(CheckinPlanRow).where(
            CheckinPlanRow.person_id == person_id,
            CheckinPlanRow.status == c.Status.PLANNED.value))
        done = await self.done_steps(person_id)
        self._s.add_all(CheckinPlanRow(person_id=person_id, step=p.step.id,
                                       kind=p.step.kind.value, status=c.Status.PLANNED.value,
                                       due_at=p.due)
                        for p in planned if p.step.id not in done)
        await self._s.flush()

    async def claim_due(self, now: datetime, limit: int) -> list[c.Entry]:
        """Planned rows due now, oldest first, taken for a lease; on PostgreSQL rows another
        process is claiming are skipped. One indexed query: never a job per person."""
        rows = list(await self._s.scalars(
            select(CheckinPlanRow).where(
                CheckinPlanRow.status == c.Status.PLANNED.value, CheckinPlanRow.due_at <= now,
                or_(CheckinPlanRow.claimed_until.is_(None),
                    CheckinPlanRow.claimed_until < now))
            .order_by(CheckinPlanRow.due_at, CheckinPlanRow.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if rows:
            await self._s.execute(
                update(CheckinPlanRow).where(CheckinPlanRow.id.in_([r.id for r in rows]))
                .values(claimed_until=now + timedelta(minutes=LEASE_MINUTES))
                .execution_options(synchronize_session=False))
        return [_entry(r) for r in rows]

    async def mark(self, row_id: int, status: c.Status, now: datetime) -> None:
        await self._s.execute(
            update(CheckinPlanRow).where(CheckinPlanRow.id == row_id)
            .values(status=status.value, claimed_until=None,
                    sent_at=now if status is c.Status.SENT else None)
            .execution_options(synchronize_session=False))
