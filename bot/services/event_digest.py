"""The Monday digest: for people who asked to hear about events of some kinds ("tell me
about language cafés"), one message on Monday morning with this week's events of those
kinds where they live, never a message per event, and none when there is nothing.

The events tick writes it in batches of people with a cursor, the batch and the cursor in
one transaction (a restart goes on where it was; the outbox key keeps it once a week).
After Wednesday noon a week's digest is no longer worth sending (downtime): it is skipped.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content.knowledge import OTHER_MUNICIPALITY, Knowledge
from bot.domain import events as ev
from bot.domain import outbox
from bot.domain.replies import Button
from bot.services import event_cards as cards
from bot.services.event_notices import SCOPE
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs, UnitOfWork, UnitOfWorkFactory
from bot.services.turn import button

SENT_AT = time(9, 30)  # Monday, after the default quiet hours
TOO_LATE = timedelta(days=2, hours=2, minutes=30)  # after the start: Wednesday noon
BATCH = 100
SHOWN = 8  # events in one digest


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is sent."""
    return message


class EventDigest:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs, zone: ZoneInfo) -> None:
        self._knowledge = knowledge
        self._catalogs = catalogs
        self._zone = zone

    def starts(self, now: datetime) -> tuple[date, datetime]:
        """This week's Monday and the moment its digest goes."""
        today = now.astimezone(self._zone).date()
        monday = today - timedelta(days=today.weekday())
        return monday, datetime.combine(monday, SENT_AT, tzinfo=self._zone)

    async def tick(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        monday, at = self.starts(now)
        if not at <= now < at + TOO_LATE:
            return 0
        written = 0
        while True:
            async with uow_factory() as uow:
                after, done = await uow.events.digest_cursor(monday)
                if done:
                    return written
                found = await uow.events.subscribers(after, BATCH)
                for person_id, kinds in found:
                    written += await self._write(uow, person_id, kinds, monday, now)
                finished = len(found) < BATCH
                await uow.events.digest_advance(monday, found[-1][0] if found else after,
                                                now if finished else None)
                if finished:  # retention: the cursors of weeks long past
                    await uow.events.forget_digests(monday - timedelta(weeks=8))
                await uow.commit()
            if finished:
                return written

    async def _write(self, uow: UnitOfWork, person_id: int, kinds: list[ev.Category],
                     monday: date, now: datetime) -> int:
        person = await uow.people.get(person_id)
        if person is None or person.municipality in (None, OTHER_MUNICIPALITY):
            return 0
        week = ev.week_of(monday, self._zone)
        going = {r.occurrence_id for r, _o in await uow.events.of_person(person_id)
                 if r.state is not ev.RsvpState.CANCELLED}
        found: list[ev.Occurrence] = []
        for kind in kinds:
            listed, _more = await uow.events.listing(person.municipality or "", now,
                                                      week.end, kind, 0, SHOWN)
            found += [o for o in listed if o.id not in going]
        if not found:
            return 0  # nothing new this week: no message at all
        found = sorted(found, key=lambda o: (o.start, o.id))[:SHOWN]
        reader = Reader(self._catalogs, person.language)
        place = self._knowledge.municipality(person.municipality or "")
        text = "\n".join([
            reader.fill(reader.gettext("📅 <b>This week in {place}</b>, of the kinds you "
                                       "asked for:"),
                        place=place.name if place else person.municipality or ""),
            reader.gettext("Tap one to see it and to say you will go.")])
        rows: list[tuple[Button, ...]] = [
            (button(cards.label(reader, o, self._zone, False), SCOPE, "o", str(o.id)),)
            for o in found]
        rows.append((button(reader.gettext("🔕 Stop these Monday messages"), SCOPE, "unsub",
                            "a"),))
        added = await uow.outbox.add(outbox.Outgoing(
            person_id, outbox.Kind.REMINDER, reader.readable(outbox.Message(text, tuple(rows))),
            f"ev:digest:{monday.isoformat()}:{person_id}", not_after=week.end), now)
        return 0 if added is None else 1
