"""What newcomers (and everyone before they have a role) can do: onboarding, settings,
privacy, the menu, topics and questions.

`command`, `button`, `text` and `unsupported` each run one turn (bot.services.turns);
`on_command`, `on_button`, `on_text` and `on_unsupported` decide inside a turn that another
service (bot.services.desk) has opened. Roles have their own services: this one routes only
the newcomers' button scopes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.content.schema import Flow as TopicFlow
from bot.content.search import SearchIndex
from bot.domain import actions
from bot.domain import handoff as h
from bot.domain.emergency import Matcher
from bot.domain.incoming import Caller
from bot.domain.questions import Flow, Step, as_step
from bot.domain.replies import Outcome, Reply
from bot.domain.routing import DEFAULT_POLICY, RoutingPolicy
from bot.services import (
    checkins,
    directory,
    event_notices,
    handoff,
    language_switch,
    menu,
    privacy,
)
from bot.services.ask import Ask
from bot.services.checkins import Checkins
from bot.services.directory import Directory
from bot.services.event_digest import EventDigest
from bot.services.event_notices import EventNotices
from bot.services.events import Events
from bot.services.handoff import AskPerson
from bot.services.handoff_routing import Router
from bot.services.onboarding import Onboarding
from bot.services.ports import Catalogs, Clock, MachineTranslation, UnitOfWorkFactory
from bot.services.settings import SettingsService
from bot.services.topics import Topics
from bot.services.turn import Turn
from bot.services.turns import TurnRunner, for_reader

Handler = Callable[[Turn], Outcome | Awaitable[Outcome]]
Route = Callable[[Turn, actions.Action], Awaitable[Outcome | None]]
EMERGENCY_FLOW = "gp-and-emergency"
# Commands that work before onboarding is finished: privacy rights never wait.
ALWAYS_AVAILABLE = frozenset({"start", "help", "language", "privacy", "mydata", "delete", "stop",
                              "resume"})
__all__ = ["ChatService", "for_reader", "utc_now"]


class ChatService:
    def __init__(self, uow_factory: UnitOfWorkFactory, catalogs: Catalogs,
                 knowledge: Knowledge, flows: dict[str, TopicFlow], search: SearchIndex,
                 clock: Clock, zone: ZoneInfo,
                 policy: RoutingPolicy = DEFAULT_POLICY,
                 translation: MachineTranslation | None = None) -> None:
        self.router = Router(knowledge, catalogs, {f.id: f.title for f in flows.values()},
                             policy, translation)
        self.person = AskPerson(self.router, Matcher(knowledge.emergency_words()))
        self.checkins = Checkins(knowledge, catalogs, zone, self.person, self.router)
        # The check-in plan follows the begeleiding answers, in the turn that changes them.
        self.turns = TurnRunner(uow_factory, catalogs, clock, zone, self.checkins.replan)
        self.onboarding = Onboarding(knowledge)
        self.settings = SettingsService(knowledge)
        self.topics = Topics(flows, knowledge)
        self.ask = Ask(search, knowledge, self.topics)
        self.search = search
        self.event_notices = EventNotices(knowledge, catalogs, zone)
        self.event_digest = EventDigest(knowledge, catalogs, zone)
        self.events = Events(knowledge, self.event_notices, zone, self.person)
        self.directory = Directory(knowledge)
        self._commands: dict[str, Handler] = {
            "start": self.onboarding.start,
            "menu": menu.show,
            "topics": self.topics.menu,
            "help": menu.help_,
            "language": self._language,
            "settings": self.settings.show,
            "privacy": privacy.notice,
            "mydata": privacy.export,
            "delete": privacy.ask_delete,
            "stop": privacy.pause,
            "resume": privacy.resume,
            "person": lambda turn: self.person.ask(turn, h.Source.COMMAND),
            "events": self.events.show,
            "directory": self.directory.show,
        }
        # Button scopes (see bot.domain.actions) → the method that answers them.
        self._routes: dict[str, Route] = {
            "o": self._onboarding_button, "s": self._settings_button, "m": self._menu_button,
            "d": self._delete_button, "t": self._topic_button, "b": self._back_button,
            "w": self._word_button, "k": self._organisation_button,
            handoff.SCOPE: self._person_button, checkins.SCOPE: self._checkin_button,
            event_notices.SCOPE: self._event_button, directory.SCOPE: self._directory_button,
        }
        self._menu_entries: dict[str, Handler] = {
            "menu": menu.show, "help": menu.help_, "settings": self.settings.show,
            "topics": self.topics.menu, "emergency": self._emergency,
            "privacy": privacy.notice, "mydata": privacy.export, "delete": privacy.ask_delete,
            "person": lambda turn: self.person.ask(turn, h.Source.MENU),
            "events": self.events.show, "directory": self.directory.show,
        }

    # -- entry points: one turn each ------------------------------------------------------

    async def command(self, caller: Caller, name: str, args: str = "") -> Outcome:
        return await self.turns.run(caller, lambda turn: self.on_command(turn, name, args))

    async def button(self, caller: Caller, data: str) -> Outcome:
        return await self.turns.run(caller, lambda turn: self.on_button(turn, data))

    async def text(self, caller: Caller, text: str) -> Outcome:
        return await self.turns.run(caller, lambda turn: self.on_text(turn, text))

    async def unsupported(self, caller: Caller) -> Outcome:
        """Stickers, photos, voice notes and the like, which the bot cannot read yet."""
        return await self.turns.run(caller, self.on_unsupported)

    def failure(self, caller: Caller) -> Outcome:
        """What to say when handling an update crashed; its unit of work was rolled back.
        Needs no database: the database may be why it failed."""
        return self.turns.say(caller, menu.something_went_wrong)

    def slow_down(self, caller: Caller) -> Outcome:
        """Said once when someone sends faster than they can be answered."""
        return self.turns.say(caller, menu.slow_down)

    # -- inside a turn --------------------------------------------------------------------

    async def on_command(self, turn: Turn, name: str, args: str = "") -> Outcome:
        name = name.lower()
        if name == "word":
            return self.ask.lookup(turn, args) if turn.person.onboarded \
                else self._continue_onboarding(turn)
        handler = self._commands.get(name)
        if handler is None:
            return self._not_understood(turn)
        if name == "events" and not turn.person.onboarded \
                and await self.events.coordinates(turn):
            return await self.events.show(turn)  # a coordinator checking what people see
        if turn.person.onboarded or name in ("start", "language"):
            return await _call(handler, turn)
        if name not in ALWAYS_AVAILABLE:
            return self._continue_onboarding(turn)
        outcome = await _call(handler, turn)
        if turn.conversation is None or turn.conversation.flow == Flow.ONBOARDING:
            # Answered; now the open question again, so nobody is left without buttons.
            outcome.replies.append(self.current(turn).replies[-1])
        return outcome

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        action = actions.parse(data)
        if action is None:
            return self.with_notice(turn, self.current(turn),
                                    turn.gettext("I do not recognise this button."))
        return await self._press(turn, action)

    async def on_text(self, turn: Turn, text: str) -> Outcome:
        if self.in_a_question(turn):
            return self._repeat(turn, turn.gettext("Please choose one of the buttons."))
        outcome = self.ask.answer(turn, text)
        if turn.person.onboarded and (switch := language_switch.watch(turn, text)):
            outcome.replies.append(switch)  # after the answer: what they asked comes first
        return outcome

    async def on_unsupported(self, turn: Turn) -> Outcome:
        if self.in_a_question(turn):
            return self._repeat(turn, turn.gettext(
                "I can only read text messages and buttons."))
        return menu.unsupported(turn)

    # -- routing ------------------------------------------------------------------------

    async def _press(self, turn: Turn, action: actions.Action) -> Outcome:
        """Route a button by scope; None from a route means 'not a button we know'."""
        route = self._routes.get(action.scope)
        outcome = await route(turn, action) if route else None
        if outcome is None:
            return self.with_notice(turn, self.current(turn),
                                     turn.gettext("I do not recognise this button."))
        return outcome

    async def _onboarding_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        step = as_step(action.name)
        if step is None:
            return None
        if not self.onboarding.is_current(turn, step):
            return self._stale(turn)
        return self.onboarding.answer(turn, step, action.value) or self._stale(turn)

    async def _settings_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        if action.name == "open":
            return self.settings.open(turn, action.value) if turn.person.onboarded \
                else self._stale(turn)
        step = as_step(action.name)
        if step is None:
            return None
        if not self.settings.is_current(turn, step):
            return self._stale(turn)
        return self.settings.answer(turn, step, action.value) or self._stale(turn)

    async def _menu_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        handler = self._menu_entries.get(action.name)
        if handler is None:
            return None
        if not turn.person.onboarded and action.name not in ALWAYS_AVAILABLE:
            return self._continue_onboarding(turn)
        return await _call(handler, turn)

    async def _topic_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        if not turn.person.onboarded:
            return self._continue_onboarding(turn)
        if action.value:
            return self.topics.go(turn, action.name, action.value)
        return self.topics.open(turn, action.name)

    async def _person_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        if not turn.person.onboarded:
            return self._continue_onboarding(turn)
        return await self.person.on_button(turn, action.name, action.value)

    async def _checkin_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        if not turn.person.onboarded:
            return self._continue_onboarding(turn)
        return await self.checkins.on_button(turn, action.name, action.value)

    async def _event_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        if not turn.person.onboarded and not await self.events.coordinates(turn):
            return self._continue_onboarding(turn)
        return await self.events.on_button(turn, action.name, action.value)

    async def _directory_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        if not turn.person.onboarded:
            return self._continue_onboarding(turn)
        return self.directory.on_button(turn, action.name, action.value)

    async def _word_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        return None if action.value else self.ask.word(turn, action.name)

    async def _organisation_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        return None if action.value else self.ask.organisation(turn, action.name)

    async def _back_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        if action.name != "back" or action.value:
            return None
        return self.topics.back(turn) or self._stale(turn)

    async def _delete_button(self, turn: Turn, action: actions.Action) -> Outcome | None:
        if action.name not in ("yes", "no") or action.value:
            return None
        if not privacy.is_confirming(turn):
            return self._stale(turn)  # an old confirmation must never delete
        if action.name == "yes":
            await self.person.before_delete(turn)
            return await privacy.delete_everything(turn)
        turn.conversation = None
        return self._repeat(turn, turn.gettext("Nothing was deleted."))

    def current(self, turn: Turn) -> Outcome:
        """Show again where the person is: the open question, or the menu."""
        conv = turn.conversation
        if not turn.person.onboarded or (conv is not None and conv.flow == Flow.ONBOARDING):
            return self.onboarding.resume(turn)
        if conv is not None and conv.flow == Flow.SETTINGS and (step := as_step(conv.step)):
            return self.settings.ask(turn, step)
        if conv is not None and conv.flow == Flow.DELETE:
            return privacy.ask_delete(turn)
        return self.topics.current(turn) or menu.show(turn)

    def in_a_question(self, turn: Turn) -> bool:
        """Waiting for a button answer (a topic step is not a question: text is welcome)."""
        if not turn.person.onboarded:
            return True
        return turn.conversation is not None and self.topics.position(turn) is None

    def _repeat(self, turn: Turn, note: str) -> Outcome:
        outcome = self.current(turn)
        outcome.replies.insert(0, Reply(note))
        return outcome

    def _stale(self, turn: Turn) -> Outcome:
        return self.with_notice(turn, self.current(turn),
                                 turn.gettext("This button is from an older message."))

    def _emergency(self, turn: Turn) -> Outcome:
        return self.topics.open(turn, EMERGENCY_FLOW) or self.topics.menu(turn)

    def _continue_onboarding(self, turn: Turn) -> Outcome:
        return self.onboarding.resume(turn, turn.gettext("First, let's finish a few questions."))

    def _language(self, turn: Turn) -> Outcome:
        if not turn.person.onboarded:
            turn.conversation = None
            turn.person.language = None
            return self.onboarding.resume(turn)
        return self.settings.ask(turn, Step.LANGUAGE)

    def _not_understood(self, turn: Turn) -> Outcome:
        if self.in_a_question(turn):
            return self._repeat(turn, turn.gettext(
                "I do not know that command. Please choose one of the buttons."))
        return menu.not_understood(turn)

    @staticmethod
    def with_notice(turn: Turn, outcome: Outcome, notice: str) -> Outcome:
        outcome.notice = notice
        outcome.replies.insert(0, Reply(notice))
        return outcome

async def _call(handler: Handler, turn: Turn) -> Outcome:
    result = handler(turn)
    if isinstance(result, Outcome):
        return result
    return await result


def utc_now() -> datetime:
    return datetime.now(UTC)
