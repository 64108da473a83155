"""Local events (issue 11): how long refreshing a big iCalendar feed takes, and how long a
newcomer waits for /events, a card and "I'll go" with many events stored, against
baselines measured in the same run.

    .venv/bin/python bench/events.py [--events 5000] [--stored 10000] [--turns 300]
                                     [--db sqlite|postgresql|both]

The bot is built as `wegwijs run` builds it (bot.app.build_app) on a fresh database (a
temporary SQLite file; a named PostgreSQL database, dropped afterwards), with a clock set
to next Monday 09:00 Amsterdam time (it keeps running): "this week" then holds almost a
whole week of dates, the heaviest /events listing, whatever day the bench runs.

1. Feed refresh. A feed of `--events` events made in memory with icalendar: each weekly
   (RRULE FREQ=WEEKLY;COUNT=52) for two hours, with TZID=Europe/Amsterdam times, its first
   date up to 45 weeks back (so nearly every series has dates in the window), a title, a
   description and a location. Measured once each, in this order, for municipality Delft:
     parse     icalendar.Calendar.from_ical(bytes): the baseline (median of 3)
     read      bot.content.event_feeds.read(bytes, now, now + WINDOW, zone): parse and
               expand the recurrences over the window the bot stores
     refresh   EventSources.refresh_feed(...) with a fetch that returns the bytes: read
               (a big feed in a process of its own) and store (SqlEvents.sync in one unit
               of work, dates gone told to who goes, the feed's state):
                 new         the first refresh: every event and date is new
                 unchanged   the same bytes again the same day: the steady state, every
                             hour (not stored again)
                 series +1h  a tenth of the series start an hour later (DTSTART/DTEND)
                 date +1h    a tenth of the events get their next date moved an hour later
                             by a RECURRENCE-ID override (how a calendar moves one date)
   "dates" is what the read gave (dates/s: per second of the step); "new", "moved" and
   "gone" what a refresh changed (a date no longer in the feed is marked gone, and who
   goes is told); "storing" the part of a refresh inside its unit of work. Reads are
   capped at bot.content.event_feeds.MAX_OCCURRENCES dates; a cut-off read says so.

2. /events. `--stored` events in Leiden (1 to 3 dates each, from an hour after the clock
   to the end of the window, a tenth of them starting 10:00-10:45 local: busy mornings;
   a quarter with a capacity of 20; a third with a map pin), written with
   uow.events.sync in batches of 1,000 (a feed each). Newcomers onboarded through the
   Desk (Arabic, Leiden) then take turns, `--turns` rounds in all, each round one
   newcomer's:
     /menu          the baseline: a turn that reads the person and writes nothing of events
     /events        this week, the first page (bot.services.events.Events.listing)
     next week      the button e:wk:1a0
     open a card    e:o:<id> of a date listed (else another date ahead)
     I'll go        e:go:<id> of that date (going, or the waiting list when full)
   Five rounds per newcomer (after 10 rounds of warm-up, not counted), so nearly every
   "I'll go" is a new RSVP. Prints p50/p95/p99/max in ms and each turn's p50 and p99
   against /menu's, and the plan of the listing's page query. Target (issue 11): /events
   p99 < 20 ms.

3. /events while a refresh runs: one newcomer asks /events again and again while the
   feed is refreshed with bytes that changed (so it is read, in a process of its own, and
   stored, in one unit of work; on SQLite every unit of work waits for the one writer),
   split by the phase the turn ended in; and the full garbage collections meanwhile.

Nothing is asserted; numbers vary with the machine. PostgreSQL tables are ANALYZEd after
writing, as autovacuum would soon do.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import icalendar  # noqa: E402
from postgres import bench_database, drop_bench_database  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bot.app import App, build_app  # noqa: E402
from bot.content import event_feeds  # noqa: E402
from bot.content.event_files import FeedEntry  # noqa: E402
from bot.domain import events as ev  # noqa: E402
from bot.domain.incoming import Caller  # noqa: E402
from bot.domain.replies import Outcome  # noqa: E402
from bot.services.clock import MovableClock  # noqa: E402
from bot.services.event_sources import WINDOW, EventSources, Refreshed  # noqa: E402
from bot.services.events import PAGE  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.models import EventOccurrenceRow, EventRsvpRow  # noqa: E402

ZONE = ZoneInfo("Europe/Amsterdam")
FEED_MUNICIPALITY, MUNICIPALITY = "delft", "leiden"
SERIES_WEEKS = 52
BATCH = 1000  # stored events per unit of work (and per feed) when seeding
TARGET_P99 = 0.020  # issue 11: /events p99 under 20 ms
ONBOARDING: list[tuple[str, str]] = [
    ("command", "start"), ("button", "o:lang:ar"), ("button", "o:consent:yes"),
    ("button", "o:muni:leiden"), ("button", "o:beg:running"), ("button", "o:year:2027"),
    ("button", "o:month:6"),
]
TURNS = ["/menu", "/events", "next week", "open a card", "I'll go"]
FIRST_PERSON = 50_001
READING, STORING = "/events, feed read", "/events, feed stored"
DESCRIPTION = "Oefen Nederlands met buren, met koffie en thee. Iedereen is welkom."


def next_monday_morning() -> datetime:
    """09:00 Amsterdam time on the coming Monday, in UTC."""
    today = datetime.now(ZONE).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, 9, tzinfo=ZONE).astimezone(UTC)


# -- the feed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    uid: str
    first: datetime  # local, naive
    title: str
    location: str


def make_series(count: int, now: datetime) -> list[Series]:
    rng = random.Random(11)
    base = now.astimezone(ZONE).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    return [Series(f"bench-{n}@wegwijs.example",
                   (base - timedelta(weeks=rng.randint(0, 45), days=rng.randint(0, 6)))
                   .replace(hour=rng.randint(9, 20), minute=rng.choice((0, 15, 30))),
                   f"Taalcafé {n}", f"Buurthuis {n % 40}, Delft") for n in range(count)]


def in_window(s: Series, now: datetime) -> list[datetime]:
    """The starts (UTC) of a series' dates that overlap [now, now + WINDOW)."""
    found = []
    for week in range(SERIES_WEEKS):
        start = (s.first + timedelta(weeks=week)).replace(tzinfo=ZONE).astimezone(UTC)
        if start >= now + WINDOW:
            break
        if start + timedelta(hours=2) > now:
            found.append(start)
    return found


