"""Coordinator broadcasts (issue 10). Groundwork: the rules are in bot.domain.broadcast and
storage in bot.storage.broadcast_repositories; composing, review and delivery come next.
Only the retention purge runs today."""

from __future__ import annotations

from datetime import datetime

from bot.domain import broadcast as b
from bot.services.ports import UnitOfWorkFactory


async def purge_ended(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
    """Broadcasts that ended more than broadcast.RETENTION ago go, with their versions."""
    async with uow_factory() as uow:
        purged = await uow.broadcasts.purge_ended(now - b.RETENTION)
        await uow.commit()
    return purged
