"""Writers outside a person's turn (403 markers, ticks) never undo what the turn wrote, and
the turn never undoes theirs; on SQLite and on PostgreSQL (skipped when not reachable)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from memory_store import MemoryStore
from sqlalchemy import event

from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.content.schema import Flow
from bot.content.search import SearchIndex
from bot.domain.incoming import Caller
from bot.services.chat import ChatService
from bot.services.ports import StaleWrite, UnitOfWorkFactory
from bot.services.privacy import UNCONSENTED_RETENTION, purge_unconsented
from bot.services.reachability import Reachability
from bot.storage.database import Database

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
ME = Caller(telegram_id=42, chat_id=42, language_code="en")


@pytest.fixture
def database(both_databases: Database) -> Database:
    return both_databases


def service(uow: UnitOfWorkFactory, catalogs: BabelCatalogs, knowledge: Knowledge,
            flows: dict[str, Flow], search: SearchIndex) -> ChatService:
    return ChatService(uow, catalogs, knowledge, flows, search, lambda: NOW,
                       ZoneInfo("Europe/Amsterdam"))


async def onboard(chat: ChatService) -> None:
    await chat.command(ME, "start")
    for answer in ("o:lang:en", "o:consent:yes", "o:muni:leiden", "o:beg:ended"):
        await chat.button(ME, answer)


async def test_a_save_from_stale_data_is_refused(database: Database) -> None:
    async with database.uow() as uow:
        await uow.people.add(1, 1, NOW)
        await uow.commit()
    async with database.uow() as uow:
        person = await uow.people.by_telegram_id(1)
    assert person is not None
    async with database.uow() as uow:  # a 403 arrives
        assert await uow.people.mark_unreachable(1, NOW)
        await uow.commit()
    person.municipality = "haarlem"
    async with database.uow() as uow:
        with pytest.raises(StaleWrite):
            await uow.people.save(person)
    async with database.uow() as uow:
        fresh = await uow.people.by_telegram_id(1)
    assert fresh is not None and fresh.municipality is None and fresh.unreachable_since


async def test_a_403_during_a_turn_loses_neither_write(
        database: Database, catalogs: BabelCatalogs, knowledge: Knowledge,
        flows: dict[str, Flow], search: SearchIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reproduction of issue 6: a person chose Haarlem while a 403 for their chat was
    recorded; the row went back to Leiden. Here the 403 lands between the turn's reads and
    its write: on PostgreSQL it commits first and the turn runs again; on SQLite it waits
    for the turn (one writer at a time). Either way both changes survive."""
    chat = service(database.uow, catalogs, knowledge, flows, search)
    reach = Reachability(database.uow, lambda: NOW)
    await onboard(chat)
    await chat.command(ME, "settings")
    await chat.button(ME, "s:open:muni")
    from bot.storage.repositories import SqlPeople

    original = SqlPeople.save
    marker: list[asyncio.Task[None]] = []

    async def save_after_a_403(self: SqlPeople, person: Any) -> None:
        if not marker:
            marker.append(asyncio.create_task(reach.unreachable(ME.chat_id)))
            await asyncio.sleep(0.2)  # PostgreSQL: it commits now; SQLite: it waits
        await original(self, person)

    monkeypatch.setattr(SqlPeople, "save", save_after_a_403)
    await chat.button(ME, "s:muni:haarlem")
    await marker[0]
    async with database.uow() as uow:
        person = await uow.people.by_telegram_id(ME.telegram_id)
    assert person is not None and person.municipality == "haarlem"
    if database.engine.dialect.name == "sqlite":  # the 403 came after the turn: it stands
        assert person.unreachable_since is not None
    # On PostgreSQL the turn ran again after the 403 and the person had just written: they
    # are reachable. What matters: no write was lost and nothing went back to Leiden.


async def test_a_turn_runs_again_once_after_a_conflict(
        catalogs: BabelCatalogs, knowledge: Knowledge, flows: dict[str, Flow],
        search: SearchIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    chat = service(store, catalogs, knowledge, flows, search)
    await onboard(chat)
    from memory_store import MemoryPeople

    original = MemoryPeople.save
    conflicts = {"left": 1}

    async def conflicting(self: MemoryPeople, person: Any) -> None:
        if conflicts["left"]:
            conflicts["left"] -= 1
            raise StaleWrite("simulated")
        await original(self, person)

    monkeypatch.setattr(MemoryPeople, "save", conflicting)
    outcome = await chat.command(ME, "stop")  # a turn that writes the person
    assert outcome.replies and conflicts["left"] == 0
    assert next(iter(store.state.people.values())).paused
    conflicts["left"] = 2  # twice in a row: the second conflict is an error, not a loop
    with pytest.raises(StaleWrite):
        await chat.command(ME, "resume")


async def test_sqlite_turn_reads_one_snapshot(tmp_path: Path) -> None:
    """The transaction begins before the first read: nothing another writer commits can
    show up between two reads of the same unit of work."""
    path = tmp_path / "w.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    try:
        async with db.uow() as uow:
            await uow.people.add(1, 1, NOW)
            await uow.commit()
        async with db.uow() as uow:
            first = await uow.people.by_telegram_id(1)
            other = sqlite3.connect(path, timeout=0.2)
            try:
                other.execute("UPDATE people SET language = 'ar' WHERE telegram_id = 1")
                other.commit()
            except sqlite3.OperationalError as exc:  # locked: the turn holds the write lock
                assert "locked" in str(exc)
            finally:
                other.close()
            second = await uow.people.by_telegram_id(1)
        assert first is not None and second is not None
        assert second.language == first.language is None
    finally:
        await db.dispose()


async def test_retention_deletes_with_one_conditional_statement(database: Database) -> None:
    """No list of people is loaded and deleted by id afterwards: someone who agrees while
    the tick runs would be deleted anyway."""
    async with database.uow() as uow:
        old = NOW - UNCONSENTED_RETENTION - timedelta(hours=1)
        await uow.people.add(1, 1, old)
        agreed = await uow.people.add(2, 2, old)
        agreed.consented_at = old
        await uow.people.save(agreed)
        await uow.commit()
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement.strip().split()[0].upper())

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        assert await purge_unconsented(database.uow, NOW) == 1
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    assert "SELECT" not in statements and statements.count("DELETE") == 1
    async with database.uow() as uow:
        assert await uow.people.by_telegram_id(1) is None
        assert await uow.people.by_telegram_id(2) is not None
