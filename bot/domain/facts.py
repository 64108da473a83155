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
# A value that applies within this many days is shown next to today's: from 1 November,
# people choosing next year's health insurance see next year's eigen risico too.
UPCOMING_NOTICE = timedelta(days=61)
# From this month on, a fact without a value for next year says that amount is not known yet.
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
    # A year whose amount the facts file does not know yet: this year (the newest value
    # started in an earlier year), or, from 1 November, next year (nothing from 1 January).
    unknown_year: int | None = None


def read(values: Iterable[DatedValue], today: date) -> Reading:
    ordered = sorted(values, key=lambda v: v.starts)
    past = [v for v in ordered if v.starts <= today]
    future = [v for v in ordered if v.starts > today]
    current = past[-1] if past else None
    upcoming = future[0] if future else None
    if current is None:
        return Reading(None, upcoming)
    if upcoming is not None and upcoming.starts - today > UPCOMING_NOTICE:
        upcoming = None
    unknown = None
    if current.starts.year < today.year and upcoming is None:
        unknown = today.year
    elif today.month >= NEXT_YEAR_NOTICE_MONTH and not future:
        unknown = today.year + 1
    return Reading(current, upcoming, unknown)


def next_january(today: date) -> date:
    return date(today.year + 1, 1, 1)


def fill_facts(text: str, render: Callable[[str], str | None]) -> str:
    """Replace each {fact:ID} by render(ID); an unknown fact is left visible for authors
    (content check refuses them, so people never see one)."""
    return FACT_REF.sub(lambda m: render(m.group(1)) or m.group(0), text)
