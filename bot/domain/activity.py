"""A sleutelpersoon's activity over a period: conversations, outcomes, ratings and the
hours they offered. This work deserves pay, and the records to justify it; the summary
names no newcomer (pseudonyms stay out too: counts only).

Pure rules; the report service reads handoffs and profiles, and renders the CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import handoff as h
from bot.domain.availability_time import availability_time
from bot.domain.sleutelpersoon import Profile


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month | None:
        """'2026-11' → Month(2026, 11); anything else None."""
        year, _sep, month = text.strip().partition("-")
        if not (year.isdigit() and month.isdigit() and len(year) == 4 and 1 <= int(month) <= 12):
            return None
        return cls(int(year), int(month))

    @classmethod
    def before(cls, day: date) -> Month:
        """The month before the one `day` is in."""
        first = day.replace(day=1) - timedelta(days=1)
        return cls(first.year, first.month)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month in local time, as aware datetimes."""
        following = self.next()
        return (datetime(self.year, self.month, 1, tzinfo=zone),
                datetime(following.year, following.month, 1, tzinfo=zone))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Activity:
    name: str  # the display name newcomers see
    taken: int  # conversations claimed in the period
    answered: int
    referred: int
    follow_up: int
    still_open: int  # claimed in the period and not closed (yet)
    helped: int  # 👍 from the newcomer
    not_helped: int  # 👎
    hours: float | None  # availability offered; None: "any time" (no fixed hours)
    median_minutes_to_take: int | None  # from the question to the claim


def summarize(profile: Profile, questions: Iterable[h.Handoff], start: datetime,
              end: datetime) -> Activity:
    """`questions`: those of the period this person claimed (and still holds or closed)."""
    mine = [q for q in questions if q.helper_id == profile.telegram_id
            and q.claimed_at is not None and start <= q.claimed_at < end]
    results = [q.result for q in mine]
    waits = sorted(int((q.claimed_at - q.created_at).total_seconds() // 60)
                   for q in mine if q.claimed_at is not None)
    hours = None if not profile.windows else round(
        availability_time([profile], start, end).total_seconds() / 3600, 1)
    return Activity(
        name=profile.display_name, taken=len(mine),
        answered=results.count(h.Result.ANSWERED), referred=results.count(h.Result.REFERRED),
        follow_up=results.count(h.Result.FOLLOW_UP),
        still_open=sum(q.status is h.Status.CLAIMED for q in mine),
        helped=sum(q.rating == 1 for q in mine), not_helped=sum(q.rating == -1 for q in mine),
        hours=hours, median_minutes_to_take=waits[len(waits) // 2] if waits else None)


def to_csv(rows: Sequence[Activity], header: Sequence[str], any_time: str) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read names in any script."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for a in rows:
        writer.writerow([a.name, a.taken, a.answered, a.referred, a.follow_up, a.still_open,
                         a.helped, a.not_helped, any_time if a.hours is None else a.hours,
                         "" if a.median_minutes_to_take is None else a.median_minutes_to_take])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
