"""APScheduler 3 with a few fixed-id ticks. Each tick claims due database rows; there is
never a scheduler job per person (DESIGN.md, convention 7)."""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services import privacy
from bot.services.chat import utc_now
from bot.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


async def retention_tick(uow_factory: UnitOfWorkFactory) -> None:
    forgotten = await privacy.purge_unconsented(uow_factory, utc_now())
    if forgotten:
        log.info("retention: forgot %s people who never agreed to the privacy notice", forgotten)


def start_scheduler(uow_factory: UnitOfWorkFactory, tick_seconds: float) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(retention_tick, "interval", seconds=tick_seconds, id="retention",
                      args=[uow_factory], coalesce=True, max_instances=1,
                      replace_existing=True, misfire_grace_time=int(tick_seconds) + 60)
    scheduler.start()
    return scheduler
