"""Keeping the stored events up to date with their sources: each municipality's
events.yaml, the demo events (console and demos only), and iCalendar feeds.

- Files are read again every hour (their dates move into the window); a feed every
  `feed_minutes`. Each source is synced in one transaction: new dates added, moved ones
  moved (keeping who goes), dates no longer there cancelled and the people going told.
- A feed that cannot be fetched or read changes nothing: its last good events stay. Its
  failure is noted (coordinators see it in /attendance) and told once to the coordinators
  of the municipality, in their language, until it reads well again.
- Reading a feed (parsing, expanding recurrences) runs beside the conversations: a small
  one in a thread, a big one in a process of its own, so it cannot stall them. The same
  bytes as the last good read are not stored again the same day.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from bot.content import event_feeds as feeds
from bot.content.event_feeds import FeedError, FeedOccurrence, FeedRead, read
from bot.content.event_files import DemoEvents, EventEntry, FeedEntry
from bot.content.knowledge import Knowledge
from bot.domain import events as ev
from bot.domain import outbox
from bot.domain.person import Role
from bot.services.event_notices import EventNotices
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs, UnitOfWork, UnitOfWorkFactory
from bot.services.turn import Turn

log = logging.getLogger(__name__)

WINDOW = timedelta(weeks=6)  # dates stored ahead: this week, next week, digests, reminders
FILES_EVERY = timedelta(hours=1)
MAX_FEED_BYTES = 10 << 20
FETCH_TIMEOUT = 30.0  # seconds
IN_PROCESS_BYTES = 256 << 10  # smaller feeds are read in a thread: quick, no process start
Fetch = Callable[[FeedEntry], Awaitable[bytes]]


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is sent."""
    return message


@dataclass(frozen=True)
class Refreshed:
    sources: int = 0
    dates: int = 0  # new or moved
    gone: int = 0  # cancelled because the source no longer has them
    failed: int = 0  # feeds that could not be read


def dated(found: FeedRead) -> list[ev.Dated]:
    return [ev.Dated(o.date_key, o.start, o.end, o.all_day) for o in found.occurrences]


def _feed_event(feed: FeedEntry, municipality: str, occurrence: FeedOccurrence) -> ev.Event:
    """A feed's event: its own title and description in the feed's language."""
    venue = ev.Venue(occurrence.location[:200]) if occurrence.location else None
    return ev.Event(0, municipality, ev.Source.FEED, occurrence.uid[:255], feed.category,
                    feed.audience, {feed.language: ev.Texts(
                        occurrence.title[:120] or feed.id, occurrence.description[:1500])},
                    venue=venue, organiser=feed.organiser, feed=feed.id)


def feed_items(feed: FeedEntry, municipality: str, found: FeedRead
               ) -> list[tuple[ev.Event, list[ev.Dated]]]:
    """The feed's occurrences grouped by event (UID); the first occurrence's text serves."""
    grouped: dict[str, tuple[ev.Event, list[ev.Dated]]] = {}
    for occurrence in found.occurrences:
        uid = occurrence.uid[:255]
        if uid not in grouped:
            grouped[uid] = (_feed_event(feed, municipality, occurrence), [])
        grouped[uid][1].append(ev.Dated(occurrence.date_key, occurrence.start,
                                        occurrence.end, occurrence.all_day))
    return list(grouped.values())


