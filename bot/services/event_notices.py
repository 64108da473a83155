"""What Wegwijs writes about events on its own, through the outbox, in each reader's
language: the reminder the evening before, the follow-up the morning after ("how was it?"
and the next similar events), a place that became available, and a date that was cancelled.

The events tick claims due reminders and follow-ups with one indexed query and marks them
sent in the transaction that writes their outbox rows, so each goes at most once
(bot.domain.outbox.AT_MOST_ONCE). A reminder is useless after the event starts, a
follow-up stale after two days: the outbox row says so (not_after), and after downtime
the tick drops what is too late.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.domain import events as ev
from bot.domain import outbox
from bot.domain.replies import Button, Keyboard
from bot.services import event_cards as cards
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs, UnitOfWork, UnitOfWorkFactory
from bot.services.turn import button

log = logging.getLogger(__name__)

SCOPE = "e"  # shared with bot.services.events: the buttons in these messages are its own
BATCH = 100
FOLLOW_UP_STALE = timedelta(days=2)
SIMILAR_AHEAD = timedelta(weeks=4)


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is sent."""
    return message


class EventNotices:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs, zone: ZoneInfo) -> None:
        self._knowledge = knowledge
        self._catalogs = catalogs
        self._zone = zone

    async def tick(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        """Reminders and follow-ups that are due, into the outbox; how many were written."""
        written = 0
        for claim, write in ((self._claim_reminders, self._reminder),
                             (self._claim_follow_ups, self._follow_up)):
            while True:
                async with uow_factory() as uow:
                    due = await claim(uow, now)
                    for rsvp, occurrence in due:
                        written += await write(uow, rsvp, occurrence, now)
                    await uow.commit()
                if len(due) < BATCH:
                    break
        return written

    @staticmethod
    async def _claim_reminders(uow: UnitOfWork, now: datetime
                               ) -> list[tuple[ev.Rsvp, ev.Occurrence]]:
        return await uow.events.claim_reminders(now, BATCH)

    @staticmethod
    async def _claim_follow_ups(uow: UnitOfWork, now: datetime
                                ) -> list[tuple[ev.Rsvp, ev.Occurrence]]:
        return await uow.events.claim_follow_ups(now, BATCH)

    async def _reader(self, uow: UnitOfWork, person_id: int) -> Reader | None:
        person = await uow.people.get(person_id)
        return Reader(self._catalogs, person.language) if person else None

    async def _reminder(self, uow: UnitOfWork, rsvp: ev.Rsvp, occurrence: ev.Occurrence,
                        now: datetime) -> int:
        reader = await self._reader(uow, rsvp.person_id)
        if reader is None or occurrence.cancelled or occurrence.start <= now:
            return 0  # gone, cancelled, or too late to remind
        _ = reader.gettext
        text = "\n".join([
            _("⏰ <b>Reminder:</b> you said you would go to this."),
            "", *self._heading(reader, occurrence),
            *(["📍 " + reader.fill("{w}", w=", ".join(
                x for x in (occurrence.event.venue.name, occurrence.event.venue.address) if x))]
              if occurrence.event.venue else []),
            "", _("Can you not come after all? Tap the button, so someone on the waiting "
                  "list can go.")])
        keyboard: Keyboard = (
            (button(_("📅 Add to my calendar"), SCOPE, "ics", str(occurrence.id)),),
            (button(_("❌ I cannot come"), SCOPE, "no", str(occurrence.id)),),
            (button(_("🗓 Show the event"), SCOPE, "o", str(occurrence.id)),))
        return await self._write(uow, rsvp.person_id, reader, text, keyboard,
                                 f"ev:rem:{rsvp.id}", now, not_after=occurrence.start)

    async def _follow_up(self, uow: UnitOfWork, rsvp: ev.Rsvp, occurrence: ev.Occurrence,
                         now: datetime) -> int:
        reader = await self._reader(uow, rsvp.person_id)
        if reader is None or occurrence.cancelled or rsvp.follow_up_at is None \
                or now - rsvp.follow_up_at > FOLLOW_UP_STALE:
            return 0
        _ = reader.gettext
        lines = [reader.fill(_("How was {title}? Tell us with one tap: it helps the "
                               "organisers."), title=cards.title(reader, occurrence.event))]
        similar, _more = await uow.events.listing(
            occurrence.event.municipality, now, now + SIMILAR_AHEAD,
            occurrence.event.category, 0, 6)
        nearby = [o for o in similar if o.event.id != occurrence.event.id][:3] or \
            [o for o in similar if o.id != occurrence.id][:1]
        rows: list[tuple[Button, ...]] = [(
            button("👍", SCOPE, "fb", f"{rsvp.id}-1"), button("👎", SCOPE, "fb", f"{rsvp.id}-0"))]
        if nearby:
            lines += ["", _("Coming up, of the same kind:")]
            rows += [(button(cards.label(reader, o, self._zone, False), SCOPE, "o", str(o.id)),)
                     for o in nearby]
        return await self._write(uow, rsvp.person_id, reader, "\n".join(lines), tuple(rows),
                                 f"ev:fu:{rsvp.id}", now,
                                 not_after=(rsvp.follow_up_at or now) + FOLLOW_UP_STALE)

    async def moved_up(self, uow: UnitOfWork, person_id: int, occurrence: ev.Occurrence,
                       now: datetime) -> None:
        """A place became available and the person on the waiting list has it."""
        reader = await self._reader(uow, person_id)
        if reader is None:
            return
        _ = reader.gettext
        text = "\n".join([
            _("🎉 A place became available: you can go!"),
            *self._heading(reader, occurrence),
            "", _("Can you not come? Tap the button, so the next person can go.")])
        keyboard: Keyboard = ((button(_("🗓 Show the event"), SCOPE, "o", str(occurrence.id)),),
                              (button(_("❌ I cannot come"), SCOPE, "no",
                                      str(occurrence.id)),))
        await self._write(uow, person_id, reader, text, keyboard,
                          f"ev:up:{occurrence.id}:{person_id}:{int(now.timestamp())}", now,
                          not_after=occurrence.start, kind=outbox.Kind.NOTIFICATION)

    async def moved(self, uow: UnitOfWork, rsvps: list[ev.Rsvp], occurrence: ev.Occurrence,
                    now: datetime) -> None:
        """The organiser moved a date people said they would go to: the new time."""
        for rsvp in rsvps:
            reader = await self._reader(uow, rsvp.person_id)
            if reader is None:
                continue
            _ = reader.gettext
            text = "\n".join([
                _("🕒 <b>New time</b> for an event you said you would go to:"),
                *self._heading(reader, occurrence)])
            keyboard: Keyboard = (
                (button(_("📅 Add to my calendar"), SCOPE, "ics", str(occurrence.id)),),
                (button(_("❌ I cannot come"), SCOPE, "no", str(occurrence.id)),))
            await self._write(uow, rsvp.person_id, reader, text, keyboard,
                              f"ev:moved:{occurrence.id}:{rsvp.person_id}:"
                              f"{int(occurrence.start.timestamp())}", now,
                              not_after=occurrence.start, kind=outbox.Kind.NOTIFICATION)

    async def cancelled(self, uow: UnitOfWork, rsvps: list[ev.Rsvp],
                        occurrence: ev.Occurrence, now: datetime, *,
                        removed: bool = False) -> int:
        """Tell everyone going or waiting that the date will not happen."""
        for rsvp in rsvps:
            reader = await self._reader(uow, rsvp.person_id)
            if reader is None:
                continue
            _ = reader.gettext
            said = _("This event is no longer in the organiser's calendar, so it will "
                     "probably not take place. Check with the organiser if you are not "
                     "sure.") if removed else _("The organisers cancelled it.")
            text = "\n".join([
                _("❌ <b>Cancelled:</b> an event you said you would go to."),
                "", *self._heading(reader, occurrence), "", said])
            keyboard: Keyboard = ((button(_("📅 Other events"), SCOPE, "wk", "0a0"),),)
            await self._write(uow, rsvp.person_id, reader, text, keyboard,
                              f"ev:off:{occurrence.id}:{rsvp.person_id}", now,
                              not_after=occurrence.end, kind=outbox.Kind.NOTIFICATION)
        return len(rsvps)

    def _heading(self, reader: Reader, occurrence: ev.Occurrence) -> list[str]:
        """The event's title and its date, as every notice names them."""
        return [f"<b>{reader.fill('{t}', t=cards.title(reader, occurrence.event))}</b>",
                "🗓 " + cards.when(reader, occurrence, self._zone)]

    async def _write(self, uow: UnitOfWork, person_id: int, reader: Reader, text: str,
                     keyboard: Keyboard, key: str, now: datetime, *, not_after: datetime,
                     kind: outbox.Kind = outbox.Kind.REMINDER) -> int:
        message = reader.readable(outbox.Message(text, keyboard))
        added = await uow.outbox.add(outbox.Outgoing(person_id, kind, message, key,
                                                     not_after=not_after), now)
        return 0 if added is None else 1
