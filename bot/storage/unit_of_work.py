"""One transaction per update or tick. Leaving without commit() rolls back.

SQLite has one writer at a time. Every transaction there begins with BEGIN IMMEDIATE (see
bot.storage.database), so a turn reads one snapshot and cannot lose a race when it writes;
the units of work of this process queue on an asyncio lock first, in arrival order, instead
of polling SQLite's busy handler from threads (which sleeps up to 100 ms between tries and
holds a pooled connection while it waits).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.broadcast_repositories import SqlBroadcasts
from bot.storage.checkin_repositories import SqlCheckins, SqlSeasons
from bot.storage.event_repositories import SqlEvents
from bot.storage.handoff_repositories import SqlHandoffs
from bot.storage.repositories import SqlConversations, SqlOutbox, SqlPeople, SqlRoles
from bot.storage.review_repositories import SqlReviews
from bot.storage.staff_repositories import SqlAudit, SqlInvitations, SqlProfiles
from bot.storage.translation_repositories import SqlTranslationCache

# A unit of work opened inside another in the same task would wait for itself on SQLite.
# (Tasks started inside one inherit the variable, hence the task it was set in.)
_inside: ContextVar[asyncio.Task[object] | None] = ContextVar("inside_unit_of_work",
                                                              default=None)


class SqlUnitOfWork:
    people: SqlPeople
    conversations: SqlConversations
    roles: SqlRoles
    outbox: SqlOutbox
    invitations: SqlInvitations
    profiles: SqlProfiles
    audit: SqlAudit
    handoffs: SqlHandoffs
    checkins: SqlCheckins
    seasons: SqlSeasons
    broadcasts: SqlBroadcasts
    events: SqlEvents
    translations: SqlTranslationCache
    reviews: SqlReviews

    def __init__(self, factory: async_sessionmaker[AsyncSession],
                 writer: asyncio.Lock | None, after_outbox: Callable[[], None]) -> None:
        self._factory = factory
        self._writer = writer
        self._after_outbox = after_outbox

    async def __aenter__(self) -> Self:
        task = asyncio.current_task()
        if task is not None and _inside.get() is task:
            raise RuntimeError("a unit of work inside another one: finish the first")
        if self._writer is not None:
            await self._writer.acquire()
        self._token = _inside.set(task)
        self._session = self._factory()
        self.people = SqlPeople(self._session)
        self.conversations = SqlConversations(self._session)
        self.roles = SqlRoles(self._session)
        self.outbox = SqlOutbox(self._session)
        self.invitations = SqlInvitations(self._session)
        self.profiles = SqlProfiles(self._session)
        self.audit = SqlAudit(self._session)
        self.handoffs = SqlHandoffs(self._session)
        self.checkins = SqlCheckins(self._session)
        self.seasons = SqlSeasons(self._session)
        self.broadcasts = SqlBroadcasts(self._session)
        self.events = SqlEvents(self._session)
        self.translations = SqlTranslationCache(self._session)
        self.reviews = SqlReviews(self._session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            await self._session.rollback()  # a no-op after commit()
        finally:
            try:
                await self._session.close()
            finally:
                try:
                    _inside.reset(self._token)
                finally:  # whatever happens, the next unit of work must not wait forever
                    if self._writer is not None:
                        self._writer.release()

    async def commit(self) -> None:
        await self._session.commit()
        if self.outbox.added:  # a relay must feel instant: no waiting for the next tick
            self.outbox.added = 0
            self._after_outbox()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._writer = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._outbox_listeners: list[Callable[[], None]] = []

    def on_outbox_commit(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after each commit that wrote outbox rows; returns the undo."""
        self._outbox_listeners.append(listener)
        return lambda: self._outbox_listeners.remove(listener)

    def _outbox_committed(self) -> None:
        for listener in list(self._outbox_listeners):
            listener()

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._writer, self._outbox_committed)
