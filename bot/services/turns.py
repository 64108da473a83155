"""One update, one unit of work: load the person and where they are, let a service decide,
save what changed. Every service that answers a person runs its turns here, so the rules
(optimistic concurrency, "last seen" precision, the languages remembered for "sorry")
are the same whichever audience the update belongs to."""

from __future__ import annotations

import copy
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import languages
from bot.domain.bidi import protect_ltr_runs
from bot.domain.incoming import Caller
from bot.domain.person import Person
from bot.domain.replies import Button, Outcome, Reply
from bot.services.ports import (
    Catalogs,
    Clock,
    StaleWrite,
    Translator,
    UnitOfWork,
    UnitOfWorkFactory,
)
from bot.services.turn import Turn

log = logging.getLogger(__name__)
Decide = Callable[[Turn], Awaitable[Outcome]]
# Called before a turn's changes are saved, with the person as read and as changed (the
# check-in plan follows the begeleiding answers in the same transaction).
PersonChanged = Callable[[UnitOfWork, Person, Person, datetime], Awaitable[None]]
# "Last seen" is stored to this precision: a conversation of quick taps writes it once.
LAST_SEEN_PRECISION = timedelta(minutes=10)
# Languages of recent callers, so that "sorry" and "slow down" need no database.
REMEMBERED_LANGUAGES = 10_000


class TurnRunner:
    def __init__(self, uow_factory: UnitOfWorkFactory, catalogs: Catalogs, clock: Clock,
                 zone: ZoneInfo, person_changed: PersonChanged | None = None) -> None:
        self.uow = uow_factory
        self.catalogs = catalogs
        self.clock = clock
        self.zone = zone
        self._languages: OrderedDict[int, str] = OrderedDict()
        self._person_changed = person_changed

    async def run(self, caller: Caller, decide: Decide) -> Outcome:
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

    def say(self, caller: Caller, text: Callable[[Translator], str]) -> Outcome:
        """A message in the caller's language without the database (it may be why we fail)."""
        language = self._languages.get(caller.telegram_id) \
            or languages.match(caller.language_code) or languages.DEFAULT
        return for_reader(language, Outcome([Reply(text(self.catalogs.translator(language)))]))

    def _remember_language(self, telegram_id: int, language: str | None) -> None:
        self._languages.pop(telegram_id, None)
        if language is not None:
            self._languages[telegram_id] = language
            while len(self._languages) > REMEMBERED_LANGUAGES:
                self._languages.popitem(last=False)

    async def _attempt(self, caller: Caller, decide: Decide) -> tuple[Turn, Outcome]:
        async with self._turn(caller) as turn:
            outcome = await decide(turn)
        return turn, outcome

    @asynccontextmanager
    async def _turn(self, caller: Caller) -> AsyncIterator[Turn]:
        now = self.clock()
        async with self.uow() as uow:
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
            turn = Turn(uow, self.catalogs, caller, person, conversation, now,
                        now.astimezone(self.zone).date())
            yield turn
            # Only what changed is written: most taps move a conversation and nothing else,
            # and every statement saved is a shorter hold on SQLite's single write lock.
            if turn.deleted:
                await uow.people.delete(person.id)
            else:
                if person != loaded:
                    if self._person_changed is not None:
                        await self._person_changed(uow, loaded, person, now)
                    await uow.people.save(person)
                if turn.conversation != before:
                    if turn.conversation is None:
                        await uow.conversations.clear(person.id)
                    else:
                        await uow.conversations.put(person.id, turn.conversation, now)
            await uow.commit()


def for_reader(language: str, outcome: Outcome) -> Outcome:
    """Isolate Latin words and numbers inside right-to-left text (see bot.domain.bidi)."""
    if not languages.is_rtl(language):
        return outcome
    return Outcome([rtl_safe(language, r) for r in outcome.replies], outcome.notice)


def rtl_safe(language: str, reply: Reply) -> Reply:
    """One reply's text and button labels made safe for a right-to-left reader."""
    if not languages.is_rtl(language):
        return reply
    return Reply(protect_ltr_runs(reply.text),
                 tuple(tuple(Button(protect_ltr_runs(b.label), b.data, b.url) for b in row)
                       for row in reply.keyboard),
                 reply.document, reply.place)
