"""A SQLite connection's close() ends even when SQLAlchemy already stopped its thread.

The order below is what SQLAlchemy does when a task is cancelled during a query, and what
every task gets at shutdown: a graceful close, a forced stop when that close is cancelled,
then a cancel of the close itself. With aiosqlite's own Connection the close then waits
forever for a stop its thread will never read (a CI run hung on it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from bot.storage import sqlite_connection
from bot.storage.database import make_engine


async def test_a_close_cancelled_after_a_forced_stop_still_ends(tmp_path: Path) -> None:
    connection = await sqlite_connection.connect(str(tmp_path / "t.db"))
    closing = asyncio.create_task(connection.close())  # SQLAlchemy's graceful close
    await asyncio.sleep(0)  # it waits for the thread to close the database
    connection.stop()  # SQLAlchemy's forced close, after a cancel of its wait
    closing.cancel()  # and the last cancel, at shutdown
    [ended] = await asyncio.wait_for(asyncio.gather(closing, return_exceptions=True), 5)
    assert isinstance(ended, asyncio.CancelledError)
    await asyncio.to_thread(connection._thread.join, 5)
    assert not connection._thread.is_alive()


async def test_stopping_twice_waits_for_the_one_stop(tmp_path: Path) -> None:
    connection = await sqlite_connection.connect(str(tmp_path / "t.db"))
    first, second = connection.stop(), connection.stop()
    assert first is not None and second is not None and first is not second
    await asyncio.wait_for(asyncio.gather(first, second), 5)


async def test_the_engine_uses_it_with_its_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'wegwijs.db'}")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            raw = (await connection.get_raw_connection()).driver_connection
            assert isinstance(raw, sqlite_connection.StopOnceConnection)
            assert raw._thread.daemon
    finally:
        await engine.dispose()
