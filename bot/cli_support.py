"""What the `wegwijs` commands share: settings with logging, the database, today."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from typing import TYPE_CHECKING, TypeVar

import typer

from bot import logging_setup
from bot.services.chat import utc_now
from bot.services.ports import UnitOfWork
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.storage.database import Database

T = TypeVar("T")
log = logging.getLogger("wegwijs")


def load_settings() -> Settings:
    """The settings, with logging configured to redact their secrets."""
    settings = Settings()
    logging_setup.configure(settings.log_level, *settings.secrets())
    return settings


def local_today(settings: Settings) -> date:
    """Today where the bot runs (its configured time zone)."""
    return utc_now().astimezone(settings.zone).date()


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    from bot.storage.database import Database

    database = Database(settings.db_url)
    try:
        with database_errors(settings):
            await database.migrate()  # the first connection: where a bad URL shows
        yield database
    finally:
        await database.dispose()


def with_database(settings: Settings, read: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """`read` in one unit of work on the migrated database."""
    async def go() -> T:
        async with open_database(settings) as database, database.uow() as uow:
            return await read(uow)

    return asyncio.run(go())


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """A database that cannot be reached is one clear line: no traceback, no password."""
    try:
        yield
    except Exception as exc:
        log.debug("database error", exc_info=True)  # redacted, like every record
        reason = logging_setup.mask(f"{type(exc).__name__}: {exc}", settings.secrets())
        typer.echo(f"Cannot use the database {settings.safe_db_url}\n{reason}", err=True)
        raise typer.Exit(1) from exc
