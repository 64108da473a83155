"""The check-in plan: a row per person and step (bot.domain.checkins), and how far each
season's reminder got through everyone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain import checkins as c
from bot.domain import handoff as h
from bot.storage.models import CheckinPlanRow, HandoffRow, PersonRow, SeasonalRunRow
from bot.storage.repositories import _rowcount, _utc

AREA_PATH = "checkin:"  # bot.services.checkin_areas.PATH_PREFIX (storage does not import services)
# A claimed row stays taken this long; claiming, rendering into the outbox and marking it
# sent happen in one transaction, so the lease only keeps two ticks apart.
LEASE_MINUTES = 2


def _entry(row: CheckinPlanRow) -> c.Entry:
    return c.Entry(row.id, row.person_id, row.step, c.Kind(row.kind), c.Status(row.status),
                   _utc(row.due_at) or row.due_at, _utc(row.sent_at), _utc(row.reminded_at),
                   _utc(row.answered_at), row.answer, row.area, _utc(row.follow_at),
                   _utc(row.not_reached_at), row.pseudonym)


def _entry_of(row: Any) -> c.Entry:
    """A plan row read as columns (no ORM object: a tick reads hundreds)."""
    return c.Entry(row.id, row.person_id, row.step, c.Kind(row.kind), c.Status(row.status),
                   _utc(row.due_at) or row.due_at, _utc(row.sent_at), _utc(row.reminded_at),
                   _utc(row.answered_at), row.answer, row.area, _utc(row.follow_at),
                   _utc(row.not_reached_at), row.pseudonym)


class SqlCheckins:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def of(self, person_id: int) -> list[c.Entry]:
        rows = await self._s.scalars(select(CheckinPlanRow).where(
            CheckinPlanRow.person_id == person_id).order_by(CheckinPlanRow.due_at))
        return [_entry(r) for r in rows]

    async def get(self, row_id: int) -> c.Entry | None:
        row = await self._s.get(CheckinPlanRow, row_id)
        return _entry(row) if row else None

    async def done_steps(self, person_id: int) -> frozenset[str]:
        """Steps sent or skipped: a re-plan never plans them again."""
        return frozenset(await self._s.scalars(select(CheckinPlanRow.step).where(
            CheckinPlanRow.person_id == person_id,
            CheckinPlanRow.status != c.Status.PLANNED.value)))

    async def replace_plan(self, person_id: int, planned: Sequence[c.Planned]) -> None:
        """What is still planned becomes `planned` (steps done stay as they were). A tick
        sends a row in the transaction that claims it (row locks on PostgreSQL, the single
        writer on SQLite), so a row is either still planned here or already done."""
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
        """Every due planned row of the people whose rows are due first (at most `limit`
        rows pick the people), taken for a lease: the indexed SELECT ... SKIP LOCKED
        picks the people, one UPDATE ... RETURNING takes all their due rows. A person's rows are
        taken together, so after downtime only one of them is sent even with several
        processes (two that reach for the same person meet on its row locks; PostgreSQL
        ends one of them, whose tick tries again). Never a job per person."""
        def due() -> list[Any]:
            return [CheckinPlanRow.status == c.Status.PLANNED.value,
                    CheckinPlanRow.due_at <= now,
                    or_(CheckinPlanRow.claimed_until.is_(None),
                        CheckinPlanRow.claimed_until < now)]

        people = sorted(set(await self._s.scalars(
            select(CheckinPlanRow.person_id).where(*due())
            .order_by(CheckinPlanRow.due_at, CheckinPlanRow.id).limit(limit)
            .with_for_update(skip_locked=True))))
        if not people:
            return []
        # Their rows by person (a handful each, through the person index), then taken by
        # primary key: a planner never walks the whole 10:00 burst on the due-time index.
        theirs = list(await self._s.scalars(select(CheckinPlanRow.id).where(
            CheckinPlanRow.person_id.in_(people))))
        table = cast(Table, CheckinPlanRow.__table__)
        rows = (await self._s.execute(
            update(table).where(table.c.id.in_(theirs), *due())
            .values(claimed_until=now + timedelta(minutes=LEASE_MINUTES))
            .returning(*table.c))).all()
        return sorted((_entry_of(row) for row in rows), key=lambda e: (e.due, e.id))

    async def unplanned(self, after_id: int, limit: int) -> list[int]:
        """People who answered the begeleiding question but have no plan at all (they
        onboarded before check-ins existed): ids above `after_id`, in order."""
        return list(await self._s.scalars(
            select(PersonRow.id).where(
                PersonRow.id > after_id, PersonRow.consented_at.is_not(None),
                PersonRow.begeleiding.is_not(None),
                ~exists().where(CheckinPlanRow.person_id == PersonRow.id))
            .order_by(PersonRow.id).limit(limit)))

    async def mark(self, row_id: int, status: c.Status, now: datetime,
                   follow_at: datetime | None = None) -> None:
        await self._s.execute(
            update(CheckinPlanRow).where(CheckinPlanRow.id == row_id)
            .values(status=status.value, claimed_until=None,
                    sent_at=now if status is c.Status.SENT else None, follow_at=follow_at)
            .execution_options(synchronize_session=False))

    # -- following up check-ins without an answer -------------------------------------------

    async def claim_follow(self, now: datetime, limit: int) -> list[c.Entry]:
        """Sent check-ins whose follow-up time has come (an indexed query)."""
        rows = await self._s.scalars(
            select(CheckinPlanRow).where(CheckinPlanRow.follow_at <= now)
            .order_by(CheckinPlanRow.follow_at, CheckinPlanRow.id).limit(limit)
            .with_for_update(skip_locked=True))
        return [_entry(r) for r in rows]

    async def reminded(self, row_id: int, now: datetime, follow_at: datetime) -> None:
        await self._s.execute(
            update(CheckinPlanRow).where(CheckinPlanRow.id == row_id)
            .values(reminded_at=now, follow_at=follow_at)
            .execution_options(synchronize_session=False))

    async def not_reached(self, row_id: int, now: datetime, pseudonym: str) -> None:
        """Counted as not reached, under the code name they had before if any (one person
        is one line, one name, on the coordinators' list)."""
        row = await self._s.get(CheckinPlanRow, row_id)
        if row is None:
            return
        earlier = await self._s.scalar(
            select(CheckinPlanRow.pseudonym).where(
                CheckinPlanRow.person_id == row.person_id,
                CheckinPlanRow.pseudonym.is_not(None)).limit(1))
        await self._s.execute(
            update(CheckinPlanRow).where(CheckinPlanRow.id == row_id)
            .values(not_reached_at=now, follow_at=None, pseudonym=earlier or pseudonym)
            .execution_options(synchronize_session=False))

    async def stop_following(self, row_id: int) -> None:
        """Nothing more to look at (they are unreachable, or the row was answered)."""
        await self._s.execute(
            update(CheckinPlanRow).where(CheckinPlanRow.id == row_id).values(follow_at=None)
            .execution_options(synchronize_session=False))

    async def answer(self, row_id: int, person_id: int, answer: c.Answer, now: datetime,
                     area: c.Area | None = None) -> bool:
        """Record an answer to a sent check-in of this person; False when it is not theirs
        or not a sent check-in (a forged or very old button)."""
        values: dict[str, object] = {"answer": answer.value, "follow_at": None,
                                     "not_reached_at": None}
        if area is not None:
            values["area"] = area.value
        result = await self._s.execute(
            update(CheckinPlanRow).where(
                CheckinPlanRow.id == row_id, CheckinPlanRow.person_id == person_id,
                CheckinPlanRow.status == c.Status.SENT.value,
                CheckinPlanRow.kind == c.Kind.CHECKIN.value)
            .values(answered_at=func.coalesce(CheckinPlanRow.answered_at, now), **values)
            .execution_options(synchronize_session=False))
        return _rowcount(result) == 1

    # -- for coordinators -----------------------------------------------------------------

    async def not_reached_in(self, municipality: str, limit: int) -> list[c.NotReached]:
        """People of a municipality a check-in did not reach, longest silent first. Someone
        who blocked the bot is unreachable, not "not reached"; an answer since, or a message
        to the bot after it, takes them off the list."""
        newer = aliased(CheckinPlanRow)
        rows = (await self._s.execute(
            select(CheckinPlanRow.id, CheckinPlanRow.person_id, CheckinPlanRow.pseudonym,
                   PersonRow.language, PersonRow.last_seen_at,
                   CheckinPlanRow.not_reached_at)
            .join(PersonRow, PersonRow.id == CheckinPlanRow.person_id)
            .where(CheckinPlanRow.not_reached_at.is_not(None),
                   CheckinPlanRow.answered_at.is_(None),
                   PersonRow.municipality == municipality,
                   PersonRow.unreachable_since.is_(None),
                   PersonRow.last_seen_at < CheckinPlanRow.sent_at,
                   ~exists().where(HandoffRow.newcomer_id == PersonRow.id,
                                   HandoffRow.status.in_([s.value for s in h.OPEN])),
                   # One line per person: their latest check-in that did not reach them.
                   ~exists().where(newer.person_id == CheckinPlanRow.person_id,
                                   newer.not_reached_at > CheckinPlanRow.not_reached_at))
            .order_by(PersonRow.last_seen_at, CheckinPlanRow.id).limit(limit))).all()
        return [c.NotReached(row_id, person_id, pseudonym or "", language,
                             _utc(seen) or seen, _utc(since) or seen)
                for row_id, person_id, pseudonym, language, seen, since in rows]

    async def figures(self, municipality: str, since: datetime,
                      questions_since: datetime) -> c.Figures:
        """Check-ins sent since `since` to people of a municipality, counted; and how the
        questions opened from check-ins since `questions_since` ended, per area (the area
        is kept with a question's other content, for 90 days after it ends)."""
        mine = and_(PersonRow.id == CheckinPlanRow.person_id,
                    PersonRow.municipality == municipality,
                    CheckinPlanRow.kind == c.Kind.CHECKIN.value,
                    CheckinPlanRow.status == c.Status.SENT.value,
                    CheckinPlanRow.sent_at >= since)
        base = select(func.count()).select_from(CheckinPlanRow).join(PersonRow, mine)
        sent = await self._s.scalar(base) or 0
        not_reached = await self._s.scalar(base.where(
            CheckinPlanRow.not_reached_at.is_not(None))) or 0
        answered = dict((await self._s.execute(
            select(CheckinPlanRow.answer, func.count()).join(PersonRow, mine)
            .where(CheckinPlanRow.answer.is_not(None))
            .group_by(CheckinPlanRow.answer))).all())
        areas = dict((await self._s.execute(
            select(CheckinPlanRow.area, func.count()).join(PersonRow, mine)
            .where(CheckinPlanRow.area.is_not(None))
            .group_by(CheckinPlanRow.area))).all())
        outcomes: dict[str, dict[str, int]] = {}
        for path, result, count in (await self._s.execute(
                select(HandoffRow.path, HandoffRow.result, func.count())
                .where(HandoffRow.municipality == municipality,
                       HandoffRow.source == h.Source.CHECKIN.value,
                       HandoffRow.created_at >= questions_since,
                       HandoffRow.path.startswith(AREA_PATH, autoescape=True))
                .group_by(HandoffRow.path, HandoffRow.result))).all():
            area = str(path).removeprefix(AREA_PATH) or "none"
            outcomes.setdefault(area, {})[result or "open"] = count
        return c.Figures(sent, {str(k): v for k, v in answered.items()},
                         {str(k): v for k, v in areas.items()}, not_reached, outcomes)


class SqlSeasons:
    """Each season's reminder goes to everyone in batches; the cursor (people.id) is kept
    so a restart goes on where it was, and the outbox key keeps it to once per person."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def cursor(self, entry: str, season: str) -> int | None:
        """Where this season's run is: the next person id, or None when it is done."""
        dialect = self._s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # Two processes may start the same season: the row is written once, then locked.
        await self._s.execute(insert(SeasonalRunRow).values(
            entry=entry, season=season, next_person_id=0).on_conflict_do_nothing())
        row = (await self._s.execute(
            select(SeasonalRunRow.next_person_id, SeasonalRunRow.done_at).where(
                SeasonalRunRow.entry == entry, SeasonalRunRow.season == season)
            .with_for_update())).one()
        return None if row.done_at is not None else row.next_person_id

    async def advance(self, entry: str, season: str, next_person_id: int,
                      done_at: datetime | None) -> None:
        await self._s.execute(
            update(SeasonalRunRow).where(SeasonalRunRow.entry == entry,
                                         SeasonalRunRow.season == season)
            .values(next_person_id=next_person_id, done_at=done_at)
            .execution_options(synchronize_session=False))

    async def recipients(self, after_id: int, limit: int,
                         joined_before: datetime) -> list[tuple[int, str | None]]:
        """People who keep reminders on: onboarded newcomers, not paused, reachable, and
        with Wegwijs when the season's reminder was due."""
        rows = await self._s.execute(
            select(PersonRow.id, PersonRow.language).where(
                PersonRow.id > after_id, PersonRow.reminders.is_(True),
                PersonRow.created_at < joined_before,
                PersonRow.paused.is_(False), PersonRow.unreachable_since.is_(None),
                PersonRow.consented_at.is_not(None), PersonRow.begeleiding.is_not(None),
                PersonRow.municipality.is_not(None), PersonRow.language.is_not(None))
            .order_by(PersonRow.id).limit(limit))
        return [(person_id, language) for person_id, language in rows.all()]

    async def forget(self, before: str) -> int:
        """Runs of seasons that started before `before` ("2026-01"): kept only to know a
        season was done."""
        result = await self._s.execute(delete(SeasonalRunRow).where(
            SeasonalRunRow.season < before))
        return _rowcount(result)