def feed_bytes(series: list[Series], *, series_moved: bool = False,
               date_moved: datetime | None = None) -> bytes:
    """The feed; `series_moved`: every tenth series an hour later; `date_moved`: every
    tenth event gets an override moving its first date after that moment an hour later."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Wegwijs bench//events//EN")
    calendar.add("version", "2.0")
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    for n, s in enumerate(series):
        first = s.first + timedelta(hours=1) if series_moved and n % 10 == 0 else s.first
        event = icalendar.Event()
        event.add("uid", s.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", first.replace(tzinfo=ZONE))
        event.add("dtend", (first + timedelta(hours=2)).replace(tzinfo=ZONE))
        event.add("rrule", {"freq": "weekly", "count": SERIES_WEEKS})
        event.add("summary", s.title)
        event.add("description", DESCRIPTION)
        event.add("location", s.location)
        calendar.add_component(event)
        if date_moved is not None and n % 10 == 0:
            local = date_moved.astimezone(ZONE).replace(tzinfo=None)
            weeks = max(0, math.ceil((local - first) / timedelta(weeks=1)))
            if weeks < SERIES_WEEKS:
                original = first + timedelta(weeks=weeks)
                moved = icalendar.Event()
                moved.add("uid", s.uid)
                moved.add("dtstamp", stamp)
                moved.add("recurrence-id", original.replace(tzinfo=ZONE))
                moved.add("dtstart", (original + timedelta(hours=1)).replace(tzinfo=ZONE))
                moved.add("dtend", (original + timedelta(hours=3)).replace(tzinfo=ZONE))
                moved.add("summary", s.title)
                moved.add("description", DESCRIPTION)
                moved.add("location", s.location)
                calendar.add_component(moved)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


class FullCollections:
    """The pauses of the garbage collector's full (generation-2) collections while in
    the `with` block: they hold the GIL, so the event loop waits whichever thread runs
    them."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._began = 0.0

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        elif info["generation"] == 2:
            self.pauses.append(time.perf_counter() - self._began)

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._note)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._note)

    def summary(self) -> str:
        return (f"{len(self.pauses)}, longest {max(self.pauses, default=0.0) * 1e3:.0f} ms, "
                f"{sum(self.pauses) * 1e3:.0f} ms in all")


