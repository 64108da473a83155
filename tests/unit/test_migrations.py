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
