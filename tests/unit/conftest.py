from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fakes.clock import FixedClock
from memory_store import MemoryStore
from postgres import temporary_database

from bot.content.catalogs import BabelCatalogs
from bot.content.flows import load_flows
from bot.content.knowledge import Knowledge
from bot.content.schema import Flow
from bot.content.search import SearchIndex
from bot.services.chat import ChatService
from bot.settings import PROJECT_ROOT
from bot.storage.database import Database


@pytest.fixture(scope="session")
def catalogs() -> BabelCatalogs:
    return BabelCatalogs.load(PROJECT_ROOT / "locales")


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return Knowledge.load(PROJECT_ROOT / "knowledge")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(scope="session")
def flows(knowledge: Knowledge) -> dict[str, Flow]:
    return load_flows(PROJECT_ROOT / "flows", knowledge)


@pytest.fixture(scope="session")
def search(flows: dict[str, Flow], knowledge: Knowledge, catalogs: BabelCatalogs) -> SearchIndex:
    return SearchIndex.build(flows, knowledge, catalogs)


@pytest.fixture
def chat(store: MemoryStore, catalogs: BabelCatalogs, knowledge: Knowledge,
         flows: dict[str, Flow], search: SearchIndex, clock: FixedClock) -> ChatService:
    return ChatService(store, catalogs, knowledge, flows, search, clock,
                       ZoneInfo("Europe/Amsterdam"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database on SQLite, then on PostgreSQL (skipped when no server runs)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'wegwijs.db'}"
        return
    async with temporary_database() as url:
        yield url


@pytest.fixture
async def both_databases(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    db = Database(database_url)
    await db.migrate()
    yield db
    await db.dispose()