class TimedUnitsOfWork:
    """The app's unit-of-work factory, adding up the seconds spent inside units of work."""

    def __init__(self, inner: Callable[[], Any]) -> None:
        self._inner = inner
        self.seconds = 0.0
        # When the unit of work that stores was asked for: the refresh first looks at the
        # feed's last read in a short one, then reads the feed, then stores in a second.
        self.entered: float | None = None
        self._count = 0

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[Any]:
        started = time.perf_counter()
        self._count += 1
        if self._count == 2:
            self.entered = started
        try:
            async with self._inner() as uow:
                yield uow
        finally:
            self.seconds += time.perf_counter() - started


@dataclass
class FeedStep:
    name: str
    seconds: float
    dates: int  # dates read from the feed
    gone: int | None = None  # refreshes: dates no longer in the feed
    new: int | None = None  # refreshes: dates added
    moved: int | None = None  # refreshes: dates stored before, moved
    storing: float | None = None
    cut_off: bool = False
    events: int | None = None  # distinct events (UIDs) in the read


@dataclass
class FeedRun:
    size: int  # bytes
    window: tuple[datetime, datetime]
    steps: list[FeedStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stored_dates: int = 0  # dates of the feed listed at the end


class Feed:
    """A fetch for EventSources that returns whatever bytes are current."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    async def __call__(self, _feed: FeedEntry) -> bytes:
        return self.content


def feed_entry() -> FeedEntry:
    return FeedEntry.model_validate({
        "id": "bench", "url": "https://events.example.org/bench.ics",
        "category": ev.Category.LANGUAGE_CAFE, "language": "nl",
        "source": "bench/events.py: generated in memory", "last_checked": date.today()})


def sources_for(app: App, fetch: Feed) -> EventSources:
    return EventSources(app.knowledge, app.catalogs, app.settings.zone,
                        app.chat.event_notices, app.settings.knowledge_dir, fetch=fetch)


async def refresh(app: App, sources: EventSources, now: datetime, name: str,
                  feed: FeedEntry, found: event_feeds.FeedRead) -> FeedStep:
    """One refresh of the feed; `found` is what reading its bytes gives (counted apart)."""
    timed = TimedUnitsOfWork(app.uow)
    before = await feed_rows(app)
    started = time.perf_counter()
    done: Refreshed = await sources.refresh_feed(cast(Any, timed), FEED_MUNICIPALITY, feed,
                                                 now)
    seconds = time.perf_counter() - started
    if done.failed:
        raise RuntimeError(f"the bench feed could not be read ({name})")
    new = await feed_rows(app) - before
    return FeedStep(name, seconds, len(found.occurrences), done.gone, new, done.dates - new,
                    timed.seconds, found.cut_off)


async def feed_rows(app: App) -> int:
    """Dates stored for the feed's municipality, gone or not."""
    async with app.database.engine.connect() as connection:
        return int(await connection.scalar(
            select(func.count()).select_from(EventOccurrenceRow)
            .where(EventOccurrenceRow.municipality == FEED_MUNICIPALITY)) or 0)


def timed_read(content: bytes, now: datetime) -> tuple[float, event_feeds.FeedRead]:
    started = time.perf_counter()
    found = event_feeds.read(content, now, now + WINDOW, ZONE)
    return time.perf_counter() - started, found


async def measure_feed(app: App, events: int, now: datetime) -> tuple[FeedRun, Feed]:
    series = make_series(events, now)
    content = feed_bytes(series)
    run = FeedRun(len(content), (now, now + WINDOW))
    parses = []
    for _ in range(3):
        started = time.perf_counter()
        icalendar.Calendar.from_ical(content)
        parses.append(time.perf_counter() - started)
    seconds, found = timed_read(content, now)
    run.steps.append(FeedStep("parse (baseline)", statistics.median(parses),
                              len(found.occurrences), events=events))
    run.steps.append(FeedStep("read: parse + expand", seconds, len(found.occurrences),
                              cut_off=found.cut_off,
                              events=len({o.uid for o in found.occurrences})))
    if found.cut_off:
        kept = {o.uid for o in found.occurrences}
        dates = {s.uid: in_window(s, now) for s in series}
        left_out = [s.uid for s in series if s.uid not in kept and dates[s.uid]]
        week = now + timedelta(days=7)
        run.notes.append(
            f"The read was cut off at MAX_OCCURRENCES = {event_feeds.MAX_OCCURRENCES:,} "
            f"dates; the feed has {sum(len(d) for d in dates.values()):,} in the window. "
            f"Kept: every date of {len(kept):,} events; left out: every date of "
            f"{len(left_out):,} events, {sum(1 for u in left_out if dates[u][0] < week):,} "
            f"of them with a date in the next 7 days (the kept dates reach "
            f"{max(o.start for o in found.occurrences).astimezone(ZONE):%a %d %b}).")
    fetch = Feed(content)
    sources = sources_for(app, fetch)
    feed = feed_entry()
    run.steps.append(await refresh(app, sources, now, "refresh: new", feed, found))
    run.steps.append(await refresh(app, sources, now, "refresh: unchanged", feed, found))
    fetch.content = feed_bytes(series, series_moved=True)
    moved_read = event_feeds.read(fetch.content, now, now + WINDOW, ZONE)
    run.steps.append(await refresh(app, sources, now, "refresh: series +1h", feed,
                                   moved_read))
    fetch.content = feed_bytes(series, series_moved=True, date_moved=now)
    overridden = event_feeds.read(fetch.content, now, now + WINDOW, ZONE)
    run.steps.append(await refresh(app, sources, now, "refresh: date +1h", feed,
                                   overridden))
    sources.close()
    read_uids = {o.uid for o in overridden.occurrences}
    overrides = sum(1 for n in range(0, events, 10) if series[n].uid in read_uids)
    run.notes.append(
        f"'date +1h': about {overrides:,} events (a tenth of those read) have their next "
        f"date moved by a RECURRENCE-ID override. A 'moved' date keeps its RSVPs; a 'new' + "
        f"'gone' pair does not (those going are told it left the organiser's calendar).")
    async with app.uow() as uow:
        run.stored_dates = len((await uow.events.listing(
            FEED_MUNICIPALITY, now, now + WINDOW, None, 0, 1_000_000))[0])
    return run, fetch


# -- stored events and the turns --------------------------------------------------------


def stored_items(count: int, first: int, now: datetime, rng: random.Random
                 ) -> list[tuple[ev.Event, list[ev.Dated]]]:
    categories = list(ev.Category)
    audiences = list(ev.EventAudience)
    items: list[tuple[ev.Event, list[ev.Dated]]] = []
    span = int((WINDOW - timedelta(hours=2)).total_seconds() // 900)  # quarter hours
    for n in range(first, first + count):
        texts = {"en": ev.Texts(f"Language café {n}", "Practise Dutch with neighbours.",
                                "Nothing, just come.", "Coffee and conversation.", "free"),
                 "nl": ev.Texts(f"Taalcafé {n}", "Oefen Nederlands met buren.")}
        venue = ev.Venue(f"Buurthuis {n % 60}", f"Breestraat {n % 200 + 1}, Leiden",
                         52.16 + (n % 50) / 1000, 4.49 + (n % 50) / 1000) if n % 3 == 0 \
            else ev.Venue(f"Bibliotheek {n % 20}", "Leiden")
        event = ev.Event(0, MUNICIPALITY, ev.Source.FEED, f"stored-{n}", rng.choice(categories),
                         rng.choice(audiences), texts, languages=("nl", "en"), venue=venue,
                         capacity=20 if n % 4 == 0 else None)
        dates: list[ev.Dated] = []
        for _ in range(rng.randint(1, 3)):
            if n % 10 == 0:  # busy mornings: 10:00-10:45 local
                day = rng.randint(0, WINDOW.days - 1)
                local = (now + timedelta(days=day)).astimezone(ZONE).replace(
                    hour=10, minute=rng.choice((0, 15, 30, 45)))
                start = local.astimezone(UTC)
                if start < now + timedelta(hours=1):
                    start += timedelta(days=1)
            else:
                start = now + timedelta(hours=1, minutes=15 * rng.randint(0, span))
            dates.append(ev.Dated(start.strftime("%Y%m%dT%H%M%SZ"), start,
                                  start + timedelta(hours=2)))
        items.append((event, dates))
    return items


async def seed_stored(app: App, stored: int, now: datetime) -> int:
    """`stored` events in Leiden, BATCH per unit of work; returns their dates."""
    rng = random.Random(7)
    dates = 0
    for batch, first in enumerate(range(0, stored, BATCH)):
        items = stored_items(min(BATCH, stored - first), first, now, rng)
        async with app.uow() as uow:
            synced = await uow.events.sync(MUNICIPALITY, ev.Source.FEED, f"stored{batch}",
                                           items, now, now)
            await uow.commit()
        dates += synced.occurrences
    return dates


async def act(app: App, caller: Caller, kind: str, value: str) -> Outcome:
    if kind == "command":
        return await app.desk.command(caller, value)
    return await app.desk.button(caller, value)


def listed(outcome: Outcome) -> list[int]:
    """The dates an /events answer lists (the e:o:<id> buttons), in order."""
    return [int(b.data.split(":")[2]) for r in outcome.replies for row in r.keyboard
            for b in row if b.data.startswith("e:o:")]


async def ahead(app: App, now: datetime) -> list[int]:
    """Dates in Leiden that start at least an hour after `now` (cards opened when the
    list shows none left for a person)."""
    async with app.database.engine.connect() as connection:
        return list((await connection.scalars(
            select(EventOccurrenceRow.id).where(
                EventOccurrenceRow.municipality == MUNICIPALITY,
                EventOccurrenceRow.starts_at >= now + timedelta(hours=1),
                EventOccurrenceRow.cancelled_at.is_(None),
                EventOccurrenceRow.gone_at.is_(None))
            .order_by(EventOccurrenceRow.starts_at).limit(5000))).all())


@dataclass
class TurnRun:
    people: int = 0
    stored_events: int = 0
    stored_dates: int = 0
    listed_this_week: int = 0
    timings: dict[str, list[float]] = field(default_factory=lambda: {t: [] for t in TURNS})
    answers: dict[str, int] = field(default_factory=dict)  # RSVPs stored, by state
    # /events while a refresh runs: while the feed is read (worker thread), while stored
    during: dict[str, list[float]] = field(default_factory=lambda: {READING: [],
                                                                    STORING: []})
    reading: float = 0.0  # seconds of the refresh before its unit of work
    storing: float = 0.0
    collections: str = ""  # full GC collections during the rounds
    collections_during: str = ""  # and during the refresh


async def measure_turns(app: App, turns: int, now: datetime) -> TurnRun:
    run = TurnRun()
    run.people = max(1, math.ceil(turns / PAGE))
    callers = [Caller(FIRST_PERSON + n, FIRST_PERSON + n, "ar") for n in range(run.people)]
    for caller in callers:  # onboarding is not measured
        for kind, value in ONBOARDING:
            await act(app, caller, kind, value)
    pool = await ahead(app, now)
    rng = random.Random(3)
    taken: dict[int, set[int]] = {c.telegram_id: set() for c in callers}

    async def timed(name: str, caller: Caller, kind: str, value: str,
                    record: bool) -> Outcome:
        started = time.perf_counter()
        outcome = await act(app, caller, kind, value)
        if record:
            run.timings[name].append(time.perf_counter() - started)
        return outcome

    async def one_round(number: int, record: bool) -> None:
        caller = callers[number % len(callers)]
        await timed("/menu", caller, "command", "menu", record)
        listing = await timed("/events", caller, "command", "events", record)
        await timed("next week", caller, "button", "e:wk:1a0", record)
        mine = taken[caller.telegram_id]
        choice = next((i for i in listed(listing) if i not in mine), None)
        while choice is None or choice in mine:
            choice = rng.choice(pool)
        mine.add(choice)
        await timed("open a card", caller, "button", f"e:o:{choice}", record)
        await timed("I'll go", caller, "button", f"e:go:{choice}", record)

    warm_up = min(10, turns)
    for number in range(warm_up):
        await one_round(number, record=False)
    with FullCollections() as collections:
        for number in range(warm_up, warm_up + turns):
            await one_round(number, record=True)
    run.collections = collections.summary()
    async with app.uow() as uow:
        run.listed_this_week = len((await uow.events.listing(
            MUNICIPALITY, now, ev.week_of(now.astimezone(ZONE).date(), ZONE).end, None, 0,
            1_000_000))[0])
    async with app.database.engine.connect() as connection:
        run.answers = {state: int(n) for state, n in await connection.execute(
            select(EventRsvpRow.state, func.count()).group_by(EventRsvpRow.state))}
    return run


async def events_during_refresh(app: App, fetch: Feed, now: datetime, run: TurnRun) -> None:
    """One newcomer asks /events again and again while the feed is refreshed."""
    caller = Caller(FIRST_PERSON, FIRST_PERSON, "ar")
    fetch.content = fetch.content.replace(b"PRODID:", b"PRODID:changed ", 1)  # read again
    sources = sources_for(app, fetch)
    timed = TimedUnitsOfWork(app.uow)
    with FullCollections() as collections:
        started = time.perf_counter()
        refreshing = asyncio.create_task(sources.refresh_feed(
            cast(Any, timed), FEED_MUNICIPALITY, feed_entry(), now))
        while not refreshing.done():
            asked = time.perf_counter()
            await app.desk.command(caller, "events")
            # A turn that ended before the refresh asked for its unit of work ran beside
            # the read; any other overlapped the store.
            run.during[READING if timed.entered is None else STORING].append(
                time.perf_counter() - asked)
            await asyncio.sleep(0.005)  # a person taps now and then, not in a tight loop
        await refreshing
        ended = time.perf_counter()
    sources.close()
    run.collections_during = collections.summary()
    run.reading = (timed.entered or ended) - started
    run.storing = ended - (timed.entered or ended)


# -- one store --------------------------------------------------------------------------


@dataclass
class StoreRun:
    store: str
    now: datetime
    feed: FeedRun
    turns: TurnRun
    plans: list[str] = field(default_factory=list)


async def analyze(app: App) -> None:
    if app.database.engine.dialect.name == "postgresql":
        async with app.database.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()


async def listing_plan(app: App, now: datetime) -> list[str]:
    """The query plan of the listing's page query (this week, all kinds)."""
    week = ev.week_of(now.astimezone(ZONE).date(), ZONE)
    dialect = app.database.engine.dialect.name
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    where = ("municipality = :m AND starts_at >= :s0 AND starts_at < :e AND ends_at > :s "
             "AND cancelled_at IS NULL AND gone_at IS NULL")
    query = (f"SELECT o.id FROM event_occurrences o JOIN events e ON e.id = o.event_id "
             f"WHERE o.{where.replace(' AND ', ' AND o.')} "
             f"ORDER BY o.starts_at, o.id LIMIT {PAGE}")
    values = {"m": MUNICIPALITY, "s0": now - timedelta(days=7), "e": week.end, "s": now}
    if dialect == "sqlite":  # stored as naive UTC text by SQLAlchemy
        values = {k: v.replace(tzinfo=None) if isinstance(v, datetime) else v
                  for k, v in values.items()}
    async with app.database.engine.connect() as connection:
        rows = (await connection.execute(text(prefix + query), values)).all()
    return [" | ".join(str(c) for c in r[-1:]) if dialect == "sqlite" else str(r[0])
            for r in rows]


async def measure(store: str, url: str | None, events: int, stored: int,
                  turns: int) -> StoreRun:
    now = next_monday_morning()
    clock = MovableClock(now)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, bot_token=None, data_dir=Path(tmp),
                            database_url=url, quiet_hours="", log_level="WARNING")
        async with build_app(settings, clock) as app:
            started = time.perf_counter()
            stored_dates = await seed_stored(app, stored, now)
            seeded = time.perf_counter() - started
            feed, fetch = await measure_feed(app, events, now)
            await analyze(app)
            turn_run = await measure_turns(app, turns, now)
            turn_run.stored_events, turn_run.stored_dates = stored, stored_dates
            await events_during_refresh(app, fetch, now, turn_run)
            result = StoreRun(store, now, feed, turn_run, await listing_plan(app, now))
            result.feed.notes.append(f"Writing the {stored:,} stored events ({stored_dates:,} "
                                     f"dates) took {seeded:.1f} s.")
    return result


# -- the report -------------------------------------------------------------------------


def percentiles(values: list[float]) -> tuple[float, float, float, float]:
    """p50, p95, p99, max."""
    if len(values) < 2:
        value = values[0] if values else float("nan")
        return value, value, value, value
    q = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), q[94], q[98], max(values)


