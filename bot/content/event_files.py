"""Events written in files: `knowledge/municipalities/<id>/events.yaml` (real events and the
municipality's iCalendar feeds, each with its source) and `knowledge/demo/events.yaml`
(invented events for the console and demos, loaded only there: no invented event ever
reaches a real person).

A file event is turned into an iCalendar event and read with the feed reader
(bot.content.event_feeds), so a weekly café in a file and one in a feed expand alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import icalendar
from pydantic import Field, HttpUrl, model_validator

from bot.content.event_feeds import FeedRead, read
from bot.content.schema import Id, Strict
from bot.domain import events as ev

LanguageCode = Literal["en", "ar", "ti", "nl"]
Short = Annotated[str, Field(min_length=1, max_length=120)]
Long = Annotated[str, Field(min_length=1, max_length=1500)]


class EventText(Strict):
    """One language's text of an event, written by a person."""

    title: Short
    description: Long | None = None
    bring: Annotated[str, Field(max_length=400)] | None = None  # what to bring
    expect: Annotated[str, Field(max_length=600)] | None = None  # what happens there
    cost: Annotated[str, Field(max_length=120)] | None = None  # "free", "€ 3" (sourced)

    def texts(self) -> ev.Texts:
        return ev.Texts(self.title, self.description or "", self.bring or "",
                        self.expect or "", self.cost or "")


class VenueEntry(Strict):
    name: Short
    address: Annotated[str, Field(max_length=200)] | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None

    def venue(self) -> ev.Venue:
        return ev.Venue(self.name, self.address or "", self.latitude, self.longitude)


class EventEntry(Strict):
    id: Id
    category: ev.Category
    audience: ev.EventAudience = ev.EventAudience.EVERYONE
    # At least English or Dutch; each language a person wrote. `drafts`: languages whose
    # text no native speaker reviewed yet (shown with ✎, as draft catalog texts are).
    text: dict[LanguageCode, EventText]
    drafts: list[LanguageCode] = Field(default_factory=list)
    start: datetime  # local time in the bot's zone (no offset)
    end: datetime
    # An iCalendar RRULE for a series, e.g. "FREQ=WEEKLY;COUNT=12"; dates left out with
    # `except`.
    repeat: Annotated[str, Field(pattern=r"^FREQ=(DAILY|WEEKLY|MONTHLY)(;[A-Z]+=[A-Z0-9,+-]+)*$")] \
        | None = None
    except_: list[date] = Field(default_factory=list, alias="except")
    all_day: bool = False
    venue: VenueEntry | None = None
    languages: list[LanguageCode] = Field(default_factory=list)  # spoken there
    organiser: Id | None = None  # an organisation in knowledge/ (the directory)
    capacity: Annotated[int, Field(ge=1, le=10_000)] | None = None
    source: Annotated[str, Field(min_length=3)]  # where the event was announced
    last_checked: date

    @model_validator(mode="after")
    def _sane(self) -> EventEntry:
        if "en" not in self.text and "nl" not in self.text:
            raise ValueError(f"{self.id}: write at least an English or a Dutch text")
        if self.end < self.start:
            raise ValueError(f"{self.id}: ends before it starts")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError(f"{self.id}: write local times without an offset")
        return self

    def event(self, municipality: str, source: ev.Source) -> ev.Event:
        return ev.Event(0, municipality, source, self.id, self.category, self.audience,
                        {lang: t.texts() for lang, t in self.text.items()},
                        frozenset(self.drafts), tuple(self.languages),
                        self.venue.venue() if self.venue else None, self.organiser,
                        self.capacity)

    def occurrences(self, start: datetime, end: datetime, zone: ZoneInfo) -> FeedRead:
        """Its occurrences in [start, end), read as a feed would be."""
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//Wegwijs//events.yaml//EN")
        calendar.add("version", "2.0")
        item = icalendar.Event()
        item.add("uid", self.id)
        item.add("dtstamp", datetime(2026, 1, 1, tzinfo=UTC))
        item.add("summary", self.id)
        if self.all_day:
            item.add("dtstart", self.start.date())
            item.add("dtend", self.end.date())
        else:
            item.add("dtstart", self.start.replace(tzinfo=zone))
            item.add("dtend", self.end.replace(tzinfo=zone))
        if self.repeat:
            item.add("rrule", icalendar.vRecur.from_ical(self.repeat))
        for day in self.except_:
            skipped = day if self.all_day else \
                datetime.combine(day, self.start.time(), tzinfo=zone)
            item.add("exdate", skipped)
        calendar.add_component(item)
        return read(calendar.to_ical(), start, end, zone)


class FeedEntry(Strict):
    """An iCalendar feed a municipality or organisation publishes: a URL, or a file path
    (relative to the knowledge directory) for a feed that is copied in by other means."""

    id: Id
    url: HttpUrl | None = None
    file: str | None = None
    category: ev.Category  # what its events are, when the feed does not say
    audience: ev.EventAudience = ev.EventAudience.EVERYONE
    language: LanguageCode = "nl"  # the language its titles are written in
    organiser: Id | None = None
    source: Annotated[str, Field(min_length=3)]
    last_checked: date

    @model_validator(mode="after")
    def _one_place(self) -> FeedEntry:
        if (self.url is None) == (self.file is None):
            raise ValueError(f"{self.id}: give either url or file")
        return self


class EventsFile(Strict):
    """knowledge/municipalities/<id>/events.yaml."""

    municipality: Id
    last_checked: date
    feeds: list[FeedEntry] = Field(default_factory=list)
    events: list[EventEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> EventsFile:
        for kind, ids in (("event", [e.id for e in self.events]),
                          ("feed", [f.id for f in self.feeds])):
            if len(set(ids)) != len(ids):
                raise ValueError(f"an {kind} id is used twice")
        return self


class DemoEvents(Strict):
    """knowledge/demo/events.yaml: invented events per municipality, for the console and
    demos only. Most are weekly series without an end, so a demo always has something this
    week and next."""

    note: Annotated[str, Field(min_length=10)]  # says that they are invented
    municipalities: dict[Id, list[EventEntry]]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
