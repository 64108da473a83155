"""/newevent for coordinators: a short wizard that creates an event in the bot, in Dutch
or English, with a preview exactly as newcomers will see it; then sleutelpersonen who
speak the other languages are asked for their versions (bot.services.event_versions).

The answers live in the coordinator's conversation (saved every turn: a crash halfway
loses nothing) until they publish. Buttons are scope "a" (coordinators only, checked
again here against the municipality in the draft); text answers come through the Desk
while the flow is open.

Steps: title, description (may be skipped), day, time (or all day), repeat (once or
weekly for some weeks), kind, who it is for, venue (may be skipped), places (or no
limit), then the preview: publish, start again or stop.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.domain import audit
from bot.domain import events as ev
from bot.domain.incoming import Posted
from bot.domain.person import Role
from bot.domain.questions import Conversation
from bot.domain.replies import Button, Outcome, Reply
from bot.services import event_cards as cards
from bot.services import staff
from bot.services.events import ADMIN_SCOPE, KINDS
from bot.services.profile_questions import language_name
from bot.services.turn import Turn, button

FLOW = "event-new"
SCOPE = ADMIN_SCOPE
SOURCES = ("nl", "en")  # what coordinators write in; sleutelpersonen write the others
REPEATS = (0, 4, 8, 12)  # once, or weekly for that many weeks
LIMITS = {"title": 120, "desc": 1500, "venue": 200}
_DAY = re.compile(r"^\s*(\d{1,4})[-/.](\d{1,2})(?:[-/.](\d{2,4}))?\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*(?:-|–|—|to|tot)\s*(\d{1,2})[:.](\d{2})\s*$")


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


AUDIENCES = (ev.EventAudience.EVERYONE, ev.EventAudience.WOMEN, ev.EventAudience.FAMILIES,
             ev.EventAudience.YOUTH)
AUDIENCE_BUTTONS = {ev.EventAudience.EVERYONE: _("Everyone"),
                    ev.EventAudience.WOMEN: _("Women"),
                    ev.EventAudience.FAMILIES: _("Families with children"),
                    ev.EventAudience.YOUTH: _("Young people")}
QUESTIONS = {
    "title": _("What is the event called? Write a short title (at most 120 characters)."),
    "desc": _("Describe it in a few plain sentences: what happens, and what people can "
              "expect."),
    "day": _("On which day? For example 24-03-2027."),
    "time": _("From what time to what time? For example 14:00-16:00."),
    "rep": _("Once, or every week on this day?"),
    "kind": _("What kind of event is it?"),
    "aud": _("Who is it for?"),
    "venue": _("Where? Write the name of the place and the address on one line, for "
               "example: Library DOK, Vesteplein 100."),
    "cap": _("How many places are there? Write a number, or tap 'No limit'."),
}
ORDER = ("title", "desc", "day", "time", "rep", "kind", "aud", "venue", "cap")
BUTTONS = frozenset({"new", "skip", "allday", "rep", "kind", "aud", "nolimit", "pub", "again",
                     "stop"})


def parse_day(text: str, today: date) -> date | None:
    """24-03-2027, 2027-03-24 or 24-3 (the next such day): a day from today on."""
    found = _DAY.match(text)
    if found is None:
        return None
    a, b, c = found.groups()
    try:
        if len(a) == 4:
            day = date(int(a), int(b), int(c or 0))
        elif c is not None:
            day = date(int(c) + (2000 if len(c) == 2 else 0), int(b), int(a))
        else:
            day = date(today.year, int(b), int(a))
            if day < today:
                day = date(today.year + 1, int(b), int(a))
    except ValueError:
        return None
    return day if day >= today else None


def parse_times(text: str) -> tuple[time, time] | None:
    found = _TIME.match(text)
    if found is None:
        return None
    h1, m1, h2, m2 = (int(x) for x in found.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        return None
    start, end = time(h1, m1), time(h2, m2)
    return (start, end) if end > start else None


def dates_of(data: dict[str, str], zone: ZoneInfo) -> list[ev.Dated]:
    """The dates the answers describe, in UTC; a day's key is its first start."""
    first = date.fromisoformat(data["day"])
    weeks = int(data.get("rep", "0")) or 1
    found = []
    for week in range(weeks):
        day = first + timedelta(weeks=week)
        if data.get("allday") == "1":
            start = datetime.combine(day, time(0), tzinfo=zone)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        else:
            start = datetime.combine(day, time.fromisoformat(data["start"]), tzinfo=zone)
            end = datetime.combine(day, time.fromisoformat(data["end"]), tzinfo=zone)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        found.append(ev.Dated(start.strftime("%Y%m%dT%H%M%SZ"), start, end,
                              data.get("allday") == "1"))
    return found