def cell(value: float | None, form: str) -> str:
    return "-" if value is None else format(value, form)


def report(run: StoreRun) -> None:
    now, feed = run.now, run.feed
    start, end = feed.window
    print(f"== {run.store} ==\n")
    print(f"1. Feed refresh: {feed.steps[0].events:,} weekly series (COUNT={SERIES_WEEKS}), "
          f"{feed.size / 1e6:.1f} MB; window {start.astimezone(ZONE):%a %d %b %H:%M} to "
          f"{end.astimezone(ZONE):%a %d %b %H:%M} Amsterdam (WINDOW = {WINDOW.days // 7} "
          f"weeks).\ndates: read from the feed (new, moved, gone: what a refresh "
          f"changed); storing: the part inside the unit of work (the rest is the read, in a "
          f"worker thread); ratio: seconds against the parse.\n")
    print(f"| {'step':<20} | {'seconds':>7} | {'storing':>7} | {'dates':>6} | {'new':>6} | "
          f"{'moved':>5} | {'gone':>6} | {'dates/s':>7} | {'ratio':>5} | cut off |")
    print(f"|{'-' * 22}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 8}|{'-' * 7}|{'-' * 8}|"
          f"{'-' * 9}|{'-' * 7}|{'-' * 9}|")
    base = feed.steps[0].seconds
    for step in feed.steps:
        print(f"| {step.name:<20} | {step.seconds:>7.2f} | {cell(step.storing, '.2f'):>7} | "
              f"{step.dates:>6,} | {cell(step.new, ','):>6} | {cell(step.moved, ','):>5} | "
              f"{cell(step.gone, ','):>6} | {step.dates / step.seconds:>7,.0f} | "
              f"{step.seconds / base:>5.1f} | {'YES' if step.cut_off else 'no':<7} |")
    print()
    for note in feed.notes:
        print(f"- {note}")
    print(f"- Dates of the feed listed in the window after the last refresh: "
          f"{feed.stored_dates:,}.")

    t = run.turns
    print(f"\n2. Turns with {t.stored_events:,} stored events ({t.stored_dates:,} dates) in "
          f"Leiden; clock {now.astimezone(ZONE):%a %d %b %Y %H:%M} Amsterdam; this week "
          f"lists {t.listed_this_week:,} dates; {t.people} newcomers, "
          f"{len(t.timings['/events'])} rounds.\nratio: against /menu of the same rounds.\n")
    print(f"| {'turn':<12} | {'n':>4} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | "
          f"{'max ms':>7} | {'p50 ratio':>9} | {'p99 ratio':>9} |")
    print(f"|{'-' * 14}|{'-' * 6}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 11}|"
          f"{'-' * 11}|")
    menu = percentiles(t.timings["/menu"])
    for name in TURNS:
        p50, p95, p99, top = percentiles(t.timings[name])
        print(f"| {name:<12} | {len(t.timings[name]):>4} | {p50 * 1e3:>7.2f} | "
              f"{p95 * 1e3:>7.2f} | {p99 * 1e3:>7.2f} | {top * 1e3:>7.2f} | "
              f"{p50 / menu[0]:>9.2f} | {p99 / menu[2]:>9.2f} |")
    p99 = percentiles(t.timings["/events"])[2]
    met = "met" if p99 < TARGET_P99 else "MISSED"
    print(f"\n- Target (issue 11): /events p99 < {TARGET_P99 * 1e3:.0f} ms: {met} "
          f"({p99 * 1e3:.1f} ms).")
    answers = ", ".join(f"{n} {what}" for what, n in sorted(t.answers.items()))
    print(f"- RSVPs stored after the rounds (warm-up included): {answers}.")
    print(f"- Full (generation-2) garbage collections during the counted rounds: "
          f"{t.collections}.")
    print("- The listing's page query plan (this week, all kinds):")
    for line in run.plans:
        print(f"    {line}")

    print(f"\n3. /events while a changed feed is refreshed: {t.reading:.1f} s reading "
          f"(a process of its own), then {t.storing:.1f} s storing (one unit of work).\n"
          f"ratio: against /events of section 2.\n")
    print(f"| {'turn':<20} | {'n':>4} | {'p50 ms':>7} | {'p99 ms':>7} | {'max ms':>7} | "
          f"{'p50 ratio':>9} | {'p99 ratio':>9} |")
    print(f"|{'-' * 22}|{'-' * 6}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 11}|{'-' * 11}|")
    quiet = t.timings["/events"]
    quiet_p = percentiles(quiet)
    for name, values in (("/events, quiet", quiet), *t.during.items()):
        if not values:
            print(f"| {name:<20} | {0:>4} | {'-':>7} | {'-':>7} | {'-':>7} | {'-':>9} | "
                  f"{'-':>9} |")
            continue
        p50, _p95, p99, top = percentiles(values)
        print(f"| {name:<20} | {len(values):>4} | {p50 * 1e3:>7.2f} | {p99 * 1e3:>7.2f} | "
              f"{top * 1e3:>7.1f} | {p50 / quiet_p[0]:>9.2f} | {p99 / quiet_p[2]:>9.2f} |")
    print(f"\n- Full (generation-2) garbage collections during the refresh: "
          f"{t.collections_during} (they hold the GIL: the event loop waits, whichever "
          f"thread collects).")
    print()


async def main(events: int, stored: int, turns: int, db: str) -> None:
    runs: list[StoreRun] = []
    if db in ("sqlite", "both"):
        runs.append(await measure("SQLite file", None, events, stored, turns))
    if db in ("postgresql", "both"):
        url = await bench_database("wegwijs_bench_events")
        if url is None:
            print("PostgreSQL is not reachable (WEGWIJS_TEST_POSTGRES_URL or "
                  "127.0.0.1:5432): skipped.\n")
        else:
            try:
                runs.append(await measure("PostgreSQL", url, events, stored, turns))
            finally:
                await drop_bench_database(url)
    for run in runs:
        report(run)


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=positive, default=5000,
                        help="weekly series in the iCalendar feed")
    parser.add_argument("--stored", type=positive, default=10_000,
                        help="events stored in Leiden for the /events turns")
    parser.add_argument("--turns", type=positive, default=300,
                        help="rounds of /menu, /events, next week, a card, I'll go")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    began = time.perf_counter()
    asyncio.run(main(args.events, args.stored, args.turns, args.db))
    print(f"({time.perf_counter() - began:.0f} s in all)")
