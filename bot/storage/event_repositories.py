"""Local events, their dates, who goes, and how feeds fared (bot.domain.events)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.domain import events as ev
from bot.storage.models import (
    EventDigestRunRow,
    EventFeedRow,
    EventOccurrenceRow,
    EventRow,
    EventRsvpRow,
    EventSubscriptionRow,
)
from bot.storage.repositories import _rowcount, _utc

# A long event (all day, or longer than SPANS) that started before the window may still be
# on (a festival, an exhibition): the listing looks this far back for those.
LONGEST_EVENT = timedelta(days=62)
SPANS = timedelta(hours=12)


def _event(row: EventRow) -> ev.Event:
    texts = {lang: ev.Texts(**fields) for lang, fields in json.loads(row.texts).items()}
    venue = ev.Venue(row.venue_name, row.venue_address or "", row.latitude, row.longitude) \
        if row.venue_name else None
    return ev.Event(row.id, row.municipality, ev.Source(row.source), row.uid,
                    ev.Category(row.category), ev.EventAudience(row.audience), texts,
                    frozenset(c for c in row.drafts.split(",") if c),
                    tuple(c for c in row.languages.split(",") if c), venue, row.organiser,
                    row.capacity, row.feed)


def _columns(event: ev.Event, now: datetime) -> dict[str, object]:
    venue = event.venue
    return {
        "category": event.category.value, "audience": event.audience.value,
        "texts": json.dumps({lang: vars(t) for lang, t in sorted(event.texts.items())},
                            ensure_ascii=False, sort_keys=True),
        "drafts": ",".join(sorted(event.drafts)), "languages": ",".join(event.languages),
        "venue_name": venue.name if venue else None,
        "venue_address": (venue.address or None) if venue else None,
        "latitude": venue.latitude if venue else None,
        "longitude": venue.longitude if venue else None,
        "organiser": event.organiser, "capacity": event.capacity, "updated_at": now}


def _occurrence(row: EventOccurrenceRow, event: ev.Event, going: int = 0,
                waiting: int = 0) -> ev.Occurrence:
    return ev.Occurrence(row.id, event, _utc(row.starts_at) or row.starts_at,
                         _utc(row.ends_at) or row.ends_at, row.all_day,
                         row.cancelled_at is not None or row.gone_at is not None, going,
                         waiting)


def _spans(dated: ev.Dated) -> bool:
    return dated.all_day or dated.end - dated.start > SPANS


def _rsvp(row: EventRsvpRow) -> ev.Rsvp:
    return ev.Rsvp(row.id, row.occurrence_id, row.person_id, ev.RsvpState(row.state),
                   _utc(row.created_at) or row.created_at, _utc(row.reminder_at),
                   _utc(row.reminded_at), _utc(row.follow_up_at), _utc(row.followed_at),
                   row.feedback)


def _feed(row: EventFeedRow) -> ev.FeedState:
    return ev.FeedState(row.municipality, row.feed, _utc(row.read_at), _utc(row.ok_at),
                        _utc(row.failing_since), row.error, _utc(row.reported_at), row.events,
                        row.skipped, row.digest)


_GOING = func.sum(case((EventRsvpRow.state == ev.RsvpState.GOING.value, 1), else_=0))
_WAITING = func.sum(case((EventRsvpRow.state == ev.RsvpState.WAITING.value, 1), else_=0))


class SqlEvents:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- refreshing a source ---------------------------------------------------------------

    async def sync(self, municipality: str, source: ev.Source, feed: str,
                   items: Sequence[tuple[ev.Event, Sequence[ev.Dated]]],
                   start: datetime, now: datetime) -> ev.Synced:
        """Make the source's events and their dates from `start` on what `items` say:
        new ones added, changed ones updated (a date keeps its RSVPs by its key), and dates
        no longer there cancelled (their ids returned, so the people going are told)."""
        rows = {r.uid: r for r in (await self._s.scalars(select(EventRow).where(
            EventRow.municipality == municipality, EventRow.source == source.value,
            EventRow.feed == feed))).all()}
        changed_events = 0
        fresh: list[EventRow] = []
        for event, _dates in items:
            columns = _columns(event, now)
            row = rows.get(event.uid)
            if row is None:
                row = EventRow(municipality=municipality, source=source.value, feed=feed,
                               uid=event.uid, **columns)
                fresh.append(row)
                rows[event.uid] = row
                changed_events += 1
                continue
            if any(getattr(row, k) != v for k, v in columns.items() if k != "updated_at"):
                if row.category != columns["category"]:
                    await self._s.execute(update(EventOccurrenceRow).where(
                        EventOccurrenceRow.event_id == row.id).values(
                        category=columns["category"]))
                for k, v in columns.items():
                    setattr(row, k, v)
                changed_events += 1
        self._s.add_all(fresh)
        await self._s.flush()
        ids = [r.id for r in rows.values()]
        known: dict[tuple[int, str], EventOccurrenceRow] = {}
        for chunk in range(0, len(ids), 500):
            for occ in (await self._s.scalars(select(EventOccurrenceRow).where(
                    EventOccurrenceRow.event_id.in_(ids[chunk:chunk + 500]),
                    EventOccurrenceRow.starts_at >= start))).all():
                known[(occ.event_id, occ.key)] = occ
        new: list[dict[str, object]] = []
        moved: list[int] = []
        seen: set[tuple[int, str]] = set()
        for event, dates in items:
            row = rows[event.uid]
            for dated in dates:
                key = (row.id, dated.key)
                if key in seen:
                    continue
                seen.add(key)
                found = known.get(key)
                if found is None:
                    new.append({"event_id": row.id, "key": dated.key,
                                "municipality": municipality, "category": row.category,
                                "starts_at": dated.start, "ends_at": dated.end,
                                "all_day": dated.all_day, "spans": _spans(dated)})
                elif (_utc(found.starts_at), _utc(found.ends_at), found.all_day,
                      found.gone_at) != (dated.start, dated.end, dated.all_day, None):
                    # Moved, or back in the source; a cancellation by people stays.
                    if (_utc(found.starts_at), _utc(found.ends_at)) != (dated.start,
                                                                        dated.end):
                        moved.append(found.id)
                    found.starts_at, found.ends_at, found.all_day = dated.start, dated.end, \
                        dated.all_day
                    found.spans, found.gone_at = _spans(dated), None
        if new:
            # A date already stored before `start` (a series seen earlier) is left alone.
            stored = {(o.event_id, o.key) for o in (await self._s.scalars(
                select(EventOccurrenceRow).where(
                    EventOccurrenceRow.event_id.in_({n["event_id"] for n in new}),
                    EventOccurrenceRow.starts_at < start))).all()}
            new = [n for n in new if (n["event_id"], n["key"]) not in stored]
            for chunk in range(0, len(new), 1000):
                await self._s.execute(insert(EventOccurrenceRow),
                                      new[chunk:chunk + 1000])
        gone = [occ for key, occ in known.items() if key not in seen
                and occ.gone_at is None and (_utc(occ.starts_at) or now) > now]
        for occ in gone:
            occ.gone_at = now
        await self._s.flush()
        return ev.Synced(changed_events, len(new) + len(moved), tuple(o.id for o in gone),
                         tuple(moved))

    async def add(self, event: ev.Event, dates: Sequence[ev.Dated], now: datetime) -> int:
        """A coordinator's event (source bot), with its dates; returns its id."""
        row = EventRow(municipality=event.municipality, source=event.source.value,
                       feed=event.feed, uid=event.uid, **_columns(event, now))
        self._s.add(row)
        await self._s.flush()
        self._s.add_all(EventOccurrenceRow(
            event_id=row.id, key=d.key, municipality=event.municipality,
            category=event.category.value, starts_at=d.start, ends_at=d.end,
            all_day=d.all_day, spans=_spans(d)) for d in dates)
        await self._s.flush()
        return row.id

    # -- reading -------------------------------------------------------------------------

    async def listing(self, municipality: str, start: datetime, end: datetime,
                      category: ev.Category | None, offset: int,
                      limit: int) -> tuple[list[ev.Occurrence], bool]:
        """The dates not cancelled that are on between start and end, soonest first: one
        page of them, and whether there are more. A long one (all day, or more than half a
        day) that began before `start` and has not ended comes first."""
        where = [EventOccurrenceRow.municipality == municipality,
                 EventOccurrenceRow.cancelled_at.is_(None), EventOccurrenceRow.gone_at.is_(None)]
        if category is not None:
            where.append(EventOccurrenceRow.category == category.value)
        running = (await self._s.execute(
            select(EventOccurrenceRow, EventRow)
            .join(EventRow, EventRow.id == EventOccurrenceRow.event_id)
            .where(*where, EventOccurrenceRow.spans.is_(True),
                   EventOccurrenceRow.starts_at >= start - LONGEST_EVENT,
                   EventOccurrenceRow.starts_at < start, EventOccurrenceRow.ends_at > start)
            .order_by(EventOccurrenceRow.starts_at, EventOccurrenceRow.id)
            .limit(offset + limit + 1))).all()
        skip = max(0, offset - len(running))
        found = [*running[offset:offset + limit + 1], *(await self._s.execute(
            select(EventOccurrenceRow, EventRow)
            .join(EventRow, EventRow.id == EventOccurrenceRow.event_id)
            .where(*where, EventOccurrenceRow.starts_at >= start,
                   EventOccurrenceRow.starts_at < end)
            .order_by(EventOccurrenceRow.starts_at, EventOccurrenceRow.id)
            .offset(skip).limit(limit + 1))).all()][:limit + 1]
        return [_occurrence(occ, _event(row)) for occ, row in found[:limit]], \
            len(found) > limit

    async def occurrence(self, occurrence_id: int, *, lock: bool = False
                         ) -> ev.Occurrence | None:
        """One date with how many go and wait; `lock`: held for this transaction (two
        people taking the last place one after the other)."""
        query = select(EventOccurrenceRow).where(EventOccurrenceRow.id == occurrence_id)
        occ = (await self._s.scalars(query.with_for_update() if lock else query)).first()
        if occ is None:
            return None
        event = await self._s.get(EventRow, occ.event_id)
        if event is None:
            return None
        going, waiting = (await self._s.execute(
            select(_GOING, _WAITING).where(EventRsvpRow.occurrence_id == occurrence_id))).one()
        return _occurrence(occ, _event(event), int(going or 0), int(waiting or 0))

    async def event(self, event_id: int) -> ev.Event | None:
        row = await self._s.get(EventRow, event_id)
        return _event(row) if row else None

    async def put_text(self, event_id: int, language: str, texts: ev.Texts,
                       now: datetime) -> bool:
        """A language's text written (and approved) by a person: no longer a draft."""
        row = await self._s.get(EventRow, event_id, with_for_update=True)
        if row is None:
            return False
        event = _event(row)
        changed = ev.Event(**{**vars(event), "texts": {**event.texts, language: texts},
                              "drafts": event.drafts - {language}})
        for key, value in _columns(changed, now).items():
            setattr(row, key, value)
        await self._s.flush()
        return True

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
        return _rsvp(row) if row else None

    async def get_rsvp(self, rsvp_id: int) -> ev.Rsvp | None:
        row = await self._s.get(EventRsvpRow, rsvp_id)
        return _rsvp(row) if row else None

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
        return [(_rsvp(r), _occurrence(o, _event(e))) for r, o, e in found]

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
        return [_rsvp(r) for r in (await self._s.scalars(select(EventRsvpRow).where(
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
        return [(_rsvp(r), _occurrence(o, _event(e))) for r, o, e in found]

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
                found.setdefault(row.occurrence_id, []).append(_rsvp(row))
        return found

    async def told_of(self, occurrence_id: int) -> list[ev.Rsvp]:
        """Who goes or waits for a date (to tell them it will not happen)."""
        return [_rsvp(r) for r in (await self._s.scalars(select(EventRsvpRow).where(
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
            select(EventOccurrenceRow, EventRow, _GOING, _WAITING, liked, disliked)
            .join(EventRsvpRow, EventRsvpRow.occurrence_id == EventOccurrenceRow.id)
            .join(EventRow, EventRow.id == EventOccurrenceRow.event_id)
            .where(EventOccurrenceRow.municipality == municipality,
                   EventOccurrenceRow.starts_at >= start, EventOccurrenceRow.starts_at < end)
            .group_by(EventOccurrenceRow.id, EventRow.id)
            .order_by(EventOccurrenceRow.starts_at).limit(limit))).all()
        return [ev.Figures(_occurrence(o, _event(e), int(g or 0), int(w or 0)), int(g or 0),
                           int(w or 0), int(up or 0), int(down or 0))
                for o, e, g, w, up, down in found]

    # -- feeds ---------------------------------------------------------------------------

    async def feed(self, municipality: str, feed: str) -> ev.FeedState | None:
        row = await self._s.get(EventFeedRow, (municipality, feed))
        return _feed(row) if row else None

    async def feed_read(self, municipality: str, feed: str, now: datetime, *,
                        error: str | None, events: int = 0, skipped: int = 0,
                        digest: str | None = None) -> None:
        """Note a read: good (error None) clears the failure; a failure keeps the first
        moment it failed and the last good figures."""
        row = await self._s.get(EventFeedRow, (municipality, feed))
        if row is None:
            row = EventFeedRow(municipality=municipality, feed=feed, events=0, skipped=0)
            self._s.add(row)
        row.read_at = now
        if error is None:
            row.ok_at, row.failing_since, row.error, row.reported_at = now, None, None, None
            row.events, row.skipped, row.digest = events, skipped, digest
        else:
            row.failing_since = row.failing_since or now
            row.error = error[:300]
        await self._s.flush()

    async def feed_reported(self, municipality: str, feed: str, now: datetime) -> None:
        await self._s.execute(update(EventFeedRow).where(
            EventFeedRow.municipality == municipality, EventFeedRow.feed == feed)
            .values(reported_at=now))

    async def feeds_in(self, municipalities: list[str]) -> list[ev.FeedState]:
        return [_feed(r) for r in (await self._s.scalars(select(EventFeedRow).where(
            EventFeedRow.municipality.in_(municipalities))
            .order_by(EventFeedRow.municipality, EventFeedRow.feed))).all()]

    async def forget_source(self, source: ev.Source) -> int:
        """Remove every event of a source with its dates and RSVPs (the demo events, when
        a bot that real people use starts on a database a console demo wrote into)."""
        result = await self._s.execute(delete(EventRow).where(EventRow.source == source.value))
        return _rowcount(result)

    async def purge_past(self, before: datetime) -> int:
        """Dates that ended before `before` go, with who went (events.RETENTION)."""
        result = await self._s.execute(delete(EventOccurrenceRow).where(
            EventOccurrenceRow.ends_at < before))
        # Events of the bot with no dates left go too; file and feed events come back
        # with their source when they have dates again.
        orphans = select(EventOccurrenceRow.id).where(
            EventOccurrenceRow.event_id == EventRow.id).exists()
        await self._s.execute(delete(EventRow).where(
            and_(~orphans, or_(EventRow.source == ev.Source.BOT.value,
                               EventRow.source == ev.Source.FEED.value))))
        return _rowcount(result)

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
