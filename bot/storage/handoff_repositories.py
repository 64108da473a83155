"""Handoffs, the relay's message mappings and each sleutelpersoon's focus."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import handoff as h
from bot.domain.routing import Action, Load, Progress
from bot.storage.models import HandoffRow, HelperStateRow, RelayRow
from bot.storage.repositories import _rowcount, _utc

_OPEN = [s.value for s in h.OPEN]
_ENDED = [h.Status.CLOSED.value, h.Status.CANCELLED.value]


def _handoff(row: HandoffRow) -> h.Handoff:
    return h.Handoff(
        id=row.id, newcomer_id=row.newcomer_id, language=row.language,
        municipality=row.municipality, pseudonym=row.pseudonym, status=h.Status(row.status),
        created_at=_utc(row.created_at) or row.created_at, source=h.Source(row.source),
        topic=row.topic, path=row.path, summary=row.summary,
        first_media=h.Media(row.first_media), helper_id=row.helper_id,
        claimed_at=_utc(row.claimed_at), closed_at=_utc(row.closed_at),
        result=h.Result(row.result) if row.result else None, rating=row.rating,
        comment=row.comment,
        progress=Progress(frozenset(json.loads(row.asked or "[]")),
                          frozenset(Action(a) for a in json.loads(row.actions or "[]"))),
        wake_at=_utc(row.wake_at), private_media_ok=row.private_media_ok,
        shared_name=row.shared_name)


def _relayed(row: RelayRow) -> h.Relayed:
    return h.Relayed(row.handoff_id, h.Side(row.side), row.source_chat_id,
                     row.source_message_id, row.copy_chat_id, row.copy_message_id)


class SqlHandoffs:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- the conversation ----------------------------------------------------------------

    async def add(self, handoff: h.Handoff) -> h.Handoff:
        row = HandoffRow(newcomer_id=handoff.newcomer_id, language=handoff.language,
                         municipality=handoff.municipality, pseudonym=handoff.pseudonym,
                         status=handoff.status.value, source=handoff.source.value,
                         topic=handoff.topic, path=handoff.path, summary=handoff.summary,
                         first_media=handoff.first_media.value, created_at=handoff.created_at,
                         asked="[]", actions="[]", private_media_ok=handoff.private_media_ok)
        self._s.add(row)
        await self._s.flush()
        handoff.id = row.id
        return handoff

    async def get(self, handoff_id: int) -> h.Handoff | None:
        row = await self._s.get(HandoffRow, handoff_id, populate_existing=True)
        return _handoff(row) if row else None

    async def open_of(self, newcomer_id: int) -> h.Handoff | None:
        """The newcomer's open question (there is at most one)."""
        row = await self._s.scalar(select(HandoffRow).where(
            HandoffRow.newcomer_id == newcomer_id, HandoffRow.status.in_(_OPEN))
            .order_by(HandoffRow.id.desc()).limit(1))
        return _handoff(row) if row else None

    async def involving(self, newcomer_id: int, telegram_id: int) -> list[h.Handoff]:
        """Open conversations the person is in: as the newcomer, or as the claimer."""
        rows = await self._s.scalars(select(HandoffRow).where(
            HandoffRow.status.in_(_OPEN),
            (HandoffRow.newcomer_id == newcomer_id)
            | ((HandoffRow.helper_id == telegram_id)
               & (HandoffRow.status == h.Status.CLAIMED.value)))
            .order_by(HandoffRow.id))
        return [_handoff(r) for r in rows]

    async def claimed_by(self, telegram_id: int) -> list[h.Handoff]:
        rows = await self._s.scalars(select(HandoffRow).where(
            HandoffRow.helper_id == telegram_id, HandoffRow.status == h.Status.CLAIMED.value)
            .order_by(HandoffRow.claimed_at))
        return [_handoff(r) for r in rows]

    async def of_newcomer(self, newcomer_id: int) -> list[h.Handoff]:
        rows = await self._s.scalars(select(HandoffRow).where(
            HandoffRow.newcomer_id == newcomer_id).order_by(HandoffRow.id))
        return [_handoff(r) for r in rows]

    async def save_routing(self, handoff: h.Handoff) -> None:
        """What routing did and when it looks again; only while the question waits."""
        await self._s.execute(
            update(HandoffRow).where(HandoffRow.id == handoff.id)
            .values(asked=json.dumps(sorted(handoff.progress.asked)),
                    actions=json.dumps(sorted(a.value for a in handoff.progress.actions)),
                    wake_at=handoff.wake_at)
            .execution_options(synchronize_session=False))

    async def save_details(self, handoff: h.Handoff) -> None:
        """What the newcomer adds to their own question (reminder seen, name shared)."""
        await self._s.execute(
            update(HandoffRow).where(HandoffRow.id == handoff.id)
            .values(private_media_ok=handoff.private_media_ok,
                    shared_name=handoff.shared_name, summary=handoff.summary,
                    first_media=handoff.first_media.value)
            .execution_options(synchronize_session=False))

    # The changes below are single conditional statements: of two people racing, one wins.

    async def claim(self, handoff_id: int, telegram_id: int, now: datetime) -> bool:
        return await self._change(handoff_id, HandoffRow.status == h.Status.WAITING.value,
                                  status=h.Status.CLAIMED.value, helper_id=telegram_id,
                                  claimed_at=now, wake_at=None)

    async def release(self, handoff_id: int, telegram_id: int, asked: frozenset[int]) -> bool:
        """Back to waiting; routing starts again, without those in `asked`."""
        return await self._change(
            handoff_id, HandoffRow.status == h.Status.CLAIMED.value,
            HandoffRow.helper_id == telegram_id, status=h.Status.WAITING.value,
            helper_id=None, claimed_at=None, asked=json.dumps(sorted(asked)), actions="[]",
            wake_at=None)

    async def close(self, handoff_id: int, telegram_id: int, result: h.Result,
                    now: datetime) -> bool:
        return await self._change(
            handoff_id, HandoffRow.status == h.Status.CLAIMED.value,
            HandoffRow.helper_id == telegram_id, status=h.Status.CLOSED.value,
            result=result.value, closed_at=now, wake_at=None)

    async def cancel(self, handoff_id: int, newcomer_id: int, now: datetime) -> bool:
        cancelled = await self._change(
            handoff_id, HandoffRow.status.in_(_OPEN), HandoffRow.newcomer_id == newcomer_id,
            status=h.Status.CANCELLED.value, closed_at=now, wake_at=None)
        if cancelled:  # texts kept for whoever would take it: nobody will
            await self._s.execute(update(RelayRow).where(RelayRow.handoff_id == handoff_id,
                                                         RelayRow.waiting_text.is_not(None))
                                  .values(waiting_text=None)
                                  .execution_options(synchronize_session=False))
        return cancelled

    async def rate(self, handoff_id: int, newcomer_id: int, rating: int) -> bool:
        return await self._change(
            handoff_id, HandoffRow.status == h.Status.CLOSED.value,
            HandoffRow.newcomer_id == newcomer_id, rating=rating)

    async def comment(self, handoff_id: int, newcomer_id: int, comment: str) -> bool:
        return await self._change(
            handoff_id, HandoffRow.status == h.Status.CLOSED.value,
            HandoffRow.newcomer_id == newcomer_id, comment=comment[:h.COMMENT_LENGTH])

    async def _change(self, handoff_id: int, *conditions: object, **values: object) -> bool:
        result = await self._s.execute(
            update(HandoffRow).where(HandoffRow.id == handoff_id, *conditions)  # type: ignore[arg-type]
            .values(**values).execution_options(synchronize_session=False))
        return _rowcount(result) == 1

    # -- routing -------------------------------------------------------------------------

    async def due(self, now: datetime, limit: int) -> list[h.Handoff]:
        """Waiting questions whose routing should be decided again now (the tick's query);
        on PostgreSQL a question another process is deciding is skipped."""
        rows = await self._s.scalars(
            select(HandoffRow).where(HandoffRow.status == h.Status.WAITING.value,
                                     HandoffRow.wake_at <= now)
            .order_by(HandoffRow.wake_at).limit(limit)
            .with_for_update(skip_locked=True))
        return [_handoff(r) for r in rows]

    async def loads(self, telegram_ids: list[int]) -> dict[int, Load]:
        """Open conversations and the latest assignment of each sleutelpersoon."""
        if not telegram_ids:
            return {}
        rows = await self._s.execute(
            select(HandoffRow.helper_id,
                   func.sum(case((HandoffRow.status == h.Status.CLAIMED.value, 1), else_=0)),
                   func.max(HandoffRow.claimed_at))
            .where(HandoffRow.helper_id.in_(telegram_ids)).group_by(HandoffRow.helper_id))
        return {int(helper): Load(int(open_ or 0), _utc(last))
                for helper, open_, last in rows if helper is not None}

    async def waiting_in(self, municipalities: list[str]) -> list[h.Handoff]:
        rows = await self._s.scalars(select(HandoffRow).where(
            HandoffRow.municipality.in_(municipalities), HandoffRow.status.in_(_OPEN))
            .order_by(HandoffRow.created_at))
        return [_handoff(r) for r in rows]

    async def claimed_between(self, start: datetime, end: datetime,
                              municipalities: list[str]) -> list[h.Handoff]:
        """Questions claimed in [start, end) in these municipalities (activity reports)."""
        rows = await self._s.scalars(select(HandoffRow).where(
            HandoffRow.municipality.in_(municipalities), HandoffRow.claimed_at >= start,
            HandoffRow.claimed_at < end).order_by(HandoffRow.id))
        return [_handoff(r) for r in rows]

    # -- the relay -----------------------------------------------------------------------

    async def relay(self, relayed: h.Relayed, media: h.Media, now: datetime,
                    outbox_id: int | None = None, text: str | None = None) -> int:
        row = RelayRow(handoff_id=relayed.handoff_id, side=relayed.side.value,
                       media=media.value, source_chat_id=relayed.source_chat_id,
                       source_message_id=relayed.source_message_id,
                       copy_chat_id=relayed.copy_chat_id, outbox_id=outbox_id, created_at=now,
                       waiting_text=text if outbox_id is None else None)
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def found(self, chat_id: int, message_id: int) -> h.Relayed | None:
        """The relayed message that `message_id` in `chat_id` is, as original or copy."""
        row = await self._s.scalar(select(RelayRow).where(
            ((RelayRow.source_chat_id == chat_id) & (RelayRow.source_message_id == message_id))
            | ((RelayRow.copy_chat_id == chat_id) & (RelayRow.copy_message_id == message_id)))
            .order_by(RelayRow.id.desc()).limit(1))
        return _relayed(row) if row else None

    async def not_copied(self, handoff_id: int
                         ) -> list[tuple[int, h.Relayed, h.Media, str | None]]:
        """The newcomer's messages written before anyone claimed the question (and the text
        of those that are text)."""
        rows = await self._s.scalars(select(RelayRow).where(
            RelayRow.handoff_id == handoff_id, RelayRow.outbox_id.is_(None))
            .order_by(RelayRow.id))
        return [(r.id, _relayed(r), h.Media(r.media), r.waiting_text) for r in rows]

    async def copying(self, relay_id: int, copy_chat_id: int, outbox_id: int) -> None:
        await self._s.execute(update(RelayRow).where(RelayRow.id == relay_id)
                              .values(copy_chat_id=copy_chat_id, outbox_id=outbox_id,
                                      waiting_text=None)
                              .execution_options(synchronize_session=False))

    async def media_of(self, handoff_id: int) -> list[h.Media]:
        rows = await self._s.scalars(select(RelayRow.media).where(
            RelayRow.handoff_id == handoff_id).order_by(RelayRow.id))
        return [h.Media(m) for m in rows]

    # -- a sleutelpersoon's focus --------------------------------------------------------

    async def focus(self, telegram_id: int) -> tuple[int | None, int | None]:
        """(the conversation plain messages go to, the one whose header was shown last)."""
        row = await self._s.get(HelperStateRow, telegram_id, populate_existing=True)
        return (row.focus_id, row.header_id) if row else (None, None)

    async def set_focus(self, telegram_id: int, *, focus: int | None = None,
                        header: int | None = None) -> None:
        row = await self._s.get(HelperStateRow, telegram_id)
        if row is None:
            row = HelperStateRow(telegram_id=telegram_id)
            self._s.add(row)
        if focus is not None:
            row.focus_id = focus
        if header is not None:
            row.header_id = header
        await self._s.flush()

    # -- privacy -------------------------------------------------------------------------

    async def relayed_in(self, chat_id: int) -> list[tuple[h.Relayed, h.Media, datetime]]:
        """Mappings of messages written in or copied to a chat (for /mydata): ids only."""
        rows = await self._s.scalars(select(RelayRow).where(
            (RelayRow.source_chat_id == chat_id) | (RelayRow.copy_chat_id == chat_id))
            .order_by(RelayRow.id))
        return [(_relayed(r), h.Media(r.media), _utc(r.created_at) or r.created_at)
                for r in rows]

    async def forget_newcomer(self, newcomer_id: int, chat_id: int) -> None:
        """/delete: their questions lose every trace of them (content, mappings, the link);
        each stays as an anonymous count. Mappings naming their chat go too."""
        await self._s.execute(delete(RelayRow).where(
            (RelayRow.source_chat_id == chat_id) | (RelayRow.copy_chat_id == chat_id))
            .execution_options(synchronize_session=False))
        ids = list(await self._s.scalars(select(HandoffRow.id).where(
            HandoffRow.newcomer_id == newcomer_id)))
        if not ids:
            return
        await self._s.execute(delete(RelayRow).where(RelayRow.handoff_id.in_(ids))
                              .execution_options(synchronize_session=False))
        await self._s.execute(
            update(HandoffRow).where(HandoffRow.id.in_(ids))
            .values(newcomer_id=None, summary="", path="", comment=None, shared_name=None)
            .execution_options(synchronize_session=False))

    async def forget_helper(self, telegram_id: int) -> None:
        """A sleutelpersoon's /delete: the counts stay, not who answered."""
        await self._s.execute(delete(HelperStateRow).where(
            HelperStateRow.telegram_id == telegram_id))
        await self._s.execute(update(HandoffRow).where(HandoffRow.helper_id == telegram_id)
                              .values(helper_id=None)
                              .execution_options(synchronize_session=False))

    async def purge_content(self, ended_before: datetime) -> int:
        """Content of conversations that ended before then; returns how many were emptied."""
        ids = list(await self._s.scalars(select(HandoffRow.id).where(
            HandoffRow.status.in_(_ENDED), HandoffRow.closed_at < ended_before,
            (HandoffRow.summary != "") | (HandoffRow.path != "")
            | HandoffRow.comment.is_not(None) | HandoffRow.shared_name.is_not(None))))
        ids += [i for i in await self._s.scalars(
            select(RelayRow.handoff_id).join(HandoffRow).where(
                HandoffRow.status.in_(_ENDED), HandoffRow.closed_at < ended_before))
            if i not in ids]
        if not ids:
            return 0
        await self._s.execute(delete(RelayRow).where(RelayRow.handoff_id.in_(ids))
                              .execution_options(synchronize_session=False))
        await self._s.execute(
            update(HandoffRow).where(HandoffRow.id.in_(ids))
            .values(summary="", path="", comment=None, shared_name=None)
            .execution_options(synchronize_session=False))
        return len(ids)
