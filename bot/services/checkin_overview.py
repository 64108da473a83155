"""/checkins for coordinators: how the check-ins after begeleiding go in their
municipalities (counted, no person in it, small counts as "<5"), and who a check-in did
not reach (code names only), with one action each: ask a sleutelpersoon who speaks their
language to reach out. The request is a question routed like any other (source
"reach_out"); whoever takes it is introduced to the newcomer, and a reply opens the
conversation."""

from __future__ import annotations

from datetime import timedelta

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit
from bot.domain import checkins as c
from bot.domain import handoff as h
from bot.domain.person import Role
from bot.domain.replies import Button, Outcome, Reply
from bot.services import staff
from bot.services.checkin_areas import AREA_LABELS, AREA_ORDER
from bot.services.handoff import opened
from bot.services.handoff_routing import Router
from bot.services.profile_questions import language_name
from bot.services.turn import Turn, button

SCOPE = "n"  # n:reach:<plan row id>
SHOWN = 15  # people listed per municipality
FIGURES_OVER = timedelta(days=365)


class CheckinOverview:
    def __init__(self, knowledge: Knowledge, router: Router) -> None:
        self._knowledge = knowledge
        self._router = router

    async def show(self, turn: Turn) -> Outcome:
        mine = await staff.where(turn, Role.COORDINATOR)
        if not mine:
            return await staff.refuse(turn, audit.Act.CHECKINS_READ, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR),
                                      target="/checkins")
        await staff.record(turn, audit.Act.CHECKINS_READ, allowed=True, target="/checkins")
        replies = []
        for municipality in mine:
            replies.append(await self._municipality(turn, municipality))
        return Outcome(replies)

    async def _municipality(self, turn: Turn, municipality: str) -> Reply:
        _ = turn.gettext
        name = staff.municipality_name(self._knowledge, municipality)
        figures = await turn.uow.checkins.figures(municipality, turn.now - FIGURES_OVER,
                                                  turn.now - h.CONTENT_RETENTION)
        answered = sum(figures.answered.values())
        lines = [turn.fill(_("<b>Check-ins in {place}</b> (last 12 months)"), place=name),
                 turn.fill(_("Sent: {sent} · answered: {answered} · not reached: {missed}"),
                           sent=c.shown_count(figures.sent), answered=c.shown_count(answered),
                           missed=c.shown_count(figures.not_reached))]
        if figures.sent >= c.SMALL_COUNT:  # a rate of a handful could point at a person
            lines.append(turn.fill(_("Response rate: {rate}%"),
                                   rate=str(round(100 * answered / figures.sent))))
        if answered:
            lines.append(turn.fill(
                _("🙂 good: {good} · 😐 difficult: {difficult} · 🆘 help: {help}"),
                good=c.shown_count(figures.answered.get(c.Answer.GOOD.value, 0)),
                difficult=c.shown_count(figures.answered.get(c.Answer.DIFFICULT.value, 0)),
                help=c.shown_count(figures.answered.get(c.Answer.HELP.value, 0))))
        areas = [turn.fill("{area}: {count}", area=_(AREA_LABELS[a]),
                           count=c.shown_count(figures.areas[a.value]))
                 for a in AREA_ORDER if figures.areas.get(a.value)]  # "<5" escaped
        if areas:
            lines.append(_("What is difficult:") + " " + " · ".join(areas))
        if figures.outcomes:
            lines.append(_("Questions to a person from check-ins (last 90 days), how they "
                           "ended:"))
        for area in [*AREA_ORDER, None]:
            ended = figures.outcomes.get(area.value if area else "none")
            if ended:
                lines.append("• " + turn.fill(
                    "{area}: ✅ {answered} · 🤝 {referred} · 📌 {follow} · ⏳ {open}",
                    area=_(AREA_LABELS[area]) if area else "🆘",
                    **{key: c.shown_count(ended.get(result, 0)) for key, result in (
                        ("answered", "answered"), ("referred", "referred"),
                        ("follow", "follow_up"), ("open", "open"))}))
        missed = await turn.uow.checkins.not_reached_in(municipality, SHOWN)
        keyboard: list[tuple[Button, ...]] = []
        if missed:
            lines.append("")
            lines.append(_("<b>Not reached</b> (no answer to a check-in and its reminder):"))
        for person in missed:
            weeks = max(0, (turn.now - person.last_contact).days // 7)
            language = language_name(person.language or "", turn.language)
            lines.append("• " + turn.fill(_("{name} · {language} · weeks since last contact: "
                                            "{weeks}"), name=person.pseudonym,
                                          language=language, weeks=str(weeks)))
            keyboard.append((button(turn.fill(_("👋 Ask someone to reach out to {name}"),
                                              name=person.pseudonym),
                                    SCOPE, "reach", str(person.entry_id)),))
        if not missed:
            lines.append(_("Nobody is on the not-reached list."))
        return Reply("\n".join(lines), tuple(keyboard))

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        action = actions.parse(data)
        row_id = h.row_id(action.value) if action is not None and action.name == "reach" \
            else None
        mine = await staff.where(turn, Role.COORDINATOR)
        if not mine:
            return await staff.refuse(turn, audit.Act.REACH_OUT, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR),
                                      target=data[:40])
        _ = turn.gettext
        if row_id is None:
            return await staff.refuse(turn, audit.Act.REACH_OUT, audit.Reason.FORGED,
                                      _("I do not recognise this button."), target=data[:40])
        entry = await turn.uow.checkins.get(row_id)
        newcomer = await turn.uow.people.get(entry.person_id) if entry else None
        target = f"checkin:{row_id}"
        if entry is None or newcomer is None or newcomer.municipality not in mine:
            # Also for rows elsewhere: a coordinator learns nothing of other places' lists.
            return await staff.refuse(turn, audit.Act.REACH_OUT, audit.Reason.UNKNOWN_TARGET,
                                      _("This person is no longer on the not-reached list. "
                                        "Nothing was changed."), target=target,
                                      municipality=newcomer.municipality if newcomer else None)
        if entry.not_reached_at is None or entry.answered_at is not None:
            text = _("This person is no longer on the not-reached list. Nothing was changed.")
            return await staff.refuse(turn, audit.Act.REACH_OUT, audit.Reason.STALE, text,
                                      target=target)
        assert newcomer.municipality is not None
        pseudonym = entry.pseudonym or ""
        language = language_name(newcomer.language or "", turn.language)
        if await turn.uow.handoffs.open_of(newcomer.id) is not None:
            text = turn.fill(_("{name} already has an open conversation with a sleutelpersoon, "
                               "or a request for one: see /queue."), name=pseudonym)
            return Outcome([Reply(text)], notice=text)
        if newcomer.language is None or not await self._router.speaks(
                turn.uow, newcomer.municipality, newcomer.language):
            text = turn.fill(_("No sleutelpersoon in {place} speaks {language} yet. Invite "
                               "one with /invite, then ask again."),
                             place=staff.municipality_name(self._knowledge,
                                                           newcomer.municipality),
                             language=language)
            return Outcome([Reply(text)], notice=text)
        await opened(turn.uow, self._router, newcomer, h.Source.REACH_OUT, turn.now,
                     pseudonym=pseudonym)
        await turn.uow.checkins.stop_following(entry.id)
        await staff.record(turn, audit.Act.REACH_OUT, allowed=True, target=target,
                           municipality=newcomer.municipality)
        text = turn.fill(_("Asked: sleutelpersonen who speak {language} are asked to reach "
                           "out to {name}. Whoever takes it writes to them through Wegwijs."),
                         language=language, name=pseudonym)
        return Outcome([Reply(text)], notice=text)