def event_of(data: dict[str, str], event_id: int = 0) -> ev.Event:
    # The name, then the address after the first comma (Latin or Arabic).
    venue_name, _sep, address = data.get("venue", "").replace("،", ",").partition(",")
    venue = ev.Venue(venue_name.strip()[:200], address.strip()[:200]) \
        if venue_name.strip() else None
    return ev.Event(event_id, data["muni"], ev.Source.BOT, data.get("uid", "draft"),
                    KINDS[int(data.get("kind", "0"))],
                    ev.EventAudience(data.get("aud", "everyone")),
                    {data["src"]: ev.Texts(data["title"], data.get("desc", ""))},
                    venue=venue, capacity=int(data["cap"]) if data.get("cap") else None)


class EventCompose:
    def __init__(self, knowledge: Knowledge, zone: ZoneInfo) -> None:
        self._knowledge = knowledge
        self._zone = zone

    async def command(self, turn: Turn) -> Outcome:
        mine = await staff.where(turn, Role.COORDINATOR)
        if not mine:
            return await staff.refuse(turn, audit.Act.EVENT_CREATE, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR),
                                      target="/newevent")
        if len(mine) == 1:
            return self._start(turn, mine[0])
        _ = turn.gettext
        return Outcome([Reply(_("For which municipality is the event?"), tuple(
            (button(staff.municipality_name(self._knowledge, m), SCOPE, "new", m),)
            for m in mine))])

    def _start(self, turn: Turn, municipality: str) -> Outcome:
        source = turn.language if turn.language in SOURCES else "nl"
        turn.conversation = Conversation(FLOW, "title", {"muni": municipality, "src": source})
        _ = turn.gettext
        intro = turn.fill(_("<b>New event in {place}</b>\nWrite in {language}: "
                            "sleutelpersonen write the other languages after you publish. "
                            "/menu stops without saving."),
                          place=staff.municipality_name(self._knowledge, municipality),
                          language=language_name(source, turn.language))
        return Outcome([Reply(intro), self._question(turn, "title")])

    def is_open(self, turn: Turn) -> bool:
        return turn.conversation is not None and turn.conversation.flow == FLOW

    def _question(self, turn: Turn, step: str) -> Reply:
        _ = turn.gettext
        keyboard: list[tuple[Button, ...]] = []
        match step:
            case "desc" | "venue":
                keyboard.append((button(_("Skip"), SCOPE, "skip", step),))
            case "time":
                keyboard.append((button(_("All day"), SCOPE, "allday"),))
            case "rep":
                keyboard += [(button(_("Once"), SCOPE, "rep", "0"),)] + [
                    (button(turn.fill(_("Every week, {weeks} times"), weeks=str(n)), SCOPE,
                            "rep", str(n)),) for n in REPEATS[1:]]
            case "kind":
                keyboard += [(button(_(cards.CATEGORY_LABELS[k]), SCOPE, "kind", str(i)),)
                             for i, k in enumerate(KINDS)]
            case "aud":
                keyboard += [(button(_(AUDIENCE_BUTTONS[a]), SCOPE, "aud", a.value),)
                             for a in AUDIENCES]
            case "cap":
                keyboard.append((button(_("No limit"), SCOPE, "nolimit"),))
        keyboard.append((button(_("✖️ Stop"), SCOPE, "stop"),))
        return Reply(_(QUESTIONS[step]), tuple(keyboard))

    # -- answers ------------------------------------------------------------------------

    async def on_posted(self, turn: Turn, posted: Posted) -> Outcome:
        conv = turn.conversation
        assert conv is not None
        _ = turn.gettext
        text = (posted.text or "").strip() if posted.is_text else ""
        step = conv.step
        if not text or step not in ("title", "desc", "day", "time", "venue", "cap"):
            return self._again(turn, step, _("Please answer with a text message, or a "
                                             "button."))
        if step in LIMITS and len(text) > LIMITS[step]:
            return self._again(turn, step, turn.fill(
                _("That is too long: at most {limit} characters."), limit=str(LIMITS[step])))
        today = turn.now.astimezone(self._zone).date()
        match step:
            case "day":
                day = parse_day(text, today)
                if day is None:
                    return self._again(turn, step, _("I cannot read that as a day from today "
                                                     "on. For example 24-03-2027."))
                conv.data["day"] = day.isoformat()
            case "time":
                times = parse_times(text)
                if times is None:
                    return self._again(turn, step, _("I cannot read that as a start and an "
                                                     "end time. For example 14:00-16:00."))
                conv.data["start"], conv.data["end"] = (t.isoformat("minutes") for t in times)
                conv.data.pop("allday", None)
            case "cap":
                if not text.isdigit() or not 1 <= int(text) <= 10_000:
                    return self._again(turn, step, _("Please write a number, for example "
                                                     "20, or tap 'No limit'."))
                conv.data["cap"] = str(int(text))
            case _:
                conv.data[step] = text
        return await self._next(turn, step)

    async def on_button(self, turn: Turn, name: str, value: str) -> Outcome | None:
        """a:new, a:skip, a:allday, a:rep, a:kind, a:aud, a:nolimit, a:pub, a:again,
        a:stop. None: not a wizard button (or not now)."""
        if name == "new":
            if value not in await staff.where(turn, Role.COORDINATOR):
                return None
            return self._start(turn, value)
        conv = turn.conversation
        if not self.is_open(turn) or conv is None:
            return None
        step = conv.step
        match name, value:
            case "stop", "":
                turn.conversation = None
                return Outcome([Reply(turn.gettext("Stopped: nothing was saved."))])
            case "skip", ("desc" | "venue") if value == step:
                conv.data.pop(step, None)
            case "allday", "" if step == "time":
                conv.data["allday"] = "1"
            case "rep", repeat if step == "rep" and repeat in {str(n) for n in REPEATS}:
                conv.data["rep"] = repeat
            case "kind", kind if step == "kind" and kind.isdigit() and int(kind) < len(KINDS):
                conv.data["kind"] = kind
            case "aud", audience if step == "aud" and audience in {a.value for a in AUDIENCES}:
                conv.data["aud"] = audience
            case "nolimit", "" if step == "cap":
                conv.data.pop("cap", None)
            case "pub", "" if step == "preview":
                return await self._publish(turn)
            case "again", "" if step == "preview":
                return self._start(turn, conv.data["muni"])
            case _:
                return None
        return await self._next(turn, step)

    def _again(self, turn: Turn, step: str, note: str) -> Outcome:
        return Outcome([Reply(note), self._question(turn, step)])

    async def _next(self, turn: Turn, step: str) -> Outcome:
        conv = turn.conversation
        assert conv is not None
        following = ORDER[ORDER.index(step) + 1] if step in ORDER[:-1] else "preview"
        conv.step = following
        if following != "preview":
            return Outcome([self._question(turn, following)])
        return self._preview(turn)

    def _preview(self, turn: Turn) -> Outcome:
        conv = turn.conversation
        assert conv is not None
        _ = turn.gettext
        dates = dates_of(conv.data, self._zone)
        occurrence = ev.Occurrence(0, event_of(conv.data), dates[0].start, dates[0].end,
                                   dates[0].all_day)
        lines = [_("<b>Preview</b>: this is how newcomers will see it."), "",
                 cards.card(turn, occurrence, self._zone, self._knowledge, None)]
        if len(dates) > 1:
            lines += ["", turn.fill(_("Every week, {weeks} times, until {last}."),
                                    weeks=str(len(dates)), last=cards.when(
                                        turn, ev.Occurrence(0, occurrence.event,
                                                            dates[-1].start, dates[-1].end,
                                                            dates[-1].all_day), self._zone))]
        return Outcome([Reply("\n".join(lines), (
            (button(_("✅ Publish"), SCOPE, "pub"),),
            (button(_("↩️ Start again"), SCOPE, "again"),),
            (button(_("✖️ Stop"), SCOPE, "stop"),)))])

    async def _publish(self, turn: Turn) -> Outcome:
        conv = turn.conversation
        assert conv is not None
        municipality = conv.data["muni"]
        if municipality not in await staff.where(turn, Role.COORDINATOR):
            turn.conversation = None
            return await staff.refuse(turn, audit.Act.EVENT_CREATE, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR),
                                      municipality=municipality)
        dates = dates_of(conv.data, self._zone)
        if dates[0].start <= turn.now:
            conv.step = "day"
            return self._again(turn, "day", turn.gettext("That moment has passed. On which "
                                                         "day?"))
        data = {**conv.data, "uid": f"bot-{uuid.uuid4().hex[:16]}"}
        event_id = await turn.uow.events.add(event_of(data), dates, turn.now)
        await staff.record(turn, audit.Act.EVENT_CREATE, allowed=True,
                           target=f"event:{event_id}", municipality=municipality)
        turn.conversation = None
        _ = turn.gettext
        others = [code for code in ("ar", "ti", "en", "nl") if code != data["src"]]
        text = "\n".join([
            turn.fill(_("Published. Dates: {count}. Newcomers find it in /events."),
                      count=str(len(dates))),
            _("Until a sleutelpersoon writes the text in their language, newcomers read your "
              "text with a note that it is not translated yet.")])
        return Outcome([Reply(text, tuple(
            (button(turn.fill(_("✍️ Ask for the {language} version"),
                              language=language_name(code, turn.language)), SCOPE, "ask",
                    f"{event_id}-{code}"),) for code in others))])
