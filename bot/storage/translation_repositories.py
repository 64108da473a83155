"""Machine translations of shared texts, looked up by key (see bot.translation.service)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.translation import Cached
from bot.storage.models import TranslationCacheRow
from bot.storage.repositories import _rowcount


class SqlTranslationCache:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, keys: Sequence[str], now: datetime) -> dict[str, str]:
        if not keys:
            return {}
        rows = await self._s.execute(select(TranslationCacheRow.key, TranslationCacheRow.text)
                                     .where(TranslationCacheRow.key.in_(keys)))
        found = {key: text for key, text in rows}
        if found:  # kept while it is used (the retention tick removes the rest)
            await self._s.execute(update(TranslationCacheRow)
                                  .where(TranslationCacheRow.key.in_(list(found)))
                                  .values(used_at=now)
                                  .execution_options(synchronize_session=False))
        return found

    async def put(self, entries: Sequence[Cached], now: datetime) -> None:
        if not entries:
            return
        dialect = self._s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await self._s.execute(insert(TranslationCacheRow).values([
            {"key": e.key, "source": e.source, "target": e.target, "model": e.model,
             "text": e.text, "used_at": now} for e in entries]).on_conflict_do_nothing(
                 index_elements=["key"]))

    async def purge(self, unused_before: datetime) -> int:
        result = await self._s.execute(delete(TranslationCacheRow)
                                       .where(TranslationCacheRow.used_at < unused_before))
        return _rowcount(result)