async def fetch_feed(feed: FeedEntry, knowledge_dir: Path) -> bytes:
    """The feed's bytes, from its file or its URL (at most MAX_FEED_BYTES)."""
    if feed.file is not None:
        path = (knowledge_dir / feed.file).resolve()
        if not path.is_relative_to(knowledge_dir.resolve()):
            raise FeedError(feeds.NO_FILE, "outside the knowledge directory")
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise FeedError(feeds.NO_FILE, str(exc.strerror)) from exc
    else:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, \
                    session.get(str(feed.url)) as response:
                if response.status != 200:
                    raise FeedError(feeds.HTTP, str(response.status))
                content = await response.content.read(MAX_FEED_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FeedError(feeds.UNREACHABLE, type(exc).__name__) from exc
    if len(content) > MAX_FEED_BYTES:
        raise FeedError(feeds.TOO_BIG)
    return content


PROBLEMS = {
    feeds.NOT_ICALENDAR: _("it is not an iCalendar (.ics) file"),
    feeds.CANNOT_EXPAND: _("its repeating events cannot be read"),
    feeds.NO_FILE: _("its file cannot be read"),
    feeds.HTTP: _("the website answered with an error"),
    feeds.UNREACHABLE: _("the website cannot be reached"),
    feeds.TOO_BIG: _("it is larger than 10 MB"),
}


def problem(writer: Reader | Turn, error: str) -> str:
    """Why a feed failed, in the reader's language ("…an error (502)")."""
    reason, _sep, code = error.partition(":")
    label = PROBLEMS.get(reason)
    if label is None:
        return error
    return f"{writer.gettext(label)} ({code})" if code else writer.gettext(label)


class EventSources:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs, zone: ZoneInfo,
                 notices: EventNotices, knowledge_dir: Path, *,
                 demo: DemoEvents | None = None, feed_minutes: float = 60.0,
                 fetch: Fetch | None = None) -> None:
        self._knowledge = knowledge
        self._catalogs = catalogs
        self._zone = zone
        self._notices = notices
        self._demo = demo
        self._feed_every = timedelta(minutes=feed_minutes)
        self._fetch = fetch or (lambda feed: fetch_feed(feed, knowledge_dir))
        self._next: dict[tuple[str, str], datetime] = {}  # (municipality, source) -> due
        self._started = False
        self._pool: ProcessPoolExecutor | None = None

    async def tick(self, uow_factory: UnitOfWorkFactory, now: datetime) -> Refreshed:
        """Refresh every source that is due; one source's failure never stops the others."""
        total = Refreshed()
        if self._demo is None and not self._started:  # a real bot's first tick: no demo, ever
            async with uow_factory() as uow:
                if forgotten := await uow.events.forget_source(ev.Source.DEMO):
                    log.warning("events: removed %s demo events written by a console",
                                forgotten)
                await uow.commit()
        self._started = True
        for municipality, entries in self._files():
            key = (municipality, ev.Source.FILE.value if entries[1] is ev.Source.FILE
                   else ev.Source.DEMO.value)
            if self._next.get(key, now) > now:
                continue
            self._next[key] = now + FILES_EVERY
            try:
                total = _add(total, await self._sync_entries(
                    uow_factory, municipality, entries[0], entries[1], now))
            except Exception:  # the others still go; this one is tried at the next tick
                log.exception("events: the events of %s (%s) could not be stored",
                              municipality, key[1])
                self._next.pop(key, None)
        for municipality, feed in self._feeds():
            key = (municipality, f"feed:{feed.id}")
            if self._next.get(key, now) > now:
                continue
            self._next[key] = now + self._feed_every
            try:
                total = _add(total, await self.refresh_feed(uow_factory, municipality, feed,
                                                            now))
            except Exception:  # e.g. the database went away a moment: the next read tries
                log.exception("events: feed %s of %s could not be stored", feed.id,
                              municipality)
        return total

    def due_now(self) -> None:
        """Read everything again at the next tick (the console after /clock)."""
        self._next.clear()

    def _files(self) -> list[tuple[str, tuple[Sequence[EventEntry], ev.Source]]]:
        found: list[tuple[str, tuple[Sequence[EventEntry], ev.Source]]] = [
            (m, (f.events, ev.Source.FILE)) for m, f in self._knowledge.event_files.items()
            if f.events]
        if self._demo is not None:
            found += [(m, (entries, ev.Source.DEMO))
                      for m, entries in self._demo.municipalities.items()]
        return found

    def _feeds(self) -> list[tuple[str, FeedEntry]]:
        return [(m, feed) for m, f in self._knowledge.event_files.items() for feed in f.feeds]

    async def _sync_entries(self, uow_factory: UnitOfWorkFactory, municipality: str,
                            entries: Sequence[EventEntry], source: ev.Source,
                            now: datetime) -> Refreshed:
        items = [(e.event(municipality, source), dated(e.occurrences(now, now + WINDOW,
                                                                     self._zone)))
                 for e in entries]
        return await self._sync(uow_factory, municipality, source, "", items, now)

    async def refresh_feed(self, uow_factory: UnitOfWorkFactory, municipality: str,
                           feed: FeedEntry, now: datetime) -> Refreshed:
        try:
            content = await self._fetch(feed)
            digest = hashlib.sha256(content).hexdigest()
            if await self._unchanged(uow_factory, municipality, feed, digest, now):
                return Refreshed(1)
            found = await self._read(content, now)
        except FeedError as exc:
            log.warning("events: feed %s of %s failed: %s", feed.id, municipality, exc)
            shown = f"{feeds.HTTP}:{str(exc).split(': ', 1)[-1]}" if exc.reason == feeds.HTTP \
                else exc.reason
            await self._failed(uow_factory, municipality, feed, shown, now)
            return Refreshed(failed=1)
        items = feed_items(feed, municipality, found)
        done = await self._sync(uow_factory, municipality, ev.Source.FEED, feed.id, items, now,
                                skipped=found.skipped, digest=digest)
        if found.cut_off:
            log.warning("events: feed %s of %s has more dates than are kept; cut off",
                        feed.id, municipality)
        return done

    async def _sync(self, uow_factory: UnitOfWorkFactory, municipality: str,
                    source: ev.Source, feed: str,
                    items: Sequence[tuple[ev.Event, Sequence[ev.Dated]]], now: datetime, *,
                    skipped: int = 0, digest: str | None = None) -> Refreshed:
        async with uow_factory() as uow:
            synced = await uow.events.sync(municipality, source, feed, items, now, now)
            # Only the dates someone goes to are looked at again: one query for all.
            told = await uow.events.told_of_many([*synced.moved, *synced.gone])
            for occurrence_id in synced.moved:
                occurrence = await uow.events.occurrence(occurrence_id) \
                    if occurrence_id in told else None
                if occurrence is not None and not occurrence.cancelled:
                    going = await uow.events.replan(
                        occurrence_id, ev.reminder_at(occurrence.start, self._zone, now),
                        ev.follow_up_at(occurrence.end, self._zone))
                    await self._notices.moved(uow, going, occurrence, now)
            for occurrence_id in synced.gone:
                occurrence = await uow.events.occurrence(occurrence_id) \
                    if occurrence_id in told else None
                if occurrence is not None:
                    await self._notices.cancelled(uow, told[occurrence_id], occurrence, now,
                                                  removed=True)
            if source is ev.Source.FEED:
                await uow.events.feed_read(municipality, feed, now, error=None,
                                           events=len(items), skipped=skipped, digest=digest)
            await uow.commit()
        return Refreshed(1, synced.occurrences, len(synced.gone))

    async def _unchanged(self, uow_factory: UnitOfWorkFactory, municipality: str,
                         feed: FeedEntry, digest: str, now: datetime) -> bool:
        """The same bytes as the last good read, the same day: nothing to store (a new day
        brings new dates into the window, so then it is read again)."""
        async with uow_factory() as uow:
            state = await uow.events.feed(municipality, feed.id)
            if state is None or state.digest != digest or state.ok_at is None \
                    or state.broken or state.ok_at.astimezone(self._zone).date() \
                    != now.astimezone(self._zone).date():
                return False
            await uow.events.feed_read(municipality, feed.id, now, error=None,
                                       events=state.events, skipped=state.skipped,
                                       digest=digest)
            await uow.commit()
        return True

    async def _read(self, content: bytes, now: datetime) -> FeedRead:
        """Parse and expand: a big feed in a process of its own, so the conversations keep
        the interpreter (a thread would share its lock and its garbage collection). What
        the libraries cannot read, whatever they raise, is a broken feed."""
        try:
            return await self._expand(content, now)
        except FeedError:
            raise
        except Exception as exc:
            raise FeedError(feeds.CANNOT_EXPAND, f"{type(exc).__name__}: {exc}"[:200]) \
                from exc

    async def _expand(self, content: bytes, now: datetime) -> FeedRead:
        if len(content) < IN_PROCESS_BYTES:
            return await asyncio.to_thread(read, content, now, now + WINDOW, self._zone)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1,
                                             mp_context=multiprocessing.get_context("spawn"))
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._pool, read, content, now, now + WINDOW, self._zone)
        except BrokenProcessPool:
            self._pool = None  # the next read starts a new one
            raise FeedError(feeds.CANNOT_EXPAND, "the reading process stopped") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def _failed(self, uow_factory: UnitOfWorkFactory, municipality: str,
                      feed: FeedEntry, error: str, now: datetime) -> None:
        async with uow_factory() as uow:
            await uow.events.feed_read(municipality, feed.id, now, error=error)
            state = await uow.events.feed(municipality, feed.id)
            # Told once; if no coordinator has opened the bot yet, the next failure tries.
            if state is not None and state.reported_at is None \
                    and await self._tell_coordinators(uow, municipality, feed, error, now):
                await uow.events.feed_reported(municipality, feed.id, now)
            await uow.commit()

    async def _tell_coordinators(self, uow: UnitOfWork, municipality: str, feed: FeedEntry,
                                 error: str, now: datetime) -> int:
        name = self._knowledge.municipality(municipality)
        told = 0
        for grant in await uow.roles.in_municipality(municipality):
            if grant.role is not Role.COORDINATOR:
                continue
            person = await uow.people.by_telegram_id(grant.telegram_id)
            if person is None:
                continue  # never opened the bot: /attendance shows it when they do
            reader = Reader(self._catalogs, person.language)
            text = reader.fill(reader.gettext(
                "⚠️ The calendar feed {feed} of {place} cannot be read: {problem}. Its last "
                "good events stay listed. /attendance shows the feeds; I will say this again "
                "only if it works and then fails again."), feed=feed.id,
                place=name.name if name else municipality, problem=problem(reader, error))
            await uow.outbox.add(outbox.Outgoing(
                person.id, outbox.Kind.NOTIFICATION, reader.readable(outbox.Message(text)),
                f"ev:feed:{municipality}:{feed.id}:{person.id}:{int(now.timestamp())}"), now)
            told += 1
        return told


def _add(a: Refreshed, b: Refreshed) -> Refreshed:
    return Refreshed(a.sources + b.sources, a.dates + b.dates, a.gone + b.gone,
                     a.failed + b.failed)
