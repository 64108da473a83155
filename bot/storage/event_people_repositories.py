"""Who goes to which date of an event, their reminders, follow-ups and feedback, what
coordinators count, and the Monday digest's subscriptions (bot.domain.events)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.domain import events as ev
from bot.storage import event_rows as er
from bot.storage.models import (
    EventDigestRunRow,
    EventOccurrenceRow,
    EventRow,
    EventRsvpRow,
    EventSubscriptionRow,
)
from bot.storage.repositories import _rowcount


class SqlEventPeople:
    _s: AsyncSession

    async def attendance(self, occurrence_id: int) -> ev.Attendance:
        rows = (await self._s.scalars(select(EventRsvpRow).where(
            EventRsvpRow.occurrence_id == occurrence_id,
            EventRsvpRow.state != ev.RsvpState.CANCELLED.value)
            .order_by(EventRsvpRow.created_at, EventRsvpRow.id))).all()
        return ev.Attendance(
            tuple(r.person_id for r in rows if r.state == ev.RsvpState.GOING.value),
            tuple(r.person_id for r in rows if r.state == ev.RsvpState.WAITING.value))

    async def rsvp_of(self, occurrence_id: int, person_id: int) -> ev.Rsvp | None:
        row = (await self._s.scalars(select(EventRsvpRow).where(
            EventRsvpRow.occurrence_id == occurrence_id,
            EventRsvpRow.person_id == person_id))).first()
        return er.rsvp_of(row) if row else None

    async def get_rsvp(self, rsvp_id: int) -> ev.Rsvp | None:
        row = await self._s.get(EventRsvpRow, rsvp_id)
        return er.rsvp_of(row) if row else None

    async def going_among(self, person_id: int, occurrence_ids: Sequence[int]) -> set[int]:
        """Which of these dates the person said they will go to (a list's ✅)."""
        if not occurrence_ids:
            return set()
        return set((await self._s.scalars(select(EventRsvpRow.occurrence_id).where(
            EventRsvpRow.person_id == person_id,
            EventRsvpRow.occurrence_id.in_(list(occurrence_ids)),
            EventRsvpRow.state == ev.RsvpState.GOING.value))).all())

    async def of_person(self, person_id: int) -> list[tuple[ev.Rsvp, ev.Occurrence]]:
        found = (await self._s.execute(
            select(EventRsvpRow, EventOccurrenceRow, EventRow)
            .join(EventOccurrenceRow, EventOccurrenceRow.id == EventRsvpRow.occurrence_id)
            .join(EventRow, EventRow.id == EventOccurrenceRow.event_id)
            .where(EventRsvpRow.person_id == person_id)
            .order_by(EventOccurrenceRow.starts_at))).all()
        return [(er.rsvp_of(r), er.occurrence_of(o, er.event_of(e))) for r, o, e in found]

    # -- who goes ------------------------------------------------------------------------

    async def put_rsvp(self, occurrence_id: int, person_id: int, state: ev.RsvpState,
                       now: datetime, reminder_at: datetime | None,
                       follow_up_at: datetime | None) -> int:
        """Say someone goes or waits (again): a new place in the order, a new reminder."""
        row = (await self._s.scalars(select(EventRsvpRow).where(
            EventRsvpRow.occurrence_id == occurrence_id,
            EventRsvpRow.person_id == person_id))).first()
        if row is None:
            row = EventRsvpRow(occurrence_id=occurrence_id, person_id=person_id)
            self._s.add(row)
        row.state, row.created_at = state.value, now
        row.reminder_at, row.follow_up_at = reminder_at, follow_up_at
        await self._s.flush()
        return row.id

    async def set_state(self, occurrence_id: int, person_id: int, state: ev.RsvpState,
                        reminder_at: datetime | None = None,
                        follow_up_at: datetime | None = None) -> None:
        """Cancelled, or moved up from the waiting list (keeps their place in the order)."""
        values: dict[str, object] = {"state": state.value}
        if state is ev.RsvpState.GOING:
            values |= {"reminder_at": reminder_at, "follow_up_at": follow_up_at}
        await self._s.execute(update(EventRsvpRow).where(
            EventRsvpRow.occurrence_id == occurrence_id,
            EventRsvpRow.person_id == person_id).values(**values))

    async def replan(self, occurrence_id: int, reminder_at: datetime | None,
                     follow_up_at: datetime) -> list[ev.Rsvp]:
        """A date moved: the reminders and follow-ups not sent yet follow it. Returns the
        people going (to be told)."""
        going = (EventRsvpRow.occurrence_id == occurrence_id,
                 EventRsvpRow.state == ev.RsvpState.GOING.value)
        await self._s.execute(update(EventRsvpRow).where(
            *going, EventRsvpRow.reminded_at.is_(None)).values(reminder_at=reminder_at))
        await self._s.execute(update(EventRsvpRow).where(
            *going, EventRsvpRow.followed_at.is_(None)).values(follow_up_at=follow_up_at))
        return [er.rsvp_of(r) for r in (await self._s.scalars(select(EventRsvpRow).where(
            *going).order_by(EventRsvpRow.id))).all()]

    async def claim_reminders(self, now: datetime, limit: int
                              ) -> list[tuple[ev.Rsvp, ev.Occurrence]]:
        """Reminders due, marked sent in this transaction (at most once)."""
        return await self._claim(EventRsvpRow.reminder_at, EventRsvpRow.reminded_at, now,
                                 limit)

    async def claim_follow_ups(self, now: datetime, limit: int
                               ) -> list[tuple[ev.Rsvp, ev.Occurrence]]:
        return await self._claim(EventRsvpRow.follow_up_at, EventRsvpRow.followed_at, now,
                                 limit)

    async def _claim(self, due: InstrumentedAttribute[datetime | None],
                     done: InstrumentedAttribute[datetime | None], now: datetime, limit: int
                     ) -> list[tuple[ev.Rsvp, ev.Occurrence]]:
        ids = list((await self._s.scalars(
            select(EventRsvpRow.id).where(due <= now, done.is_(None),
                                          EventRsvpRow.state == ev.RsvpState.GOING.value)
            .order_by(due).limit(limit).with_for_update(skip_locked=True))).all())
        if not ids:
            return []
        await self._s.execute(update(EventRsvpRow).where(EventRsvpRow.id.in_(ids))
                              .values({done.key: now}))
        found = (await self._s.execute(
            select(EventRsvpRow, EventOccurrenceRow, EventRow)
            .join(EventOccurrenceRow, EventOccurrenceRow.id == EventRsvpRow.occurrence_id)
            .join(EventRow, EventRow.id == EventOccurrenceRow.event_id)
            .where(EventRsvpRow.id.in_(ids)).order_by(EventRsvpRow.id))).all()
        return [(er.rsvp_of(r), er.occurrence_of(o, er.event_of(e))) for r, o, e in found]

    async def feedback(self, rsvp_id: int, person_id: int, value: int) -> bool:
        """👍 or 👎 after the follow-up, by the person it was sent to."""
        result = await self._s.execute(update(EventRsvpRow).where(
            EventRsvpRow.id == rsvp_id, EventRsvpRow.person_id == person_id,
            EventRsvpRow.followed_at.is_not(None)).values(feedback=value))
        return _rowcount(result) == 1

    async def cancel_occurrence(self, occurrence_id: int, now: datetime) -> list[ev.Rsvp]:
        """Cancel one date; the people going or waiting (to be told). Nothing the second
        time."""
        result = await self._s.execute(update(EventOccurrenceRow).where(
            EventOccurrenceRow.id == occurrence_id,
            EventOccurrenceRow.cancelled_at.is_(None)).values(cancelled_at=now))
        if _rowcount(result) != 1:
            return []
        return await self.told_of(occurrence_id)

    async def told_of_many(self, occurrence_ids: Sequence[int]) -> dict[int, list[ev.Rsvp]]:
        """Who goes or waits, for many dates at once (a refresh's gone and moved ones)."""
        found: dict[int, list[ev.Rsvp]] = {}
        ids = list(occurrence_ids)
        for chunk in range(0, len(ids), 500):
            for row in (await self._s.scalars(select(EventRsvpRow).where(
                    EventRsvpRow.occurrence_id.in_(ids[chunk:chunk + 500]),
                    EventRsvpRow.state != ev.RsvpState.CANCELLED.value)
                    .order_by(EventRsvpRow.id))).all():
                found.setdefault(row.occurrence_id, []).append(er.rsvp_of(row))
        return found

    async def told_of(self, occurrence_id: int) -> list[ev.Rsvp]:
        """Who goes or waits for a date (to tell them it will not happen)."""
        return [er.rsvp_of(r) for r in (await self._s.scalars(select(EventRsvpRow).where(
            EventRsvpRow.occurrence_id == occurrence_id,
            EventRsvpRow.state != ev.RsvpState.CANCELLED.value)
            .order_by(EventRsvpRow.id))).all()]

    # -- for coordinators ----------------------------------------------------------------

    async def figures(self, municipality: str, start: datetime, end: datetime,
                      limit: int) -> list[ev.Figures]:
        """Dates between start and end that anyone said they would go to, with how many
        go, wait, and liked or not."""
        liked = func.sum(case((EventRsvpRow.feedback == 1, 1), else_=0))
        disliked = func.sum(case((EventRsvpRow.feedback == -1, 1), else_=0))
        found = (await self._s.execute(
            select(EventOccurrenceRow, EventRow, er.GOING, er.WAITING, liked, disliked)
            .join(EventRsvpRow, EventRsvpRow.occurrence_id == EventOccurrenceRow.id)
            .join(EventRow, EventRow.id == EventOccurrenceRow.event_id)
            .where(EventOccurrenceRow.municipality == municipality,
                   EventOccurrenceRow.starts_at >= start, EventOccurrenceRow.starts_at < end)
            .group_by(EventOccurrenceRow.id, EventRow.id)
            .order_by(EventOccurrenceRow.starts_at).limit(limit))).all()
        return [ev.Figures(er.occurrence_of(o, er.event_of(e), int(g or 0), int(w or 0)),
                           int(g or 0), int(w or 0), int(up or 0), int(down or 0))
                for o, e, g, w, up, down in found]

    # -- the Monday digest ---------------------------------------------------------------

    async def subscriptions(self, person_id: int) -> list[ev.Category]:
        return [ev.Category(c) for c in (await self._s.scalars(
            select(EventSubscriptionRow.category).where(
                EventSubscriptionRow.person_id == person_id)
            .order_by(EventSubscriptionRow.category))).all()]

    async def subscribe(self, person_id: int, category: ev.Category, now: datetime) -> None:
        if await self._s.get(EventSubscriptionRow, (person_id, category.value)) is None:
            self._s.add(EventSubscriptionRow(person_id=person_id, category=category.value,
                                             created_at=now))
            await self._s.flush()

    async def unsubscribe(self, person_id: int, category: ev.Category | None) -> int:
        """One kind, or (None) all of them."""
        query = delete(EventSubscriptionRow).where(EventSubscriptionRow.person_id == person_id)
        if category is not None:
            query = query.where(EventSubscriptionRow.category == category.value)
        return _rowcount(await self._s.execute(query))

    async def digest_cursor(self, week: date) -> tuple[int, bool]:
        """Where this week's digest is: the next person id, and whether it is done."""
        row = await self._s.get(EventDigestRunRow, week, with_for_update=True)
        if row is None:
            return 0, False
        return row.next_person_id, row.done_at is not None

    async def digest_advance(self, week: date, next_person_id: int,
                             done_at: datetime | None) -> None:
        row = await self._s.get(EventDigestRunRow, week)
        if row is None:
            row = EventDigestRunRow(week=week)
            self._s.add(row)
        row.next_person_id, row.done_at = next_person_id, done_at
        await self._s.flush()

    async def subscribers(self, after_id: int, limit: int
                          ) -> list[tuple[int, list[ev.Category]]]:
        """People with a subscription, by id from `after_id` on, with their kinds."""
        ids = list((await self._s.scalars(
            select(EventSubscriptionRow.person_id).where(
                EventSubscriptionRow.person_id > after_id).distinct()
            .order_by(EventSubscriptionRow.person_id).limit(limit))).all())
        if not ids:
            return []
        kinds: dict[int, list[ev.Category]] = {i: [] for i in ids}
        for person_id, category in (await self._s.execute(
                select(EventSubscriptionRow.person_id, EventSubscriptionRow.category)
                .where(EventSubscriptionRow.person_id.in_(ids)))).all():
            kinds[person_id].append(ev.Category(category))
        return [(i, sorted(kinds[i])) for i in ids]

    async def forget_digests(self, before: date) -> int:
        return _rowcount(await self._s.execute(delete(EventDigestRunRow).where(
            EventDigestRunRow.week < before)))
