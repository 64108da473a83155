"""One transaction per update or tick. Leaving without commit() rolls back."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.repositories import SqlConversations, SqlPeople, SqlRoles


class SqlUnitOfWork:
    people: SqlPeople
    conversations: SqlConversations
    roles: SqlRoles

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory

    async def __aenter__(self) -> Self:
        self._session = self._factory()
        self.people = SqlPeople(self._session)
        self.conversations = SqlConversations(self._session)
        self.roles = SqlRoles(self._session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            await self._session.rollback()  # a no-op after commit()
        finally:
            await self._session.close()

    async def commit(self) -> None:
        await self._session.commit()



class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)
