"""Dated facts: which value applies on a day, and filling in {fact:ID} placeholders.

Amounts change on 1 January and often on 1 July, and new values are announced weeks
before they apply. A value is therefore keyed by the day it applies from; the text decides
where an amount goes, the facts file what it is on the day the bot speaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

FACT_REF = re.compile(r"\{fact:([a-z0-9_]+)\}")
# A value that applies within this many days is mentioned beside today's: from 1 November
# for 1 January (people choose next year's health insurance then), from 1 May for 1 July.
UPCOMING_NOTICE = timedelta(days=61)
# From this month on, a fact without a value from 1 January says next year's is not known
# yet: the same 61 days before 1 January.
NEXT_YEAR_NOTICE_MONTH = 11


@dataclass(frozen=True)
class DatedValue:
    starts: date
    value: float
    announced: bool = False  # published, not final: said as "expected"


@dataclass(frozen=True)
class Reading:
    """What to say about a fact on one day."""

    current: DatedValue | None  # the value that applies today (None: only future values)
    upcoming: DatedValue | None  # the next value, when it applies soon (or nothing applies yet)
    missing_year: int | None = None  # see missing_year()


def reading_on(values: Iterable[DatedValue], today: date) -> Reading:
    ordered = sorted(values, key=lambda v: v.starts)
    past = [v for v in ordered if v.starts <= today]
    future = [v for v in ordered if v.starts > today]
    current = past[-1] if past else None
    upcoming = future[0] if future else None
    if current is not None and upcoming is not None and upcoming.starts - today > UPCOMING_NOTICE:
        upcoming = None
    return Reading(current, upcoming, missing_year(ordered, today))


def missing_year(values: Iterable[DatedValue], today: date) -> int | None:
    """A year whose amount the facts file does not know, and should: this year, when the
    value in force started in an earlier year (amounts change every January), or, from
    1 November, next year, when no value starts by 1 January."""
    ordered = sorted(values, key=lambda v: v.starts)
    past = [v for v in ordered if v.starts <= today]
    if past and past[-1].starts.year < today.year:
        return today.year
    coming = next_january(today)
    if today.month >= NEXT_YEAR_NOTICE_MONTH and not any(
            today < v.starts <= coming for v in ordered):
        return coming.year
    return None


def in_use(values: Iterable[DatedValue], today: date) -> list[DatedValue]:
    """The value in force today and every later one: what must still be right."""
    ordered = sorted(values, key=lambda v: v.starts)
    past = [v for v in ordered if v.starts <= today]
    return past[-1:] + [v for v in ordered if v.starts > today]


def next_january(today: date) -> date:
    return date(today.year + 1, 1, 1)


def fill_facts(text: str, render: Callable[[str], str | None]) -> str:
    """Replace each {fact:ID} by render(ID); an unknown fact is left visible for authors
    (content check refuses them, so people never see one)."""
    return FACT_REF.sub(lambda m: render(m.group(1)) or m.group(0), text)
