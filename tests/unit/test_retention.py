"""Retention: people who never agreed to the privacy notice are forgotten after a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memory_store import MemoryStore

from bot.domain.person import Role, RoleGrant
from bot.services.privacy import UNCONSENTED_RETENTION, purge_unconsented

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def test_only_stale_unconsented_people_are_forgotten() -> None:
    store = MemoryStore()
    async with store() as uow:
        stale = await uow.people.add(1, 1, NOW - UNCONSENTED_RETENTION - timedelta(hours=1))
        await uow.people.add(2, 2, NOW - timedelta(days=1))  # still deciding
        agreed = await uow.people.add(3, 3, NOW - timedelta(days=300))
        agreed.consented_at = agreed.created_at
        await uow.people.save(agreed)
        await uow.roles.grant(RoleGrant(stale.telegram_id, Role.COORDINATOR, "leiden", NOW))
        await uow.commit()
    assert await purge_unconsented(store, NOW) == 1
    assert sorted(p.telegram_id for p in store.state.people.values()) == [2, 3]
    assert len(store.state.roles) == 1  # the operator's grant stays
