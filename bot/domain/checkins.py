"""Keeping in touch after begeleiding ends: when each planned message is due (issue 9).

Pure rules: bot.services.checkins writes the plans, renders due rows into the outbox and
takes the answers.

- People know the month their begeleiding ends ("in June"); it ends on that month's last
  day. A heads-up goes out before the end, check-ins after it (`DEFAULT_SCHEDULE`; a
  municipality may have its own in knowledge/).
- Everything is due at a civil hour in local time (10:00 Europe/Amsterdam). That hour exists
  on every day and is never ambiguous, so a daylight-saving change cannot move a message to
  03:00. Quiet hours stay the outbox's business.
- Changing the end month re-plans only what was not sent. What the change puts in the past
  is not sent late one by one: only the most recent such check-in goes, at once, and a
  heads-up for an end that has passed is dropped. After downtime the same holds: of several
  check-ins due for one person, the latest goes and the earlier ones are skipped.
- Seasonal reminders (knowledge/calendar.yaml) have a window of months; one whose window
  has passed is dropped, never sent late.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

SEND_AT = time(10, 0)  # local time of every planned message
ASK_AGAIN_MONTHS = 3  # "I don't know when it ends" is asked again after this
REMINDER_AFTER = timedelta(days=3)  # one gentle reminder when a check-in is not answered
NOT_REACHED_AFTER = timedelta(days=3)  # after the reminder: the person counts as not reached


class Kind(StrEnum):
    HEADS_UP = "heads_up"  # before the end: what changes, who helps after
    CHECKIN = "checkin"  # after the end: "how are things going?"
    ASK_AGAIN = "ask_again"  # "do you know now when your begeleiding ends?"


@dataclass(frozen=True)
class Step:
    id: str  # stable: a plan row per person and step is keyed by it
    kind: Kind
    days: int  # from the end day; negative: before it

    def __post_init__(self) -> None:
        if self.kind is Kind.ASK_AGAIN:
            return
        if (self.kind is Kind.HEADS_UP) != (self.days < 0) or self.days == 0:
            raise ValueError(f"{self.id}: a heads-up comes before the end, a check-in after")


def step(days: int) -> Step:
    """The step `days` from the end (negative: before it), as the schedule files name them."""
    if days < 0:
        return Step(f"heads-up-{-days}", Kind.HEADS_UP, days)
    return Step(f"day-{days}", Kind.CHECKIN, days)


def schedule(days: Iterable[int]) -> tuple[Step, ...]:
    found = tuple(step(d) for d in sorted(set(days)))
    if not found:
        raise ValueError("a schedule needs at least one step")
    return found


DEFAULT_SCHEDULE: tuple[Step, ...] = schedule((-14, 7, 30, 90, 180, 365))


def ask_again(on: date, zone: ZoneInfo) -> Planned:
    """The row that asks again, three months after "I don't know" (one per date: a later
    "I don't know" plans a new one)."""
    return Planned(Step(f"ask-{on.isoformat()}", Kind.ASK_AGAIN, 0),
                   at_local(ask_again_on(on), zone))


@dataclass(frozen=True)
class Planned:
    step: Step
    due: datetime  # UTC


# -- dates ---------------------------------------------------------------------------------


def end_day(end_month: date) -> date:
    """The last day of the month begeleiding ends in (any day of that month names it)."""
    return end_month.replace(day=calendar.monthrange(end_month.year, end_month.month)[1])


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def at_local(day: date, zone: ZoneInfo, at: time = SEND_AT) -> datetime:
    """`at` on `day` where people live, in UTC (10:00 exists and is unique on every day)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def ask_again_on(answered_unknown: date) -> date:
    """When to ask again someone who did not know when their begeleiding ends."""
    return add_months(answered_unknown, ASK_AGAIN_MONTHS)


# -- the plan ------------------------------------------------------------------------------


def plan(end_month: date, zone: ZoneInfo,
         schedule: Sequence[Step] = DEFAULT_SCHEDULE) -> tuple[Planned, ...]:
    """Every step of the schedule with its due time, earliest first."""
    return plan_from(end_day(end_month), zone, schedule)


