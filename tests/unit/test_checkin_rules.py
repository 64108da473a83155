"""When check-ins after begeleiding and seasonal reminders are due (bot.domain.checkins):
a year of them across both daylight-saving changes, re-planning a changed end month, and
what happens after downtime. Pure rules, no clock but the one passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import checkins as c

ZONE = ZoneInfo("Europe/Amsterdam")


def local(p: c.Planned) -> datetime:
    return p.due.astimezone(ZONE)


def test_a_year_of_check_ins_at_ten_in_the_morning_across_both_clock_changes() -> None:
    # Ends in March 2027: the heads-up in March (winter time), the check-ins after the
    # clocks go forward (28 March) and after they go back (31 October).
    planned = c.plan(date(2027, 3, 1), ZONE)
    assert [(p.step.id, local(p).date()) for p in planned] == [
        ("heads-up-14", date(2027, 3, 17)), ("day-7", date(2027, 4, 7)),
        ("day-30", date(2027, 4, 30)), ("day-90", date(2027, 6, 29)),
        ("day-180", date(2027, 9, 27)), ("day-365", date(2028, 3, 30))]
    assert {local(p).time().isoformat() for p in planned} == {"10:00:00"}
    assert planned[0].due.hour == 9 and planned[1].due.hour == 8  # UTC: +1 h, then +2 h


def test_a_due_day_on_a_clock_change_is_still_ten_oclock() -> None:
    for day in (date(2027, 3, 28), date(2027, 10, 31)):  # both changes happen at night
        due = c.at_local(day, ZONE)
        assert due.astimezone(ZONE).hour == 10 and due.astimezone(ZONE).date() == day


def test_the_end_month_ends_on_its_last_day() -> None:
    assert c.end_day(date(2028, 2, 1)) == date(2028, 2, 29)
    assert c.end_day(date(2027, 2, 14)) == date(2027, 2, 28)
    assert c.end_day(date(2026, 12, 1)) == date(2026, 12, 31)


def test_i_dont_know_is_asked_again_three_months_later_even_from_a_long_month() -> None:
    assert c.ask_again_on(date(2026, 11, 30)) == date(2027, 2, 28)
    assert c.ask_again_on(date(2027, 11, 30)) == date(2028, 2, 29)
    assert c.ask_again_on(date(2026, 12, 6)) == date(2027, 3, 6)


def test_changing_the_end_month_replans_only_what_was_not_sent() -> None:
    now = datetime(2027, 5, 10, 12, tzinfo=UTC)
    # It was going to end in June; the heads-up was sent; now it ends in August.
    later = c.replan(date(2027, 8, 1), sent={"heads-up-14"}, now=now, zone=ZONE)
    assert [p.step.id for p in later] == ["day-7", "day-30", "day-90", "day-180", "day-365"]
    assert local(later[0]).date() == date(2027, 9, 7)


def test_an_end_moved_into_the_past_sends_only_the_latest_check_in_and_no_heads_up() -> None:
    now = datetime(2027, 5, 10, 12, tzinfo=UTC)
    # It turns out it ended in March: heads-up, day-7 and day-30 are all in the past.
    moved = c.replan(date(2027, 3, 1), sent=(), now=now, zone=ZONE)
    assert [(p.step.id, p.due) for p in moved][:1] == [("day-30", now)]
    assert [p.step.id for p in moved] == ["day-30", "day-90", "day-180", "day-365"]


def test_an_end_moved_closer_sends_the_heads_up_at_once_if_the_end_is_still_ahead() -> None:
    now = datetime(2027, 5, 25, 12, tzinfo=UTC)
    soon = c.replan(date(2027, 5, 1), sent=(), now=now, zone=ZONE)  # ends 31 May
    assert (soon[0].step.id, soon[0].due) == ("heads-up-14", now)


def test_after_downtime_one_check_in_goes_and_the_earlier_ones_are_skipped() -> None:
    planned = c.plan(date(2027, 3, 1), ZONE)
    rows = [c.Entry(n, 1, p.step.id, p.step.kind, c.Status.PLANNED, p.due)
            for n, p in enumerate(planned, start=10)]
    send, skip = c.collapse([rows[1], rows[3], rows[2]])
    assert send is not None and send.step == "day-90"
    assert [e.step for e in skip] == ["day-7", "day-30"]
    assert c.collapse([]) == (None, ())


def test_no_answer_gets_one_reminder_then_counts_as_not_reached() -> None:
    sent = datetime(2027, 4, 7, 8, tzinfo=UTC)
    follow = c.Follow
    assert c.follow_up(sent, sent + timedelta(days=2), answered=False,
                       reminded_at=None) is follow.NOTHING
    assert c.follow_up(sent, sent + timedelta(days=3), answered=False,
                       reminded_at=None) is follow.REMIND
    reminded = sent + timedelta(days=3)
    assert c.follow_up(sent, reminded + timedelta(days=1), answered=False,
                       reminded_at=reminded) is follow.NOTHING
    assert c.follow_up(sent, reminded + timedelta(days=3), answered=False,
                       reminded_at=reminded) is follow.NOT_REACHED
    assert c.follow_up(sent, reminded + timedelta(days=9), answered=True,
                       reminded_at=reminded) is follow.NOTHING
    assert c.follow_up(sent, reminded + timedelta(days=9), answered=False,
                       reminded_at=reminded, unreachable=True) is follow.NOTHING


def test_the_months_of_a_reminder_form_windows_of_consecutive_months() -> None:
    assert c.runs([3, 4]) == [[3, 4]]
    assert c.runs([1, 7]) == [[1], [7]]  # the minimum wage changes twice a year
    assert c.runs([1, 12]) == [[12, 1]]  # over the new year; the order in the file is free
    assert c.runs([10, 1]) == [[1], [10]]
    assert c.runs([4, 5, 6]) == [[4, 5, 6]]
    assert c.runs(range(1, 13)) == [list(range(1, 13))]


def test_a_seasonal_window_over_the_new_year() -> None:
    [season] = c.seasons([12, 1], 2026, ZONE)
    assert season.key == "2026-12"
    assert season.due.astimezone(ZONE) == datetime(2026, 12, 1, 10, tzinfo=ZONE)
    assert season.end.astimezone(ZONE) == datetime(2027, 2, 1, tzinfo=ZONE)
    # Asked about in January: last December's season, still open, goes now.
    january = datetime(2027, 1, 10, 12, tzinfo=UTC)
    assert [s.key for s in c.open_seasons([12, 1], january, ZONE)] == ["2026-12"]
    assert c.open_seasons([12, 1], datetime(2027, 2, 1, 12, tzinfo=UTC), ZONE) == []


def test_a_seasonal_reminder_is_sent_in_its_window_and_never_late() -> None:
    tax = ([3, 4], (4, 15))  # the window March-April, the reminder in mid-April
    [season] = c.seasons(*tax[:1], 2027, ZONE, tax[1])
    assert season.due.astimezone(ZONE) == datetime(2027, 4, 15, 10, tzinfo=ZONE)
    assert c.open_seasons(tax[0], datetime(2027, 4, 14, 12, tzinfo=UTC), ZONE, tax[1]) == []
    inside = datetime(2027, 4, 20, 12, tzinfo=UTC)  # after the 15th, the window still open
    assert c.open_seasons(tax[0], inside, ZONE, tax[1]) == [season]
    after = datetime(2027, 5, 2, 12, tzinfo=UTC)  # the window has passed: never late
    assert c.open_seasons(tax[0], after, ZONE, tax[1]) == []
    # Two windows a year: each its own season.
    assert [s.key for s in c.seasons([1, 7], 2027, ZONE)] == ["2027-01", "2027-07"]


def test_a_schedule_cannot_put_a_heads_up_after_the_end() -> None:
    with pytest.raises(ValueError, match="heads-up"):
        c.Step("late", c.Kind.HEADS_UP, 3)
    with pytest.raises(ValueError, match="months"):
        c.runs([13])
    assert c.schedule([7, -14]) == c.DEFAULT_SCHEDULE[:2]


def test_someone_whose_begeleiding_ended_gets_check_ins_from_the_day_they_said_so() -> None:
    now = datetime(2027, 1, 10, 11, tzinfo=UTC)
    planned = c.since_ended(date(2027, 1, 10), ZONE, now)
    assert [p.step.id for p in planned] == ["day-7", "day-30", "day-90", "day-180", "day-365"]
    assert local(planned[0]).date() == date(2027, 1, 17)
