"""The entry point for every incoming event: one unit of work per update.

Transports call `command`, `button`, `text` or `unsupported` with plain values and render
the Outcome. This module routes to the feature services and persists what they changed.
"""

from __future__ import annotations

import copy
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.content.schema import Flow as TopicFlow
from bot.content.search import SearchIndex
from bot.domain import actions, languages
from bot.domain.bidi import protect_ltr_runs
from bot.domain.incoming import Caller
from bot.domain.questions import Flow, Step, as_step
from bot.domain.replies import Button, Outcome, Reply
from bot.services import menu, privacy
from bot.services.ask import Ask
from bot.services.onboarding import Onboarding
from bot.services.ports import Catalogs, Clock, StaleWrite, Translator, UnitOfWorkFactory
from bot.services.settings import SettingsService
from bot.services.topics import Topics
from bot.services.turn import Turn

log = logging.getLogger(__name__)
Handler = Callable[[Turn], Outcome | Awaitable[Outcome]]
Route = Callable[[Turn, actions.Action], Awaitable[Outcome | None]]
EMERGENCY_FLOW = "gp-and-emergency"
# Commands that work before onboarding is finished: privacy rights never wait.
ALWAYS_AVAILABLE = frozenset({"start", "help", "language", "privacy", "mydata", "delete", "stop",
                              "resume"})
# "Last seen" is stored to this precision: a conversation of quick taps writes it once.
LAST_SEEN_PRECISION = timedelta(minutes=10)
# Languages of recent callers, so that "sorry" and "slow down" need no database.
REMEMBERED_LANGUAGES = 10_000


