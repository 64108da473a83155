"""The front desk: every update enters here, in the console and in Telegram alike, and is
handed to the service of its audience in one unit of work.

  newcomers (and anyone without a role)   ChatService: onboarding, topics, privacy, ...
  anyone                                  /whoami, /start <invitation code>, the invitation's
                                          questions (scope "i")
  sleutelpersonen                         ProfileService: /profile (scope "p")
                                          Relay: claim, answer, close (scope "r"),
                                          /conversations, /answer
  coordinators                            CoordinatorService: /invite, /roles, /audit ("c")
                                          CheckinOverview: /checkins, reach out ("n")
                                          BroadcastCompose: /broadcast ("x")
                                          EventOverview: /attendance, cancel a date ("a")
                                          EventCompose: /newevent, EventEdit ("a")
  sleutelpersonen, asked by a coordinator EventVersions: an event's text ("y")
  sleutelpersonen, asked by a coordinator BroadcastVersions: a broadcast's version ("v")
  sleutelpersonen                         Review: /review, the bot's own texts ("q")
  coordinators                            Leads: /leads, language leads of the review ("l")

COMMANDS and SCOPES say which audience a command or a button scope belongs to; Telegram's
routers filter on the same tables (with the role filter on the router), and the console
calls the Desk directly. Either way the audience's service checks the role itself, so a
command or a replayed button from someone without the role is refused and audited.
Messages (text, photos, voice notes, ...) go where the person's open conversation is: a
question being answered (a profile, an invitation), a question to a person they write or
answer (the handoff's relay), else the newcomer's search.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit, invitation
from bot.domain import broadcast_timing as t
from bot.domain.handoff import Handoff
from bot.domain.incoming import Caller, Posted
from bot.domain.person import Role
from bot.domain.replies import Outcome, Reply
from bot.services import (
    broadcast_compose,
    broadcast_summary,
    broadcast_versions,
    checkin_overview,
    dates,
    event_compose,
    event_edit,
    event_overview,
    event_versions,
    handoff,
    invitations,
    profile,
    review,
    review_leads,
    staff,
)
from bot.services.broadcast_compose import BroadcastCompose
from bot.services.broadcast_versions import BroadcastVersions
from bot.services.broadcasts import Broadcasts
from bot.services.chat import ChatService
from bot.services.checkin_overview import CheckinOverview
from bot.services.coordinators import CoordinatorService
from bot.services.end_month import EndMonth
from bot.services.event_compose import EventCompose
from bot.services.event_edit import EventEdit
from bot.services.event_overview import EventOverview
from bot.services.event_versions import EventVersions
from bot.services.handoff_routing import HELPER_SCOPE
from bot.services.invitations import InvitationService
from bot.services.profile import ProfileService
from bot.services.profile_questions import ProfileQuestions
from bot.services.queue import QueueService
from bot.services.relay import COMMANDS as COMMANDS_OF_RELAY
from bot.services.relay import Relay
from bot.services.reports import Reports
from bot.services.review import Review
from bot.services.review_leads import Leads
from bot.services.turn import Turn
from bot.settings import PROJECT_ROOT


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
    "queue": Audience.COORDINATOR,
    "report": Audience.COORDINATOR,  # sleutelpersonen get their own line (see Reports)
    "checkins": Audience.COORDINATOR,
    "broadcast": Audience.COORDINATOR,
    "attendance": Audience.COORDINATOR,
    "newevent": Audience.COORDINATOR,
    "leads": Audience.COORDINATOR,
    "profile": Audience.SLEUTELPERSOON,
    "conversations": Audience.SLEUTELPERSOON,
    "answer": Audience.SLEUTELPERSOON,
    "begeleiding": Audience.SLEUTELPERSOON,
    "review": Audience.SLEUTELPERSOON,
}
SCOPES: dict[str, Audience] = {"c": Audience.COORDINATOR, "p": Audience.SLEUTELPERSOON,
                               checkin_overview.SCOPE: Audience.COORDINATOR,
                               broadcast_compose.SCOPE: Audience.COORDINATOR,
                               event_overview.SCOPE: Audience.COORDINATOR,
                               event_versions.SCOPE: Audience.SLEUTELPERSOON,
                               broadcast_versions.SCOPE: Audience.SLEUTELPERSOON,
                               review.SCOPE: Audience.SLEUTELPERSOON,
                               review_leads.SCOPE: Audience.COORDINATOR,
                               HELPER_SCOPE: Audience.SLEUTELPERSOON}


def audience_of_command(name: str) -> Audience:
    return COMMANDS.get(name.lower(), Audience.NEWCOMER)


def audience_of_button(data: str | None) -> Audience:
    return SCOPES.get((data or "").split(":", 1)[0], Audience.NEWCOMER)


class Desk:
    def __init__(self, chat: ChatService, knowledge: Knowledge,
                 broadcasts: Broadcasts | None = None, *, paid: bool = False,
                 locales_dir: Path = PROJECT_ROOT / "locales") -> None:
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
        self.relay = Relay(chat.router, knowledge, chat.search, chat.topics,
                           EndMonth(chat.checkins, self.turns.catalogs))
        self.queue = QueueService(knowledge, chat.router)
        self.reports = Reports(knowledge, self.turns.catalogs, zone)
        self.checkins = CheckinOverview(knowledge, chat.router)
        self.broadcasts = broadcasts or Broadcasts(knowledge, self.turns.catalogs, zone,
                                                   None, t.DEFAULT_RATE)
        self.versions = BroadcastVersions(knowledge, self.turns.catalogs)
        self.compose = BroadcastCompose(knowledge, self.broadcasts, self.versions, paid=paid)
        self.events = EventOverview(knowledge, chat.event_notices, zone)
        self.event_compose = EventCompose(knowledge, zone)
        self.event_edit = EventEdit(knowledge, chat.event_notices, zone)
        self.event_versions = EventVersions(knowledge, self.turns.catalogs,
                                            self.versions.writers)
        self.review = Review(knowledge, chat.topics, locales_dir)
        self.leads = Leads(knowledge, self.turns.catalogs)

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

    async def post(self, caller: Caller, posted: Posted) -> Outcome:
        """Any message someone wrote (not a command): text, photo, voice note, ..."""
        return await self.turns.run(caller, lambda turn: self.on_posted(turn, posted))

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
        if name in ("menu", "help") and not turn.person.onboarded \
                and await staff.grants(turn):
            # Someone invited to a role who never answered the newcomer questions: first
            # what their role can do, then (for the topics) the newcomer's first question.
            mine = await self.whoami(turn)
            mine.replies += (await self.chat.on_command(turn, name, args)).replies
            return mine
        match audience_of_command(name):
            case Audience.COORDINATOR if name == "queue":
                return await self.queue.show(turn)
            case Audience.COORDINATOR if name == "report":
                return await self.reports.command(turn, args)
            case Audience.COORDINATOR if name == "checkins":
                return await self.checkins.show(turn)
            case Audience.COORDINATOR if name == "broadcast":
                return await self.compose.command(turn)
            case Audience.COORDINATOR if name == "attendance":
                return await self.events.show(turn)
            case Audience.COORDINATOR if name == "newevent":
                return await self.event_compose.command(turn)
            case Audience.COORDINATOR if name == "leads":
                return await self.leads.command(turn)
            case Audience.SLEUTELPERSOON if name == "review":
                return await self.review.command(turn)
            case Audience.COORDINATOR:
                return await self.coordinators.on_command(turn, name, args)
            case Audience.SLEUTELPERSOON if name in COMMANDS_OF_RELAY:
                return await self.relay.on_command(turn, name, args)
            case Audience.SLEUTELPERSOON:
                return await self.profiles.on_command(turn, name, args)
        return await self.chat.on_command(turn, name, args)

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        if data.startswith(f"{invitations.SCOPE}:"):
            return await self.invitations.on_button(turn, data)
        match audience_of_button(data):
            case Audience.COORDINATOR if data.startswith(f"{checkin_overview.SCOPE}:"):
                return await self.checkins.on_button(turn, data)
            case Audience.COORDINATOR if data.startswith(f"{broadcast_compose.SCOPE}:"):
                return await self.compose.on_button(turn, data)
            case Audience.COORDINATOR if data.startswith(f"{event_overview.SCOPE}:"):
                return await self._event_admin(turn, data)
            case Audience.SLEUTELPERSOON if data.startswith(f"{event_versions.SCOPE}:"):
                return await self.event_versions.on_button(turn, data)
            case Audience.SLEUTELPERSOON if data.startswith(f"{broadcast_versions.SCOPE}:"):
                return await self.versions.on_button(turn, data)
            case Audience.SLEUTELPERSOON if data.startswith(f"{review.SCOPE}:"):
                return await self.review.on_button(turn, data)
            case Audience.COORDINATOR if data.startswith(f"{review_leads.SCOPE}:"):
                return await self.leads.on_button(turn, data)
            case Audience.COORDINATOR:
                return await self.coordinators.on_button(turn, data)
            case Audience.SLEUTELPERSOON if data.startswith(f"{HELPER_SCOPE}:"):
                return await self.relay.on_button(turn, data)
            case Audience.SLEUTELPERSOON:
                return await self.profiles.on_button(turn, data)
        return await self.chat.on_button(turn, data)

    async def on_text(self, turn: Turn, text: str) -> Outcome:
        match self._open_flow(turn):
            case (broadcast_summary.FLOW | broadcast_versions.FLOW | event_compose.FLOW
                  | event_versions.FLOW | event_edit.FLOW | review.FLOW):
                return await self.on_posted(turn, Posted(0, text))
            case invitations.FLOW:
                return await self.invitations.on_text(turn, text)
            case profile.FLOW:
                return await self.profiles.on_text(turn, text)
        return await self.chat.on_text(turn, text)

    async def on_posted(self, turn: Turn, posted: Posted) -> Outcome:
        """The open question first; then the handoff the person is in (as the newcomer, or
        as a sleutelpersoon answering it); then, for text, the newcomer's search."""
        flow = self._open_flow(turn)
        if flow == review.FLOW:
            if self.review.writing(turn):
                return await self.review.on_posted(turn, posted)
            # An entry shown, waiting for a button: what they write now goes where it would
            # go without the review (a conversation they answer, the search); the screen's
            # buttons keep working without it.
            turn.conversation, flow = None, None
        if flow == broadcast_summary.FLOW:
            return await self.compose.on_posted(turn, posted)
        if flow == broadcast_versions.FLOW:
            return await self.versions.on_posted(turn, posted)
        if flow == event_compose.FLOW:
            return await self.event_compose.on_posted(turn, posted)
        if flow == event_versions.FLOW:
            return await self.event_versions.on_posted(turn, posted)
        if flow == event_edit.FLOW:
            return await self.event_edit.on_posted(turn, posted)
        if flow == handoff.FLOW:
            mine = await turn.uow.handoffs.open_of(turn.person.id)
            return await self.chat.person.on_posted(turn, posted, mine)
        if flow in (invitations.FLOW, profile.FLOW) or (
                turn.conversation is not None and self.chat.in_a_question(turn)):
            return await (self.on_text(turn, posted.text) if posted.is_text and posted.text
                          else self.on_unsupported(turn))
        involved = await turn.uow.handoffs.involving(turn.person.id, turn.person.telegram_id)
        helping = [x for x in involved if x.helper_id == turn.person.telegram_id
                   and x.newcomer_id != turn.person.id]
        asking = next((x for x in involved if x.newcomer_id == turn.person.id), None)
        if helping and (asking is None or await self._replies_within(turn, posted, helping)):
            return await self.relay.on_posted(turn, posted, helping)
        if asking is not None:
            return await self.chat.person.on_posted(turn, posted, asking)
        if posted.is_text and posted.text:
            return await self.chat.on_text(turn, posted.text)
        return await self.chat.on_unsupported(turn)

    async def _event_admin(self, turn: Turn, data: str) -> Outcome:
        """Scope "a": the /newevent wizard, asking for a language's text, cancelling."""
        action = actions.parse(data)
        if action is not None and action.name == "ask":
            return await self.event_versions.ask(turn, action.value)
        if action is not None and action.name in ("edit", "ed"):
            if not await staff.where(turn, Role.COORDINATOR):
                return await staff.refuse(turn, audit.Act.EVENT_CREATE, audit.Reason.NO_ROLE,
                                          staff.no_role(turn, Role.COORDINATOR),
                                          target=data[:64])
            edited = await self.event_edit.on_button(turn, action.name, action.value)
            return edited or await staff.refuse(
                turn, audit.Act.EVENT_CREATE, audit.Reason.FORGED,
                turn.gettext("I do not recognise this button."), target=data[:64])
        if action is not None and action.name not in ("cancel", "sure"):
            if not await staff.where(turn, Role.COORDINATOR):
                return await staff.refuse(turn, audit.Act.EVENT_CREATE, audit.Reason.NO_ROLE,
                                          staff.no_role(turn, Role.COORDINATOR),
                                          target=data[:64])
            found = await self.event_compose.on_button(turn, action.name, action.value)
            if found is not None:
                return found
            if action.name in event_compose.BUTTONS:
                return await staff.refuse(
                    turn, audit.Act.EVENT_CREATE, audit.Reason.STALE,
                    turn.gettext("This button is from an older message."), target=data[:64])
            return await staff.refuse(turn, audit.Act.EVENT_CREATE, audit.Reason.FORGED,
                                      turn.gettext("I do not recognise this button."),
                                      target=data[:64])
        return await self.events.on_button(turn, data)

    @staticmethod
    async def _replies_within(turn: Turn, posted: Posted, helping: list[Handoff]) -> bool:
        """A sleutelpersoon who asked a question of their own too: a reply to a message of
        a conversation they answer belongs there."""
        if posted.reply_to is None:
            return False
        found = await turn.uow.handoffs.found(turn.person.chat_id, posted.reply_to)
        return found is not None and found.handoff_id in {x.id for x in helping}

    async def on_unsupported(self, turn: Turn) -> Outcome:
        if self.review.writing(turn):
            return await self.review.on_posted(turn, Posted(0, None, "other"))
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
        extra = [staff.role_commands(_, role) for role in (Role.COORDINATOR,
                                                           Role.SLEUTELPERSOON) if role in held]
        return Outcome([Reply("\n".join(lines) + "".join(f"\n\n{e}" for e in extra))])
