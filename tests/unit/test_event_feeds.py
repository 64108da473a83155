"""iCalendar feeds (issue 11, groundwork): a weekly event across the clock change, an
all-day event, a cancelled and a moved occurrence, floating times, and feeds that are
broken in part or in whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.content.event_feeds import FeedError, read

ZONE = ZoneInfo("Europe/Amsterdam")
FEED = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Wegwijs tests//EN
BEGIN:VEVENT
UID:taalcafe@bibliotheek
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Amsterdam:20270312T140000
DTEND;TZID=Europe/Amsterdam:20270312T160000
RRULE:FREQ=WEEKLY;BYDAY=FR
EXDATE;TZID=Europe/Amsterdam:20270409T140000
SUMMARY:Taalcafé
LOCATION:Bibliotheek Leiden
END:VEVENT
BEGIN:VEVENT
UID:taalcafe@bibliotheek
DTSTAMP:20270101T000000Z
RECURRENCE-ID;TZID=Europe/Amsterdam:20270416T140000
DTSTART;TZID=Europe/Amsterdam:20270416T150000
DTEND;TZID=Europe/Amsterdam:20270416T170000
SUMMARY:Taalcafé (een uur later)
END:VEVENT
BEGIN:VEVENT
UID:koningsdag
DTSTAMP:20270101T000000Z
DTSTART;VALUE=DATE:20270427
SUMMARY:Koningsdag
END:VEVENT
BEGIN:VEVENT
UID:floating
DTSTAMP:20270101T000000Z
DTSTART:20270320T100000
DTEND:20270320T120000
SUMMARY:Inloopspreekuur
END:VEVENT
BEGIN:VEVENT
UID:broken
DTSTAMP:20270101T000000Z
SUMMARY:No start
END:VEVENT
END:VCALENDAR
"""


def local(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2027, month, day, hour, tzinfo=ZONE)


def test_a_weekly_event_keeps_its_local_time_across_the_clock_change() -> None:
    found = read(FEED, local(3, 1), local(5, 1), ZONE)
    cafe = [o for o in found.occurrences if o.uid == "taalcafe@bibliotheek"]
    starts = [o.start.astimezone(ZONE) for o in cafe]
    assert [s.day for s in starts[:4]] == [12, 19, 26, 2]
    assert {(s.hour, s.minute) for s in starts if s.day != 16} == {(14, 0)}
    # 14:00 in winter time is 13:00 UTC; after 28 March it is 12:00 UTC.
    assert cafe[0].start.astimezone(UTC).hour == 13 and cafe[3].start.astimezone(UTC).hour == 12
    assert local(4, 9, 14) not in starts  # cancelled (EXDATE)
    moved = next(o for o in cafe if o.start.astimezone(ZONE).day == 16)
    assert moved.start == local(4, 16, 15) and moved.title == "Taalcafé (een uur later)"
    assert cafe[0].location == "Bibliotheek Leiden" and cafe[0].end - cafe[0].start == \
        timedelta(hours=2)
    assert len({o.key for o in cafe}) == len(cafe)  # one key per occurrence (RSVPs)


def test_all_day_and_floating_events_are_read_in_the_municipalitys_zone() -> None:
    found = read(FEED, local(3, 1), local(5, 1), ZONE)
    king = next(o for o in found.occurrences if o.uid == "koningsdag")
    assert king.all_day and king.start == local(4, 27) and king.end == local(4, 28)
    floating = next(o for o in found.occurrences if o.uid == "floating")
    assert floating.start == local(3, 20, 10) and not floating.all_day
    assert found.skipped == 1  # the event without a start, not the whole feed


def test_only_what_overlaps_the_window() -> None:
    found = read(FEED, local(4, 26, 12), local(4, 27, 1), ZONE)
    assert [o.uid for o in found.occurrences] == ["koningsdag"]  # began after it did


@pytest.mark.parametrize("feed", ["", "<html>Not found</html>", "BEGIN:VCALENDAR\nBROKEN",
                                  b"\x00\xff\xfe"])
def test_a_feed_that_is_not_icalendar_is_an_error_of_its_own(feed: str | bytes) -> None:
    with pytest.raises(FeedError):
        read(feed, local(3, 1), local(5, 1), ZONE)


def test_an_occurrence_as_an_ics_file_phones_open_at_the_right_local_time() -> None:
    from bot.content.event_feeds import to_ics

    found = read(FEED, local(3, 1), local(5, 1), ZONE)
    after_the_change = next(o for o in found.occurrences if o.start == local(4, 2, 14))
    now = datetime(2027, 3, 30, 9, tzinfo=UTC)
    parsed = icalendar.Calendar.from_ical(to_ics(after_the_change, ZONE, now))
    [event] = [c for c in parsed.walk("VEVENT")]
    start = event["DTSTART"].dt
    assert start == local(4, 2, 14) and start.utcoffset() == timedelta(hours=2)
    assert str(event["SUMMARY"]) == "Taalcafé" and str(event["LOCATION"]) == \
        "Bibliotheek Leiden"
    assert [c.name for c in parsed.walk("VTIMEZONE")] == ["VTIMEZONE"]  # the zone goes along
    king = next(o for o in found.occurrences if o.uid == "koningsdag")
    [day] = icalendar.Calendar.from_ical(to_ics(king, ZONE, now)).walk("VEVENT")
    assert day["DTSTART"].dt == local(4, 27).date()