class ChatService:
    def __init__(self, uow_factory: UnitOfWorkFactory, catalogs: Catalogs,
                 knowledge: Knowledge, flows: dict[str, TopicFlow], search: SearchIndex,
                 clock: Clock, zone: ZoneInfo) -> None:
        self._uow = uow_factory
        self._catalogs = catalogs
        self._knowledge = knowledge
        self._clock = clock
        self._zone = zone
        self._languages: OrderedDict[int, str] = OrderedDict()
        self.onboarding = Onboarding(knowledge)
        self.settings = SettingsService(knowledge)
        self.topics = Topics(flows, knowledge)
        self.ask = Ask(search, knowledge, self.topics)
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
        }
        # Button scopes (see bot.domain.actions) → the method that answers them.
        self._routes: dict[str, Route] = {
            "o": self._onboarding_button, "s": self._settings_button, "m": self._menu_button,
            "d": self._delete_button, "t": self._topic_button, "b": self._back_button,
            "w": self._word_button, "k": self._organisation_button,
        }
        self._menu_entries: dict[str, Handler] = {
            "menu": menu.show, "help": menu.help_, "settings": self.settings.show,
            "topics": self.topics.menu, "emergency": self._emergency,
            "privacy": privacy.notice, "mydata": privacy.export, "delete": privacy.ask_delete,
        }

    # -- entry points -------------------------------------------------------------------

    async def command(self, caller: Caller, name: str, args: str = "") -> Outcome:
        name = name.lower()

        async def decide(turn: Turn) -> Outcome:
            if name == "word":
                return self.ask.lookup(turn, args) if turn.person.onboarded \
                    else self._continue_onboarding(turn)
            handler = self._commands.get(name)
            if handler is None:
                return self._not_understood(turn)
            if turn.person.onboarded or name in ("start", "language"):
                return await _call(handler, turn)
            if name not in ALWAYS_AVAILABLE:
                return self._continue_onboarding(turn)
            outcome = await _call(handler, turn)
            if turn.conversation is None or turn.conversation.flow == Flow.ONBOARDING:
                # Answered; now the open question again, so nobody is left without buttons.
                outcome.replies.append(self._current(turn).replies[-1])
            return outcome

        return await self._run(caller, decide)

    async def button(self, caller: Caller, data: str) -> Outcome:
        async def decide(turn: Turn) -> Outcome:
            action = actions.parse(data)
            if action is None:
                return self._with_notice(turn, self._current(turn),
                                         turn.gettext("I do not recognise this button."))
            return await self._press(turn, action)

        return await self._run(caller, decide)

    async def text(self, caller: Caller, text: str) -> Outcome:
        async def decide(turn: Turn) -> Outcome:
            if self._in_a_question(turn):
                return self._repeat(turn, turn.gettext("Please choose one of the buttons."))
            return self.ask.answer(turn, text)

        return await self._run(caller, decide)

    async def unsupported(self, caller: Caller) -> Outcome:
        """Stickers, photos, voice notes and the like, which the bot cannot read yet."""
        async def decide(turn: Turn) -> Outcome:
            if self._in_a_question(turn):
                return self._repeat(turn, turn.gettext(
                    "I can only read text messages and buttons."))
            return menu.unsupported(turn)

        return await self._run(caller, decide)

    def failure(self, caller: Caller) -> Outcome:
        """What to say when handling an update crashed; its unit of work was rolled back.
        Needs no database: the database may be why it failed."""
        return self._say(caller, menu.something_went_wrong)

    def slow_down(self, caller: Caller) -> Outcome:
        """Said once when someone sends faster than they can be answered."""
        return self._say(caller, menu.slow_down)

    def _say(self, caller: Caller, text: Callable[[Translator], str]) -> Outcome:
        language = self._languages.get(caller.telegram_id) \
            or languages.match(caller.language_code) or languages.DEFAULT
        return for_reader(language, Outcome([Reply(text(self._catalogs.translator(language)))]))

    def _remember_language(self, telegram_id: int, language: str | None) -> None:
        self._languages.pop(telegram_id, None)
        if language is not None:
            self._languages[telegram_id] = language
            while len(self._languages) > REMEMBERED_LANGUAGES:
                self._languages.popitem(last=False)

    # -- routing ------------------------------------------------------------------------

    async def _press(self, turn: Turn, action: actions.Action) -> Outcome:
        """Route a button by scope; None from a route means 'not a button we know'."""
        route = self._routes.get(action.scope)
        outcome = await route(turn, action) if route else None
        if outcome is None:
            return self._with_notice(turn, self._current(turn),
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
            return await privacy.delete_everything(turn)
        turn.conversation = None
        return self._repeat(turn, turn.gettext("Nothing was deleted."))

    def _current(self, turn: Turn) -> Outcome:
        """Show again where the person is: the open question, or the menu."""
        conv = turn.conversation
        if not turn.person.onboarded or (conv is not None and conv.flow == Flow.ONBOARDING):
            return self.onboarding.resume(turn)
        if conv is not None and conv.flow == Flow.SETTINGS and (step := as_step(conv.step)):
            return self.settings.ask(turn, step)
        if conv is not None and conv.flow == Flow.DELETE:
            return privacy.ask_delete(turn)
        return self.topics.current(turn) or menu.show(turn)

    def _in_a_question(self, turn: Turn) -> bool:
        """Waiting for a button answer (a topic step is not a question: text is welcome)."""
        if not turn.person.onboarded:
            return True
        return turn.conversation is not None and self.topics.position(turn) is None

    def _repeat(self, turn: Turn, note: str) -> Outcome:
        outcome = self._current(turn)
        outcome.replies.insert(0, Reply(note))
        return outcome

    def _stale(self, turn: Turn) -> Outcome:
        return self._with_notice(turn, self._current(turn),
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
        if self._in_a_question(turn):
            return self._repeat(turn, turn.gettext(
                "I do not know that command. Please choose one of the buttons."))
        return menu.not_understood(turn)

    @staticmethod
    def _with_notice(turn: Turn, outcome: Outcome, notice: str) -> Outcome:
        outcome.notice = notice
        outcome.replies.insert(0, Reply(notice))
        return outcome

    # -- the unit of work -----------------------------------------------------------------

    async def _run(self, caller: Caller, decide: Callable[[Turn], Awaitable[Outcome]]) -> Outcome:
        """One unit of work; run once more on fresh data if someone else (a tick, a 403
        from Telegram) wrote the person in between. Nothing was sent yet, so a second run
        is invisible to the person."""
        try:
            turn, outcome = await self._attempt(caller, decide)
        except StaleWrite:
            log.info("a turn met a concurrent write; running it again")
            turn, outcome = await self._attempt(caller, decide)
        self._remember_language(caller.telegram_id,
                                None if turn.deleted else turn.person.language)
        return for_reader(turn.language, outcome)

    async def _attempt(self, caller: Caller, decide: Callable[[Turn], Awaitable[Outcome]]
                       ) -> tuple[Turn, Outcome]:
        async with self._turn(caller) as turn:
            outcome = await decide(turn)
        return turn, outcome

    @asynccontextmanager
    async def _turn(self, caller: Caller) -> AsyncIterator[Turn]:
        now = self._clock()
        async with self._uow() as uow:
            person = await uow.people.by_telegram_id(caller.telegram_id)
            if person is None:
                person = await uow.people.add(caller.telegram_id, caller.chat_id, now)
            loaded = replace(person)
            if now - person.last_seen_at >= LAST_SEEN_PRECISION:
                person.last_seen_at = now
            person.chat_id = caller.chat_id
            person.unreachable_since = None  # they wrote, so they can be reached again
            conversation = await uow.conversations.get(person.id)
            before = copy.deepcopy(conversation)
            turn = Turn(uow, self._catalogs, caller, person, conversation, now,
                        now.astimezone(self._zone).date())
            yield turn
            # Only what changed is written: most taps move a conversation and nothing else,
            # and every statement saved is a shorter hold on SQLite's single write lock.
            if turn.deleted:
                await uow.people.delete(person.id)
            else:
                if person != loaded:
                    await uow.people.save(person)
                if turn.conversation != before:
                    if turn.conversation is None:
                        await uow.conversations.clear(person.id)
                    else:
                        await uow.conversations.put(person.id, turn.conversation, now)
            await uow.commit()


async def _call(handler: Handler, turn: Turn) -> Outcome:
    result = handler(turn)
    if isinstance(result, Outcome):
        return result
    return await result


def for_reader(language: str, outcome: Outcome) -> Outcome:
    """Isolate Latin words and numbers inside right-to-left text (see bot.domain.bidi)."""
    if not languages.is_rtl(language):
        return outcome
    replies = [
        Reply(protect_ltr_runs(r.text),
              tuple(tuple(Button(protect_ltr_runs(b.label), b.data, b.url) for b in row)
                    for row in r.keyboard),
              r.document)
        for r in outcome.replies
    ]
    return Outcome(replies, outcome.notice)


def utc_now() -> datetime:
    return datetime.now(UTC)
