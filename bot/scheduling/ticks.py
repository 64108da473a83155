"""APScheduler 3 with a few fixed-id ticks. Each tick claims due database rows; there is
never a scheduler job per person (DESIGN.md, convention 7)."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain import handoff as h
from bot.domain.catalog_review import RETENTION as REVIEW_RETENTION
from bot.domain.translation import CACHE_RETENTION
from bot.services import broadcasts, events, handoff, outbox, privacy, staff
from bot.services.broadcasts import Broadcasts
from bot.services.checkins import Checkins
from bot.services.event_digest import EventDigest
from bot.services.event_notices import EventNotices
from bot.services.event_sources import EventSources
from bot.services.handoff_routing import Router
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.reports import Reports
from bot.settings import Settings

log = logging.getLogger(__name__)


async def retention_tick(uow_factory: UnitOfWorkFactory, clock: Clock, checkins: Checkins,
                         conversation_retention: timedelta = h.CONTENT_RETENTION) -> None:
    forgotten = await privacy.purge_unconsented(uow_factory, clock())
    if forgotten:
        log.info("retention: forgot %s people who never agreed to the privacy notice", forgotten)
    purged = await outbox.purge_ended(uow_factory, clock())
    if purged:
        log.info("retention: removed %s ended outbox rows", purged)
    emptied = await handoff.purge_content(uow_factory, clock(), conversation_retention)
    if emptied:
        log.info("retention: removed the content of %s ended conversations", emptied)
    await checkins.forget_seasons(uow_factory, clock())
    if ended := await broadcasts.purge_ended(uow_factory, clock()):
        log.info("retention: removed %s broadcasts that ended a year ago", ended)
    if past := await events.purge_past(uow_factory, clock()):
        log.info("retention: removed %s event dates that ended 90 days ago, with who went",
                 past)
    async with uow_factory() as uow:  # machine translations nobody asked for again
        unused = await uow.translations.purge(clock() - CACHE_RETENTION)
        await uow.commit()
    if unused:
        log.info("retention: removed %s machine translations unused for 180 days", unused)
    async with uow_factory() as uow:  # votes on catalog texts: the catalogs keep the result
        votes = await uow.reviews.purge(clock() - REVIEW_RETENTION)
        await uow.commit()
    if votes:
        log.info("retention: removed %s votes on translations cast two years ago", votes)
    invitations, entries = await staff.purge_records(uow_factory, clock())
    if invitations or entries:
        log.info("retention: removed %s old invitations and %s audit entries", invitations,
                 entries)


async def handoff_tick(router: Router, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
    """Questions nobody took yet: ask when a window opens, escalate when it is time."""
    decided = await router.tick(uow_factory, clock())
    if decided:
        log.info("handoff: routing decided again for %s waiting questions", decided)


async def staff_tick(reports: Reports, uow_factory: UnitOfWorkFactory, weeks: int,
                     clock: Clock) -> None:
    """The monthly activity reports and the one-to-one reminders (each written once)."""
    sent = await reports.monthly_tick(uow_factory, clock())
    sent += await reports.one_to_one_tick(uow_factory, clock(), weeks)
    if sent:
        log.info("staff: %s reports and reminders for coordinators", sent)


async def checkin_tick(checkins: Checkins, uow_factory: UnitOfWorkFactory,
                       clock: Clock) -> None:
    """Check-ins, their reminders and the seasonal reminders that are due: into the outbox."""
    written = await checkins.tick(uow_factory, clock())
    if written:
        log.info("checkins: %s messages written", written)


async def broadcast_tick(runner: Broadcasts, uow_factory: UnitOfWorkFactory,
                         clock: Clock) -> None:
    """Broadcasts to start, their next rows to write, their status to show."""
    written = await runner.tick(uow_factory, clock())
    if written:
        log.debug("broadcasts: %s outbox rows written", written)


async def events_tick(sources: EventSources, notices: EventNotices, digest: EventDigest,
                      uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
    """Event sources due for a refresh; reminders, follow-ups and the Monday digest that
    are due: into the outbox."""
    refreshed = await sources.tick(uow_factory, clock())
    if refreshed.dates or refreshed.gone or refreshed.failed:
        log.info("events: %s sources read, %s dates new or moved, %s gone, %s feeds failed",
                 refreshed.sources, refreshed.dates, refreshed.gone, refreshed.failed)
    written = await notices.tick(uow_factory, clock())
    written += await digest.tick(uow_factory, clock())
    if written:
        log.info("events: %s reminders, follow-ups and digests written", written)


async def outbox_tick(drainer: outbox.Drainer) -> None:
    """Rows written by another process, or due after downtime: the commit that wrote them
    woke no drainer here."""
    drainer.wake()


def start_scheduler(uow_factory: UnitOfWorkFactory, settings: Settings,
                    drainer: outbox.Drainer, router: Router, reports: Reports,
                    checkins: Checkins, clock: Clock,
                    broadcast_runner: Broadcasts, event_sources: EventSources,
                    event_notices: EventNotices, event_digest: EventDigest
                    ) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    tick_seconds = settings.tick_seconds
    every = {"trigger": "interval", "seconds": tick_seconds, "coalesce": True,
             "max_instances": 1, "replace_existing": True,
             "misfire_grace_time": int(tick_seconds) + 60}
    scheduler.add_job(retention_tick, id="retention",
                      args=[uow_factory, clock, checkins,
                            timedelta(days=settings.conversation_retention_days)], **every)
    scheduler.add_job(outbox_tick, id="outbox", args=[drainer], **every)
    scheduler.add_job(handoff_tick, id="handoff", args=[router, uow_factory, clock], **every)
    scheduler.add_job(staff_tick, id="staff", args=[reports, uow_factory,
                                                    settings.one_to_one_weeks, clock], **every)
    scheduler.add_job(checkin_tick, id="checkins", args=[checkins, uow_factory, clock],
                      **every)
    scheduler.add_job(events_tick, id="events",
                      args=[event_sources, event_notices, event_digest, uow_factory, clock],
                      **every)
    often = {**every, "seconds": settings.broadcast_tick_seconds,
             "misfire_grace_time": int(settings.broadcast_tick_seconds) + 60}
    scheduler.add_job(broadcast_tick, id="broadcasts",
                      args=[broadcast_runner, uow_factory, clock], **often)
    scheduler.start()
    return scheduler
