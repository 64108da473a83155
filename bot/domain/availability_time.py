"""When sleutelpersonen are available, in real time: their weekly windows are wall-clock
times in each profile's zone, and availability is measured in elapsed time, so a window of
01:00-04:00 lasts two hours on the last Sunday of March in Amsterdam and four on the last
Sunday of October. A moment counts as available exactly when `Profile.available` says so.
Used by routing (escalation after hours of availability) and for availability hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.sleutelpersoon import Profile

_LOOKAHEAD = timedelta(days=8)  # a weekly window recurs within a week (a DST day may skip it)
_PROBE = timedelta(hours=6)  # no zone changes its UTC offset twice within six hours


def utc(moment: datetime, what: str = "time") -> datetime:
    """The moment in UTC; a naive datetime is refused (whose local time would it be?)."""
    if moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Span:
    """A stretch of time, [start, end), in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a span ends after it starts")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class _Steady:
    """A stretch of UTC time in which a zone keeps one UTC offset."""

    start: datetime
    end: datetime
    offset: timedelta


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta()


def _first_change(zone: ZoneInfo, before: datetime, after: datetime,
                  offset: timedelta) -> datetime:
    """The first instant in (before, after] whose offset differs (transitions are whole
    seconds); `after` has a different offset than `before`."""
    low, high = int(before.timestamp() // 1), -int(-after.timestamp() // 1)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(zone, datetime.fromtimestamp(middle, UTC)) == offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _steady_offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[_Steady]:
    """[start, end) cut where the zone's UTC offset changes (DST)."""
    pieces: list[_Steady] = []
    cursor, offset, probe = start, _offset(zone, start), start
    while probe < end:
        ahead = min(probe + _PROBE, end)
        if _offset(zone, ahead) != offset:
            change = _first_change(zone, probe, ahead, offset)
            pieces.append(_Steady(cursor, change, offset))
            cursor, offset = change, _offset(zone, change)
        probe = ahead
    if cursor < end:
        pieces.append(_Steady(cursor, end, offset))
    return pieces


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _merge(spans: Iterable[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return tuple(merged)


def availability_spans(profile: Profile, start: datetime, end: datetime) -> tuple[Span, ...]:
    """When in [start, end) the profile is available, as sorted, disjoint UTC spans. No
    windows: all of it; paused: none of it (as `Profile.available`)."""
    start, end = utc(start, "start"), utc(end, "end")
    if profile.paused or start >= end:
        return ()
    if not profile.windows:
        return (Span(start, end),)
    found: list[Span] = []
    for steady in _steady_offsets(profile.zone, start, end):
        # Within a steady stretch, wall-clock time = UTC + offset: a window's wall-clock
        # range is one UTC range, cut to the stretch. Gaps and repeated hours fall out.
        first = (steady.start + steady.offset).date()
        last = (steady.end + steady.offset).date()
        for day in _days(first, last):
            for window in profile.windows:
                if window.weekday != day.weekday():
                    continue
                opens = datetime.combine(day, window.start, UTC) - steady.offset
                closes = datetime.combine(day, window.end, UTC) - steady.offset
                span_start, span_end = max(opens, steady.start), min(closes, steady.end)
                if span_start < span_end:
                    found.append(Span(span_start, span_end))
    return _merge(found)


def union_spans(profiles: Iterable[Profile], start: datetime, end: datetime) -> tuple[Span, ...]:
    return _merge(span for p in profiles for span in availability_spans(p, start, end))


def availability_time(profiles: Iterable[Profile], start: datetime,
                      end: datetime) -> timedelta:
    """Real time in [start, end) during which at least one of the profiles was available
    (one profile: their availability hours, e.g. for the monthly summary)."""
    return sum((span.duration for span in union_spans(profiles, start, end)), timedelta())


def next_window_start(profile: Profile, now: datetime) -> datetime | None:
    """The first moment from `now` on at which the profile is available (`now` itself when
    available now); None when paused."""
    spans = availability_spans(profile, now, utc(now, "now") + _LOOKAHEAD)
    return spans[0].start if spans else None
