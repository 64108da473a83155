"""Keeping in touch after begeleiding ends (issue 9): the plan, the tick that sends what is
due, the newcomer's answers, and the seasonal reminders.

- A person's plan is written whenever their begeleiding answers change (onboarding,
  /settings): a heads-up before the end, check-ins after it, or, when they do not know the
  end, a row that asks again three months later (bot.domain.checkins has the rules).
- The check-in tick claims due rows with one indexed query and, in the same transaction,
  writes each as an outbox row and marks it sent: a crash before the commit leaves the row
  planned, after it the outbox delivers it, at most once (bot.domain.outbox.AT_MOST_ONCE).
- A check-in without an answer gets one reminder after 3 days; 3 days later the person
  counts as "not reached" (coordinators see them in /checkins). Someone who blocked the
  bot is unreachable instead; someone who paused with /stop is left alone.
- The same tick sends the seasonal reminders (bot.services.seasonal).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.content.schema import Category
from bot.domain import checkins as c
from bot.domain import handoff as h
from bot.domain import outbox
from bot.domain.person import Begeleiding, Person
from bot.domain.replies import Button, Keyboard, Outcome, Reply
from bot.services import dates
from bot.services.checkin_areas import AREA_LABELS, AREA_ORDER, PATH_PREFIX
from bot.services.handoff import AskPerson
from bot.services.handoff_routing import Reader, Router
from bot.services.ports import Catalogs, UnitOfWork, UnitOfWorkFactory
from bot.services.seasonal import SeasonalReminders
from bot.services.turn import Turn, button

log = logging.getLogger(__name__)


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is sent."""
    return message


SCOPE = "u"  # the newcomer's answers: u:<answer>:<row id>, u:area:<row id>-<area>
# Rows per transaction: short holds of SQLite's single write lock, which turns wait for.
BATCH = 100  # plan rows


def plan_for(person: Person, now: datetime, zone: ZoneInfo,
             schedule: tuple[c.Step, ...], done: frozenset[str]) -> tuple[c.Planned, ...]:
    """What to plan for someone, from their begeleiding answers."""
    if person.consented_at is None:
        return ()
    today = now.astimezone(zone).date()
    match person.begeleiding:
        case Begeleiding.RUNNING if person.begeleiding_end is not None:
            return c.replan(person.begeleiding_end, done, now, zone, schedule)
        case Begeleiding.RUNNING | Begeleiding.UNKNOWN:
            return (c.ask_again(today, zone),)
        case Begeleiding.ENDED:
            return tuple(p for p in c.since_ended(today, zone, now, schedule)
                         if p.step.id not in done)
    return ()


