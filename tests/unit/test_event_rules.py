"""Event rules (issue 11, groundwork): this week and next across a clock change, RSVP with
capacity and a waiting list that moves up in order, the reminder the evening before (not
after the fact) and the follow-up the morning after, and similar events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import events as e

ZONE = ZoneInfo("Europe/Amsterdam")


def test_this_week_and_next_are_monday_to_monday_local_time() -> None:
    week = e.week_of(date(2027, 3, 24), ZONE)  # a Wednesday
    assert (week.start.astimezone(ZONE).date(), week.end.astimezone(ZONE).date()) == \
        (date(2027, 3, 22), date(2027, 3, 29))
    # The clocks go forward on Sunday 28 March: that week has 167 hours.
    assert week.end - week.start == timedelta(hours=167)
    following = e.week_of(date(2027, 3, 24), ZONE, weeks_ahead=1)
    assert following.start == week.end and following.start.astimezone(ZONE).hour == 0


def test_rsvp_fills_the_places_then_the_waiting_list_moves_up_in_order() -> None:
    attendance = e.Attendance()
    for person in (1, 2):
        attendance, answer = attendance.rsvp(person, capacity=2)
        assert answer is e.Answer.GOING
    attendance, answer = attendance.rsvp(3, capacity=2)
    assert answer is e.Answer.WAITING
    attendance, answer = attendance.rsvp(4, capacity=2)
    assert attendance.rsvp(4, capacity=2)[1] is e.Answer.ALREADY
    attendance, moved = attendance.cancel(1, capacity=2)
    assert moved == (3,) and attendance.going == (2, 3) and attendance.waiting == (4,)
    attendance, moved = attendance.cancel(4, capacity=2)  # from the waiting list
    assert moved == () and attendance.waiting == ()


def test_no_capacity_means_everyone_goes() -> None:
    attendance = e.Attendance()
    for person in range(50):
        attendance, answer = attendance.rsvp(person, capacity=None)
        assert answer is e.Answer.GOING


def test_the_reminder_comes_the_evening_before_never_after_the_fact() -> None:
    start = datetime(2027, 3, 29, 14, tzinfo=ZONE)  # Monday, after the clock change
    early = datetime(2027, 3, 20, 9, tzinfo=UTC)
    assert e.reminder_at(start, ZONE, early) == datetime(2027, 3, 28, 18, tzinfo=ZONE)
    late = datetime(2027, 3, 28, 19, tzinfo=ZONE)  # said "I'll go" after 18:00 the day before
    assert e.reminder_at(start, ZONE, late) is None
    end = datetime(2027, 3, 29, 16, tzinfo=ZONE)
    assert e.follow_up_at(end, ZONE) == datetime(2027, 3, 30, 11, tzinfo=ZONE)


def test_similar_events_are_the_next_of_the_same_kind() -> None:
    upcoming = [("a", e.Category.LANGUAGE_CAFE), ("b", e.Category.SPORT),
                ("c", e.Category.LANGUAGE_CAFE), ("d", e.Category.LANGUAGE_CAFE),
                ("f", e.Category.LANGUAGE_CAFE)]
    assert e.similar(e.Category.LANGUAGE_CAFE, upcoming, taken="a") == ["c", "d", "f"]
