"""Editing an event a coordinator made with /newevent, from its card in /events
("✏️ Edit", scope "a"): its title and description, the venue, the number of places, or the
time of one date.

- A new title or description makes the other languages' texts out of date: they are
  removed (newcomers read the new text, marked as not translated yet) and the coordinator
  can ask sleutelpersonen again, from the same message.
- More places move people up from the waiting list (they are told); fewer never push out
  anyone who was told they could come.
- A new time for a date keeps who goes; their reminder and follow-up follow it and they
  are told the new time. Events from files and feeds are edited at their source.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.domain import audit
from bot.domain import events as ev
from bot.domain.incoming import Posted
from bot.domain.person import Role
from bot.domain.questions import Conversation
from bot.domain.replies import Outcome, Reply
from bot.services import staff
from bot.services.event_compose import LIMITS, parse_times
from bot.services.event_notices import SCOPE as EVENTS_SCOPE
from bot.services.event_notices import EventNotices
from bot.services.events import ADMIN_SCOPE
from bot.services.profile_questions import language_name
from bot.services.turn import Turn, button

FLOW = "event-edit"
SCOPE = ADMIN_SCOPE  # a:edit:<date>, a:ed:<date>-<what>
WHAT = ("text", "venue", "places", "time")


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


PROMPTS = {
    "text": _("Send the new title on the first line and the description below it, in one "
              "message."),
    "venue": _("Send the place and the address on one line, for example: Library DOK, "
               "Vesteplein 100."),
    "places": _("How many places are there now? Write a number, or 0 for no limit."),
    "time": _("From what time to what time is this date now? For example 14:00-16:00."),
}
LABELS = {"text": _("Title and description"), "venue": _("Venue"), "places": _("Places"),
          "time": _("The time of this date")}


class EventEdit:
    def __init__(self, knowledge: Knowledge, notices: EventNotices, zone: ZoneInfo) -> None:
        self._knowledge = knowledge
        self._notices = notices
        self._zone = zone

    def is_open(self, turn: Turn) -> bool:
        return turn.conversation is not None and turn.conversation.flow == FLOW

    async def _editable(self, turn: Turn, number: str) -> ev.Occurrence | Outcome:
        """The date, if the caller coordinates its municipality and it is the bot's own."""
        occurrence = await turn.uow.events.occurrence(int(number)) \
            if number.isdigit() and len(number) <= 9 else None
        if occurrence is None or occurrence.event.source is not ev.Source.BOT:
            return await staff.refuse(turn, audit.Act.EVENT_CREATE,
                                      audit.Reason.UNKNOWN_TARGET, turn.gettext(
                                          "Only events made with /newevent can be changed "
                                          "here; the others at their source."),
                                      target=number)
        if occurrence.event.municipality not in await staff.where(turn, Role.COORDINATOR):
            return await staff.refuse(turn, audit.Act.EVENT_CREATE,
                                      audit.Reason.OTHER_MUNICIPALITY,
                                      staff.other_municipality(turn), target=number,
                                      municipality=occurrence.event.municipality)
        return occurrence

    async def on_button(self, turn: Turn, name: str, value: str) -> Outcome | None:
        """a:edit:<date> (what to change), a:ed:<date>-<what> (ask for it)."""
        number, _sep, what = value.partition("-")
        if name not in ("edit", "ed") or (name == "ed" and what not in WHAT):
            return None
        found = await self._editable(turn, number)
        if isinstance(found, Outcome):
            return found
        _ = turn.gettext
        if name == "edit":
            return Outcome([Reply(_("What do you want to change?"), (
                *((button(_(LABELS[w]), SCOPE, "ed", f"{found.id}-{w}"),) for w in WHAT),
                (button(_("✖️ Stop"), EVENTS_SCOPE, "o", str(found.id)),)))])
        turn.conversation = Conversation(FLOW, what, {"id": str(found.id)})
        return Outcome([Reply(_(PROMPTS[what]), (
            (button(_("✖️ Stop"), EVENTS_SCOPE, "o", str(found.id)),),))])

    async def on_posted(self, turn: Turn, posted: Posted) -> Outcome:
        conv = turn.conversation
        assert conv is not None
        _ = turn.gettext
        found = await self._editable(turn, conv.data.get("id", ""))
        if isinstance(found, Outcome):
            turn.conversation = None
            return found
        text = (posted.text or "").strip() if posted.is_text else ""
        if not text:
            return Outcome([Reply(_("Please answer with a text message.")),
                            Reply(_(PROMPTS[conv.step]))])
        match conv.step:
            case "text":
                title, _sep, description = text.partition("\n")
                if len(title.strip()) > LIMITS["title"] or len(description) > LIMITS["desc"]:
                    return Outcome([Reply(turn.fill(_("That is too long: at most {limit} "
                                                      "characters."),
                                                    limit=str(LIMITS["desc"])))])
                return await self._text(turn, found, title.strip(), description.strip())
            case "venue":
                name, _sep, address = text.replace("،", ",").partition(",")
                event = _with(found.event, venue=ev.Venue(name.strip()[:200],
                                                          address.strip()[:200]))
                await turn.uow.events.update(event, turn.now)
            case "places":
                if not text.isdigit() or int(text) > 10_000:
                    return Outcome([Reply(_("Please write a number, for example 20, or 0 for "
                                            "no limit."))])
                await self._places(turn, found, int(text) or None)
            case "time":
                times = parse_times(text)
                if times is None:
                    return Outcome([Reply(_("I cannot read that as a start and an end time. "
                                            "For example 14:00-16:00."))])
                day = found.start.astimezone(self._zone).date()
                start = datetime.combine(day, times[0], tzinfo=self._zone).astimezone(UTC)
                end = datetime.combine(day, times[1], tzinfo=self._zone).astimezone(UTC)
                if start <= turn.now:
                    return Outcome([Reply(_("That moment has passed."))])
                await self._move(turn, found, start, end)
        await staff.record(turn, audit.Act.EVENT_CREATE, allowed=True,
                           target=f"event:{found.event.id}:edit:{conv.step}",
                           municipality=found.event.municipality)
        turn.conversation = None
        return Outcome([Reply(_("Changed. Newcomers see it at once."), (
            (button(_("🗓 Show the event"), EVENTS_SCOPE, "o", str(found.id)),),))])

    async def _text(self, turn: Turn, found: ev.Occurrence, title: str,
                    description: str) -> Outcome:
        _ = turn.gettext
        event = found.event
        source = next(iter(event.texts), "nl") if len(event.texts) == 1 else \
            next((c for c in ("nl", "en") if c in event.texts and c not in event.drafts),
                 next(iter(event.texts)))
        old = event.texts.get(source, ev.Texts(title))
        dropped = sorted(c for c in event.texts if c != source)
        await turn.uow.events.update(_with(event, texts={source: ev.Texts(
            title, description, old.bring, old.expect, old.cost)}, drafts=frozenset()),
            turn.now)
        await staff.record(turn, audit.Act.EVENT_CREATE, allowed=True,
                           target=f"event:{event.id}:edit:text",
                           municipality=event.municipality)
        turn.conversation = None
        lines = [_("Changed. Newcomers see it at once.")]
        if dropped:
            lines.append(turn.fill(_("The texts in {languages} were written for the old text, "
                                     "so they were removed. Ask again:"), languages=", ".join(
                                         language_name(c, turn.language) for c in dropped)))
        return Outcome([Reply("\n".join(lines), (
            *((button(turn.fill(_("✍️ Ask for the {language} version"),
                                language=language_name(c, turn.language)), SCOPE, "ask",
                      f"{event.id}-{c}"),) for c in dropped),
            (button(_("🗓 Show the event"), EVENTS_SCOPE, "o", str(found.id)),)))])

    async def _places(self, turn: Turn, found: ev.Occurrence, capacity: int | None) -> None:
        await turn.uow.events.update(_with(found.event, capacity=capacity), turn.now)
        # More room: the first waiting move up, date by date, and are told.
        for occurrence_id in await turn.uow.events.dates_of(found.event.id, turn.now):
            occurrence = await turn.uow.events.occurrence(occurrence_id, lock=True)
            if occurrence is None or occurrence.cancelled:
                continue
            attendance = await turn.uow.events.attendance(occurrence_id)
            room = len(attendance.waiting) if capacity is None \
                else max(0, capacity - len(attendance.going))
            for person_id in attendance.waiting[:room]:
                await turn.uow.events.set_state(
                    occurrence_id, person_id, ev.RsvpState.GOING,
                    ev.reminder_at(occurrence.start, self._zone, turn.now),
                    ev.follow_up_at(occurrence.end, self._zone))
                await self._notices.moved_up(turn.uow, person_id, occurrence, turn.now)

    async def _move(self, turn: Turn, found: ev.Occurrence, start: datetime,
                    end: datetime) -> None:
        await turn.uow.events.move(found.id, start, end)
        moved = await turn.uow.events.occurrence(found.id)
        if moved is None:
            return
        going = await turn.uow.events.replan(found.id,
                                             ev.reminder_at(moved.start, self._zone, turn.now),
                                             ev.follow_up_at(moved.end, self._zone))
        await self._notices.moved(turn.uow, going, moved, turn.now)


def _with(event: ev.Event, **changes: object) -> ev.Event:
    return ev.Event(**{**vars(event), **changes})
