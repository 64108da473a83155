"""/begeleiding for sleutelpersonen: note, inside a conversation, when the newcomer's
begeleiding ends (/begeleiding 2027-06), that it has ended, or that nobody knows yet. The
check-ins are planned again from it (bot.services.checkins), exactly as when the newcomer
answers in /settings, and the newcomer is told what was noted and that they can change it.
"""

from __future__ import annotations

from datetime import date

from bot.domain import audit
from bot.domain.person import Begeleiding
from bot.domain.questions import end_months, end_years
from bot.domain.replies import Outcome, Reply
from bot.services import dates, relay_copy, staff
from bot.services.checkins import Checkins
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs
from bot.services.quick_answers import focused
from bot.services.turn import Turn


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is sent."""
    return message


TOLD = {
    Begeleiding.RUNNING: _("{name} noted that your begeleiding ends around {month}. Wegwijs "
                           "writes to you before it ends, and asks after it how things are "
                           "going. You can change it in /settings."),
    Begeleiding.ENDED: _("{name} noted that your begeleiding has ended. Wegwijs asks now and "
                         "then how things are going. You can change it in /settings."),
    Begeleiding.UNKNOWN: _("{name} noted that it is not known yet when your begeleiding ends. "
                           "Wegwijs asks you again in three months. You can change it in "
                           "/settings."),
}


def parse(value: str, today: date) -> tuple[Begeleiding, date | None] | None:
    """"2027-06", "ended" or "unknown"; None for anything else, or a month in the past."""
    value = value.strip().lower()
    if value in ("ended", "unknown"):
        return Begeleiding(value), None
    year, _sep, month = value.partition("-")
    if not (year.isdigit() and month.isdigit()):
        return None
    if int(year) not in end_years(today) or int(month) not in end_months(int(year), today):
        return None
    return Begeleiding.RUNNING, date(int(year), int(month), 1)


class EndMonth:
    def __init__(self, checkins: Checkins, catalogs: Catalogs) -> None:
        self._checkins = checkins
        self._catalogs = catalogs

    async def command(self, turn: Turn, args: str) -> Outcome:
        _ = turn.gettext
        target = await focused(turn)
        newcomer = await turn.uow.people.get(target.newcomer_id) \
            if target is not None and target.newcomer_id is not None else None
        if target is None or newcomer is None:
            return Outcome([Reply(_("Choose a conversation first with /conversations."))])
        usage = _("Write for example /begeleiding 2027-06 (the month it ends), /begeleiding "
                  "ended or /begeleiding unknown.")
        if not args.strip():
            return Outcome([Reply(turn.fill(_("Newcomer {name}: when does their begeleiding "
                                              "end?"), name=target.label()) + "\n" + usage)])
        parsed = parse(args, turn.today)
        if parsed is None:
            return Outcome([Reply(_("That is not a month still to come.") + "\n" + usage)])
        if not await self._checkins.note_end(turn.uow, newcomer, *parsed, turn.now):
            return Outcome([Reply(turn.fill(_("Already noted for Newcomer {name}."),
                                            name=target.label()))])
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        reader = Reader(self._catalogs, newcomer.language)
        month = dates.month_year(reader.language, parsed[1]) if parsed[1] else ""
        told = reader.fill(reader.gettext(TOLD[parsed[0]]),
                           name=profile.display_name if profile else "", month=month)
        await relay_copy.say(turn.uow, newcomer, "📅 " + told,
                             f"handoff:{target.id}:end-month:{turn.now.isoformat()}", turn.now)
        await staff.record(turn, audit.Act.END_MONTH, allowed=True,
                           target=f"handoff:{target.id}", municipality=target.municipality)
        return Outcome([Reply(turn.fill(_("Noted for Newcomer {name}; the check-ins after "
                                          "begeleiding are planned from it. They were told."),
                                        name=target.label()))])

