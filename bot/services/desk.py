"""The front desk: every update enters here, in the console and in Telegram alike, and is
handed to the service of its audience in one unit of work.

  newcomers (and anyone without a role)   ChatService: onboarding, topics, privacy, ...
  anyone                                  /whoami, /start <invitation code>, the invitation's
                                          questions (scope "i")
  sleutelpersonen                         ProfileService: /profile (scope "p")
  coordinators                            CoordinatorService: /invite, /roles, /audit ("c")

COMMANDS and SCOPES say which audience a command or a button scope belongs to; Telegram's
routers filter on the same tables (with the role filter on the router), and the console
calls the Desk directly. Either way the audience's service checks the role itself, so a
command or a replayed button from someone without the role is refused and audited.
Typed text and other messages go where the person's open conversation is.
"""

from __future__ import annotations

from enum import StrEnum

from bot.content.knowledge import Knowledge
from bot.domain import invitation
from bot.domain.incoming import Caller
from bot.domain.person import Role
from bot.domain.replies import Outcome, Reply
from bot.services import dates, invitations, profile, staff
from bot.services.chat import ChatService
from bot.services.coordinators import CoordinatorService
from bot.services.invitations import InvitationService
from bot.services.profile import ProfileService
from bot.services.profile_questions import ProfileQuestions
from bot.services.turn import Turn


class Audience(StrEnum):
    NEWCOMER = "newcomer"
    SLEUTELPERSOON = "sleutelpersoon"
    COORDINATOR = "coordinator"


ROLE_OF: dict[Audience, Role] = {Audience.SLEUTELPERSOON: Role.SLEUTELPERSOON,
                                 Audience.COORDINATOR: Role.COORDINATOR}
COMMANDS: dict[str, Audience] = {
    "invite": Audience.COORDINATOR,
    "roles": Audience.COORDINATOR,
    "audit": Audience.COORDINATOR,
    "profile": Audience.SLEUTELPERSOON,
}
SCOPES: dict[str, Audience] = {"c": Audience.COORDINATOR, "p": Audience.SLEUTELPERSOON}


def audience_of_command(name: str) -> Audience:
    return COMMANDS.get(name.lower(), Audience.NEWCOMER)


def audience_of_button(data: str | None) -> Audience:
    return SCOPES.get((data or "").split(":", 1)[0], Audience.NEWCOMER)


class Desk:
    def __init__(self, chat: ChatService, knowledge: Knowledge) -> None:
        self.chat = chat
        self.turns = chat.turns
        self._knowledge = knowledge
        zone = self.turns.zone
        questions = ProfileQuestions(chat.topics, {m.id: m.name
                                                   for m in knowledge.municipalities})
        self.access = staff.Access(self.turns.uow)
        self.invitations = InvitationService(knowledge, questions, zone)
        self.profiles = ProfileService(knowledge, questions)
        self.coordinators = CoordinatorService(knowledge, self.invitations, zone)

    def set_bot_username(self, username: str | None) -> None:
        """Invitation links point at the bot: the transport tells its name once known."""
        self.invitations.bot_username = username

    # -- entry points: one turn each ----------------------------------------------------

    async def command(self, caller: Caller, name: str, args: str = "") -> Outcome:
        return await self.turns.run(caller, lambda turn: self.on_command(turn, name, args))

    async def button(self, caller: Caller, data: str) -> Outcome:
        return await self.turns.run(caller, lambda turn: self.on_button(turn, data))

    async def text(self, caller: Caller, text: str) -> Outcome:
        return await self.turns.run(caller, lambda turn: self.on_text(turn, text))

    async def unsupported(self, caller: Caller) -> Outcome:
        return await self.turns.run(caller, self.on_unsupported)

    def failure(self, caller: Caller) -> Outcome:
        return self.chat.failure(caller)

    def slow_down(self, caller: Caller) -> Outcome:
        return self.chat.slow_down(caller)

    # -- routing inside a turn ----------------------------------------------------------

    async def on_command(self, turn: Turn, name: str, args: str = "") -> Outcome:
        name = name.lower()
        if name == "start" and invitation.well_formed(args.strip()):
            return await self.invitations.open(turn, args)
        if name == "whoami":
            return await self.whoami(turn)
        match audience_of_command(name):
            case Audience.COORDINATOR:
                return await self.coordinators.on_command(turn, name, args)
            case Audience.SLEUTELPERSOON:
                return await self.profiles.on_command(turn, name, args)
        return await self.chat.on_command(turn, name, args)

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        if data.startswith(f"{invitations.SCOPE}:"):
            return await self.invitations.on_button(turn, data)
        match audience_of_button(data):
            case Audience.COORDINATOR:
                return await self.coordinators.on_button(turn, data)
            case Audience.SLEUTELPERSOON:
                return await self.profiles.on_button(turn, data)
        return await self.chat.on_button(turn, data)

    async def on_text(self, turn: Turn, text: str) -> Outcome:
        match self._open_flow(turn):
            case invitations.FLOW:
                return await self.invitations.on_text(turn, text)
            case profile.FLOW:
                return await self.profiles.on_text(turn, text)
        return await self.chat.on_text(turn, text)

    async def on_unsupported(self, turn: Turn) -> Outcome:
        match self._open_flow(turn):
            case invitations.FLOW:
                return await self.invitations.on_unsupported(turn)
            case profile.FLOW:
                return await self.profiles.on_unsupported(turn)
        return await self.chat.on_unsupported(turn)

    @staticmethod
    def _open_flow(turn: Turn) -> str | None:
        return turn.conversation.flow if turn.conversation is not None else None

    # -- /whoami --------------------------------------------------------------------------

    async def whoami(self, turn: Turn) -> Outcome:
        """The person's roles and where they hold them; anyone may ask."""
        _ = turn.gettext
        grants = await staff.grants(turn)
        lines = [_("<b>Who you are in Wegwijs</b>"),
                 turn.fill(_("Your Telegram user number: {number}"),
                           number=str(turn.person.telegram_id))]
        if not grants:
            lines.append(_("You have no role: you use Wegwijs like every newcomer."))
        for grant in grants:
            since = dates.day_month_year(
                turn.language, grant.granted_at.astimezone(self.turns.zone).date())
            lines.append(turn.fill(_("• {what}, since {date}"), what=staff.role_in(
                _, self._knowledge, grant.role, grant.municipality), date=since))
        held = {g.role for g in grants}
        extra = [_(staff.ROLE_COMMANDS[role]) for role in (Role.COORDINATOR,
                                                           Role.SLEUTELPERSOON) if role in held]
        return Outcome([Reply("\n".join(lines) + "".join(f"\n\n{e}" for e in extra))])
