"""Keeping in touch after begeleiding ends: when each planned message is due (issue 9).

Pure rules; nothing here is shown to anyone yet. Storage, the tick that renders due rows
into the outbox, and the newcomer's buttons come with the rest of issue 9.

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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Step:
    id: str  # stable: a plan row per person and step is keyed by it
    kind: Kind
    days: int  # from the end day; negative: before it

    def __post_init__(self) -> None:
        if (self.kind is Kind.HEADS_UP) != (self.days < 0):
            raise ValueError(f"{self.id}: a heads-up comes before the end, a check-in after")


DEFAULT_SCHEDULE: tuple[Step, ...] = (
    Step("heads-up", Kind.HEADS_UP, -14),
    Step("day-7", Kind.CHECKIN, 7),
    Step("day-30", Kind.CHECKIN, 30),
    Step("day-90", Kind.CHECKIN, 90),
    Step("day-180", Kind.CHECKIN, 180),
    Step("day-365", Kind.CHECKIN, 365),
)


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
    end = end_day(end_month)
    return tuple(sorted((Planned(step, at_local(end + timedelta(days=step.days), zone))
                         for step in schedule), key=lambda p: p.due))


def replan(end_month: date, sent: Iterable[str], now: datetime, zone: ZoneInfo,
           schedule: Sequence[Step] = DEFAULT_SCHEDULE) -> tuple[Planned, ...]:
    """What to keep planned when the end month is set or changed: the steps not sent yet.
    Of those the change puts in the past, only the latest check-in stays, due now; a
    heads-up for an end that has passed is dropped."""
    done = set(sent)
    waiting = [p for p in plan(end_month, zone, schedule) if p.step.id not in done]
    future = [p for p in waiting if p.due > now]
    past_checkins = [p for p in waiting if p.due <= now and p.step.kind is Kind.CHECKIN]
    past_heads_up = [p for p in waiting if p.due <= now and p.step.kind is Kind.HEADS_UP
                     and at_local(end_day(end_month), zone) > now]
    kept = [Planned(p.step, now) for p in past_heads_up + past_checkins[-1:]]
    return tuple(sorted(kept + future, key=lambda p: (p.due, p.step.days)))


def collapse(due: Sequence[Planned]) -> tuple[Planned | None, tuple[Planned, ...]]:
    """Of one person's steps due at once (after downtime): the one to send, the latest, and
    the ones to skip. Nobody gets three "how are you?" messages in a row."""
    if not due:
        return None, ()
    ordered = sorted(due, key=lambda p: (p.due, p.step.days))
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
class Window:
    """When a seasonal reminder may go out: from the first of its first month to the end
    of its last month (a window may run over the new year: months [12, 1])."""

    start: datetime  # UTC
    end: datetime  # UTC, exclusive


def _runs(months: Sequence[int]) -> list[int]:
    """The months in calendar order, starting after the largest gap (so [1, 12] → 12, 1)."""
    unique = sorted(set(months))
    if not unique or any(not 1 <= m <= 12 for m in unique):
        raise ValueError(f"months must be 1..12: {months}")
    gaps = [((unique[(i + 1) % len(unique)] - m) % 12 or 12, i) for i, m in enumerate(unique)]
    _gap, last = max(gaps)
    first = (last + 1) % len(unique)
    return unique[first:] + unique[:first]


def window(months: Sequence[int], year: int, zone: ZoneInfo) -> Window:
    """The reminder's window that starts in `year`."""
    runs = _runs(months)
    first, last = runs[0], runs[-1]
    end_year = year + (1 if last < first else 0)
    end = add_months(date(end_year, last, 1), 1)
    return Window(at_local(date(year, first, 1), zone, time(0)), at_local(end, zone, time(0)))


def seasonal_due(months: Sequence[int], now: datetime, zone: ZoneInfo,
                 day: int = 1) -> datetime:
    """When this season's reminder goes out: on `day` of the window's first month at the
    send hour; at once when that has passed but the window is open; else next season's."""
    first = _runs(months)[0]
    local_year = now.astimezone(zone).year
    for year in (local_year - 1, local_year, local_year + 1):
        span = window(months, year, zone)
        if now < span.end:
            planned = at_local(date(year, first, day), zone)
            return max(planned, now) if span.start <= now else planned
    raise AssertionError("a window ends within two years")  # pragma: no cover


def window_passed(months: Sequence[int], due: datetime, now: datetime,
                  zone: ZoneInfo) -> bool:
    """Whether the window a reminder was planned in has ended: then it is dropped."""
    local = due.astimezone(zone)
    for year in (local.year - 1, local.year):
        span = window(months, year, zone)
        if span.start <= due < span.end:
            return now >= span.end
    return True  # planned outside any window of these months: never send it


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
