"""The shape of the content files in flows/ and knowledge/, validated with pydantic.

English is the source language of every text here; translations live in the gettext
catalogs (the YAML extractor in bot.content.extract pulls these texts out).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from bot.domain import emergency
from bot.domain.facts import FACT_REF as FACT_REF  # re-exported for content checks
from bot.domain.facts import DatedValue

# Ids end up in callback data (64 bytes): keep them short, ascii, lowercase.
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,23}$")]
Text = Annotated[str, Field(min_length=1, max_length=3000)]
Label = Annotated[str, Field(min_length=1, max_length=60)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(StrEnum):
    """What an organisation helps with; flows show organisations by category."""

    ADMIN = "admin"  # letters, forms, DigiD, toeslagen, taxes: help with paperwork
    BEGELEIDING = "begeleiding"
    CHILDREN = "children"
    DEBTS = "debts"
    DISCRIMINATION = "discrimination"
    EMERGENCY = "emergency"
    FAMILY = "family"
    HEALTH = "health"
    HOUSING = "housing"
    INBURGERING = "inburgering"
    LANGUAGE = "language"
    LEGAL = "legal"
    MEETING = "meeting"  # meeting people, buddies, community
    WORK = "work"


# -- knowledge ------------------------------------------------------------------------


class Source(Strict):
    url: HttpUrl
    last_checked: date


class GlossaryTerm(Strict):
    term: Annotated[str, Field(min_length=2, max_length=60)]  # Dutch, as on letters
    variants: list[str] = []  # plurals, spellings, compound forms people may type
    explanation: Text  # plain English, short sentences
    flow: Id | None = None  # a flow that explains more
    source: HttpUrl

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.term.lower()).strip("-")[:24]


class Glossary(Strict):
    last_checked: date
    terms: list[GlossaryTerm] = Field(min_length=1)


class FactStatus(StrEnum):
    CONFIRMED = "confirmed"  # officially fixed
    ANNOUNCED = "announced"  # published but not final: shown as "expected"


class FactValue(Strict):
    starts: date = Field(alias="from")  # the day from which this value applies
    value: float
    status: FactStatus
    source: HttpUrl
    last_checked: date

    def dated(self) -> DatedValue:
        return DatedValue(self.starts, self.value, self.status is FactStatus.ANNOUNCED)


class Fact(Strict):
    description: Text
    unit: Literal["EUR", "EUR/hour", "EUR/month", "EUR/year"]
    values: list[FactValue] = Field(min_length=1)

    def dated(self) -> list[DatedValue]:
        return [v.dated() for v in self.values]

    @field_validator("values")
    @classmethod
    def _one_value_a_day(cls, values: list[FactValue]) -> list[FactValue]:
        days = [v.starts for v in values]
        if len(set(days)) != len(days):
            raise ValueError("two values apply from the same day")
        return values


class Facts(Strict):
    facts: dict[Annotated[str, Field(pattern=r"^[a-z0-9_]+$")], Fact]


class Organisation(Strict):
    id: Id
    name: Annotated[str, Field(min_length=2, max_length=80)]
    description: Text  # what they do, plain English
    categories: list[Category] = Field(min_length=1)
    languages: list[Literal["ar", "ti", "en", "nl"]] = []  # languages help is offered in
    # Contact details only where verified from an official or the organisation's own source.
    website: HttpUrl | None = None
    phone: str | None = None
    source: Annotated[str, Field(min_length=3)]  # a URL or "seeds/<file>" it comes from
    last_checked: date


class Organisations(Strict):
    organisations: list[Organisation]


class RemindOn(Strict):
    """A day inside the window for the reminder, instead of the window's first day."""

    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=28)  # exists in every month


class CalendarEntry(Strict):
    id: Id
    months: list[Annotated[int, Field(ge=1, le=12)]] = Field(min_length=1)
    text: Text
    flow: Id | None = None
    source: HttpUrl
    remind: RemindOn | None = None

    @model_validator(mode="after")
    def _remind_inside(self) -> CalendarEntry:
        if self.remind is not None and self.remind.month not in self.months:
            raise ValueError(f"{self.id}: remind.month must be one of its months")
        return self


Days = Annotated[int, Field(ge=-120, le=730)]


