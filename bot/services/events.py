"""Local events for newcomers (issue 11): `/events` and the menu entry.

- The list: this week or next, all or one kind, five a page, soonest first; each button
  opens a card. By kind, "Tell me every Monday" subscribes to the Monday digest
  (bot.services.event_digest).
- The card: what, when, where, who it is for, what to expect and bring, how many places;
  "I'll go" (or the waiting list when full), "Add to my calendar" (an .ics file), the map
  pin, "Ask someone to go with me" (a question to a person, kind accompany), and the
  organiser in the directory. A coordinator of the municipality also gets "Change" (their
  own events, bot.services.event_edit) and "Cancel this date" (bot.services.event_overview).
- Saying "I'll go" plans the reminder the evening before and the follow-up the morning
  after (bot.services.event_notices); "I cannot come" frees the place for the first on the
  waiting list, who is told.

Buttons (scope "e"): e:wk:<week><kind><page> (week 0 or 1, kind a digit of KINDS or "a"
for all), e:kinds:<week>, e:o:<date>, e:go:<date>, e:no:<date>, e:ics:<date>,
e:map:<date>, e:with:<date>, e:fb:<rsvp>-<1 or 0>, e:sub:<kind>, e:unsub:<kind or a>.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content.knowledge import OTHER_MUNICIPALITY, Knowledge
from bot.domain import events as ev
from bot.domain import handoff as h
from bot.domain.bidi import strip_controls
from bot.domain.person import Role
from bot.domain.replies import Button, Outcome, Reply, plain_text
from bot.services import event_cards as cards
from bot.services.event_notices import SCOPE, EventNotices
from bot.services.handoff import AskPerson
from bot.services.ports import UnitOfWorkFactory
from bot.services.turn import Turn, button

PAGE = 5
# Dates and who went to them are kept this long after the date ended (the follow-up and
# the coordinators' feedback figures need a month), then removed by the retention tick.
RETENTION = timedelta(days=90)
KINDS: tuple[ev.Category, ...] = tuple(ev.Category)  # a kind's digit is its place here
ADMIN_SCOPE = "a"  # a coordinator's buttons on a card (bot.services.event_overview)


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


async def purge_past(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
    async with uow_factory() as uow:
        removed = await uow.events.purge_past(now - RETENTION)
        await uow.commit()
    return removed


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 9 else None  # fits an int32


class Events:
    def __init__(self, knowledge: Knowledge, notices: EventNotices, zone: ZoneInfo,
                 person: AskPerson) -> None:
        self._knowledge = knowledge
        self._notices = notices
        self._zone = zone
        self._person = person

    # -- the list ---------------------------------------------------------------------------

    async def show(self, turn: Turn) -> Outcome:
        return await self.listing(turn, 0, None, 0)

    async def listing(self, turn: Turn, weeks: int, kind: ev.Category | None,
                      page: int) -> Outcome:
        _ = turn.gettext
        turn.conversation = None
        municipality = await self.municipality_of(turn)
        if municipality is None:
            return Outcome([Reply(_(
                "Events are listed per municipality. Tell me where you live in /settings, "
                "and I will show what is on near you."),
                ((button(_("⚙️ Settings"), "m", "settings"),
                  button(_("🏠 Menu"), "m", "menu")),))])
        name = self._knowledge.municipality(municipality)
        week = ev.week_of(turn.now.astimezone(self._zone).date(), self._zone, weeks)
        start = max(week.start, turn.now)
        found, more = await turn.uow.events.listing(municipality, start, week.end, kind,
                                                    page * PAGE, PAGE)
        heading = _("📅 <b>This week in {place}</b>") if weeks == 0 else \
            _("📅 <b>Next week in {place}</b>")
        lines = [turn.fill(heading, place=name.name if name else municipality)]
        if kind is not None:
            lines.append(_(cards.CATEGORY_LABELS[kind]))
        if not found:
            lines += ["", _("Nothing more is planned for this week.") if weeks == 0 else
                      _("Nothing is planned for next week yet.")]
        else:
            lines += ["", _("Tap an event to see where it is and to say you will go.")]
        going = await turn.uow.events.going_among(turn.person.id, [o.id for o in found])
        keyboard: list[tuple[Button, ...]] = [
            (button(cards.label(turn, o, self._zone, o.id in going), SCOPE, "o", str(o.id)),)
            for o in found]
        code = str(KINDS.index(kind)) if kind is not None else "a"
        paging = []
        if page > 0:
            paging.append(button(_("‹ Earlier"), SCOPE, "wk", f"{weeks}{code}{page - 1}"))
        if more:
            paging.append(button(_("Later ›"), SCOPE, "wk", f"{weeks}{code}{page + 1}"))
        if paging:
            keyboard.append(tuple(paging))
        other = 1 - weeks
        keyboard.append((button(_("Next week") if weeks == 0 else _("This week"), SCOPE, "wk",
                                f"{other}{code}0"),
                         button(_("🔎 By kind"), SCOPE, "kinds", str(weeks))))
        if kind is not None:
            mine = kind in await turn.uow.events.subscriptions(turn.person.id)
            keyboard.append((button(_("🔕 No more Monday messages about this") if mine
                                    else _("🔔 Tell me every Monday"), SCOPE,
                                    "unsub" if mine else "sub", code),))
            keyboard.append((button(_("All kinds"), SCOPE, "wk", f"{weeks}a0"),))
        keyboard.append((button(_("🏠 Menu"), "m", "menu"),))
        return Outcome([Reply("\n".join(lines), tuple(keyboard))])

    def kinds(self, turn: Turn, weeks: int) -> Outcome:
        _ = turn.gettext
        keyboard = tuple((button(_(cards.CATEGORY_LABELS[k]), SCOPE, "wk",
                                 f"{weeks}{i}0"),) for i, k in enumerate(KINDS))
        return Outcome([Reply(_("What kind of event are you looking for?"),
                              (*keyboard, (button(_("All kinds"), SCOPE, "wk",
                                                  f"{weeks}a0"),)))])

    async def municipality_of(self, turn: Turn) -> str | None:
        """Where the person lives; a coordinator without an answer: where they coordinate."""
        where = turn.person.municipality
        if where and where != OTHER_MUNICIPALITY:
            return where
        grants = await turn.uow.roles.of(turn.person.telegram_id)
        return next((g.municipality for g in grants if g.role is Role.COORDINATOR), None)

    # -- one date ---------------------------------------------------------------------------

    async def on_button(self, turn: Turn, name: str, value: str) -> Outcome | None:
        if name == "wk":
            return await self._list_button(turn, value)
        if name == "kinds" and value in ("0", "1"):
            return self.kinds(turn, int(value))
        if name == "fb":
            return await self._feedback(turn, value)
        if name in ("sub", "unsub"):
            return await self._subscription(turn, name == "sub", value)
        number = _number(value)
        if number is None or name not in ("o", "go", "no", "ics", "map", "with"):
            return None
        occurrence = await turn.uow.events.occurrence(number, lock=name in ("go", "no"))
        if occurrence is None:
            return await self._gone(turn)
        # Someone who moved may still say they cannot come; all else is where they live.
        if name != "no" and occurrence.event.municipality != await self.municipality_of(turn):
            return await self._gone(turn)
        match name:
            case "o":
                return await self.card(turn, occurrence)
            case "go":
                return await self._go(turn, occurrence)
            case "no":
                return await self._cannot(turn, occurrence)
            case "with":
                return await self._go_with_me(turn, occurrence)
            case "ics":
                return Outcome([Reply(turn.gettext(
                    "Open this file to add the event to your phone's calendar."),
                    self._next_steps(turn, occurrence, "ics"),
                    document=cards.calendar_file(turn, occurrence, self._zone, turn.now))])
        pin = cards.place(turn, occurrence)
        if pin is None:
            return await self.card(turn, occurrence, turn.gettext(
                "This event has no place on the map; its card says where it is."))
        return Outcome([Reply(turn.fill(turn.gettext("Here is where {title} takes place."),
                                        title=cards.title(turn, occurrence.event)),
                              self._next_steps(turn, occurrence, "map"), place=pin)])

    def _next_steps(self, turn: Turn, occurrence: ev.Occurrence, done: str
                    ) -> tuple[tuple[Button, ...], ...]:
        """After the calendar file or the map: the other one, and back to the card (whose
        buttons are gone once a newer message is sent)."""
        _ = turn.gettext
        rows: list[tuple[Button, ...]] = []
        if done != "map" and cards.place(turn, occurrence) is not None:
            rows.append((button(_("📍 Show on the map"), SCOPE, "map", str(occurrence.id)),))
        if done != "ics":
            rows.append((button(_("📅 Add to my calendar"), SCOPE, "ics",
                                str(occurrence.id)),))
        rows.append((button(_("🗓 Show the event"), SCOPE, "o", str(occurrence.id)),))
        return tuple(rows)

    async def _list_button(self, turn: Turn, value: str) -> Outcome | None:
        known_kind = value[1:2] == "a" or (value[1:2].isdigit() and int(value[1]) < len(KINDS))
        if not 3 <= len(value) <= 6 or value[0] not in "01" or not value[2:].isdigit() \
                or not known_kind:
            return None
        kind = None if value[1] == "a" else KINDS[int(value[1])]
        return await self.listing(turn, int(value[0]), kind, int(value[2:]))

    async def card(self, turn: Turn, occurrence: ev.Occurrence, notice: str | None = None
                   ) -> Outcome:
        _ = turn.gettext
        turn.conversation = None
        rsvp = await turn.uow.events.rsvp_of(occurrence.id, turn.person.id)
        text = cards.card(turn, occurrence, self._zone, self._knowledge, rsvp)
        if occurrence.cancelled:
            text = _("❌ <b>This date was cancelled.</b>") + "\n\n" + text
        keyboard: list[tuple[Button, ...]] = []
        said = rsvp is not None and rsvp.state is not ev.RsvpState.CANCELLED
        open_ = not occurrence.cancelled and occurrence.start > turn.now
        if open_ and not said:
            keyboard.append((button(_("⏳ Put me on the waiting list") if occurrence.full
                                    else _("✋ I'll go"), SCOPE, "go", str(occurrence.id)),))
        elif open_:
            keyboard.append((button(_("❌ I cannot come after all"), SCOPE, "no",
                                    str(occurrence.id)),))
        if not occurrence.cancelled:
            keyboard.append((button(_("📅 Add to my calendar"), SCOPE, "ics",
                                    str(occurrence.id)),))
        if cards.place(turn, occurrence) is not None:
            keyboard.append((button(_("📍 Show on the map"), SCOPE, "map",
                                    str(occurrence.id)),))
        if open_:
            keyboard.append((button(_("🤝 Ask someone to go with me"), SCOPE, "with",
                                    str(occurrence.id)),))
        organiser = occurrence.event.organiser
        if organiser and self._knowledge.organisation(organiser):
            keyboard.append((button(_("🏢 About the organiser"), "k", organiser),))
        if open_ and await self.coordinates(turn, occurrence.event.municipality):
            if occurrence.event.source is ev.Source.BOT:
                keyboard.append((button(_("✏️ Change (coordinator)"), ADMIN_SCOPE, "edit",
                                        str(occurrence.id)),))
            keyboard.append((button(_("🛑 Cancel this date (coordinator)"), ADMIN_SCOPE,
                                    "cancel", str(occurrence.id)),))
        keyboard.append((button(_("📅 All events"), SCOPE, "wk", "0a0"),
                         button(_("🏠 Menu"), "m", "menu")))
        replies = [Reply(notice)] if notice else []
        outcome = Outcome([*replies, Reply(text, tuple(keyboard))])
        outcome.notice = notice
        return outcome

    @staticmethod
    async def coordinates(turn: Turn, municipality: str | None = None) -> bool:
        """The caller is a coordinator (of `municipality`, if given)."""
        return any(g.role is Role.COORDINATOR and municipality in (None, g.municipality)
                   for g in await turn.uow.roles.of(turn.person.telegram_id))

    # -- going, not going ------------------------------------------------------------------

    async def _go(self, turn: Turn, occurrence: ev.Occurrence) -> Outcome:
        _ = turn.gettext
        if occurrence.cancelled or occurrence.start <= turn.now:
            return await self.card(turn, occurrence, _("This date has passed or was "
                                                       "cancelled."))
        attendance = await turn.uow.events.attendance(occurrence.id)
        _after, answer = attendance.rsvp(turn.person.id, occurrence.event.capacity)
        if answer is ev.Answer.ALREADY:
            return await self.card(turn, occurrence)
        going = answer is ev.Answer.GOING
        await turn.uow.events.put_rsvp(
            occurrence.id, turn.person.id,
            ev.RsvpState.GOING if going else ev.RsvpState.WAITING, turn.now,
            ev.reminder_at(occurrence.start, self._zone, turn.now) if going else None,
            ev.follow_up_at(occurrence.end, self._zone) if going else None)
        fresh = await turn.uow.events.occurrence(occurrence.id) or occurrence
        if going:
            notice = _("Good! I will remind you the evening before.") \
                if ev.reminder_at(occurrence.start, self._zone, turn.now) else \
                _("Good! Enjoy it.")
        else:
            notice = _("It is full, so you are on the waiting list. I will tell you when a "
                       "place becomes available.")
        return await self.card(turn, fresh, notice)

    async def _cannot(self, turn: Turn, occurrence: ev.Occurrence) -> Outcome:
        _ = turn.gettext
        rsvp = await turn.uow.events.rsvp_of(occurrence.id, turn.person.id)
        if rsvp is None or rsvp.state is ev.RsvpState.CANCELLED:
            return await self.card(turn, occurrence, _("You were not on the list for this "
                                                       "date."))
        before = await turn.uow.events.attendance(occurrence.id)
        await turn.uow.events.set_state(occurrence.id, turn.person.id, ev.RsvpState.CANCELLED)
        if not occurrence.cancelled and occurrence.start > turn.now:
            _after, moved = before.cancel(turn.person.id, occurrence.event.capacity)
            for person_id in moved:
                await turn.uow.events.set_state(
                    occurrence.id, person_id, ev.RsvpState.GOING,
                    ev.reminder_at(occurrence.start, self._zone, turn.now),
                    ev.follow_up_at(occurrence.end, self._zone))
                await self._notices.moved_up(turn.uow, person_id, occurrence, turn.now)
        fresh = await turn.uow.events.occurrence(occurrence.id) or occurrence
        if rsvp.state is ev.RsvpState.WAITING:
            return await self.card(turn, fresh, _("Thank you for letting us know. You are no "
                                                  "longer on the waiting list."))
        if occurrence.cancelled:
            return await self.card(turn, fresh, _("Noted: you will not go."))
        return await self.card(turn, fresh, _("Thank you for letting us know. Your place "
                                              "goes to someone else."))

    async def _go_with_me(self, turn: Turn, occurrence: ev.Occurrence) -> Outcome:
        """A question to a sleutelpersoon who speaks their language (kind accompany): the
        event in its summary, so whoever takes it knows where and when."""
        _ = turn.gettext
        if occurrence.cancelled or occurrence.start <= turn.now:
            return await self.card(turn, occurrence, _("This date has passed or was "
                                                       "cancelled."))
        summary = strip_controls(plain_text(" · ".join([
            turn.value(cards.title(turn, occurrence.event)),
            cards.when(turn, occurrence, self._zone)])))
        return await self._person.ask_now(
            turn, h.Source.ACCOMPANY, summary=summary, path=f"events/{occurrence.id}",
            intro=_("I am asking the sleutelpersonen who speak your language whether "
                    "someone can go with you. You can write here, for example where you "
                    "would like to meet."))

    async def _subscription(self, turn: Turn, on: bool, value: str) -> Outcome | None:
        """e:sub:<kind>, e:unsub:<kind>, e:unsub:a (every kind, from the digest itself)."""
        _ = turn.gettext
        if value == "a" and not on:
            await turn.uow.events.unsubscribe(turn.person.id, None)
            text = _("Done: no more Monday messages about events. You can ask for them "
                     "again in /events, by kind.")
            return Outcome([Reply(text, ((button(_("📅 Events"), SCOPE, "wk", "0a0"),
                                          button(_("🏠 Menu"), "m", "menu")),))], notice=text)
        if not (value.isdigit() and int(value) < len(KINDS)):
            return None
        kind = KINDS[int(value)]
        if on:
            await turn.uow.events.subscribe(turn.person.id, kind, turn.now)
            text = turn.fill(_("Done: every Monday morning I will tell you about this week's "
                               "events of this kind ({kind}), if there are any."),
                             kind=_(cards.CATEGORY_LABELS[kind]))
        else:
            await turn.uow.events.unsubscribe(turn.person.id, kind)
            text = _("Done: no more Monday messages about this kind of event.")
        outcome = await self.listing(turn, 0, kind, 0)
        outcome.replies.insert(0, Reply(text))
        outcome.notice = text
        return outcome

    async def _feedback(self, turn: Turn, value: str) -> Outcome | None:
        rsvp_id, _sep, liked = value.partition("-")
        number = _number(rsvp_id)
        if number is None or liked not in ("1", "0"):
            return None
        if not await turn.uow.events.feedback(number, turn.person.id, 1 if liked == "1" else -1):
            return await self._gone(turn)
        text = turn.gettext("Thank you! The organisers will hear what people thought, "
                            "never who said it.")
        outcome = Outcome([Reply(text, ((button(turn.gettext("📅 Other events"), SCOPE, "wk",
                                                "0a0"),
                                         button(turn.gettext("🏠 Menu"), "m", "menu")),))])
        outcome.notice = text
        return outcome

    async def _gone(self, turn: Turn) -> Outcome:
        """A button for a date that no longer exists (or elsewhere): this week's list."""
        text = turn.gettext("I cannot find this event any more. Here is what is on now.")
        outcome = await self.listing(turn, 0, None, 0)
        outcome.replies.insert(0, Reply(text))
        outcome.notice = text
        return outcome
