"""Local events and their dates, as files, feeds and coordinators give them, the listing
people browse, and how feeds fared (bot.domain.events). Who goes is in
bot.storage.event_people_repositories; SqlEvents is both."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import events as ev
from bot.storage import event_rows as er
from bot.storage.event_people_repositories import SqlEventPeople
from bot.storage.models import EventFeedRow, EventOccurrenceRow, EventRow, EventRsvpRow
from bot.storage.repositories import _rowcount, _utc

# A long event (all day, or longer than event_rows.SPANS) that started before the window
# may still be on (a festival, an exhibition): the listing looks this far back for those.
LONGEST_EVENT = timedelta(days=62)


class SqlEvents(SqlEventPeople):
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
            columns = er.columns_of(event, now)
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
                                "all_day": dated.all_day, "spans": er.spans(dated)})
                elif (_utc(found.starts_at), _utc(found.ends_at), found.all_day,
                      found.gone_at) != (dated.start, dated.end, dated.all_day, None):
                    # Moved, or back in the source; a cancellation by people stays.
                    if (_utc(found.starts_at), _utc(found.ends_at)) != (dated.start,
                                                                        dated.end):
                        moved.append(found.id)
                    found.starts_at, found.ends_at, found.all_day = dated.start, dated.end, \
                        dated.all_day
                    found.spans, found.gone_at = er.spans(dated), None
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
                       feed=event.feed, uid=event.uid, **er.columns_of(event, now))
        self._s.add(row)
        await self._s.flush()
        self._s.add_all(EventOccurrenceRow(
            event_id=row.id, key=d.key, municipality=event.municipality,
            category=event.category.value, starts_at=d.start, ends_at=d.end,
            all_day=d.all_day, spans=er.spans(d)) for d in dates)
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
        return [er.occurrence_of(occ, er.event_of(row)) for occ, row in found[:limit]], \
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
            select(er.GOING, er.WAITING).where(EventRsvpRow.occurrence_id == occurrence_id))).one()
        return er.occurrence_of(occ, er.event_of(event), int(going or 0), int(waiting or 0))

    async def event(self, event_id: int) -> ev.Event | None:
        row = await self._s.get(EventRow, event_id)
        return er.event_of(row) if row else None

    async def update(self, event: ev.Event, now: datetime) -> None:
        """A coordinator's change to their event (its texts, venue, places)."""
        row = await self._s.get(EventRow, event.id, with_for_update=True)
        if row is None:
            return
        for key, value in er.columns_of(event, now).items():
            setattr(row, key, value)
        await self._s.flush()

    async def dates_of(self, event_id: int, now: datetime) -> list[int]:
        """The dates of an event still to come (ids, soonest first)."""
        return list((await self._s.scalars(select(EventOccurrenceRow.id).where(
            EventOccurrenceRow.event_id == event_id, EventOccurrenceRow.starts_at > now)
            .order_by(EventOccurrenceRow.starts_at))).all())

    async def move(self, occurrence_id: int, start: datetime, end: datetime) -> None:
        """One date at another time; it keeps its key, and so who goes."""
        await self._s.execute(update(EventOccurrenceRow).where(
            EventOccurrenceRow.id == occurrence_id).values(
            starts_at=start, ends_at=end,
            spans=er.spans(ev.Dated("", start, end))))

    async def put_text(self, event_id: int, language: str, texts: ev.Texts,
                       now: datetime) -> bool:
        """A language's text written (and approved) by a person: no longer a draft."""
        row = await self._s.get(EventRow, event_id, with_for_update=True)
        if row is None:
            return False
        event = er.event_of(row)
        changed = ev.Event(**{**vars(event), "texts": {**event.texts, language: texts},
                              "drafts": event.drafts - {language}})
        for key, value in er.columns_of(changed, now).items():
            setattr(row, key, value)
        await self._s.flush()
        return True

    # -- feeds ---------------------------------------------------------------------------

    async def feed(self, municipality: str, feed: str) -> ev.FeedState | None:
        row = await self._s.get(EventFeedRow, (municipality, feed))
        return er.feed_of(row) if row else None

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
        return [er.feed_of(r) for r in (await self._s.scalars(select(EventFeedRow).where(
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
