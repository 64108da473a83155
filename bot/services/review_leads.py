"""/leads: coordinators appoint language leads for the review of translations (issue 12).

A language lead's vote alone makes a catalog text reviewed (bot.domain.catalog_review). A
coordinator sees the sleutelpersonen of their municipalities who speak Arabic, Tigrinya or
Dutch, and taps ⭐ to appoint one as the lead of a language, ✖ to end it. Buttons name the
sleutelpersoon's role row and Telegram id (as /roles does), never a name; the role, its
municipality and the languages spoken are looked up. Every change is audited, and the
sleutelpersoon is told.
"""

from __future__ import annotations

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit, outbox
from bot.domain import catalog_review as cr
from bot.domain.person import Role, RoleGrant
from bot.domain.replies import Button, Outcome, Reply, rows
from bot.domain.sleutelpersoon import Profile
from bot.services import staff
from bot.services.coordinators import role_ref
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs
from bot.services.profile_questions import language_name
from bot.services.turn import Turn, button

SCOPE = "l"  # l:on-<lang>:<role id>-<telegram id>, l:off-<lang>:<role id>-<telegram id>


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


class Leads:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs) -> None:
        self._knowledge = knowledge
        self._catalogs = catalogs

    async def command(self, turn: Turn) -> Outcome:
        mine = await staff.where(turn, Role.COORDINATOR)
        if not mine:
            return await staff.refuse(turn, audit.Act.LANGUAGE_LEAD, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR), target="/leads")
        return await self._overview(turn, mine)

    async def _overview(self, turn: Turn, mine: list[str], note: str | None = None
                        ) -> Outcome:
        _ = turn.gettext
        leads = {(x.telegram_id, x.language) for x in await turn.uow.reviews.leads()}
        people: dict[int, tuple[RoleGrant, Profile]] = {}
        for place in mine:
            for grant in await turn.uow.roles.in_municipality(place):
                if grant.role is Role.SLEUTELPERSOON and grant.telegram_id not in people:
                    profile = await turn.uow.profiles.get(grant.telegram_id)
                    if profile is not None and set(profile.languages) & set(cr.LANGUAGES):
                        people[grant.telegram_id] = (grant, profile)
        replies = [Reply(note)] if note else []
        if not people:
            replies.append(Reply(_("No sleutelpersoon in your municipalities speaks Arabic, "
                                   "Tigrinya or Dutch yet. Invite one with /invite.")))
            return Outcome(replies)
        lines = [_("<b>Language leads</b>\nA language lead's review alone makes a text of "
                   "the bot reviewed; other texts need two reviewers who agree. Leads can be "
                   "sleutelpersonen of your municipalities who speak Arabic, Tigrinya or "
                   "Dutch."), ""]
        buttons: list[Button] = []
        for grant, profile in people.values():
            for language in (c for c in cr.LANGUAGES if c in profile.languages):
                name = language_name(language, turn.language)
                if (grant.telegram_id, language) in leads:
                    lines.append(turn.fill(_("• {name}: lead for {language}"),
                                           name=profile.display_name, language=name))
                    label, verb = _("✖ {name}: no longer lead for {language}"), "off"
                else:
                    label, verb = _("⭐ {name}: lead for {language}"), "on"
                buttons.append(button(label.format(name=profile.display_name, language=name),
                                      SCOPE, f"{verb}-{language}", role_ref(grant)))
        if len(lines) == 2:
            lines.append(_("Nobody leads a language yet."))
        replies.append(Reply("\n".join(lines), rows(buttons, 1)))
        return Outcome(replies)

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        _ = turn.gettext
        action = actions.parse(data)
        verb, _sep, language = (action.name if action else "").partition("-")
        row_id, _sep, check = (action.value if action else "").partition("-")
        if action is None or action.scope != SCOPE or verb not in ("on", "off") \
                or language not in cr.LANGUAGES or not row_id.isdigit() \
                or not check.isdigit() or len(row_id) > 9:
            return await staff.refuse(turn, audit.Act.LANGUAGE_LEAD, audit.Reason.FORGED,
                                      _("I do not recognise this button."), target=data[:64])
        mine = await staff.where(turn, Role.COORDINATOR)
        grant = await turn.uow.roles.get(int(row_id))
        if grant is not None and (grant.telegram_id != int(check)
                                  or grant.role is not Role.SLEUTELPERSOON):
            grant = None  # gone, its id reused since, or not a sleutelpersoon's
        target = f"lead:{check}:{language}"
        place = grant.municipality if grant else None
        if not mine:
            return await staff.refuse(turn, audit.Act.LANGUAGE_LEAD, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR), target=target,
                                      municipality=place)
        if grant is None:
            return await staff.refuse(turn, audit.Act.LANGUAGE_LEAD,
                                      audit.Reason.UNKNOWN_TARGET, _(
                                          "This role or invitation no longer exists. Nothing "
                                          "was changed."), target=target)
        if grant.municipality not in mine:
            return await staff.refuse(turn, audit.Act.LANGUAGE_LEAD,
                                      audit.Reason.OTHER_MUNICIPALITY,
                                      staff.other_municipality(turn), target=target,
                                      municipality=place)
        profile = await turn.uow.profiles.get(grant.telegram_id)
        name = language_name(language, turn.language)
        if verb == "on" and (profile is None or language not in profile.languages):
            return await staff.refuse(turn, audit.Act.LANGUAGE_LEAD, audit.Reason.NOT_ELIGIBLE,
                                      turn.fill(_("Only sleutelpersonen who speak {language} "
                                                  "can lead it."), language=name),
                                      target=target, municipality=place)
        who = profile.display_name if profile else str(grant.telegram_id)
        if verb == "on":
            changed = await turn.uow.reviews.appoint(cr.Lead(
                grant.telegram_id, language, turn.now, turn.person.telegram_id))
            note = turn.fill(_("Done: {name} is now a language lead for {language}."),
                             name=who, language=name)
        else:
            changed = await turn.uow.reviews.end_lead(grant.telegram_id, language)
            note = turn.fill(_("Done: {name} is no longer a language lead for {language}."),
                             name=who, language=name)
        await staff.record(turn, audit.Act.LANGUAGE_LEAD, allowed=True,
                           target=f"{target}:{verb}", municipality=place)
        if changed:
            await self._tell(turn, grant.telegram_id, language, appointed=verb == "on")
        return await self._overview(turn, mine, note)

    async def _tell(self, turn: Turn, telegram_id: int, language: str, *,
                    appointed: bool) -> None:
        person = await turn.uow.people.by_telegram_id(telegram_id)
        if person is None or person.id == turn.person.id:
            return
        reader = Reader(self._catalogs, person.language)
        template = reader.gettext(
            _("⭐ A coordinator made you a language lead for {language}: your review alone "
              "now makes a text of the bot reviewed. Send /review to begin.") if appointed
            else _("A coordinator ended your role as a language lead for {language}. Your "
                   "reviews still count, together with another reviewer's."))
        text = reader.fill(template, language=language_name(language, reader.language))
        await turn.uow.outbox.add(outbox.Outgoing(
            person.id, outbox.Kind.NOTIFICATION, reader.readable(outbox.Message(text)),
            f"lead:{telegram_id}:{language}:{'on' if appointed else 'off'}:"
            f"{int(turn.now.timestamp())}"), turn.now)
