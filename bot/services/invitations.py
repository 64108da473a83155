"""Invitations: a coordinator's one-time link, and what happens when someone opens it.

Opening `https://t.me/<bot>?start=<code>` sends `/start <code>`. The first person to open
it takes it (one conditional UPDATE: of two people at once, one wins); they choose their
language if the bot does not know it yet, read what the role means and what is stored, and
agree; a sleutelpersoon then answers the profile questions. Only then is the role granted,
and the coordinator who sent the link is told. A forged, expired, used or withdrawn code
gets a clear answer, grants nothing, and is written to the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit, outbox
from bot.domain.invitation import (
    LIFETIME,
    Invitation,
    Standing,
    digest,
    new_code,
    standing,
    well_formed,
)
from bot.domain.person import Role, RoleGrant
from bot.domain.questions import Conversation, Step
from bot.domain.replies import Outcome, Reply, rows
from bot.services import dates, questions, staff
from bot.services.profile_questions import SETUP, Field, ProfileQuestions, Result, profile_of
from bot.services.turn import Turn, button

SCOPE = "i"
FLOW = "invite"
WELCOME = "welcome"


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


_REFUSALS: dict[Standing, tuple[audit.Reason, str]] = {
    Standing.TAKEN: (audit.Reason.TAKEN, _(
        "This invitation has already been used. Please ask your coordinator for a new link.")),
    Standing.EXPIRED: (audit.Reason.EXPIRED, _(
        "This invitation has expired. Please ask your coordinator for a new link.")),
    Standing.REVOKED: (audit.Reason.REVOKED, _(
        "This invitation was withdrawn. Please ask your coordinator for a new link.")),
    Standing.OWN: (audit.Reason.OWN, _(
        "This is your own invitation. Send the link to the person you want to invite: it "
        "works once.")),
}


def target(invitation: Invitation) -> str:
    return f"invitation:{invitation.id} {invitation.role.value}"


class InvitationService:
    def __init__(self, knowledge: Knowledge, profile_questions: ProfileQuestions,
                 zone: ZoneInfo) -> None:
        self._knowledge = knowledge
        self._zone = zone
        self.questions = profile_questions
        # Set by the Telegram transport once it knows the bot's name; without it (the
        # console) a link is the command to type.
        self.bot_username: str | None = None

    def link(self, code: str) -> str:
        if self.bot_username:
            return f"https://t.me/{self.bot_username}?start={code}"
        return f"/start {code}"

    # -- the coordinator's side -----------------------------------------------------------

    async def create(self, turn: Turn, role: Role, municipality: str) -> tuple[Invitation, str]:
        """A new invitation and its link. The caller has checked that `turn`'s person
        coordinates `municipality`."""
        code = new_code()
        invitation = await turn.uow.invitations.add(digest(code), Invitation(
            0, role, municipality, turn.person.telegram_id, turn.now, turn.now + LIFETIME))
        await staff.record(turn, audit.Act.INVITATION_CREATE, allowed=True,
                           target=target(invitation), municipality=municipality)
        return invitation, self.link(code)

    def valid_until(self, turn: Turn, invitation: Invitation) -> str:
        """The last day on which the link works, where people live."""
        local = invitation.expires_at.astimezone(self._zone)
        return dates.day_month_year(turn.language, local.date())

    # -- the invited person's side ------------------------------------------------------

    async def open(self, turn: Turn, code: str) -> Outcome:
        """/start <code>."""
        code = code.strip()
        invitation = await turn.uow.invitations.by_code(digest(code)) \
            if well_formed(code) else None
        if invitation is None:
            return await staff.refuse(turn, audit.Act.INVITATION_OPEN, audit.Reason.FORGED,
                                      turn.gettext("This invitation link is not valid. Please "
                                                   "ask your coordinator for a new link."))
        me = turn.person.telegram_id
        found = standing(invitation, me, turn.now)
        if found is Standing.OPEN and await self._already(turn, invitation):
            return Outcome([Reply(turn.fill(turn.gettext(
                "You already have this role: {what}. This invitation was not used, so it "
                "still works for someone else."), what=self._what(turn, invitation)))])
        if found is Standing.OPEN:
            if not await turn.uow.invitations.take(invitation.id, me, turn.now):
                return await self._refuse(turn, invitation, Standing.TAKEN)  # lost a race
            await staff.record(turn, audit.Act.INVITATION_OPEN, allowed=True,
                               target=target(invitation), municipality=invitation.municipality)
            return self._begin(turn, replace(invitation, used_by=me, used_at=turn.now))
        if found is Standing.YOURS:
            if self._invitation_id(turn) == invitation.id:
                return self._ask(turn, invitation)  # where they were
            return self._begin(turn, invitation)
        return await self._refuse(turn, invitation, found)

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        action = actions.parse(data)
        invitation = await self._current(turn)
        conv = turn.conversation
        if action is None or invitation is None or conv is None:
            return _stale(turn)
        found = standing(invitation, turn.person.telegram_id, turn.now)
        if found is not Standing.YOURS:
            turn.conversation = None
            return await self._refuse(turn, invitation, found)
        if action.name == Step.LANGUAGE and conv.step == Step.LANGUAGE:
            if not questions.accept(turn, Step.LANGUAGE, action.value, self._knowledge):
                return _stale(turn, self._ask(turn, invitation))
            conv.step = WELCOME
            outcome = self._ask(turn, invitation)
            outcome.replies[0:0] = questions.draft_notice(turn, Step.LANGUAGE)
            return outcome
        if action.name == "ok" and conv.step == WELCOME and action.value in ("yes", "no"):
            if action.value == "no":
                return await self._decline(turn, invitation)
            if turn.person.staff_consented_at is None:
                turn.person.staff_consented_at = turn.now
            if invitation.role is Role.COORDINATOR \
                    or await turn.uow.profiles.get(turn.person.telegram_id) is not None:
                return await self._finish(turn, invitation)
            conv.data[Field.MUNICIPALITIES.value] = invitation.municipality
            conv.step = SETUP[0]
            return self._ask(turn, invitation)
        field = _field(conv.step)
        result = None if field is None else self.questions.press(
            field, action.name, action.value, conv.data, [invitation.municipality])
        if field is None or result is None:
            return _stale(turn, self._ask(turn, invitation))
        return await self._after(turn, invitation, field, result)

    async def on_text(self, turn: Turn, text: str) -> Outcome:
        """Typed while the invitation's questions are open (the name, language codes)."""
        invitation = await self._current(turn)
        conv = turn.conversation
        if invitation is None or conv is None:
            turn.conversation = None
            return _stale(turn)
        found = standing(invitation, turn.person.telegram_id, turn.now)
        if found is not Standing.YOURS:
            turn.conversation = None
            return await self._refuse(turn, invitation, found)
        field = _field(conv.step)
        result, note = (None, None) if field is None else self.questions.typed(
            turn, field, text, conv.data)
        if field is None or result is None:
            return self._ask(turn, invitation, turn.gettext("Please choose one of the buttons."))
        outcome = await self._after(turn, invitation, field, result)
        if note:
            outcome.replies.insert(0, Reply(note))
        return outcome

    async def on_unsupported(self, turn: Turn) -> Outcome:
        invitation = await self._current(turn)
        note = turn.gettext("I can only read text messages and buttons.")
        if invitation is None:
            turn.conversation = None
            return Outcome([Reply(note)])
        return self._ask(turn, invitation, note)

    # -- steps --------------------------------------------------------------------------

    def _begin(self, turn: Turn, invitation: Invitation) -> Outcome:
        first = Step.LANGUAGE.value if turn.person.language is None else WELCOME
        turn.conversation = Conversation(FLOW, first, {"inv": str(invitation.id)})
        return self._ask(turn, invitation)

    def _ask(self, turn: Turn, invitation: Invitation, note: str | None = None) -> Outcome:
        assert turn.conversation is not None
        step = turn.conversation.step
        notes = [Reply(note)] if note else []
        if step == Step.LANGUAGE:
            return Outcome([*notes, questions.ask(turn, Step.LANGUAGE, SCOPE, self._knowledge)])
        if step == WELCOME:
            return Outcome([*notes, self._welcome(turn, invitation)])
        field = _field(step) or SETUP[0]
        return Outcome([*notes, self.questions.ask(turn, field, turn.conversation.data, SCOPE,
                                                   [invitation.municipality])])

    def _welcome(self, turn: Turn, invitation: Invitation) -> Reply:
        _ = turn.gettext
        place = staff.municipality_name(self._knowledge, invitation.municipality)
        if invitation.role is Role.SLEUTELPERSOON:
            what = turn.fill(_(
                "<b>Welcome!</b>\nYou are invited to help newcomers in {place} as a "
                "sleutelpersoon. Newcomers ask their questions in their own language; what "
                "Wegwijs cannot answer goes to a sleutelpersoon who speaks that language."),
                place=place)
        else:
            what = turn.fill(_(
                "<b>Welcome!</b>\nYou are invited to become a coordinator for {place}. "
                "Coordinators invite sleutelpersonen and other coordinators, end roles, and "
                "see what was done and refused."), place=place)
        text = "\n\n".join([what, _(
            "<b>What we store about you</b>\n"
            "• your Telegram user number and your role\n"
            "• for sleutelpersonen: the name newcomers see, your languages, topics, hours "
            "and how many conversations you take on\n"
            "• a record of changes to roles and of refused actions (who, what, when; never "
            "message content), kept for 180 days\n"
            "We do not store your phone number. /mydata sends you all of it; /delete erases "
            "it, except that record."), _("Do you agree to this?")])
        return Reply(text, rows([button(_("✅ I agree"), SCOPE, "ok", "yes"),
                                 button(_("No, thank you"), SCOPE, "ok", "no")], 1))

    async def _after(self, turn: Turn, invitation: Invitation, field: Field,
                     result: Result) -> Outcome:
        assert turn.conversation is not None
        if result is Result.STAY:
            return self._ask(turn, invitation)
        if result is Result.EMPTY:
            return self._ask(turn, invitation, self.questions.empty_note(turn, field))
        if result is Result.DAYS:
            turn.conversation.step = Field.DAYS
            return self._ask(turn, invitation)
        position = SETUP.index(Field.HOURS if field is Field.DAYS else field)
        if position + 1 < len(SETUP):
            turn.conversation.step = SETUP[position + 1]
            return self._ask(turn, invitation)
        return await self._finish(turn, invitation)

    async def _finish(self, turn: Turn, invitation: Invitation) -> Outcome:
        """Grant the role; a sleutelpersoon's profile is saved (or extended) with it."""
        uow, me, now = turn.uow, turn.person.telegram_id, turn.now
        draft = turn.conversation.data if turn.conversation else {}
        profile = None
        if invitation.role is Role.SLEUTELPERSOON:
            existing = await uow.profiles.get(me)
            try:
                profile = replace(existing, municipalities=existing.municipalities
                                  | {invitation.municipality}) if existing \
                    else profile_of(me, draft)
            except ValueError:  # answers went missing: ask them again
                turn.conversation = Conversation(FLOW, SETUP[0], {
                    "inv": str(invitation.id),
                    Field.MUNICIPALITIES.value: invitation.municipality})
                return self._ask(turn, invitation)
        if not await uow.invitations.accept(invitation.id, me, now):
            turn.conversation = None
            return await self._refuse(turn, invitation, Standing.REVOKED if invitation.revoked
                                      else Standing.EXPIRED)
        await uow.roles.grant(RoleGrant(me, invitation.role, invitation.municipality, now))
        if profile is not None:
            await uow.profiles.put(profile, now)
        await staff.record(turn, audit.Act.INVITATION_ACCEPT, allowed=True,
                           target=f"{target(invitation)} person:{me}",
                           municipality=invitation.municipality)
        await self._tell_inviter(turn, invitation, profile.display_name if profile else None)
        turn.conversation = None
        _ = turn.gettext
        done = turn.fill(_("Thank you! Your new role: {what}."), what=self._what(turn, invitation))
        return Outcome([Reply("\n\n".join([done, staff.role_commands(_, invitation.role)]))])

    async def _decline(self, turn: Turn, invitation: Invitation) -> Outcome:
        await turn.uow.invitations.decline(invitation.id, turn.person.telegram_id, turn.now)
        await staff.record(turn, audit.Act.INVITATION_DECLINE, allowed=True,
                           target=target(invitation), municipality=invitation.municipality)
        await self._tell_inviter(turn, invitation, None, accepted=False)
        turn.conversation = None
        return Outcome([Reply(turn.gettext(
            "That is fine. Nothing was granted, and this invitation can no longer be used."))])

    async def _tell_inviter(self, turn: Turn, invitation: Invitation, name: str | None, *,
                            accepted: bool = True) -> None:
        """Through the outbox, in the inviter's language, if they use the bot."""
        inviter = await turn.uow.people.by_telegram_id(invitation.created_by)
        if inviter is None:
            return
        language = inviter.language or "en"
        gettext = turn.catalogs.translator(language).gettext
        what = staff.role_in(gettext, self._knowledge, invitation.role, invitation.municipality)
        if accepted:
            text = staff.fill_for(language, gettext(
                "Your invitation was accepted by {who}: {what}."),
                who=name or str(turn.person.telegram_id), what=what)
        else:  # no name: they chose not to take part, and said nothing more about themselves
            text = staff.fill_for(language, gettext(
                "Your invitation was declined: {what}. The link no longer works; you can "
                "make a new one with /invite."), what=what)
        await turn.uow.outbox.add(outbox.Outgoing(
            inviter.id, outbox.Kind.NOTIFICATION, outbox.Message(text),
            f"invitation-{'accepted' if accepted else 'declined'}:{invitation.id}"), turn.now)

    # -- helpers ------------------------------------------------------------------------

    async def _refuse(self, turn: Turn, invitation: Invitation, found: Standing) -> Outcome:
        reason, text = _REFUSALS.get(found, _REFUSALS[Standing.TAKEN])
        if self._invitation_id(turn) == invitation.id:
            turn.conversation = None
        return await staff.refuse(turn, audit.Act.INVITATION_OPEN, reason, turn.gettext(text),
                                  target=target(invitation),
                                  municipality=invitation.municipality)

    async def _already(self, turn: Turn, invitation: Invitation) -> bool:
        return any(g.municipality == invitation.municipality
                   for g in await staff.grants(turn, invitation.role))

    def _what(self, turn: Turn, invitation: Invitation) -> str:
        return staff.role_in(turn.gettext, self._knowledge, invitation.role,
                             invitation.municipality)

    @staticmethod
    def _invitation_id(turn: Turn) -> int | None:
        conv = turn.conversation
        if conv is None or conv.flow != FLOW or not conv.data.get("inv", "").isdigit():
            return None
        return int(conv.data["inv"])

    async def _current(self, turn: Turn) -> Invitation | None:
        """The invitation whose questions the person is answering, read afresh."""
        invitation_id = self._invitation_id(turn)
        return None if invitation_id is None else await turn.uow.invitations.get(invitation_id)


def _field(step: str) -> Field | None:
    try:
        return Field(step)
    except ValueError:
        return None


def _stale(turn: Turn, then: Outcome | None = None) -> Outcome:
    note = turn.gettext("This button is from an older message.")
    outcome = then or Outcome()
    outcome.replies.insert(0, Reply(note))
    outcome.notice = note
    return outcome
