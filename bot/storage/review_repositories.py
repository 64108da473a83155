"""Votes on catalog texts and the language leads (bot.domain.catalog_review). They flush but
never commit; a vote is one conditional insert, so a double press stores one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.catalog_review import Lead, Verdict, Vote
from bot.storage.models import CatalogLanguageLeadRow, CatalogReviewVoteRow
from bot.storage.repositories import _rowcount, _utc

Row = CatalogReviewVoteRow


def _vote(row: Row) -> Vote:
    return Vote(language=row.language, key=row.entry_key, context=row.context,
                msgid=row.msgid, reviewer=row.telegram_id, verdict=Verdict(row.verdict),
                judged=row.judged, at=_utc(row.voted_at) or row.voted_at,
                proposed=row.proposed, by_lead=row.by_lead,
                applied_at=_utc(row.applied_at), id=row.id)


def _lead(row: CatalogLanguageLeadRow) -> Lead:
    return Lead(row.telegram_id, row.language, _utc(row.appointed_at) or row.appointed_at,
                row.appointed_by)


class SqlReviews:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- votes -----------------------------------------------------------------------------

    async def votes(self, language: str) -> list[Vote]:
        rows = await self._s.scalars(select(Row).where(Row.language == language)
                                     .order_by(Row.id))
        return [_vote(r) for r in rows]

    async def add(self, vote: Vote) -> bool:
        """Store it; False when this person already voted on the entry (nothing written)."""
        dialect = self._s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        result = await self._s.execute(insert(Row).values(
            language=vote.language, entry_key=vote.key, context=vote.context,
            msgid=vote.msgid, telegram_id=vote.reviewer, verdict=vote.verdict.value,
            judged=vote.judged, proposed=vote.proposed, by_lead=vote.by_lead,
            voted_at=vote.at, applied_at=vote.applied_at,
        ).on_conflict_do_nothing(index_elements=["language", "entry_key", "telegram_id"]))
        return _rowcount(result) > 0

    async def pending(self) -> list[Vote]:
        """Every vote of the entries that have a vote not applied yet (skips aside)."""
        waiting = (select(Row.language, Row.entry_key)
                   .where(Row.applied_at.is_(None), Row.verdict != Verdict.SKIPPED.value)
                   .distinct())
        rows = await self._s.scalars(select(Row).where(
            tuple_(Row.language, Row.entry_key).in_(waiting)).order_by(Row.id))
        return [_vote(r) for r in rows]

    async def mark_applied(self, vote_ids: Sequence[int], now: datetime) -> int:
        if not vote_ids:
            return 0
        result = await self._s.execute(update(Row).where(Row.id.in_(list(vote_ids)))
                                       .values(applied_at=now)
                                       .execution_options(synchronize_session=False))
        return _rowcount(result)

    async def first_votes(self, telegram_ids: Sequence[int]) -> dict[int, int]:
        """Each reviewer's first vote id (what an unnamed reviewer's pseudonym is made of)."""
        if not telegram_ids:
            return {}
        rows = await self._s.execute(
            select(Row.telegram_id, func.min(Row.id))
            .where(Row.telegram_id.in_(list(telegram_ids))).group_by(Row.telegram_id))
        return {int(who): int(first) for who, first in rows if who is not None}

    async def of(self, telegram_id: int) -> list[Vote]:
        """The person's votes (for /mydata)."""
        rows = await self._s.scalars(select(Row).where(Row.telegram_id == telegram_id)
                                     .order_by(Row.id))
        return [_vote(r) for r in rows]

    async def purge(self, before: datetime) -> int:
        result = await self._s.execute(delete(Row).where(Row.voted_at < before))
        return _rowcount(result)

    # -- language leads ---------------------------------------------------------------------

    async def leads(self, language: str | None = None) -> list[Lead]:
        query = select(CatalogLanguageLeadRow).order_by(CatalogLanguageLeadRow.language,
                                                         CatalogLanguageLeadRow.appointed_at)
        if language is not None:
            query = query.where(CatalogLanguageLeadRow.language == language)
        return [_lead(r) for r in await self._s.scalars(query)]

    async def is_lead(self, telegram_id: int, language: str) -> bool:
        found = await self._s.get(CatalogLanguageLeadRow, (telegram_id, language))
        return found is not None

    async def appoint(self, lead: Lead) -> bool:
        """False when they already lead the language (nothing changed)."""
        dialect = self._s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        result = await self._s.execute(insert(CatalogLanguageLeadRow).values(
            telegram_id=lead.telegram_id, language=lead.language,
            appointed_by=lead.appointed_by, appointed_at=lead.appointed_at,
        ).on_conflict_do_nothing(index_elements=["telegram_id", "language"]))
        return _rowcount(result) > 0

    async def end_lead(self, telegram_id: int, language: str) -> bool:
        result = await self._s.execute(delete(CatalogLanguageLeadRow).where(
            CatalogLanguageLeadRow.telegram_id == telegram_id,
            CatalogLanguageLeadRow.language == language))
        return _rowcount(result) > 0

    async def end_leads(self, telegram_id: int) -> int:
        """Every language they lead (their last sleutelpersoon role ended)."""
        result = await self._s.execute(delete(CatalogLanguageLeadRow).where(
            CatalogLanguageLeadRow.telegram_id == telegram_id))
        return _rowcount(result)

    async def appointed_by(self, telegram_id: int) -> list[Lead]:
        """The leads a coordinator appointed (for /mydata)."""
        rows = await self._s.scalars(select(CatalogLanguageLeadRow).where(
            CatalogLanguageLeadRow.appointed_by == telegram_id))
        return [_lead(r) for r in rows]

    # -- /delete ----------------------------------------------------------------------------

    async def forget(self, telegram_id: int) -> None:
        """Their skips go; their votes stay, for nobody (the texts they judged belong to the
        project's catalog, and a vote still counts as one reviewer's); their leads go, and
        the leads they appointed no longer name them."""
        await self._s.execute(delete(Row).where(Row.telegram_id == telegram_id,
                                                Row.verdict == Verdict.SKIPPED.value))
        await self._s.execute(update(Row).where(Row.telegram_id == telegram_id)
                              .values(telegram_id=None)
                              .execution_options(synchronize_session=False))
        await self.end_leads(telegram_id)
        await self._s.execute(update(CatalogLanguageLeadRow)
                              .where(CatalogLanguageLeadRow.appointed_by == telegram_id)
                              .values(appointed_by=None)
                              .execution_options(synchronize_session=False))
