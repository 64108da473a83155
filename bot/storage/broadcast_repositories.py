"""Broadcasts and their versions (bot.domain.broadcast), and who may receive them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import broadcast as b
from bot.domain import outbox
from bot.domain.person import Begeleiding, Role
from bot.storage.models import (
    BroadcastRow,
    BroadcastVersionRow,
    OutboxRow,
    PersonRow,
    RoleRow,
)
from bot.storage.repositories import _rowcount, _utc


def _broadcast(row: BroadcastRow) -> b.Broadcast:
    audience = b.Audience(row.municipality,
                          frozenset(code for code in row.languages.split(",") if code),
                          b.BegeleidingFilter(row.begeleiding), row.sleutelpersonen_only)
    media = b.Media(row.media_kind, row.media_chat_id, row.media_message_id) \
        if row.media_kind and row.media_chat_id is not None \
        and row.media_message_id is not None else None
    return b.Broadcast(row.id, audience, row.source_language, b.State(row.state),
                       _utc(row.created_at) or row.created_at, row.author_telegram_id,
                       row.urgent, row.paid, _utc(row.scheduled_at), row.recipients,
                       _utc(row.ended_at), b.loads_counts(row.counts), media,
                       row.next_person_id, row.written_all, _utc(row.started_at),
                       row.status_message_id, _utc(row.status_edited_at), row.status_shown,
                       row.status_edits)


class SqlBroadcasts:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, draft: b.Broadcast) -> int:
        audience = draft.audience
        row = BroadcastRow(
            municipality=audience.municipality, author_telegram_id=draft.author_id,
            source_language=draft.source, languages=",".join(sorted(audience.languages)),
            begeleiding=audience.begeleiding.value,
            sleutelpersonen_only=audience.sleutelpersonen_only, urgent=draft.urgent,
            paid=draft.paid, state=draft.state.value, scheduled_at=draft.scheduled_at,
            recipients=draft.recipients, created_at=draft.created_at)
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def get(self, broadcast_id: int) -> b.Broadcast | None:
        row = await self._s.get(BroadcastRow, broadcast_id)
        return _broadcast(row) if row else None

    async def hold(self, broadcast_id: int) -> b.Broadcast | None:
        """Read it locked until the transaction ends (PostgreSQL; SQLite's writer lock does
        the same): None also when another process holds it now, so two processes never
        write the same broadcast's rows at once."""
        row = (await self._s.execute(
            select(BroadcastRow).where(BroadcastRow.id == broadcast_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True))).scalar_one_or_none()
        return _broadcast(row) if row else None

    async def active(self) -> list[int]:
        """Broadcasts confirmed or being sent (an indexed query: the tick runs often)."""
        return list(await self._s.scalars(
            select(BroadcastRow.id).where(BroadcastRow.state.in_(
                [b.State.CONFIRMED.value, b.State.SENDING.value])).order_by(BroadcastRow.id)))

    async def in_municipalities(self, municipalities: list[str],
                                states: list[b.State]) -> list[b.Broadcast]:
        rows = await self._s.scalars(
            select(BroadcastRow).where(BroadcastRow.municipality.in_(municipalities),
                                       BroadcastRow.state.in_([s.value for s in states]))
            .order_by(BroadcastRow.id))
        return [_broadcast(r) for r in rows]

    async def save_draft(self, draft: b.Broadcast) -> None:
        """What the coordinator chose while composing (audience, time, urgency, photo)."""
        audience = draft.audience
        media = draft.media
        await self._s.execute(
            update(BroadcastRow).where(BroadcastRow.id == draft.id).values(
                municipality=audience.municipality, source_language=draft.source,
                languages=",".join(sorted(audience.languages)),
                begeleiding=audience.begeleiding.value,
                sleutelpersonen_only=audience.sleutelpersonen_only, urgent=draft.urgent,
                scheduled_at=draft.scheduled_at, recipients=draft.recipients,
                counts=b.dumps_counts(draft.counts),
                media_kind=media.kind if media else None,
                media_chat_id=media.chat_id if media else None,
                media_message_id=media.message_id if media else None)
            .execution_options(synchronize_session=False))

    async def written_up_to(self, broadcast_id: int, person_id: int, done: bool) -> None:
        await self._s.execute(
            update(BroadcastRow).where(BroadcastRow.id == broadcast_id)
            .values(next_person_id=person_id, written_all=done)
            .execution_options(synchronize_session=False))

    async def status_shown(self, broadcast_id: int, shown: str, now: datetime,
                           message_id: int | None) -> None:
        """The status message now shows `shown` (an edit row was written at `now`)."""
        await self._s.execute(
            update(BroadcastRow).where(BroadcastRow.id == broadcast_id)
            .values(status_shown=shown, status_edited_at=now,
                    status_edits=BroadcastRow.status_edits + 1,
                    status_message_id=message_id)
            .execution_options(synchronize_session=False))

    async def withdraw(self, broadcast_id: int, now: datetime) -> int:
        """A cancelled broadcast: its rows not sent yet end as skipped (a row being sent
        right now is left to end as it does)."""
        result = await self._s.execute(
            update(OutboxRow).where(OutboxRow.broadcast_id == broadcast_id,
                                    OutboxRow.status == outbox.Status.PENDING.value,
                                    or_(OutboxRow.claimed_until.is_(None),
                                        OutboxRow.claimed_until < now))
            .values(status=outbox.Status.SKIPPED.value, ended_at=now, body="{}",
                    claimed_until=None, error="cancelled")
            .execution_options(synchronize_session=False))
        return _rowcount(result)

    async def move(self, broadcast_id: int, frm: b.State, to: b.State,
                   now: datetime) -> bool:
        """One conditional UPDATE: two coordinators pressing at once move it once."""
        values: dict[str, object] = {"state": to.value}
        if to in (b.State.DONE, b.State.CANCELLED):
            values["ended_at"] = now
        if to is b.State.SENDING:
            values["started_at"] = now
        result = await self._s.execute(
            update(BroadcastRow).where(BroadcastRow.id == broadcast_id,
                                       BroadcastRow.state == frm.value).values(**values)
            .execution_options(synchronize_session=False))
        return _rowcount(result) == 1

    async def versions(self, broadcast_id: int) -> dict[str, b.Version]:
        rows = await self._s.scalars(select(BroadcastVersionRow).where(
            BroadcastVersionRow.broadcast_id == broadcast_id))
        return {r.language: b.Version(r.language, r.text, b.VersionState(r.state),
                                      b.Fallback(r.fallback), r.author_telegram_id,
                                      r.reviewer_telegram_id) for r in rows}

    async def put_version(self, broadcast_id: int, version: b.Version,
                          now: datetime) -> None:
        row = await self._s.get(BroadcastVersionRow, (broadcast_id, version.language))
        if row is None:
            row = BroadcastVersionRow(broadcast_id=broadcast_id, language=version.language)
            self._s.add(row)
        row.text, row.state, row.fallback = version.text, version.state.value, \
            version.fallback.value
        row.author_telegram_id, row.reviewer_telegram_id = version.author_id, \
            version.reviewer_id
        row.updated_at = now
        await self._s.flush()

    async def candidates(self, audience: b.Audience, after_id: int,
                         limit: int) -> list[b.Recipient]:
        """People of the municipality who may get it (onboarded, not paused, reachable,
        announcements on), in id order from `after_id`: the audience rules decide the rest
        (bot.domain.broadcast.in_audience)."""
        staff = select(RoleRow.telegram_id).where(
            RoleRow.role == Role.SLEUTELPERSOON.value,
            RoleRow.municipality == audience.municipality)
        query = (select(PersonRow.id, PersonRow.language, PersonRow.municipality,
                        PersonRow.begeleiding, PersonRow.telegram_id.in_(staff))
                 .where(PersonRow.id > after_id, PersonRow.paused.is_(False),
                        PersonRow.announcements.is_(True),
                        PersonRow.unreachable_since.is_(None))
                 .order_by(PersonRow.id).limit(limit))
        if audience.sleutelpersonen_only:
            query = query.where(PersonRow.telegram_id.in_(staff))
        else:
            query = query.where(PersonRow.municipality == audience.municipality,
                                PersonRow.consented_at.is_not(None))
        rows = (await self._s.execute(query)).all()
        # A sleutelpersoon belongs to the municipality of their role, wherever they live.
        return [b.Recipient(person_id, language,
                            audience.municipality if audience.sleutelpersonen_only
                            else municipality,
                            Begeleiding(beg) if beg else None,
                            is_sleutelpersoon=bool(is_staff))
                for person_id, language, municipality, beg, is_staff in rows]

    async def progress(self, broadcast_id: int) -> b.Progress:
        """Its outbox rows, counted by status (an indexed query)."""
        counts = dict((await self._s.execute(
            select(OutboxRow.status, func.count()).where(OutboxRow.broadcast_id == broadcast_id)
            .group_by(OutboxRow.status))).all())
        return b.Progress.of({outbox.Status(k): v for k, v in counts.items()})

    async def written_by(self, telegram_id: int) -> list[b.Broadcast]:
        rows = await self._s.scalars(select(BroadcastRow).where(
            BroadcastRow.author_telegram_id == telegram_id).order_by(BroadcastRow.id))
        return [_broadcast(r) for r in rows]

    async def versions_by(self, telegram_id: int) -> list[tuple[int, b.Version]]:
        """Versions someone wrote or approved."""
        rows = await self._s.scalars(select(BroadcastVersionRow).where(
            (BroadcastVersionRow.author_telegram_id == telegram_id)
            | (BroadcastVersionRow.reviewer_telegram_id == telegram_id)))
        return [(r.broadcast_id, b.Version(r.language, r.text, b.VersionState(r.state),
                                           b.Fallback(r.fallback), r.author_telegram_id,
                                           r.reviewer_telegram_id)) for r in rows]

    async def forget_person(self, telegram_id: int) -> None:
        """/delete: the broadcasts stay (they were the municipality's), without who wrote
        or approved them."""
        await self._s.execute(
            update(BroadcastRow).where(BroadcastRow.author_telegram_id == telegram_id)
            .values(author_telegram_id=None).execution_options(synchronize_session=False))
        for column in ("author_telegram_id", "reviewer_telegram_id"):
            await self._s.execute(
                update(BroadcastVersionRow)
                .where(getattr(BroadcastVersionRow, column) == telegram_id)
                .values({column: None}).execution_options(synchronize_session=False))
        # A private chat's id is its person's: the photo's link to their chat goes too
        # (rows already written still copy it).
        await self._s.execute(
            update(BroadcastRow).where(BroadcastRow.media_chat_id == telegram_id)
            .values(media_kind=None, media_chat_id=None, media_message_id=None)
            .execution_options(synchronize_session=False))

    async def abandon_drafts(self, before: datetime, now: datetime) -> int:
        """Drafts nobody touched since `before` end as cancelled (then go with the rest)."""
        result = await self._s.execute(
            update(BroadcastRow).where(BroadcastRow.state == b.State.DRAFT.value,
                                       BroadcastRow.created_at < before)
            .values(state=b.State.CANCELLED.value, ended_at=now)
            .execution_options(synchronize_session=False))
        return _rowcount(result)

    async def purge_ended(self, before: datetime) -> int:
        """Broadcasts that ended before `before` go, with their versions."""
        result = await self._s.execute(delete(BroadcastRow).where(
            BroadcastRow.ended_at < before))
        return _rowcount(result)
