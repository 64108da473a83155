"""The stored check-in plan on SQLite and PostgreSQL: a re-plan never touches what was
sent, the tick's query takes due rows once (a lease; two processes never take the same
row), and the plan goes with the person."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import checkins as c
from bot.storage.database import Database

ZONE = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2027, 5, 10, 12, tzinfo=UTC)


@pytest.fixture
def database(both_databases: Database) -> Database:
    return both_databases


async def person(db: Database, telegram_id: int) -> int:
    async with db.uow() as uow:
        added = await uow.people.add(telegram_id, telegram_id, NOW)
        await uow.commit()
    return added.id


async def test_a_replan_keeps_what_was_sent_and_moves_the_rest(database: Database) -> None:
    me = await person(database, 1)
    async with database.uow() as uow:
        await uow.checkins.replace_plan(me, c.plan(date(2027, 6, 1), ZONE))
        await uow.commit()
    async with database.uow() as uow:  # the heads-up (16 June) goes out
        [heads_up] = await uow.checkins.claim_due(datetime(2027, 6, 16, 9, tzinfo=UTC), 10)
        await uow.checkins.mark(heads_up.id, c.Status.SENT, NOW)
        await uow.commit()
    async with database.uow() as uow:  # then it turns out to end in September
        done = await uow.checkins.done_steps(me)
        await uow.checkins.replace_plan(me, c.replan(date(2027, 9, 1), done, NOW, ZONE))
        await uow.commit()
    async with database.uow() as uow:
        plan = await uow.checkins.of(me)
    assert [(e.step, e.status) for e in plan][:2] == [("heads-up-14", c.Status.SENT),
                                                      ("day-7", c.Status.PLANNED)]
    assert len(plan) == 6
    assert plan[1].due.astimezone(ZONE).date() == date(2027, 10, 7)


async def test_due_rows_are_taken_once_also_by_two_processes(database: Database) -> None:
    people = [await person(database, n) for n in range(1, 31)]
    async with database.uow() as uow:
        for someone in people:
            await uow.checkins.replace_plan(someone, c.plan(date(2027, 3, 1), ZONE)[:1])
        await uow.commit()
    due_by = datetime(2027, 3, 18, tzinfo=UTC)

    async def tick() -> list[int]:
        async with database.uow() as uow:
            taken = await uow.checkins.claim_due(due_by, 20)
            await uow.commit()
        return [e.id for e in taken]

    first, second = await asyncio.gather(tick(), tick())
    assert len(first) + len(second) == 30 and not set(first) & set(second)
    assert await tick() == []  # all taken for the lease
    async with database.uow() as uow:  # a process that died: after the lease they are back
        back = await uow.checkins.claim_due(due_by + timedelta(minutes=3), 50)
    assert len(back) == 30


async def test_the_plan_goes_with_the_person(database: Database) -> None:
    me = await person(database, 1)
    async with database.uow() as uow:
        await uow.checkins.replace_plan(me, c.plan(date(2027, 6, 1), ZONE))
        await uow.people.delete(me)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.checkins.of(me) == []


async def test_one_persons_due_rows_are_taken_together_also_by_two_processes(
        database: Database) -> None:
    """After downtime three check-ins of one person are due. However two processes split
    the work, the rows are taken together by one of them (so only the latest is sent); on
    PostgreSQL the two may meet on the rows' locks, and the one that is stopped tries again
    at its next tick."""
    me = await person(database, 1)
    async with database.uow() as uow:
        await uow.checkins.replace_plan(me, c.plan(date(2027, 3, 1), ZONE))
        await uow.commit()
    late = datetime(2027, 7, 10, tzinfo=UTC)  # heads-up, day 7, day 30 and day 90 are due

    async def tick() -> list[int]:
        async with database.uow() as uow:
            taken = await uow.checkins.claim_due(late, 2)  # fewer than this person's rows
            await asyncio.sleep(0.05)  # hold them while the other process reaches for them
            await uow.commit()
        return [e.id for e in taken]

    results = await asyncio.gather(tick(), tick(), return_exceptions=True)
    taken = [r for r in results if isinstance(r, list) and r]
    assert len(taken) == 1 and len(taken[0]) == 4  # all four, by one process
    assert all(isinstance(r, list) or "deadlock" in str(r).lower() for r in results)