class CheckinSchedule(Strict):
    """knowledge/checkins.yaml: the days, counted from the day begeleiding ends, on which
    Wegwijs writes (negative: a heads-up before the end). A municipality may have its own."""

    last_checked: date
    default: list[Days] = Field(min_length=1)
    municipalities: dict[Id, list[Days]] = Field(default_factory=dict)

    @field_validator("default")
    @classmethod
    def _no_zero(cls, days: list[int]) -> list[int]:
        if 0 in days:
            raise ValueError("day 0 is the end itself: use a day before or after it")
        return days

    @model_validator(mode="after")
    def _municipal_no_zero(self) -> CheckinSchedule:
        for municipality, days in self.municipalities.items():
            if not days or 0 in days:
                raise ValueError(f"{municipality}: at least one day, and never day 0")
        return self


class Calendar(Strict):
    last_checked: date
    entries: list[CalendarEntry]


class Override(Strict):
    """A municipality's own version of one flow step (e.g. who gives begeleiding there)."""

    flow: Id
    step: Id
    text: Text
    source: HttpUrl


class Overrides(Strict):
    municipality: Id
    last_checked: date
    overrides: list[Override]


class Synonyms(Strict):
    """Words people use for a topic, per language: search finds the flow through them."""

    synonyms: dict[Id, dict[Literal["ar", "ti", "en", "nl"], list[str]]]


Keyword = Annotated[str, Field(min_length=1, max_length=80)]


class EmergencySignals(Strict):
    """Words that make a message to a sleutelpersoon show 112 and the huisartsenpost first
    (knowledge/emergency.yaml). Every language needs its own list: a gap is a missed
    emergency, not a missing translation."""

    last_checked: date
    words: dict[Literal["ar", "ti", "en", "nl"], list[Keyword]]

    @field_validator("words")
    @classmethod
    def _every_language_and_matchable(cls, words: dict[str, list[str]]) -> dict[str, list[str]]:
        problems = []
        missing = sorted({"ar", "ti", "en", "nl"} - {lang for lang, w in words.items() if w})
        if missing:
            problems.append(f"no emergency words for {', '.join(missing)}")
        # A keyword of only single letters or punctuation could never match; refuse it
        # here, where the error names the file.
        empty = [w for found in words.values() for w in found if not emergency.keys(w)]
        if empty:
            problems.append(f"keywords without a word to match: {empty}")
        if problems:
            raise ValueError("; ".join(problems))
        return words


# -- flows ----------------------------------------------------------------------------


class Link(Strict):
    url: HttpUrl
    label: Label


class Option(Strict):
    id: Id
    label: Label
    next: Id


class Step(Strict):
    """One screen. `kind` decides which other fields apply (checked below)."""

    kind: Literal["message", "choice", "goto", "organisations", "glossary", "handoff"]
    text: Text | None = None
    link: Link | None = None
    next: Id | None = None  # message, organisations, glossary: the step after "Next"
    options: list[Option] = []  # choice
    flow: Id | None = None  # goto: another flow
    category: Category | None = None  # organisations
    term: str | None = None  # glossary: a Dutch term from knowledge/glossary.yaml
    # choice: options whose ids are municipality ids; the person's own is followed unasked.
    by_municipality: bool = False

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> Step:
        needs = {"message": ["text"], "choice": ["text", "options"], "goto": ["flow"],
                 "organisations": ["category"], "glossary": ["term"], "handoff": ["text"]}
        missing = [f for f in needs[self.kind] if not getattr(self, f)]
        if missing:
            raise ValueError(f"a {self.kind} step needs {', '.join(missing)}")
        if self.kind != "choice" and self.options:
            raise ValueError(f"only choice steps have options, not {self.kind}")
        if self.by_municipality and self.kind != "choice":
            raise ValueError("only choice steps can be answered by municipality")
        if self.kind == "choice" and self.next:
            raise ValueError("a choice step continues through its options, not next")
        if self.kind == "choice" and len({o.id for o in self.options}) != len(self.options):
            raise ValueError("option ids must be unique")
        return self


class Flow(Strict):
    id: Id
    title: Label  # the topic as shown in menus and search results
    summary: Text  # one sentence: what this topic helps with (also used by search)
    sources: list[HttpUrl] = Field(min_length=1)
    last_checked: date
    start: Id
    steps: dict[Id, Step] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _not_too_many(cls, steps: dict[str, Step]) -> dict[str, Step]:
        if len(steps) > 60:
            raise ValueError("a flow of more than 60 steps should be split")
        return steps

    @model_validator(mode="after")
    def _links_resolve(self) -> Flow:
        if self.start not in self.steps:
            raise ValueError(f"start step {self.start!r} does not exist")
        for step_id, step in self.steps.items():
            targets = [step.next] if step.next else []
            targets += [o.next for o in step.options]
            for target in targets:
                if target not in self.steps:
                    raise ValueError(f"step {step_id!r} goes to {target!r}, which does not exist")
        return self
