"""iCalendar feeds of local events (issue 11, groundwork: not shown to anyone yet): the
occurrences of a feed's events in a window, with recurrences expanded (RRULE, RDATE,
EXDATE, moved occurrences) by `recurring-ical-events`, times in UTC.

- A time with a TZID or in UTC is that moment; a floating time (no zone) is read in the
  municipality's zone, as a person reading the feed would.
- An all-day event runs from local midnight of its first day to local midnight after its
  last (DTEND is exclusive; without one, one day).
- A feed that is not iCalendar at all raises FeedError (the caller keeps the last good
  events and tells the coordinators); one broken event in a good feed is skipped and
  counted, never the whole feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]

MAX_OCCURRENCES = 50_000  # per feed and window: the soonest are kept
MAX_TEXT = 2000  # characters kept of a title, description or location


class FeedError(ValueError):
    """The feed could not be read at all. `reason` is one of REASONS (what coordinators
    are told, translated), optionally with a detail after a colon ("http:502"); the
    library's own message goes to the log only."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# Why a feed could not be read (FeedError.reason).
NOT_ICALENDAR, CANNOT_EXPAND = "not-icalendar", "cannot-expand"
NO_FILE, HTTP, UNREACHABLE, TOO_BIG = "no-file", "http", "unreachable", "too-big"


@dataclass(frozen=True)
class FeedOccurrence:
    uid: str
    start: datetime  # UTC
    end: datetime  # UTC
    all_day: bool
    title: str
    description: str = ""
    location: str = ""
    original: datetime | None = None  # UTC: its RECURRENCE-ID, where a moved date was

    @property
    def date_key(self) -> str:
        """Which date of its event this is: its original start (a date the organiser
        moves keeps its key, and so who goes)."""
        return (self.original or self.start).strftime("%Y%m%dT%H%M%SZ")

    @property
    def key(self) -> str:
        """One occurrence of one event: what an RSVP is for."""
        return f"{self.uid}@{self.date_key}"


@dataclass(frozen=True)
class FeedRead:
    occurrences: tuple[FeedOccurrence, ...]
    skipped: int = 0  # events that could not be read (no start, a broken rule, ...)
    cut_off: bool = False  # more than MAX_OCCURRENCES in the window


def read(ics: bytes | str, start: datetime, end: datetime, zone: ZoneInfo) -> FeedRead:
    """The occurrences that overlap [start, end) (aware datetimes), sorted by start."""
    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except Exception as exc:  # the library raises ValueError and friends for garbage
        raise FeedError(NOT_ICALENDAR, str(exc)[:200]) from exc
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise FeedError(NOT_ICALENDAR, "no VCALENDAR")
    # An event without a start cannot be placed (and stops the expansion): it is left out.
    readable = [c for c in calendar.subcomponents
                if c.name != "VEVENT" or c.get("DTSTART") is not None]
    skipped = len(calendar.subcomponents) - len(readable)
    calendar.subcomponents = readable
    try:
        components = recurring_ical_events.of(calendar, skip_bad_series=True).between(
            start.astimezone(zone), end.astimezone(zone))
    except Exception as exc:  # a rule the library cannot expand at all
        raise FeedError(CANNOT_EXPAND, str(exc)[:200]) from exc
    found: list[FeedOccurrence] = []
    for component in components:
        occurrence = _occurrence(component, zone)
        if occurrence is None:
            skipped += 1
            continue
        if occurrence.end > start and occurrence.start < end:
            found.append(occurrence)
    # The soonest are kept when there are too many: every event's next dates, not every
    # date of the events that happen to come first in the file.
    found.sort(key=lambda o: (o.start, o.uid))
    return FeedRead(tuple(found[:MAX_OCCURRENCES]), skipped, len(found) > MAX_OCCURRENCES)


def _occurrence(component: Any, zone: ZoneInfo) -> FeedOccurrence | None:
    begins = component.get("DTSTART")
    if begins is None:
        return None
    first = begins.dt
    all_day = isinstance(first, date) and not isinstance(first, datetime)
    start = _moment(first, zone)
    ends = component.get("DTEND")
    if ends is not None:
        end = _moment(ends.dt, zone)
    elif component.get("DURATION") is not None:
        end = start + component.get("DURATION").dt
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(0))
    if end < start:
        return None
    recurrence = component.get("RECURRENCE-ID")
    original = _moment(recurrence.dt, zone) if recurrence is not None else None
    return FeedOccurrence(str(component.get("UID", "")) or f"no-uid-{start.isoformat()}",
                          start, end, all_day, _text(component, "SUMMARY"),
                          _text(component, "DESCRIPTION"), _text(component, "LOCATION"),
                          original)


def _moment(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):  # a day: from local midnight
        return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)
    if value.tzinfo is None:  # floating: read where the people are
        return value.replace(tzinfo=zone).astimezone(UTC)
    return value.astimezone(UTC)


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    return str(value).strip()[:MAX_TEXT] if value is not None else ""


def to_ics(occurrence: FeedOccurrence, zone: ZoneInfo, now: datetime) -> bytes:
    """One occurrence as an .ics file a phone's calendar opens ("Add to my calendar"):
    local times with their zone (so a phone in another zone still shows the right hour),
    an all-day event as dates. `now` (UTC) is its DTSTAMP."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Wegwijs//events//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", occurrence.key)
    event.add("dtstamp", now.astimezone(UTC))
    if occurrence.all_day:
        event.add("dtstart", occurrence.start.astimezone(zone).date())
        event.add("dtend", occurrence.end.astimezone(zone).date())
    else:
        event.add("dtstart", occurrence.start.astimezone(zone))
        event.add("dtend", occurrence.end.astimezone(zone))
    event.add("summary", occurrence.title)
    if occurrence.location:
        event.add("location", occurrence.location)
    if occurrence.description:
        event.add("description", occurrence.description)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
