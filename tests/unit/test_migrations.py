"""Migrations: upgrade from empty, downgrade to base, upgrade again; schema matches models."""

from __future__ import annotations

from pathlib import Path

from postgres import temporary_database
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage.database import make_engine, migrate
from bot.storage.models import Base


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def schema_diff(connection: Connection) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def revisions() -> list[tuple[str, str]]:
    """(revision, the one before it or "base"), oldest first."""
    from alembic.script import ScriptDirectory

    from bot.storage.database import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    ordered = list(reversed(list(script.walk_revisions())))
    return [(r.revision, str(r.down_revision or "base")) for r in ordered]


async def stairway(url: str) -> None:
    """Every revision: up, down one step, up again (catches broken downgrades early)."""
    engine = make_engine(url)
    try:
        for revision, previous in revisions():
            await migrate(engine, revision)
            await migrate(engine, previous, downgrade=True)
            await migrate(engine, revision)
        await migrate(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(tables) == set(Base.metadata.tables)
            assert await conn.run_sync(schema_diff) == []
        await migrate(engine, "base", downgrade=True)
        async with engine.connect() as conn:
            assert await conn.run_sync(tables) == set()
        await migrate(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(tables) == set(Base.metadata.tables)
    finally:
        await engine.dispose()


async def test_stairway_on_sqlite(tmp_path: Path) -> None:
    await stairway(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


async def test_stairway_on_postgresql() -> None:
    async with temporary_database() as url:
        await stairway(url)


async def test_downgrades_keep_the_conversations(tmp_path: Path) -> None:
    """A batch rebuild of `people` on SQLite (foreign keys on) would cascade-delete every
    conversation; migrations must alter tables in place."""
    from sqlalchemy import text

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    try:
        await migrate(engine)
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO people (id, telegram_id, chat_id, paused, created_at, last_seen_at)"
                " VALUES (1, 7, 7, false, '2026-12-06', '2026-12-06')"))
            await conn.execute(text(
                "INSERT INTO conversations (person_id, flow, step, data, updated_at)"
                " VALUES (1, 'topic:digid', 'start', '{}', '2026-12-06')"))
        for revision, previous in reversed(revisions()[1:]):
            await migrate(engine, previous, downgrade=True)
            async with engine.connect() as conn:
                count = await conn.scalar(text("SELECT count(*) FROM conversations"))
            assert count == 1, f"downgrading {revision} lost conversations"
        await migrate(engine)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM conversations")) == 1
    finally:
        await engine.dispose()
