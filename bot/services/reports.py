"""Records of the sleutelpersonen's work, and reminders to look after them.

- `/report [YYYY-MM]`: a coordinator gets, per municipality, a CSV with each sleutelpersoon's
  activity in that month (default: last month); a sleutelpersoon gets their own line.
- On the first days of a month, every coordinator receives last month's CSV on their own,
  through the outbox (one row per coordinator, municipality and month: never twice).
- Every few weeks (WEGWIJS_ONE_TO_ONE_WEEKS) a coordinator is reminded to have a
  one-to-one talk with each active sleutelpersoon: volunteers who answer hard questions in
  the evening need someone who asks how it goes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.domain import activity, audit, outbox
from bot.domain.person import Person, Role
from bot.domain.replies import Document, Outcome, Reply
from bot.services import staff
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs, Translator, UnitOfWork, UnitOfWorkFactory
from bot.services.turn import Turn

MONTHLY_DAYS = 7  # the monthly report is sent on the first days of a month, once
EPOCH = date(2026, 1, 5)  # a Monday: one-to-one periods count from here


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


HEADER = (_("name"), _("conversations taken"), _("answered"), _("referred"),
          _("follow-up needed"), _("still open"), _("helped (👍)"), _("did not help (👎)"),
          _("availability hours"), _("median minutes until taken"))
ANY_TIME = _("any time")


class Reports:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs, zone: ZoneInfo) -> None:
        self._knowledge = knowledge
        self._catalogs = catalogs
        self._zone = zone

    # -- /report --------------------------------------------------------------------------

    async def command(self, turn: Turn, args: str) -> Outcome:
        _ = turn.gettext
        places = await staff.where(turn, Role.COORDINATOR)
        helping = await staff.where(turn, Role.SLEUTELPERSOON)
        if not places and not helping:
            return await staff.refuse(turn, audit.Act.REPORT, audit.Reason.NO_ROLE,
                                      _("Only coordinators and sleutelpersonen can do this. "
                                        "Nothing was changed."))
        month = activity.Month.parse(args) if args.strip() else activity.Month.before(
            turn.today)
        if month is None:
            return Outcome([Reply(_("Write the month like this: /report 2026-11"))])
        replies = []
        for place in places:
            csv = await self._csv(turn.uow, turn.tr, place, month, None)
            replies.append(Reply(turn.fill(_("Activity of the sleutelpersonen in {place}, "
                                             "{month}."), place=self._name(place),
                                           month=str(month)), document=csv))
        if not places:  # a sleutelpersoon: their own work, in every place they help
            for place in helping:
                csv = await self._csv(turn.uow, turn.tr, place, month,
                                      turn.person.telegram_id)
                replies.append(Reply(turn.fill(_("Your activity in {place}, {month}."),
                                               place=self._name(place), month=str(month)),
                                     document=csv))
        await staff.record(turn, audit.Act.REPORT, allowed=True, target=f"month:{month}",
                           municipality=places[0] if len(places) == 1 else None)
        return Outcome(replies)

    async def _csv(self, uow: UnitOfWork, tr: Translator, place: str, month: activity.Month,
                   only: int | None) -> Document:
        start, end = month.bounds(self._zone)
        holders = {g.telegram_id for g in await uow.roles.in_municipality(place)
                   if g.role is Role.SLEUTELPERSOON}
        profiles = [p for p in await uow.profiles.serving(place)
                    if p.telegram_id in holders and (only is None or p.telegram_id == only)]
        questions = await uow.handoffs.claimed_between(start, end, [place])
        rows = [activity.summarize(p, questions, start, end) for p in profiles]
        content = activity.to_csv(rows, [tr.gettext(h) for h in HEADER], tr.gettext(ANY_TIME))
        return Document(f"wegwijs-activity-{place}-{month}.csv", content, "text/csv")

    def _name(self, place: str) -> str:
        return staff.municipality_name(self._knowledge, place)

    # -- the ticks --------------------------------------------------------------------------

    async def monthly_tick(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        """Last month's report to every coordinator, once, in the first days of a month."""
        today = now.astimezone(self._zone).date()
        if today.day > MONTHLY_DAYS:
            return 0
        month = activity.Month.before(today)
        written = 0
        async with uow_factory() as uow:
            for grant in await uow.roles.all():
                key = f"report:{grant.municipality}:{month}:{grant.telegram_id}"
                if grant.role is not Role.COORDINATOR or await uow.outbox.has(key):
                    continue  # the tick runs every half minute: build each report once
                person = await uow.people.by_telegram_id(grant.telegram_id)
                if person is None:
                    continue
                reader = Reader(self._catalogs, person.language)
                text = reader.fill(reader.gettext(
                    "Last month's activity of the sleutelpersonen in {place}, {month}. "
                    "/report gives other months."), place=self._name(grant.municipality),
                    month=str(month))
                document = await self._csv(uow, reader.tr, grant.municipality, month, None)
                written += await uow.outbox.add(outbox.Outgoing(
                    person.id, outbox.Kind.REMINDER, outbox.Message(text, document=document),
                    key), now) is not None
            await uow.commit()
        return written

    async def one_to_one_tick(self, uow_factory: UnitOfWorkFactory, now: datetime,
                              weeks: int) -> int:
        """Every `weeks` weeks: which sleutelpersonen to have a one-to-one with."""
        today = now.astimezone(self._zone).date()
        period = (today - EPOCH).days // (7 * weeks)
        written = 0
        async with uow_factory() as uow:
            grants = await uow.roles.all()
            for grant in grants:
                key = f"one-to-one:{grant.municipality}:{period}:{grant.telegram_id}"
                # A coordinator appointed lately is not reminded yet: the grid of periods
                # would otherwise remind them twice within days around its first boundary.
                if grant.role is not Role.COORDINATOR or await uow.outbox.has(key) \
                        or now - grant.granted_at < timedelta(weeks=weeks):
                    continue
                person = await uow.people.by_telegram_id(grant.telegram_id)
                names = await self._active(uow, grant.municipality, now - timedelta(
                    weeks=weeks))
                if person is None or not names:
                    continue
                written += await self._remind(uow, person, grant.municipality, names, key,
                                              now)
            await uow.commit()
        return written

    async def _active(self, uow: UnitOfWork, place: str, since: datetime) -> list[str]:
        """Sleutelpersonen of the place who are not paused or took a question lately."""
        holders = {g.telegram_id for g in await uow.roles.in_municipality(place)
                   if g.role is Role.SLEUTELPERSOON}
        recent = {q.helper_id for q in await uow.handoffs.claimed_between(
            since, since + timedelta(days=366), [place])}
        return sorted(p.display_name for p in await uow.profiles.serving(place)
                      if p.telegram_id in holders and (not p.paused or p.telegram_id in recent))

    async def _remind(self, uow: UnitOfWork, person: Person, place: str, names: list[str],
                      key: str, now: datetime) -> int:
        reader = Reader(self._catalogs, person.language)
        text = reader.fill(reader.gettext(
            "🤝 Time for a one-to-one talk with each active sleutelpersoon in {place}: how is "
            "it going, is anything too heavy, what do they need? {names}"),
            place=self._name(place), names=", ".join(names))
        return await uow.outbox.add(outbox.Outgoing(
            person.id, outbox.Kind.REMINDER, outbox.Message(text), key), now) is not None