def plan_from(end: date, zone: ZoneInfo,
              schedule: Sequence[Step] = DEFAULT_SCHEDULE) -> tuple[Planned, ...]:
    return tuple(sorted((Planned(s, at_local(end + timedelta(days=s.days), zone))
                         for s in schedule), key=lambda p: p.due))


def replan(end_month: date, sent: Iterable[str], now: datetime, zone: ZoneInfo,
           schedule: Sequence[Step] = DEFAULT_SCHEDULE) -> tuple[Planned, ...]:
    """What to keep planned when the end month is set or changed: the steps not sent yet.
    Of those the change puts in the past, only the latest check-in stays, due now; a
    heads-up for an end that has passed is dropped."""
    return replan_from(end_day(end_month), sent, now, zone, schedule)


def replan_from(end: date, sent: Iterable[str], now: datetime, zone: ZoneInfo,
                schedule: Sequence[Step] = DEFAULT_SCHEDULE) -> tuple[Planned, ...]:
    done = set(sent)
    waiting = [p for p in plan_from(end, zone, schedule) if p.step.id not in done]
    future = [p for p in waiting if p.due > now]
    past_checkins = [p for p in waiting if p.due <= now and p.step.kind is Kind.CHECKIN]
    past_heads_up = [p for p in waiting if p.due <= now and p.step.kind is Kind.HEADS_UP
                     and at_local(end, zone) > now]
    kept = [Planned(p.step, now) for p in past_heads_up + past_checkins[-1:]]
    return tuple(sorted(kept + future, key=lambda p: (p.due, p.step.days)))


def since_ended(answered: date, zone: ZoneInfo, now: datetime,
                schedule: Sequence[Step] = DEFAULT_SCHEDULE) -> tuple[Planned, ...]:
    """Someone whose begeleiding has already ended (the date unknown): the check-ins count
    from the day they said so; a heads-up no longer makes sense."""
    after = [s for s in schedule if s.kind is Kind.CHECKIN]
    return replan_from(answered, (), now, zone, after)


def collapse(due: Sequence[Entry]) -> tuple[Entry | None, tuple[Entry, ...]]:
    """Of one person's rows due at once (after downtime): the one to send, the latest, and
    the ones to skip. Nobody gets three "how are you?" messages in a row."""
    if not due:
        return None, ()
    ordered = sorted(due, key=lambda e: (e.due, e.id))
    return ordered[-1], tuple(ordered[:-1])


# -- answers -------------------------------------------------------------------------------


class Follow(StrEnum):
    NOTHING = "nothing"
    REMIND = "remind"  # one gentle reminder
    NOT_REACHED = "not_reached"  # for the coordinators' list


def follow_up(sent_at: datetime, now: datetime, *, answered: bool, reminded_at: datetime | None,
              unreachable: bool = False) -> Follow:
    """What a check-in without an answer needs now. Someone who blocked the bot is
    unreachable, which the outbox records; they are not "not reached"."""
    if answered or unreachable:
        return Follow.NOTHING
    if reminded_at is None:
        return Follow.REMIND if now >= sent_at + REMINDER_AFTER else Follow.NOTHING
    return Follow.NOT_REACHED if now >= reminded_at + NOT_REACHED_AFTER else Follow.NOTHING


# -- seasonal reminders --------------------------------------------------------------------


@dataclass(frozen=True)
class Season:
    """One window of a seasonal reminder: when it goes out, and when it is too late.

    An entry's months form windows of consecutive months ([3, 4] is one window, March to
    April; [1, 7] two, January and July; [12, 1] one, over the new year)."""

    key: str  # "2027-03": the year and month the window starts (unique per entry)
    due: datetime  # UTC
    end: datetime  # UTC, exclusive: not sent from then on


def runs(months: Sequence[int]) -> list[list[int]]:
    """The windows of `months`: runs of consecutive months, December joined to January."""
    unique = sorted(set(months))
    if not unique or any(not 1 <= m <= 12 for m in unique):
        raise ValueError(f"months must be 1..12: {months}")
    if len(unique) == 12:
        return [unique]
    # Start after a gap, so that a run over the new year is not cut in two.
    first = next(i for i, m in enumerate(unique) if (m - 2) % 12 + 1 not in unique)
    ordered = unique[first:] + unique[:first]
    found: list[list[int]] = [[ordered[0]]]
    for month in ordered[1:]:
        if month == found[-1][-1] % 12 + 1:
            found[-1].append(month)
        else:
            found.append([month])
    return found


