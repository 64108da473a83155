"""/queue for coordinators: the open questions of their municipalities (waiting, being
answered, how long), each sleutelpersoon's workload, and messages the outbox could not
deliver. Pseudonyms only: a coordinator sees no more of a newcomer than a sleutelpersoon."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.content.knowledge import Knowledge
from bot.domain import audit, routing
from bot.domain import handoff as h
from bot.domain.person import Role
from bot.domain.replies import Outcome, Reply
from bot.services import staff
from bot.services.handoff_routing import Reader, Router
from bot.services.profile_questions import language_name
from bot.services.turn import Turn

SHOWN = 15  # questions listed; the counts include all
FAILED_SHOWN = 5


def ago(turn: Turn, since: datetime, now: datetime) -> str:
    """'3 h', '2 d', '10 min' (numbers and short units read the same in every language)."""
    age = max(now - since, timedelta())
    if age >= timedelta(days=2):
        return turn.fill(turn.gettext("{n} d"), n=str(age.days))
    if age >= timedelta(hours=1):
        return turn.fill(turn.gettext("{n} h"), n=str(int(age.total_seconds() // 3600)))
    return turn.fill(turn.gettext("{n} min"), n=str(int(age.total_seconds() // 60)))


class QueueService:
    def __init__(self, knowledge: Knowledge, router: Router) -> None:
        self._knowledge = knowledge
        self._router = router

    async def show(self, turn: Turn) -> Outcome:
        mine = await staff.where(turn, Role.COORDINATOR)
        if not mine:
            return await staff.refuse(turn, audit.Act.QUEUE_READ, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR))
        _ = turn.gettext
        reader = Reader(self._router.catalogs, turn.language)
        questions = await turn.uow.handoffs.waiting_in(mine)
        waiting = [q for q in questions if q.status is h.Status.WAITING]
        answered = [q for q in questions if q.status is h.Status.CLAIMED]
        lines = [turn.fill(_("<b>Questions for a person in {places}</b>"), places=", ".join(
            staff.municipality_name(self._knowledge, m) for m in mine))]
        lines.append(turn.fill(_("⏳ Waiting: {waiting} · 💬 Being answered: {answered}"),
                               waiting=str(len(waiting)), answered=str(len(answered))))
        for q in (waiting + answered)[:SHOWN]:
            since = q.created_at if q.status is h.Status.WAITING else q.claimed_at or q.created_at
            state = _("waiting") if q.status is h.Status.WAITING else _("being answered")
            lines.append("• " + turn.fill(_("{name} · {language} · {state} for {age} · asked: "
                                            "{asked}"), name=q.pseudonym,
                                          language=language_name(q.language, turn.language),
                                          state=state, age=ago(turn, since, turn.now),
                                          asked=str(len(q.progress.asked))))
        lines += await self._workload(turn, mine, reader)
        lines += await self._failed(turn, mine)
        return Outcome([Reply("\n".join(lines))])

    async def _workload(self, turn: Turn, mine: list[str], reader: Reader) -> list[str]:
        _ = turn.gettext
        profiles = {p.telegram_id: p for m in mine for p in await turn.uow.profiles.serving(m)}
        holders = {g.telegram_id for m in mine for g in await turn.uow.roles.in_municipality(m)
                   if g.role is Role.SLEUTELPERSOON}
        people = [p for t, p in sorted(profiles.items()) if t in holders]
        lines = ["", _("<b>Sleutelpersonen</b>")]
        if not people:
            return [*lines, _("None yet. Invite one with /invite.")]
        loads = await turn.uow.handoffs.loads([p.telegram_id for p in people])
        for profile in people:
            load = loads.get(profile.telegram_id, routing.Load())
            spoken = ", ".join(sorted(profile.languages))
            parts = [turn.fill(_("{name} ({languages}): {open} of {capacity} open"),
                               name=profile.display_name, languages=spoken,
                               open=str(load.open_conversations),
                               capacity=str(profile.capacity))]
            if load.last_assigned_at is not None:
                parts.append(turn.fill(_("last taken {age} ago"),
                                       age=ago(turn, load.last_assigned_at, turn.now)))
            if profile.paused:
                parts.append(_("paused"))
            elif not profile.available(turn.now):
                parts.append(_("outside their hours now"))
            lines.append("• " + " · ".join(parts))
        return lines

    async def _failed(self, turn: Turn, mine: list[str]) -> list[str]:
        """Messages to people of these municipalities (or their staff) that failed."""
        _ = turn.gettext
        staff_ids = {g.telegram_id for m in mine for g in await turn.uow.roles.in_municipality(m)}
        failed = []
        for row in await turn.uow.outbox.failed(200):
            person = await turn.uow.people.get(row.recipient_id)
            if person is not None and (person.municipality in mine
                                       or person.telegram_id in staff_ids):
                failed.append(row)
        if not failed:
            return []
        lines = ["", turn.fill(_("<b>Messages that could not be delivered: {n}</b>"),
                               n=str(len(failed)))]
        for row in failed[:FAILED_SHOWN]:
            when = ago(turn, row.ended_at, turn.now) if row.ended_at else "?"
            lines.append("• " + turn.fill(_("{kind}, {age} ago: {error}"), kind=row.kind.value,
                                          age=when, error=row.error or "-"))
        lines.append(_("The operator sees all of them with: wegwijs outbox status"))
        return lines
