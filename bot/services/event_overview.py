"""/attendance for coordinators: per municipality, the dates of the next two weeks people
said they would go to (how many go and wait), how the last month's events were liked, and
the calendar feeds that fail. A coordinator cancels a date from its card in /events
(scope "a"); everyone going or waiting is told in their language. Counts only: no
coordinator learns who goes or who liked what."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit
from bot.domain.person import Role
from bot.domain.replies import Outcome, Reply
from bot.services import dates, staff
from bot.services import event_cards as cards
from bot.services.event_notices import SCOPE as EVENTS_SCOPE
from bot.services.event_notices import EventNotices
from bot.services.event_sources import problem
from bot.services.events import ADMIN_SCOPE
from bot.services.turn import Turn, button

SCOPE = ADMIN_SCOPE  # a:cancel:<date>, a:sure:<date>
AHEAD = timedelta(days=14)
BEHIND = timedelta(days=30)
SHOWN = 20  # dates listed per part


class EventOverview:
    def __init__(self, knowledge: Knowledge, notices: EventNotices, zone: ZoneInfo) -> None:
        self._knowledge = knowledge
        self._notices = notices
        self._zone = zone

    async def show(self, turn: Turn) -> Outcome:
        mine = await staff.where(turn, Role.COORDINATOR)
        if not mine:
            return await staff.refuse(turn, audit.Act.EVENTS_READ, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR),
                                      target="/attendance")
        await staff.record(turn, audit.Act.EVENTS_READ, allowed=True, target="/attendance")
        return Outcome([await self._municipality(turn, m) for m in mine])

    async def _municipality(self, turn: Turn, municipality: str) -> Reply:
        _ = turn.gettext
        name = staff.municipality_name(self._knowledge, municipality)
        lines = [turn.fill(_("<b>Events in {place}</b>"), place=name), "",
                 _("<b>Next two weeks</b>, dates people said they would go to:")]
        ahead = await turn.uow.events.figures(municipality, turn.now, turn.now + AHEAD, SHOWN)
        lines += [turn.compose("• {when} · {title}: ",
                               when=cards.when(turn, f.occurrence, self._zone),
                               title=turn.value(cards.title(turn, f.occurrence.event)))
                  + turn.fill(_("going: {going}, waiting: {waiting}"), going=str(f.going),
                              waiting=str(f.waiting))
                  + (" ❌" if f.occurrence.cancelled else "") for f in ahead] \
            or [_("None yet.")]
        behind = [f for f in await turn.uow.events.figures(
            municipality, turn.now - BEHIND, turn.now, SHOWN) if f.liked or f.disliked]
        lines += ["", _("<b>Last 30 days</b>, how people liked them:")]
        lines += [turn.fill("• {day} · {title}: 👍 {liked} · 👎 {disliked}",
                            day=dates.weekday_day_month(
                                turn.language, f.occurrence.start.astimezone(self._zone).date()),
                            title=cards.title(turn, f.occurrence.event), liked=str(f.liked),
                            disliked=str(f.disliked)) for f in behind] or [_("No answers yet.")]
        feeds = await turn.uow.events.feeds_in([municipality])
        broken = [f for f in feeds if f.broken]
        if broken:
            lines += ["", _("⚠️ <b>Calendar feeds that fail</b> (their last good events stay "
                            "listed):")]
            lines += [turn.fill(_("• {feed}: failing since {day}: {error}"), feed=f.feed,
                                day=dates.day_month_year(turn.language, (
                                    f.failing_since or turn.now).astimezone(self._zone).date()),
                                error=problem(turn, f.error or "?")) for f in broken]
        elif feeds:
            lines += ["", turn.fill(_("Calendar feeds: {count} read without problems."),
                                    count=str(len(feeds)))]
        lines += ["", _("To cancel a date, open it in /events and tap 🛑.")]
        return Reply("\n".join(lines), ((button(_("➕ New event"), SCOPE, "new",
                                                municipality),),))

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        action = actions.parse(data)
        number = action.value if action else ""
        if action is None or action.name not in ("cancel", "sure") or not number.isdigit() \
                or len(number) > 9:  # ids fit an int32
            return await staff.refuse(turn, audit.Act.EVENT_CANCEL, audit.Reason.FORGED,
                                      turn.gettext("I do not recognise this button."),
                                      target=data[:64])
        occurrence = await turn.uow.events.occurrence(int(number))
        if occurrence is None:
            return await staff.refuse(turn, audit.Act.EVENT_CANCEL,
                                      audit.Reason.UNKNOWN_TARGET, turn.gettext(
                                          "I cannot find this event any more."),
                                      target=number)
        municipality = occurrence.event.municipality
        mine = await staff.where(turn, Role.COORDINATOR)
        if municipality not in mine:
            return await staff.refuse(
                turn, audit.Act.EVENT_CANCEL,
                audit.Reason.OTHER_MUNICIPALITY if mine else audit.Reason.NO_ROLE,
                staff.other_municipality(turn) if mine else staff.no_role(turn, Role.COORDINATOR),
                target=number, municipality=municipality)
        if occurrence.cancelled or occurrence.start <= turn.now:
            return await staff.refuse(turn, audit.Act.EVENT_CANCEL, audit.Reason.STALE,
                                      turn.gettext("This date has passed or was cancelled."),
                                      target=number, municipality=municipality)
        _ = turn.gettext
        what = turn.compose("<b>{title}</b>, {when}",
                            title=turn.value(cards.title(turn, occurrence.event)),
                            when=cards.when(turn, occurrence, self._zone))
        told = occurrence.going + occurrence.waiting
        if action.name == "cancel":
            return Outcome([Reply(
                _("Cancel this date?") + "\n" + what + "\n\n" + turn.fill(
                    _("People going or waiting: {count}. Each of them will be told, in "
                      "their own language."), count=str(told)),
                ((button(_("🛑 Yes, cancel this date"), SCOPE, "sure", number),),
                 (button(_("No, keep it"), EVENTS_SCOPE, "o", number),)))])
        rsvps = await turn.uow.events.cancel_occurrence(occurrence.id, turn.now)
        await self._notices.cancelled(turn.uow, rsvps, occurrence, turn.now)
        await staff.record(turn, audit.Act.EVENT_CANCEL, allowed=True, target=number,
                           municipality=municipality)
        text = _("Cancelled:") + " " + what + "\n" + turn.fill(
            _("People who will be told: {count}."), count=str(len(rsvps)))
        return Outcome([Reply(text, ((button(_("📅 Events"), EVENTS_SCOPE, "wk", "0a0"),),))],
                       notice=_("Cancelled."))