def seasons(months: Sequence[int], year: int, zone: ZoneInfo,
            remind: tuple[int, int] | None = None) -> list[Season]:
    """The windows of `months` that start in `year`. The reminder goes out on the first
    day of a window at the send hour, or on `remind` (month, day) when it lies inside."""
    found = []
    for run in runs(months):
        first, last = run[0], run[-1]
        end_year = year + (1 if last < first else 0)
        end = at_local(add_months(date(end_year, last, 1), 1), zone, time(0))
        day = date(year, first, 1)
        if remind is not None:
            for offset in range(len(run)):
                month = run[offset]
                if month == remind[0]:
                    day = date(year + (1 if month < first else 0), month, remind[1])
        found.append(Season(f"{year}-{first:02d}", at_local(day, zone), end))
    return found


def open_seasons(months: Sequence[int], now: datetime, zone: ZoneInfo,
                 remind: tuple[int, int] | None = None) -> list[Season]:
    """The windows whose reminder is due now and not too late: send these (once each).
    A window that has passed is never sent late; one still open after downtime goes now."""
    local_year = now.astimezone(zone).year
    return [s for year in (local_year - 1, local_year)
            for s in seasons(months, year, zone, remind) if s.due <= now < s.end]


# -- stored plans --------------------------------------------------------------------------


class Status(StrEnum):
    PLANNED = "planned"
    SENT = "sent"
    SKIPPED = "skipped"  # re-planned away, or collapsed after downtime


@dataclass(frozen=True)
class Entry:
    """A stored plan row: a step of one person's schedule and what became of it."""

    id: int
    person_id: int
    step: str
    kind: Kind
    status: Status
    due: datetime  # UTC
    sent_at: datetime | None = None
    reminded_at: datetime | None = None
    answered_at: datetime | None = None
    answer: str | None = None
    area: str | None = None
    follow_at: datetime | None = None  # UTC: when to look at a check-in without an answer
    not_reached_at: datetime | None = None
    pseudonym: str | None = None  # given when not reached: what coordinators see


@dataclass(frozen=True)
class NotReached:
    """Someone a check-in and its reminder did not reach, as coordinators see them."""

    entry_id: int
    person_id: int
    pseudonym: str
    language: str | None
    last_contact: datetime  # UTC: when they last wrote to the bot
    since: datetime  # UTC: counted as not reached then


@dataclass(frozen=True)
class Figures:
    """Check-ins of one municipality, counted; no person in it."""

    sent: int
    answered: dict[str, int]  # answer -> count
    areas: dict[str, int]  # area -> count
    not_reached: int
    # Questions to a person opened from check-ins: area -> how they ended ("open" while not).
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)


class Answer(StrEnum):
    GOOD = "good"
    DIFFICULT = "difficult"
    HELP = "help"


class Area(StrEnum):
    """What is difficult, as a check-in asks it (callback data: short ids)."""

    MONEY = "money"  # letters and money
    HEALTH = "health"
    WORK = "work"  # work and study
    HOUSING = "housing"
    FAMILY = "family"
    LANGUAGE = "language"
    ALONE = "alone"  # feeling alone


# Each area's explainer flow; feeling alone has none: a person, and local organisations.
AREA_FLOWS: dict[Area, str | None] = {
    Area.MONEY: "official-letter", Area.HEALTH: "health-insurance",
    Area.WORK: "work-and-benefits", Area.HOUSING: "housing-and-energy",
    Area.FAMILY: "family-reunification", Area.LANGUAGE: "language-learning",
    Area.ALONE: None,
}

SMALL_COUNT = 5  # counts below this are shown as "<5" in the coordinators' figures


def shown_count(count: int) -> str:
    """A count as coordinators see it: small ones could point at a person."""
    return f"<{SMALL_COUNT}" if 0 < count < SMALL_COUNT else str(count)
