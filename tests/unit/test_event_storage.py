"""Local events on SQLite and PostgreSQL (issue 11): syncing a source (new, unchanged,
moved, gone), the listing by municipality, week and kind with pages, RSVPs with a waiting
list, reminders and follow-ups claimed at most once, feedback, cancelling a date, the
coordinators' figures, how feeds fared, forgetting the demo events and retention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import events as ev
from bot.storage.database import Database

ZONE = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2027, 2, 1, 9, tzinfo=UTC)  # Monday 1 February 2027, 10:00 in Delft
WEEK = ev.week_of(date(2027, 2, 1), ZONE)  # Monday 1 to Monday 8 February, local


@pytest.fixture
def database(both_databases: Database) -> Database:
    return both_databases


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def event(uid: str, *, municipality: str = "delft", source: ev.Source = ev.Source.FILE,
          category: ev.Category = ev.Category.LANGUAGE_CAFE, capacity: int | None = None,
          title: str | None = None, feed: str = "") -> ev.Event:
    return ev.Event(0, municipality, source, uid, category, ev.EventAudience.EVERYONE,
                    {"en": ev.Texts(title or f"Event {uid}"),
                     "ar": ev.Texts(f"فعالية {uid}")},
                    languages=("nl", "ar"), venue=ev.Venue("Library", "Markt 1", 52.0, 4.3),
                    capacity=capacity, feed=feed)


def at(start: datetime, hours: float = 2, *, key: str | None = None) -> ev.Dated:
    return ev.Dated(key or start.strftime("%Y%m%dT%H%M%SZ"), start,
                    start + timedelta(hours=hours))


def all_day(first: datetime, days: int) -> ev.Dated:
    """`first` is a local midnight (as UTC)."""
    end = datetime.combine(first.astimezone(ZONE).date() + timedelta(days=days),
                           datetime.min.time(), tzinfo=ZONE).astimezone(UTC)
    return ev.Dated(first.strftime("%Y%m%dT%H%M%SZ"), first, end, all_day=True)


async def people(db: Database, *telegram_ids: int) -> list[int]:
    async with db.uow() as uow:
        found = [(await uow.people.add(t, t, NOW)).id for t in telegram_ids]
        await uow.commit()
    return found


async def sync(db: Database, items: Sequence[tuple[ev.Event, Sequence[ev.Dated]]], *,
               municipality: str = "delft", source: ev.Source = ev.Source.FILE,
               feed: str = "", start: datetime = NOW, now: datetime = NOW) -> ev.Synced:
    async with db.uow() as uow:
        synced = await uow.events.sync(municipality, source, feed, items, start, now)
        await uow.commit()
    return synced


async def listing(db: Database, municipality: str = "delft", start: datetime = NOW,
                  end: datetime = WEEK.end, category: ev.Category | None = None,
                  offset: int = 0, limit: int = 50) -> tuple[list[ev.Occurrence], int]:
    """A page, and how many there are in all (counted by reading every page)."""
    async with db.uow() as uow:
        found, more = await uow.events.listing(municipality, start, end, category, offset,
                                               limit)
        everything, _more = await uow.events.listing(municipality, start, end, category, 0,
                                                     10_000)
        assert more == (offset + len(found) < len(everything))
        return found, len(everything)


async def ids_by_key(db: Database, municipality: str = "delft", start: datetime = NOW,
                     end: datetime = WEEK.end + timedelta(weeks=4)
                     ) -> dict[tuple[str, datetime], int]:
    found, _total = await listing(db, municipality, start, end)
    return {(o.event.uid, o.start): o.id for o in found}


async def occurrence(db: Database, occurrence_id: int) -> ev.Occurrence:
    async with db.uow() as uow:
        found = await uow.events.occurrence(occurrence_id)
    assert found is not None
    return found


CAFE = [local(2, 3, 14), local(2, 10, 14), local(2, 17, 14)]  # Wednesdays


async def test_a_sync_adds_events_and_dates_and_a_second_one_changes_nothing(
        database: Database) -> None:
    items = [(event("cafe"), [at(d) for d in CAFE]),
             (event("sport", category=ev.Category.SPORT), [at(local(2, 4, 10), 1)])]
    first = await sync(database, items)
    assert (first.events, first.occurrences, first.gone) == (2, 4, ())
    found, total = await listing(database, end=WEEK.end + timedelta(weeks=3))
    assert total == 4
    assert [(o.event.uid, o.start) for o in found] == [
        ("cafe", CAFE[0]), ("sport", local(2, 4, 10)), ("cafe", CAFE[1]), ("cafe", CAFE[2])]
    stored = found[0]
    assert stored.event.texts["ar"].title == "فعالية cafe"
    assert stored.event.venue == ev.Venue("Library", "Markt 1", 52.0, 4.3)
    assert stored.event.languages == ("nl", "ar") and not stored.cancelled
    assert stored.end - stored.start == timedelta(hours=2)

    # The same items again, an hour later: nothing changes, nothing is cancelled.
    again = await sync(database, items, now=NOW + timedelta(hours=1),
                       start=NOW + timedelta(hours=1))
    assert again == ev.Synced(0, 0, ())
    assert (await listing(database, end=WEEK.end + timedelta(weeks=3)))[1] == 4

    # A changed title and kind: one event changed, its dates keep their ids and follow the
    # new kind in the listing.
    changed = [(event("cafe", title="Taalcafé (new room)", category=ev.Category.CULTURE),
                [at(d) for d in CAFE]), items[1]]
    before = await ids_by_key(database)
    third = await sync(database, changed)
    assert (third.events, third.occurrences, third.gone) == (1, 0, ())
    assert await ids_by_key(database) == before
    culture, count = await listing(database, end=WEEK.end + timedelta(weeks=3),
                                   category=ev.Category.CULTURE)
    assert count == 3 and {o.event.texts["en"].title for o in culture} == \
        {"Taalcafé (new room)"}
    assert (await listing(database, end=WEEK.end + timedelta(weeks=3),
                          category=ev.Category.LANGUAGE_CAFE))[1] == 0


async def test_a_moved_date_keeps_who_goes(database: Database) -> None:
    [person] = await people(database, 501)
    original = at(CAFE[0])
    await sync(database, [(event("cafe", capacity=5), [original])])
    [occurrence_id] = (await ids_by_key(database)).values()
    async with database.uow() as uow:
        await uow.events.put_rsvp(occurrence_id, person, ev.RsvpState.GOING, NOW,
                                  local(2, 2, 18), local(2, 4, 11))
        await uow.commit()

    # The organiser moves it an hour later: the same key (its original start), a new start.
    moved = ev.Dated(original.key, CAFE[0] + timedelta(hours=1),
                     CAFE[0] + timedelta(hours=3))
    synced = await sync(database, [(event("cafe", capacity=5), [moved])])
    assert (synced.occurrences, synced.gone) == (1, ())
    after = await occurrence(database, occurrence_id)
    assert (after.start, after.end, after.cancelled) == (moved.start, moved.end, False)
    assert after.going == 1
    async with database.uow() as uow:
        rsvp = await uow.events.rsvp_of(occurrence_id, person)
    assert rsvp is not None and rsvp.state is ev.RsvpState.GOING


async def test_a_date_no_longer_in_the_source_is_cancelled_and_told_only_when_ahead(
        database: Database) -> None:
    earlier = NOW - timedelta(hours=3)  # today 07:00 to 09:00 local: over
    items = [(event("cafe"), [at(earlier), at(CAFE[0]), at(CAFE[1])]),
             (event("walk"), [at(local(2, 6, 11))])]
    await sync(database, items, start=NOW - timedelta(days=1))
    ids = await ids_by_key(database, start=NOW - timedelta(days=1))
    past, first = ids[("cafe", earlier)], ids[("cafe", CAFE[0])]
    walk = ids[("walk", local(2, 6, 11))]

    # The source now has only the second café date: the first and the walk (an event no
    # longer there at all) are cancelled and returned; the one that is over is left alone.
    synced = await sync(database, [(event("cafe"), [at(CAFE[1])])],
                        start=NOW - timedelta(days=1))
    assert sorted(synced.gone) == sorted([first, walk])
    assert (await occurrence(database, first)).cancelled
    assert (await occurrence(database, walk)).cancelled
    assert not (await occurrence(database, past)).cancelled
    found, total = await listing(database, end=WEEK.end + timedelta(weeks=2))
    assert total == 1 and [o.start for o in found] == [CAFE[1]]
    # Told once: the next sync returns nothing new.
    assert (await sync(database, [(event("cafe"), [at(CAFE[1])])],
                       start=NOW - timedelta(days=1))).gone == ()


async def test_the_listing_by_municipality_week_and_kind_in_pages(database: Database) -> None:
    days = [local(2, day, 15) for day in range(1, 8)]  # every day of the week, 15:00
    festival = all_day(local(1, 30), 3)  # Saturday 30 January to Monday 1 February, all day
    over = all_day(local(1, 30), 2)  # Saturday and Sunday: over before the week
    await sync(database, [
        (event("daily"), [at(d) for d in days]),
        (event("sport", category=ev.Category.SPORT), [at(local(2, 2, 10), 1)]),
        (event("later"), [at(local(2, 9, 15))]),  # next week
        (event("festival", category=ev.Category.FESTIVAL), [festival]),
        (event("weekend", category=ev.Category.FESTIVAL), [over]),
        (event("off"), [at(local(2, 5, 12))]),
    ], start=local(1, 25))
    await sync(database, [(event("elsewhere", municipality="leiden"), [at(local(2, 3, 14))])],
               municipality="leiden", start=local(1, 25))
    off = (await ids_by_key(database, start=WEEK.start))[("off", local(2, 5, 12))]
    async with database.uow() as uow:
        assert [r.person_id for r in await uow.events.cancel_occurrence(off, NOW)] == []
        await uow.commit()

    week = [(o.event.uid, o.start) for o in (await listing(database, start=WEEK.start))[0]]
    assert week[0] == ("festival", festival.start)  # began before the week, still on
    assert ("weekend", over.start) not in week and ("later", local(2, 9, 15)) not in week
    assert ("off", local(2, 5, 12)) not in week
    assert all(uid != "elsewhere" for uid, _start in week)
    assert len(week) == 9 and [s for _u, s in week] == sorted(s for _u, s in week)

    # Pages of four, with the total on each.
    pages = [await listing(database, start=WEEK.start, offset=offset, limit=4)
             for offset in (0, 4, 8)]
    assert [total for _found, total in pages] == [9, 9, 9]
    assert [len(found) for found, _total in pages] == [4, 4, 1]
    assert [(o.event.uid, o.start) for found, _t in pages for o in found] == week

    # One kind; another municipality; next week.
    sport, total = await listing(database, start=WEEK.start, category=ev.Category.SPORT)
    assert total == 1 and [o.event.uid for o in sport] == ["sport"]
    festivals, total = await listing(database, start=WEEK.start,
                                     category=ev.Category.FESTIVAL)
    assert total == 1 and festivals[0].all_day and festivals[0].event.uid == "festival"
    leiden, total = await listing(database, "leiden", start=WEEK.start)
    assert total == 1 and leiden[0].event.municipality == "leiden"
    following = ev.week_of(date(2027, 2, 1), ZONE, 1)
    later, total = await listing(database, start=following.start, end=following.end)
    assert total == 1 and later[0].event.uid == "later"
    # From now on (Monday 10:00): Monday's 15:00 date and the festival (until midnight).
    today = [o.event.uid for o in (await listing(database, end=local(2, 2)))[0]]
    assert today == ["festival", "daily"]


async def rsvp(db: Database, occurrence_id: int, person: int, state: ev.RsvpState,
               when: datetime, reminder: datetime | None = None,
               follow_up: datetime | None = None) -> int:
    async with db.uow() as uow:
        rsvp_id = await uow.events.put_rsvp(occurrence_id, person, state, when, reminder,
                                            follow_up)
        await uow.commit()
    return rsvp_id


async def one_date(db: Database, capacity: int | None = 2,
                   start: datetime = CAFE[0]) -> int:
    await sync(db, [(event("cafe", capacity=capacity), [at(start)])])
    [occurrence_id] = (await ids_by_key(db)).values()
    return occurrence_id


async def test_going_and_the_waiting_list_keep_their_order(database: Database) -> None:
    occurrence_id = await one_date(database, capacity=2)
    first, second, third, fourth = await people(database, 601, 602, 603, 604)
    for minute, (person, state) in enumerate([
            (first, ev.RsvpState.GOING), (second, ev.RsvpState.GOING),
            (third, ev.RsvpState.WAITING), (fourth, ev.RsvpState.WAITING)]):
        await rsvp(database, occurrence_id, person, state, NOW + timedelta(minutes=minute),
                   local(2, 2, 18) if state is ev.RsvpState.GOING else None)
    async with database.uow() as uow:
        attendance = await uow.events.attendance(occurrence_id)
        stored = await uow.events.occurrence(occurrence_id, lock=True)
    assert attendance == ev.Attendance((first, second), (third, fourth))
    assert stored is not None and (stored.going, stored.waiting, stored.full) == (2, 2, True)

    # The first cannot come: the rule moves the first waiting up, storage keeps the order.
    after, moved = attendance.cancel(first, 2)
    assert moved == (third,)
    async with database.uow() as uow:
        await uow.events.set_state(occurrence_id, first, ev.RsvpState.CANCELLED)
        await uow.events.set_state(occurrence_id, third, ev.RsvpState.GOING,
                                   local(2, 2, 18), local(2, 4, 11))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.events.attendance(occurrence_id) == after == \
            ev.Attendance((second, third), (fourth,))
        up = await uow.events.rsvp_of(occurrence_id, third)
        gone = await uow.events.rsvp_of(occurrence_id, first)
    assert up is not None and (up.state, up.reminder_at, up.follow_up_at) == (
        ev.RsvpState.GOING, local(2, 2, 18), local(2, 4, 11))
    assert gone is not None and gone.state is ev.RsvpState.CANCELLED

    # Saying "I'll go" again later is a new place at the end of the order.
    await rsvp(database, occurrence_id, first, ev.RsvpState.WAITING, NOW + timedelta(hours=1))
    async with database.uow() as uow:
        assert await uow.events.attendance(occurrence_id) == \
            ev.Attendance((second, third), (fourth, first))
        mine = await uow.events.of_person(first)
    assert [(r.state, o.id) for r, o in mine] == [(ev.RsvpState.WAITING, occurrence_id)]


async def test_reminders_and_follow_ups_are_claimed_at_most_once_and_never_when_cancelled(
        database: Database) -> None:
    occurrence_id = await one_date(database, capacity=None)
    going, also, cancelled, waiting = await people(database, 701, 702, 703, 704)
    reminder, follow_up = local(2, 2, 18), local(2, 4, 11)
    for person in (going, also, cancelled):
        await rsvp(database, occurrence_id, person, ev.RsvpState.GOING, NOW, reminder,
                   follow_up)
    await rsvp(database, occurrence_id, waiting, ev.RsvpState.WAITING, NOW, reminder,
               follow_up)
    async with database.uow() as uow:
        await uow.events.set_state(occurrence_id, cancelled, ev.RsvpState.CANCELLED)
        await uow.commit()

    async with database.uow() as uow:
        assert await uow.events.claim_reminders(reminder - timedelta(minutes=1), 10) == []
        claimed = await uow.events.claim_reminders(reminder, 10)
        await uow.commit()
    assert sorted(r.person_id for r, _o in claimed) == sorted([going, also])
    assert all(o.id == occurrence_id and o.event.uid == "cafe" for _r, o in claimed)
    assert all(r.reminder_at == reminder for r, _o in claimed)
    async with database.uow() as uow:
        assert await uow.events.claim_reminders(reminder + timedelta(days=1), 10) == []
        assert await uow.events.claim_follow_ups(follow_up - timedelta(seconds=1), 10) == []
        followed = await uow.events.claim_follow_ups(follow_up, 10)
        await uow.commit()
    assert sorted(r.person_id for r, _o in followed) == sorted([going, also])
    async with database.uow() as uow:
        assert await uow.events.claim_follow_ups(follow_up + timedelta(days=1), 10) == []
        stored = await uow.events.rsvp_of(occurrence_id, going)
    assert stored is not None and stored.reminded_at == reminder
    assert stored.followed_at == follow_up

    # A claim that is rolled back (a tick that crashed) is claimed again.
    other = await one_date(database, capacity=None, start=CAFE[1])
    await rsvp(database, other, going, ev.RsvpState.GOING, NOW, local(2, 9, 18))
    async with database.uow() as uow:
        assert len(await uow.events.claim_reminders(local(2, 9, 18), 10)) == 1
    async with database.uow() as uow:
        assert len(await uow.events.claim_reminders(local(2, 9, 18), 10)) == 1
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.events.claim_reminders(local(2, 9, 18), 10) == []


async def test_feedback_only_after_the_follow_up_and_only_by_that_person(
        database: Database) -> None:
    occurrence_id = await one_date(database, capacity=None)
    person, stranger = await people(database, 801, 802)
    rsvp_id = await rsvp(database, occurrence_id, person, ev.RsvpState.GOING, NOW,
                         local(2, 2, 18), local(2, 4, 11))
    async with database.uow() as uow:
        assert not await uow.events.feedback(rsvp_id, person, 1)  # no follow-up yet
        await uow.events.claim_follow_ups(local(2, 4, 11), 10)
        await uow.commit()
    async with database.uow() as uow:
        assert not await uow.events.feedback(rsvp_id, stranger, -1)
        assert not await uow.events.feedback(rsvp_id + 1000, person, -1)
        assert await uow.events.feedback(rsvp_id, person, 1)
        await uow.commit()
    async with database.uow() as uow:
        stored = await uow.events.get_rsvp(rsvp_id)
    assert stored is not None and stored.feedback == 1 and stored.person_id == person


async def test_cancelling_a_date_returns_who_to_tell_once(database: Database) -> None:
    occurrence_id = await one_date(database, capacity=1)
    going, waiting, gave_up = await people(database, 901, 902, 903)
    await rsvp(database, occurrence_id, going, ev.RsvpState.GOING, NOW, local(2, 2, 18))
    await rsvp(database, occurrence_id, waiting, ev.RsvpState.WAITING,
               NOW + timedelta(minutes=1))
    await rsvp(database, occurrence_id, gave_up, ev.RsvpState.WAITING,
               NOW + timedelta(minutes=2))
    async with database.uow() as uow:
        await uow.events.set_state(occurrence_id, gave_up, ev.RsvpState.CANCELLED)
        told = await uow.events.cancel_occurrence(occurrence_id, NOW)
        again = await uow.events.cancel_occurrence(occurrence_id, NOW)
        await uow.commit()
    assert sorted(r.person_id for r in told) == sorted([going, waiting])
    assert again == []
    assert (await occurrence(database, occurrence_id)).cancelled
    assert (await listing(database))[1] == 0
    async with database.uow() as uow:
        assert await uow.events.cancel_occurrence(occurrence_id, NOW) == []
        assert await uow.events.cancel_occurrence(occurrence_id + 1000, NOW) == []


async def test_figures_count_who_goes_waits_and_liked_it(database: Database) -> None:
    await sync(database, [(event("cafe", capacity=2), [at(CAFE[0]), at(CAFE[1])]),
                          (event("quiet"), [at(local(2, 5, 10))])])
    ids = await ids_by_key(database)
    first, second = ids[("cafe", CAFE[0])], ids[("cafe", CAFE[1])]
    await sync(database, [(event("there", municipality="leiden"), [at(CAFE[0])])],
               municipality="leiden")
    leiden = next(iter((await ids_by_key(database, "leiden")).values()))
    a, b, c, d, e = await people(database, 1001, 1002, 1003, 1004, 1005)
    for person, state in ((a, ev.RsvpState.GOING), (b, ev.RsvpState.GOING),
                          (c, ev.RsvpState.WAITING), (d, ev.RsvpState.WAITING)):
        await rsvp(database, first, person, state, NOW, None, local(2, 4, 11))
    await rsvp(database, second, e, ev.RsvpState.GOING, NOW)
    await rsvp(database, leiden, e, ev.RsvpState.GOING, NOW)
    async with database.uow() as uow:
        await uow.events.set_state(first, d, ev.RsvpState.CANCELLED)
        await uow.events.claim_follow_ups(local(2, 4, 11), 10)
        await uow.commit()
    async with database.uow() as uow:
        for person, value in ((a, 1), (b, -1)):
            said = await uow.events.rsvp_of(first, person)
            assert said is not None
            assert await uow.events.feedback(said.id, person, value)
        await uow.commit()

    async with database.uow() as uow:
        figures = await uow.events.figures("delft", NOW, NOW + timedelta(days=14), 20)
        only_first = await uow.events.figures("delft", NOW, local(2, 4), 20)
    assert [(f.occurrence.id, f.going, f.waiting, f.liked, f.disliked) for f in figures] == [
        (first, 2, 1, 1, 1), (second, 1, 0, 0, 0)]  # "quiet" has nobody: not listed
    assert figures[0].occurrence.event.uid == "cafe"
    assert [f.occurrence.id for f in only_first] == [first]


async def test_a_failing_feed_keeps_when_it_began_and_a_good_read_clears_it(
        database: Database) -> None:
    later, last = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    async with database.uow() as uow:
        assert await uow.events.feed("delft", "bieb") is None
        await uow.events.feed_read("delft", "bieb", NOW - timedelta(hours=1), error=None,
                                   events=7, skipped=1)
        await uow.events.feed_read("delft", "bieb", NOW, error="not an iCalendar feed")
        await uow.events.feed_reported("delft", "bieb", NOW)
        await uow.commit()
    async with database.uow() as uow:
        await uow.events.feed_read("delft", "bieb", later, error="HTTP 500 " + "x" * 400)
        await uow.commit()
    async with database.uow() as uow:
        state = await uow.events.feed("delft", "bieb")
    assert state is not None and state.broken
    assert (state.failing_since, state.read_at, state.reported_at, state.ok_at) == (
        NOW, later, NOW, NOW - timedelta(hours=1))
    assert state.error is not None and state.error.startswith("HTTP 500") \
        and len(state.error) == 300
    assert (state.events, state.skipped) == (7, 1)  # the last good figures stay

    async with database.uow() as uow:
        await uow.events.feed_read("delft", "bieb", last, error=None, events=9, skipped=0)
        await uow.events.feed_read("leiden", "agenda", last, error="down")
        await uow.commit()
    async with database.uow() as uow:
        state = await uow.events.feed("delft", "bieb")
        feeds = await uow.events.feeds_in(["delft", "leiden"])
        only = await uow.events.feeds_in(["leiden"])
    assert state is not None and not state.broken
    assert (state.failing_since, state.error, state.reported_at, state.ok_at,
            state.events) == (None, None, None, last, 9)
    assert [(f.municipality, f.feed, f.broken) for f in feeds] == [
        ("delft", "bieb", False), ("leiden", "agenda", True)]
    assert [f.feed for f in only] == ["agenda"]


async def test_forgetting_the_demo_events_takes_their_dates_and_rsvps(
        database: Database) -> None:
    await sync(database, [(event("demo-cafe", source=ev.Source.DEMO), [at(CAFE[0])]),
                          (event("demo-walk", source=ev.Source.DEMO), [at(CAFE[1])])],
               source=ev.Source.DEMO)
    await sync(database, [(event("real"), [at(local(2, 4, 10))])])
    [person] = await people(database, 1101)
    demo = (await ids_by_key(database))[("demo-cafe", CAFE[0])]
    await rsvp(database, demo, person, ev.RsvpState.GOING, NOW, local(2, 2, 18))
    async with database.uow() as uow:
        assert await uow.events.forget_source(ev.Source.DEMO) == 2
        await uow.commit()
    found, total = await listing(database, end=WEEK.end + timedelta(weeks=2))
    assert total == 1 and [o.event.uid for o in found] == ["real"]
    async with database.uow() as uow:
        assert await uow.events.of_person(person) == []
        assert await uow.events.occurrence(demo) is None
        assert await uow.events.claim_reminders(local(2, 2, 18), 10) == []
        assert await uow.events.forget_source(ev.Source.DEMO) == 0


async def test_retention_removes_dates_long_past_with_who_went(database: Database) -> None:
    old, recent = NOW - timedelta(days=120), NOW - timedelta(days=10)
    past = NOW - timedelta(days=200)
    await sync(database, [(event("cafe"), [at(old), at(recent), at(CAFE[0])]),
                          (event("old-file"), [at(old)])], start=past)
    await sync(database, [(event("gone-feed", source=ev.Source.FEED, feed="bieb"),
                           [at(old)])], source=ev.Source.FEED, feed="bieb", start=past)
    [person] = await people(database, 1201)
    ids = await ids_by_key(database, start=past)
    for occurrence_id in ids.values():
        await rsvp(database, occurrence_id, person, ev.RsvpState.GOING, past)
    async with database.uow() as uow:
        assert await uow.events.purge_past(NOW - timedelta(days=90)) == 3
        await uow.commit()
    left = await ids_by_key(database, start=past)
    assert set(left) == {("cafe", recent), ("cafe", CAFE[0])}
    async with database.uow() as uow:
        assert {o.id for _r, o in await uow.events.of_person(person)} == set(left.values())
    # The feed's event went with its last date (it comes back as new); the file's stays.
    again = await sync(database, [(event("gone-feed", source=ev.Source.FEED, feed="bieb"),
                                   [at(CAFE[1])])], source=ev.Source.FEED, feed="bieb")
    assert again.events == 1
    kept = await sync(database, [(event("old-file"), [at(CAFE[1])]),
                                 (event("cafe"), [at(recent), at(CAFE[0])])])
    assert kept.events == 0 and kept.occurrences == 1


async def test_two_feeds_of_one_municipality_may_use_the_same_uid(database: Database) -> None:
    """Feeds of different organisers are independent: a UID like "1" or "taalcafe" in two
    of them must not clash (a sync is per municipality, source and feed)."""
    first = await sync(database, [(event("taalcafe", source=ev.Source.FEED, feed="bieb",
                                         title="Library café"), [at(CAFE[0])])],
                       source=ev.Source.FEED, feed="bieb")
    second = await sync(database, [(event("taalcafe", source=ev.Source.FEED, feed="buurt",
                                          title="Neighbourhood café"), [at(CAFE[1])])],
                        source=ev.Source.FEED, feed="buurt")
    assert (first.events, second.events) == (1, 1)
    found, total = await listing(database, end=WEEK.end + timedelta(weeks=2))
    assert total == 2
    assert [o.event.texts["en"].title for o in found] == ["Library café", "Neighbourhood café"]