class Checkins:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs, zone: ZoneInfo,
                 person: AskPerson, router: Router) -> None:
        self._knowledge = knowledge
        self._catalogs = catalogs
        self._zone = zone
        self._person = person
        self._router = router
        self._seasons = SeasonalReminders(knowledge, catalogs, zone, router)

    # -- planning (inside the turn that changed the answers) ------------------------------

    async def replan(self, uow: UnitOfWork, before: Person, after: Person,
                     now: datetime) -> None:
        """Re-plan what is not sent yet when the answers that decide it changed."""
        def decides(p: Person) -> tuple[object, ...]:
            return (p.begeleiding, p.begeleiding_end, p.municipality, p.consented_at is None)

        if decides(before) == decides(after):
            return
        if before.begeleiding is after.begeleiding is Begeleiding.ENDED \
                and before.consented_at is not None:
            return  # counted from the day they said it ended: a move does not restart it
        done = await uow.checkins.done_steps(after.id)
        schedule = self._knowledge.checkin_schedule(after.municipality)
        await uow.checkins.replace_plan(after.id, plan_for(after, now, self._zone, schedule,
                                                           done))

    async def note_end(self, uow: UnitOfWork, person: Person, begeleiding: Begeleiding,
                       end: date | None, now: datetime) -> bool:
        """Someone else (a sleutelpersoon) notes when this person's begeleiding ends: saved
        and planned as if they had answered it themselves. False when nothing changed."""
        before = replace(person)
        person.begeleiding, person.begeleiding_end = begeleiding, end
        if person == before:
            return False
        await self.replan(uow, before, person, now)
        await uow.people.save(person)
        return True

    async def plan_missing(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        """Write plans for people who answered before check-ins existed (the app does it
        once at start-up: App.background); returns how many people got one."""
        planned, after = 0, 0
        while True:
            async with uow_factory() as uow:
                ids = await uow.checkins.unplanned(after, BATCH)
                for person_id in ids:
                    person = await uow.people.get(person_id)
                    if person is None:
                        continue
                    schedule = self._knowledge.checkin_schedule(person.municipality)
                    rows = plan_for(person, now, self._zone, schedule, frozenset())
                    await uow.checkins.replace_plan(person_id, rows)
                    planned += bool(rows)
                await uow.commit()
            if len(ids) < BATCH:
                return planned
            after = ids[-1]

    async def forget_seasons(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await self._seasons.forget(uow_factory, now)

    # -- the tick ---------------------------------------------------------------------------

    async def tick(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        """The seasons' reminders, follow-ups of what was not answered, and what is due;
        returns how many messages were written."""
        # The seasons first: a check-in, the one that asks for an answer, comes last.
        written = await self._seasons.tick(uow_factory, now)
        written += await self._follow_up(uow_factory, now)
        written += await self._send_due(uow_factory, now)
        return written

    async def _send_due(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        written = 0
        while True:
            async with uow_factory() as uow:
                due = await uow.checkins.claim_due(now, BATCH)
                # After downtime one person may have several rows due (they are claimed
                # together): one message, the latest; the others are skipped.
                mine: dict[int, list[c.Entry]] = defaultdict(list)
                for entry in due:
                    mine[entry.person_id].append(entry)
                for person_id, entries in mine.items():
                    written += await self._send_one(uow, person_id, entries, now)
                await uow.commit()
            if len(due) < BATCH:
                return written

    async def _send_one(self, uow: UnitOfWork, person_id: int, entries: list[c.Entry],
                        now: datetime) -> int:
        entry, skipped = c.collapse(entries)
        for earlier in skipped:
            await uow.checkins.mark(earlier.id, c.Status.SKIPPED, now)
        if entry is None:
            return 0
        person = await uow.people.get(person_id)
        if person is None or person.paused or person.unreachable_since is not None:
            # /stop pauses everything; the unreachable learn nothing from us.
            await uow.checkins.mark(entry.id, c.Status.SKIPPED, now)
            return 0
        follow = now + c.REMINDER_AFTER if entry.kind is c.Kind.CHECKIN else None
        await uow.checkins.mark(entry.id, c.Status.SENT, now, follow_at=follow)
        reader = Reader(self._catalogs, person.language)
        await uow.outbox.add(outbox.Outgoing(
            person.id, outbox.Kind.CHECKIN, reader.readable(self._message(reader, entry, person)),
            f"checkin:{entry.id}"), now)
        return 1

    async def _follow_up(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        written = 0
        while True:
            async with uow_factory() as uow:
                due = await uow.checkins.claim_follow(now, BATCH)
                for entry in due:
                    written += await self._follow(uow, entry, now)
                await uow.commit()
            if len(due) < BATCH:
                return written

    async def _follow(self, uow: UnitOfWork, entry: c.Entry, now: datetime) -> int:
        person = await uow.people.get(entry.person_id)
        sent_at = entry.sent_at or entry.due
        # Paused: they asked for quiet. Wrote to the bot since: reached, in their own way.
        if person is None or person.paused or entry.answered_at is not None \
                or person.last_seen_at > sent_at:
            await uow.checkins.stop_following(entry.id)
            return 0
        match c.follow_up(sent_at, now, answered=False, reminded_at=entry.reminded_at,
                          unreachable=person.unreachable_since is not None):
            case c.Follow.REMIND:
                await uow.checkins.reminded(entry.id, now, now + c.NOT_REACHED_AFTER)
                reader = Reader(self._catalogs, person.language)
                text = reader.gettext("👋 A few days ago Wegwijs asked how things are going. "
                                      "A short answer is enough: tap one of the buttons.")
                await uow.outbox.add(outbox.Outgoing(
                    person.id, outbox.Kind.CHECKIN, reader.readable(outbox.Message(
                        text, self._checkin_keyboard(reader, entry.id))),
                    f"checkin:{entry.id}:reminder"), now)
                return 1
            case c.Follow.NOT_REACHED:
                await uow.checkins.not_reached(entry.id, now, h.new_pseudonym())
                return 0
        await uow.checkins.stop_following(entry.id)  # unreachable: never "not reached"
        return 0

    # -- what the messages say ------------------------------------------------------------

    def _message(self, reader: Reader, entry: c.Entry, person: Person) -> outbox.Message:
        _ = reader.gettext
        match entry.kind:
            case c.Kind.HEADS_UP:
                end = person.begeleiding_end
                when = _("Your begeleiding ends around {month}.").format(
                    month=escape(dates.month_year(reader.language, end))) if end else ""
                text = "\n".join(line for line in [
                    _("📅 <b>Your begeleiding ends soon</b>"), when,
                    _("After that, your begeleider no longer helps you with letters and "
                      "appointments. Wegwijs stays. The topic below explains what changes "
                      "and who can help you after. You can also ask a person who speaks "
                      "your language.")] if line)
                # Who helps after it: local organisations for paperwork and guidance.
                helping = [(Button(f"🤝 {o.name}", f"k:{o.id}"),) for o in self._knowledge.local
                           .get(person.municipality or "", [])
                           if {Category.BEGELEIDING, Category.ADMIN} & set(o.categories)][:2]
                keyboard: Keyboard = (
                    (Button(_("📖 When begeleiding ends"), "t:begeleiding:changes"),),
                    *helping,
                    (Button(_("🙋 Ask a person"), "h:menu"),),
                    (Button(_("🏠 Menu"), "m:menu"),))
                return outbox.Message(text, keyboard)
            case c.Kind.ASK_AGAIN:
                text = "\n".join([
                    _("📅 <b>When does your begeleiding end?</b>"),
                    _("Some time ago you did not know yet. Do you know now? Then Wegwijs "
                      "can write to you before it ends, and ask how things are going "
                      "after.")])
                return outbox.Message(text, (
                    (Button(_("Update begeleiding"), "s:open:beg"),),
                    (Button(_("I still don't know"), f"{SCOPE}:unknown:{entry.id}"),)))
        text = "\n".join([
            _("👋 <b>How are things going?</b>"),
            _("This is Wegwijs. Your begeleiding has ended, and we would like to know how "
              "you are. Letters keep coming: if something is difficult, we help you find "
              "your way, or find a person who speaks your language.")])
        return outbox.Message(text, self._checkin_keyboard(reader, entry.id))

    @staticmethod
    def _checkin_keyboard(reader: Reader, row_id: int) -> Keyboard:
        _ = reader.gettext
        return ((Button(_("🙂 Good"), f"{SCOPE}:good:{row_id}"),),
                (Button(_("😐 Some things are difficult"), f"{SCOPE}:hard:{row_id}"),),
                (Button(_("🆘 I need help"), f"{SCOPE}:help:{row_id}"),))

    # -- the newcomer's answers (scope u) -----------------------------------------------------

    async def on_button(self, turn: Turn, name: str, value: str) -> Outcome | None:
        """None when the button is not one of ours or not this person's (forged)."""
        number, _sep, extra = value.partition("-")
        row_id = h.row_id(number)
        if row_id is None:
            return None
        area = _area(extra) if extra else None
        if extra and area is None:
            return None
        match name:
            case "good" if not extra:
                return await self._answered(turn, row_id, c.Answer.GOOD)
            case "hard" if not extra:
                return await self._ask_area(turn, row_id)
            case "area" if area is not None:
                return await self._area(turn, row_id, area)
            case "help" if not extra:
                if not await turn.uow.checkins.answer(row_id, turn.person.id, c.Answer.HELP,
                                                      turn.now):
                    return await self._older(turn, row_id)
                entry = await turn.uow.checkins.get(row_id)
                area = _area(entry.area or "") if entry else None
                return await self._ask_person(turn, area)
            case "person":
                entry = await turn.uow.checkins.get(row_id)
                if entry is None or entry.person_id != turn.person.id:
                    return None
                return await self._ask_person(turn, area)
            case "unknown" if not extra:
                return await self._still_unknown(turn, row_id)
        return None

    async def _ask_person(self, turn: Turn, area: c.Area | None) -> Outcome:
        """A question opened at once, marked as from a check-in, with the area (if chosen)
        for the sleutelpersoon and its topic."""
        flow = c.AREA_FLOWS.get(area) if area else None
        return await self._person.ask_now(turn, h.Source.CHECKIN, flow,
                                          path=PATH_PREFIX + (area.value if area else ""))

    async def _answered(self, turn: Turn, row_id: int, answer: c.Answer) -> Outcome | None:
        if not await turn.uow.checkins.answer(row_id, turn.person.id, answer, turn.now):
            return await self._older(turn, row_id)
        _ = turn.gettext
        return Outcome([Reply(_("Good to hear! Wegwijs is here whenever a letter or a "
                                "question comes up."), ((button(_("🏠 Menu"), "m", "menu"),),))])

    async def _ask_area(self, turn: Turn, row_id: int) -> Outcome | None:
        if not await turn.uow.checkins.answer(row_id, turn.person.id, c.Answer.DIFFICULT,
                                              turn.now):
            return await self._older(turn, row_id)
        _ = turn.gettext
        buttons = [button(_(AREA_LABELS[a]), SCOPE, "area", f"{row_id}-{a.value}")
                   for a in AREA_ORDER]
        return Outcome([Reply(_("Thank you for telling us. What is difficult?"),
                              tuple((b,) for b in buttons))])

    async def _area(self, turn: Turn, row_id: int, area: c.Area) -> Outcome | None:
        if not await turn.uow.checkins.answer(row_id, turn.person.id, c.Answer.DIFFICULT,
                                              turn.now, area):
            return await self._older(turn, row_id)
        _ = turn.gettext
        rows: list[tuple[Button, ...]] = []
        flow = c.AREA_FLOWS[area]
        if flow is not None and self._router.has_topic(flow):
            title = self._router.topic_title(Reader(self._catalogs, turn.language), flow)
            rows.append((button(f"📖 {title}", "t", flow),))
        rows.append((button(_("🙋 Ask a person"), SCOPE, "person", f"{row_id}-{area.value}"),))
        rows.append((button(_("🏠 Menu"), "m", "menu"),))
        text = _("This may help. You can read the topic, or ask a person who speaks your "
                 "language.") if flow else _("You are not alone in this. A person who speaks "
                                             "your language can talk with you.")
        return Outcome([Reply(text, tuple(rows))])

    async def _still_unknown(self, turn: Turn, row_id: int) -> Outcome | None:
        entry = await turn.uow.checkins.get(row_id)
        if entry is None or entry.person_id != turn.person.id \
                or entry.kind is not c.Kind.ASK_AGAIN:
            return None
        person = turn.person
        if person.begeleiding not in (Begeleiding.RUNNING, Begeleiding.UNKNOWN) \
                or person.begeleiding_end is not None:
            return await self._older(turn, row_id)  # answered since: nothing to ask again
        done = await turn.uow.checkins.done_steps(turn.person.id)
        planned = plan_for(turn.person, turn.now, self._zone,
                           self._knowledge.checkin_schedule(turn.person.municipality), done)
        await turn.uow.checkins.replace_plan(turn.person.id, planned)
        _ = turn.gettext
        return Outcome([Reply(_("That is fine. Wegwijs asks again in three months. You can "
                                "change your answer at any time in /settings."),
                              ((button(_("🏠 Menu"), "m", "menu"),),))])

    async def _older(self, turn: Turn, row_id: int) -> Outcome | None:
        """A check-in that is not this person's is forged; their own one was re-planned."""
        entry = await turn.uow.checkins.get(row_id)
        if entry is None or entry.person_id != turn.person.id:
            return None
        _ = turn.gettext
        text = _("This button is from an older message.")
        return Outcome([Reply(text, ((button(_("🏠 Menu"), "m", "menu"),),))], notice=text)


def _area(value: str) -> c.Area | None:
    try:
        return c.Area(value)
    except ValueError:
        return None
