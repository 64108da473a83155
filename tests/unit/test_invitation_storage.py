"""An invitation is used once, also when two people open the same link at the same moment,
on SQLite and on PostgreSQL: the take is one conditional UPDATE, and the loser is told so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.content.schema import Flow
from bot.content.search import SearchIndex
from bot.domain import audit, invitation
from bot.domain.incoming import Caller
from bot.domain.person import Role
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.storage.database import Database

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CODE = "Sx7-3kQ_pL9mN2vB8cR4tY6w"


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one database: two processes, as far as the database can tell."""
    first, second = Database(database_url), Database(database_url)
    await first.migrate()
    async with first.uow() as uow:
        await uow.invitations.add(invitation.digest(CODE), invitation.Invitation(
            0, Role.SLEUTELPERSOON, "leiden", 1, NOW, NOW + invitation.LIFETIME))
        await uow.commit()
    yield first, second
    await first.dispose()
    await second.dispose()


async def test_of_two_takes_at_once_one_wins(two: tuple[Database, Database]) -> None:
    """Both read the invitation as free; the first take holds it until its commit; the
    second take then finds it used."""
    first, second = two
    async with first.uow() as a:
        found = await a.invitations.by_code(invitation.digest(CODE))
        assert found is not None and found.used_at is None
        assert await a.invitations.take(found.id, 2, NOW)

        async def other() -> bool:
            async with second.uow() as b:
                seen = await b.invitations.by_code(invitation.digest(CODE))
                assert seen is not None
                won = await b.invitations.take(seen.id, 3, NOW)
                await b.commit()
                return won

        racing = asyncio.create_task(other())
        await asyncio.sleep(0.2)  # it waits for the first (SQLite: to begin; PostgreSQL: the row)
        await a.commit()
    assert await racing is False
    async with first.uow() as check:
        stored = await check.invitations.by_code(invitation.digest(CODE))
    assert stored is not None and stored.used_by == 2


async def test_two_people_open_the_same_link_at_once(
        two: tuple[Database, Database], catalogs: BabelCatalogs, knowledge: Knowledge,
        flows: dict[str, Flow], search: SearchIndex) -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    desks = [Desk(ChatService(db.uow, catalogs, knowledge, flows, search, lambda: NOW, zone),
                  knowledge) for db in two]
    people = [Caller(2, 2, "en"), Caller(3, 3, "en")]
    outcomes = await asyncio.gather(*(desk.command(person, "start", CODE)
                                      for desk, person in zip(desks, people, strict=True)))
    took = [any(b.data == "i:lang:en" for r in o.replies for row in r.keyboard for b in row)
            for o in outcomes]
    assert sorted(took) == [False, True], "exactly one of them gets the invitation"
    loser = outcomes[took.index(False)]
    assert "This invitation has already been used." in loser.replies[0].text
    winner = people[took.index(True)].telegram_id
    async with two[0].uow() as uow:
        stored = await uow.invitations.by_code(invitation.digest(CODE))
        entries = await uow.audit.recent(["leiden"], 10)
    assert stored is not None and stored.used_by == winner
    assert sorted((e.allowed, e.reason) for e in entries) == [
        (False, audit.Reason.TAKEN), (True, None)]
