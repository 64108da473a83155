"""Engine creation and Alembic migrations, usable from the CLI and at start-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage import sqlite_connection

MIGRATIONS = Path(__file__).parent / "migrations"


# PostgreSQL: enough connections for the updates handled at once (most of a turn's time is
# spent sending, without a connection); a turn waits briefly for one, then fails cleanly.
POOL_SIZE = 20
POOL_OVERFLOW = 10
POOL_TIMEOUT = 10.0  # seconds


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "do_connect")
        def _connect(dialect, _record, cargs, cparams):  # type: ignore[no-untyped-def]
            # aiosqlite's own connection can hang a shutdown (bot.storage.sqlite_connection).
            return dialect.loaded_dbapi.connect(
                *cargs, async_creator_fn=sqlite_connection.connect, **cparams)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # The driver's own transaction handling starts only at the first write, so the
            # reads before it would each see a different moment; we begin ourselves instead.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE needs it
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; no fsync per commit
            cursor.execute("PRAGMA secure_delete=ON")  # /delete leaves nothing in free pages
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(connection):  # type: ignore[no-untyped-def]
            # Take the write lock before the first read: one snapshot per turn, and no
            # "database is locked" when a reader later wants to write.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True,
                               pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                               pool_timeout=POOL_TIMEOUT)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run(connection: Connection, revision: str, downgrade: bool) -> None:
    config = alembic_config(str(connection.engine.url))
    config.attributes["connection"] = connection
    if downgrade:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


async def migrate(engine: AsyncEngine, revision: str = "head", *, downgrade: bool = False) -> None:
    """Apply migrations on the engine's own connection (works for SQLite and PostgreSQL)."""
    async with engine.begin() as connection:
        await connection.run_sync(_run, revision, downgrade)


def upgrade_sync(url: str) -> None:
    async def _go() -> None:
        engine = make_engine(url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(_go())


class Database:
    """An engine with its unit-of-work factory; the rest of the app never sees SQLAlchemy."""

    def __init__(self, url: str) -> None:
        from bot.storage.unit_of_work import SqlUnitOfWorkFactory

        self.engine = make_engine(url)
        self.uow = SqlUnitOfWorkFactory(self.engine)

    async def migrate(self) -> None:
        await migrate(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()
