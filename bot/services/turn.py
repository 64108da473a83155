"""The state of one incoming event while services decide what to answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain import languages
from bot.domain.actions import Action
from bot.domain.bidi import FSI, PDI, isolate
from bot.domain.incoming import Caller
from bot.domain.person import Person
from bot.domain.questions import Conversation
from bot.domain.replies import Button, escape
from bot.services.ports import Catalogs, Translator, UnitOfWork


@dataclass
class Turn:
    uow: UnitOfWork
    catalogs: Catalogs
    caller: Caller
    person: Person
    conversation: Conversation | None
    now: datetime  # UTC
    today: date  # the local date where the bot runs
    language: str = field(init=False)
    tr: Translator = field(init=False)
    deleted: bool = False

    def __post_init__(self) -> None:
        self.use_language(self.person.language or self.hinted_language or languages.DEFAULT)

    @property
    def hinted_language(self) -> str | None:
        return languages.match(self.caller.language_code)

    def use_language(self, code: str) -> None:
        self.language = code
        self.tr = self.catalogs.translator(code)

    def gettext(self, message: str) -> str:
        return self.tr.gettext(message)

    def fill(self, template: str, /, **values: str) -> str:
        """Format a translated template; values are escaped and, in RTL text, isolated."""
        return template.format(**{k: self.value(v) for k, v in values.items()})

    def compose(self, template: str, **fragments: str) -> str:
        """Format a translated template with fragments that are already rendered (and
        escaped): each is isolated in RTL text, none is escaped twice."""
        if languages.is_rtl(self.language):
            fragments = {k: f"{FSI}{v}{PDI}" for k, v in fragments.items()}
        return template.format(**fragments)

    def value(self, text: str) -> str:
        """A name, word or number placed in a message: escaped, and isolated in RTL text."""
        return isolate(escape(text)) if languages.is_rtl(self.language) else escape(text)


def button(label: str, scope: str, name: str, value: str = "") -> Button:
    return Button(label, Action(scope, name, value).encode())
