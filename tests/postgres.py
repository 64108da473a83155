"""A throw-away PostgreSQL database for tests, or a skip when no server is reachable;
and a named one for the benchmarks (bench/ puts tests/ on its path), or None.

Set WEGWIJS_TEST_POSTGRES_URL (an asyncpg URL to a database we may create others from);
the default is the local server this project's machines run, with trust auth.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@asynccontextmanager
async def temporary_database() -> AsyncIterator[str]:
    import asyncpg

    admin_url = os.environ.get("WEGWIJS_TEST_POSTGRES_URL", DEFAULT)
    plain = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        admin = await asyncpg.connect(plain, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {admin_url}: {exc}")
    name = f"wegwijs_test_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base, _, _ = admin_url.rpartition("/")
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def bench_database(name: str) -> str | None:
    """A fresh database `name` (an old one of that name dropped first), or None when no
    server is reachable: a benchmark then says so and goes on without PostgreSQL."""
    import asyncpg

    admin_url = os.environ.get("WEGWIJS_TEST_POSTGRES_URL", DEFAULT)
    try:
        admin = await asyncpg.connect(admin_url.replace("+asyncpg", ""), timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_bench_database(url: str) -> None:
    import asyncpg

    base, _, name = url.rpartition("/")
    admin = await asyncpg.connect(base.replace("+asyncpg", "") + "/postgres", timeout=3)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
