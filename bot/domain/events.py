"""Local events (issue 11, groundwork: not shown to anyone yet): what an event is, which
week a person asks for, who may come, and the RSVP rules for one occurrence: capacity, a
waiting list that moves up in order when someone cancels, and when the reminder the day
before and the follow-up after it are due. Pure rules; storage and screens live elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Category(StrEnum):
    LANGUAGE_CAFE = "language_cafe"
    MEAL = "meal"
    CULTURE = "culture"
    SPORT = "sport"
    WORK_AND_STUDY = "work_and_study"
    INFORMATION = "information"
    FESTIVAL = "festival"


class EventAudience(StrEnum):
    EVERYONE = "everyone"
    WOMEN = "women"
    FAMILIES = "families"
    YOUTH = "youth"


class Source(StrEnum):
    """Where an event comes from; a refresh replaces only what came from the same place."""

    FILE = "file"  # knowledge/municipalities/<id>/events.yaml
    DEMO = "demo"  # knowledge/demo/events.yaml: console and demos only
    FEED = "feed"  # an iCalendar feed
    BOT = "bot"  # written by a coordinator in the bot


@dataclass(frozen=True)
class Texts:
    """One language's text of an event."""

    title: str
    description: str = ""
    bring: str = ""
    expect: str = ""
    cost: str = ""


@dataclass(frozen=True)
class Venue:
    name: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None

    @property
    def located(self) -> bool:
        """Coordinates known: it can be sent as a Telegram venue (a map pin)."""
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Event:
    id: int  # 0 before it is stored
    municipality: str
    source: Source
    uid: str  # unique within its municipality and source (a feed's UID, a file's id)
    category: Category
    audience: EventAudience
    texts: Mapping[str, Texts]  # language -> what a person wrote in it
    drafts: frozenset[str] = frozenset()  # languages no native speaker reviewed yet
    languages: tuple[str, ...] = ()  # spoken there
    venue: Venue | None = None
    organiser: str | None = None  # an organisation id (the directory)
    capacity: int | None = None
    feed: str = ""  # the feed id, for events from a feed

    def text_in(self, language: str) -> tuple[str, Texts]:
        """The text in `language`, else English, else Dutch, else any: (language, text)."""
        for code in (language, "en", "nl", *sorted(self.texts)):
            if code in self.texts:
                return code, self.texts[code]
        return language, Texts("?")


@dataclass(frozen=True)
class Occurrence:
    """One date of an event: what a person says they will go to."""

    id: int
    event: Event
    start: datetime  # UTC
    end: datetime  # UTC
    all_day: bool = False
    cancelled: bool = False
    going: int = 0
    waiting: int = 0

    @property
    def full(self) -> bool:
        return self.event.capacity is not None and self.going >= self.event.capacity


class RsvpState(StrEnum):
    GOING = "going"
    WAITING = "waiting"
    CANCELLED = "cancelled"  # they said they cannot come after all


@dataclass(frozen=True)
class Rsvp:
    id: int
    occurrence_id: int
    person_id: int
    state: RsvpState
    at: datetime
    reminder_at: datetime | None = None
    reminded_at: datetime | None = None
    follow_up_at: datetime | None = None
    followed_at: datetime | None = None
    feedback: int | None = None  # 1 👍, -1 👎


@dataclass(frozen=True)
class Figures:
    """What coordinators see per occurrence."""

    occurrence: Occurrence
    going: int
    waiting: int
    liked: int
    disliked: int


@dataclass(frozen=True)
class Synced:
    """What a refresh of one source changed."""

    events: int = 0  # events stored (new or changed)
    occurrences: int = 0  # occurrences new or moved
    gone: tuple[int, ...] = field(default=())  # occurrences no longer there (ids)
    moved: tuple[int, ...] = field(default=())  # occurrences at another time now (ids)


@dataclass(frozen=True)
class Week:
    """Monday 00:00 to the next Monday 00:00, local time, as UTC datetimes."""

    start: datetime
    end: datetime


def week_of(day: date, zone: ZoneInfo, weeks_ahead: int = 0) -> Week:
    """The week (Monday to Sunday, local) that holds `day`, or one `weeks_ahead` later:
    "this week" and "next week". Local midnights: a week with a clock change is 167 or
    169 hours long, as people live it."""
    monday = day - timedelta(days=day.weekday()) + timedelta(weeks=weeks_ahead)
    return Week(datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC),
                datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
                .astimezone(UTC))


# -- RSVP for one occurrence -----------------------------------------------------------------


class Answer(StrEnum):
    GOING = "going"
    WAITING = "waiting"  # full: on the waiting list
    ALREADY = "already"  # said so before: nothing changes


@dataclass(frozen=True)
class Attendance:
    """Who said they will come to one occurrence, in the order they said it."""

    going: tuple[int, ...] = ()  # people.id
    waiting: tuple[int, ...] = ()

    def rsvp(self, person_id: int, capacity: int | None) -> tuple[Attendance, Answer]:
        """Going while there is room (capacity None: no limit), else on the waiting list."""
        if person_id in self.going or person_id in self.waiting:
            return self, Answer.ALREADY
        if capacity is None or len(self.going) < capacity:
            return Attendance((*self.going, person_id), self.waiting), Answer.GOING
        return Attendance(self.going, (*self.waiting, person_id)), Answer.WAITING

    def cancel(self, person_id: int, capacity: int | None) -> tuple[Attendance, tuple[int, ...]]:
        """Someone cannot come after all: the first on the waiting list moves up as places
        free up. Returns the new attendance and who moved up (to be told)."""
        going = tuple(p for p in self.going if p != person_id)
        waiting = tuple(p for p in self.waiting if p != person_id)
        room = len(waiting) if capacity is None else max(0, capacity - len(going))
        moved = waiting[:room]
        return Attendance((*going, *moved), waiting[room:]), moved


# -- the reminder and the follow-up -----------------------------------------------------------

REMINDER_HOUR = 18  # the evening before: after work, before people plan their day
FOLLOW_UP_HOUR = 11  # the morning after: "how was it?"


def reminder_at(start: datetime, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The day before at 18:00 local time; None when that has passed (said "I'll go" late),
    because a reminder after the fact helps nobody."""
    local = start.astimezone(zone)
    moment = datetime.combine(local.date() - timedelta(days=1), time(REMINDER_HOUR),
                              tzinfo=zone).astimezone(UTC)
    return moment if moment > now else None


def follow_up_at(end: datetime, zone: ZoneInfo) -> datetime:
    """The morning after the event ends, 11:00 local time."""
    local = end.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(FOLLOW_UP_HOUR),
                            tzinfo=zone).astimezone(UTC)


def similar(category: Category, upcoming: Sequence[tuple[str, Category]],
            taken: str, limit: int = 3) -> list[str]:
    """The next events of the same kind after the one someone went to (the follow-up's
    suggestions): keys in the order given (soonest first), never the one itself."""
    return [key for key, kind in upcoming if kind is category and key != taken][:limit]


@dataclass(frozen=True)
class Dated:
    """One date of an event as a source gives it (key: its original start, so a moved
    date keeps its RSVPs)."""

    key: str
    start: datetime  # UTC
    end: datetime
    all_day: bool = False


@dataclass(frozen=True)
class FeedState:
    municipality: str
    feed: str
    read_at: datetime | None
    ok_at: datetime | None
    failing_since: datetime | None
    error: str | None
    reported_at: datetime | None
    events: int = 0
    skipped: int = 0
    digest: str | None = None  # of the last good read's bytes

    @property
    def broken(self) -> bool:
        return self.failing_since is not None
