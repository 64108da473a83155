"""Repositories: map rows to domain objects. They flush but never commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import case, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain import outbox
from bot.domain.language_switch import SwitchWatch
from bot.domain.person import Begeleiding, Person, Role, RoleGrant
from bot.domain.questions import Conversation
from bot.services.ports import StaleWrite
from bot.storage.models import ConversationRow, OutboxRow, PersonRow, RelayRow, RoleRow


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _person(row: PersonRow) -> Person:
    return Person(
        id=row.id,
        telegram_id=row.telegram_id,
        chat_id=row.chat_id,
        created_at=_utc(row.created_at) or row.created_at,
        last_seen_at=_utc(row.last_seen_at) or row.last_seen_at,
        language=row.language,
        municipality=row.municipality,
        begeleiding=Begeleiding(row.begeleiding) if row.begeleiding else None,
        begeleiding_end=row.begeleiding_end,
        consented_at=_utc(row.consented_at),
        staff_consented_at=_utc(row.staff_consented_at),
        paused=row.paused,
        reminders=row.reminders,
        announcements=row.announcements,
        unreachable_since=_utc(row.unreachable_since),
        language_watch=SwitchWatch.from_dict(json.loads(row.language_watch))
        if row.language_watch else SwitchWatch(),
        version=row.version,
    )


class SqlPeople:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        row = await self._s.scalar(select(PersonRow).where(PersonRow.telegram_id == telegram_id))
        return _person(row) if row else None

    async def get(self, person_id: int) -> Person | None:
        row = await self._s.get(PersonRow, person_id)
        return _person(row) if row else None

    async def add(self, telegram_id: int, chat_id: int, now: datetime) -> Person:
        row = PersonRow(telegram_id=telegram_id, chat_id=chat_id, created_at=now,
                        last_seen_at=now, paused=False, reminders=True, announcements=True)
        self._s.add(row)
        await self._s.flush()
        return _person(row)

    async def save(self, person: Person) -> None:
        """One conditional UPDATE: it writes only if nobody wrote since `person` was read."""
        result = await self._s.execute(
            update(PersonRow)
            .where(PersonRow.id == person.id, PersonRow.version == person.version)
            .values(chat_id=person.chat_id, language=person.language,
                    municipality=person.municipality,
                    begeleiding=person.begeleiding.value if person.begeleiding else None,
                    begeleiding_end=person.begeleiding_end,
                    consented_at=person.consented_at,
                    staff_consented_at=person.staff_consented_at, paused=person.paused,
                    reminders=person.reminders, announcements=person.announcements,
                    unreachable_since=person.unreachable_since,
                    language_watch=json.dumps(person.language_watch.to_dict())
                    if person.language_watch != SwitchWatch() else "",
                    last_seen_at=person.last_seen_at, version=PersonRow.version + 1)
            .execution_options(synchronize_session=False))
        if _rowcount(result) != 1:
            raise StaleWrite(f"person {person.id} changed since it was read")
        person.version += 1

    async def delete(self, person_id: int) -> None:
        # Explicit child delete: SQLite enforces ON DELETE CASCADE only with the pragma on.
        await self._s.execute(delete(ConversationRow).where(ConversationRow.person_id == person_id))
        await self._s.execute(delete(OutboxRow).where(OutboxRow.recipient_id == person_id))
        await self._s.execute(delete(PersonRow).where(PersonRow.id == person_id))

    async def mark_unreachable(self, chat_id: int, now: datetime) -> bool:
        return await self._set_unreachable(chat_id, now)

    async def mark_reachable(self, chat_id: int) -> bool:
        return await self._set_unreachable(chat_id, None)

    async def _set_unreachable(self, chat_id: int, since: datetime | None) -> bool:
        """One conditional UPDATE of this column alone (and the version, so a turn that read
        the person before notices); False when it already had that state."""
        column = PersonRow.unreachable_since
        result = await self._s.execute(
            update(PersonRow)
            .where(PersonRow.chat_id == chat_id,
                   column.is_(None) if since is not None else column.is_not(None))
            .values(unreachable_since=since, version=PersonRow.version + 1)
            .execution_options(synchronize_session=False))
        return _rowcount(result) > 0

    async def forget_unconsented(self, before: datetime) -> int:
        """One DELETE with the rule in it: whoever agrees while it runs is not touched.
        Their conversation goes with them (ON DELETE CASCADE; SQLite has the pragma on)."""
        result = await self._s.execute(
            delete(PersonRow)
            .where(PersonRow.consented_at.is_(None), PersonRow.staff_consented_at.is_(None),
                   PersonRow.last_seen_at < before)
            .execution_options(synchronize_session=False))
        return _rowcount(result)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class SqlConversations:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, person_id: int) -> Conversation | None:
        row = await self._s.get(ConversationRow, person_id)
        if row is None:
            return None
        try:
            data = json.loads(row.data or "{}")
        except ValueError:
            data = {}
        return Conversation(row.flow, row.step, data)

    async def put(self, person_id: int, conversation: Conversation, now: datetime) -> None:
        row = await self._s.get(ConversationRow, person_id)
        if row is None:
            row = ConversationRow(person_id=person_id)
            self._s.add(row)
        row.flow = str(conversation.flow)
        row.step = str(conversation.step)
        row.data = json.dumps(conversation.data, ensure_ascii=False)
        row.updated_at = now
        await self._s.flush()

    async def clear(self, person_id: int) -> None:
        await self._s.execute(delete(ConversationRow).where(ConversationRow.person_id == person_id))


def _grant(row: RoleRow) -> RoleGrant:
    return RoleGrant(row.telegram_id, Role(row.role), row.municipality,
                     _utc(row.granted_at) or row.granted_at, row.id)


class SqlRoles:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def grant(self, grant: RoleGrant) -> bool:
        existing = await self._s.scalar(select(RoleRow).where(
            RoleRow.telegram_id == grant.telegram_id, RoleRow.role == grant.role.value,
            RoleRow.municipality == grant.municipality))
        if existing is not None:
            return False
        self._s.add(RoleRow(telegram_id=grant.telegram_id, role=grant.role.value,
                            municipality=grant.municipality, granted_at=grant.granted_at))
        await self._s.flush()
        return True

    async def revoke(self, telegram_id: int, role: str, municipality: str) -> bool:
        result = await self._s.execute(delete(RoleRow).where(
            RoleRow.telegram_id == telegram_id, RoleRow.role == role,
            RoleRow.municipality == municipality))
        return _rowcount(result) > 0

    async def of(self, telegram_id: int) -> list[RoleGrant]:
        rows = await self._s.scalars(select(RoleRow).where(RoleRow.telegram_id == telegram_id)
                                     .order_by(RoleRow.id))
        return [_grant(r) for r in rows]

    async def all(self) -> list[RoleGrant]:
        rows = await self._s.scalars(select(RoleRow).order_by(RoleRow.role, RoleRow.municipality,
                                                               RoleRow.telegram_id))
        return [_grant(r) for r in rows]

    async def delete_all_of(self, telegram_id: int) -> None:
        await self._s.execute(delete(RoleRow).where(RoleRow.telegram_id == telegram_id))

    async def get(self, role_id: int) -> RoleGrant | None:
        row = await self._s.get(RoleRow, role_id)
        return _grant(row) if row else None

    async def in_municipality(self, municipality: str) -> list[RoleGrant]:
        rows = await self._s.scalars(select(RoleRow).where(RoleRow.municipality == municipality)
                                     .order_by(RoleRow.role, RoleRow.granted_at, RoleRow.id))
        return [_grant(r) for r in rows]


class SqlOutbox:
    """Rows of the outbox. Claiming takes due rows for a while (a lease), so several
    drainers, even in several processes, never send the same row at once; on PostgreSQL
    the rows another drainer is claiming are skipped (FOR UPDATE SKIP LOCKED)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self.added = 0  # rows written in this unit of work: the drainer is woken after commit

    async def add(self, message: outbox.Outgoing, now: datetime) -> int | None:
        """Write the row unless its key exists (the same event handled twice): its id if new."""
        dialect = self._s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(OutboxRow).values(
            recipient_id=message.recipient_id, kind=message.kind.value,
            proactive=message.proactive, body=message.message.dumps(), key=message.key,
            status=outbox.Status.PENDING.value, not_before=message.not_before or now,
            not_after=message.not_after, broadcast_id=message.broadcast_id,
            urgent=message.urgent, attempts=0,
            created_at=now).on_conflict_do_nothing(index_elements=["key"])
        row_id = await self._s.scalar(statement.returning(OutboxRow.id))
        self.added += row_id is not None
        return row_id

    async def add_many(self, messages: Sequence[outbox.Outgoing], now: datetime) -> int:
        """Several rows in one statement (a seasonal reminder to hundreds of people holds
        SQLite's write lock briefly); rows whose key exists are left. Returns how many new."""
        if not messages:
            return 0
        dialect = self._s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(OutboxRow).values([dict(
            recipient_id=m.recipient_id, kind=m.kind.value, proactive=m.proactive,
            body=m.message.dumps(), key=m.key, status=outbox.Status.PENDING.value,
            not_before=m.not_before or now, not_after=m.not_after,
            broadcast_id=m.broadcast_id, urgent=m.urgent, attempts=0, created_at=now)
            for m in messages]
        ).on_conflict_do_nothing(index_elements=["key"])
        added = len((await self._s.execute(statement.returning(OutboxRow.id))).all())
        self.added += added
        return added

    async def claim_due(self, now: datetime, limit: int, *,
                        broadcasts: bool = False) -> list[outbox.Due]:
        """Take up to `limit` due rows for CLAIM_LEASE, oldest first, with their recipient:
        rows of broadcasts, or (`broadcasts=False`) every other row. The drainer claims the
        two apart, so a relay is never queued behind thousands of announcements.
        A row waits while an earlier non-proactive row to the same person is held back (a
        retry) or in flight: relays arrive in the order they were written. Proactive rows
        (broadcasts among them) never hold others back (they may wait for the morning)."""
        query = (select(OutboxRow, PersonRow.chat_id, PersonRow.paused,
                        PersonRow.unreachable_since)
                 .join(PersonRow, PersonRow.id == OutboxRow.recipient_id)
                 .where(OutboxRow.status == outbox.Status.PENDING.value,
                        OutboxRow.not_before <= now,
                        or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now))
                 .order_by(OutboxRow.id)  # written order: a chat's rows go out as written
                 .limit(limit)
                 .with_for_update(of=OutboxRow, skip_locked=True))
        if broadcasts:
            query = query.where(OutboxRow.broadcast_id.is_not(None))
        else:
            earlier = aliased(OutboxRow)
            held_back = exists().where(
                earlier.recipient_id == OutboxRow.recipient_id, earlier.id < OutboxRow.id,
                earlier.status == outbox.Status.PENDING.value, earlier.proactive.is_(False),
                or_(earlier.not_before > now, earlier.claimed_until >= now))
            query = query.where(OutboxRow.broadcast_id.is_(None), ~held_back)
        rows = (await self._s.execute(query)).all()
        if not rows:
            return []
        await self._s.execute(
            update(OutboxRow).where(OutboxRow.id.in_([r[0].id for r in rows]))
            .values(claimed_until=now + outbox.CLAIM_LEASE)
            .execution_options(synchronize_session=False))
        return [outbox.Due(row.id, chat_id, outbox.Kind(row.kind), row.proactive,
                           outbox.Message.loads(row.body), row.attempts, paused,
                           unreachable is not None, _utc(row.not_after),
                           row.sending_at is not None, row.urgent, row.broadcast_id)
                for row, chat_id, paused, unreachable in rows]

    async def end(self, row_id: int, status: outbox.Status, now: datetime,
                  error: str | None = None, message_id: int | None = None) -> None:
        """Sent, failed, unreachable or skipped: the content goes, the bookkeeping stays."""
        if message_id is not None:  # a relayed copy: replies to it can now be linked back
            await self._s.execute(
                update(RelayRow).where(RelayRow.outbox_id == row_id)
                .values(copy_message_id=message_id)
                .execution_options(synchronize_session=False))
        await self._s.execute(
            update(OutboxRow).where(OutboxRow.id == row_id)
            .values(status=status.value, ended_at=now, claimed_until=None, body="{}",
                    sent_message_id=message_id,
                    attempts=OutboxRow.attempts + int(status is not outbox.Status.SKIPPED),
                    error=error[:200] if error else None)
            .execution_options(synchronize_session=False))

    async def withdraw(self, key_prefix: str, now: datetime) -> int:
        """Rows not sent yet whose key starts with the prefix end as skipped (e.g. requests
        to take a question someone already took); a row being sent right now is left."""
        result = await self._s.execute(
            update(OutboxRow).where(OutboxRow.key.startswith(key_prefix, autoescape=True),
                                    OutboxRow.status == outbox.Status.PENDING.value,
                                    or_(OutboxRow.claimed_until.is_(None),
                                        OutboxRow.claimed_until < now))
            .values(status=outbox.Status.SKIPPED.value, ended_at=now, body="{}",
                    claimed_until=None)
            .execution_options(synchronize_session=False))
        return _rowcount(result)

    async def has(self, key: str) -> bool:
        """Whether a row with this key was written (it may have ended and been purged)."""
        return await self._s.scalar(select(OutboxRow.id).where(OutboxRow.key == key)) \
            is not None

    async def sent_under(self, key_prefix: str) -> list[tuple[int, int]]:
        """(recipient, message id) of sent rows whose key starts with the prefix."""
        rows = await self._s.execute(
            select(OutboxRow.recipient_id, OutboxRow.sent_message_id)
            .where(OutboxRow.key.startswith(key_prefix, autoescape=True),
                   OutboxRow.status == outbox.Status.SENT.value,
                   OutboxRow.sent_message_id.is_not(None)).order_by(OutboxRow.id))
        return [(int(r), int(m)) for r, m in rows if m is not None]

    async def sending(self, row_id: int, now: datetime) -> None:
        """A row that goes at most once is about to be sent (committed before it is)."""
        await self._s.execute(
            update(OutboxRow).where(OutboxRow.id == row_id).values(sending_at=now)
            .execution_options(synchronize_session=False))

    async def retry(self, row_id: int, at: datetime, *, attempted: bool,
                    error: str | None = None) -> None:
        """Back to pending from `at`: after a failed try (`attempted`), or held (quiet hours)."""
        await self._s.execute(
            update(OutboxRow).where(OutboxRow.id == row_id)
            .values(not_before=at, claimed_until=None, sending_at=None,
                    attempts=OutboxRow.attempts + int(attempted),
                    error=error[:200] if error else OutboxRow.error)
            .execution_options(synchronize_session=False))

    async def next_due(self) -> datetime | None:
        """When the earliest pending row becomes due (to sleep until then)."""
        # A row another drainer holds is due again only when its lease has passed.
        due_at = case((OutboxRow.claimed_until > OutboxRow.not_before, OutboxRow.claimed_until),
                      else_=OutboxRow.not_before)
        found = await self._s.scalar(select(func.min(due_at))
                                     .where(OutboxRow.status == outbox.Status.PENDING.value))
        return _utc(found)

    async def counts(self) -> dict[tuple[str, str], int]:
        """(kind, status) → rows."""
        rows = await self._s.execute(select(OutboxRow.kind, OutboxRow.status, func.count())
                                     .group_by(OutboxRow.kind, OutboxRow.status))
        return {(kind, status): int(n) for kind, status, n in rows}

    async def failed(self, limit: int = 50) -> list[outbox.Ended]:
        rows = await self._s.scalars(
            select(OutboxRow).where(OutboxRow.status == outbox.Status.FAILED.value)
            .order_by(OutboxRow.ended_at.desc()).limit(limit))
        return [outbox.Ended(r.id, r.recipient_id, outbox.Kind(r.kind), r.attempts, r.error,
                             _utc(r.ended_at)) for r in rows]

    async def of(self, recipient_id: int) -> list[outbox.Ended]:
        """Every row addressed to the person (for /mydata): bookkeeping, and pending content."""
        rows = await self._s.scalars(select(OutboxRow).where(
            OutboxRow.recipient_id == recipient_id).order_by(OutboxRow.id))
        return [outbox.Ended(r.id, r.recipient_id, outbox.Kind(r.kind), r.attempts, r.error,
                             _utc(r.ended_at), outbox.Status(r.status),
                             None if r.status != outbox.Status.PENDING.value
                             else outbox.Message.loads(r.body).text) for r in rows]

    async def purge_ended(self, before: datetime) -> int:
        result = await self._s.execute(
            delete(OutboxRow).where(OutboxRow.status != outbox.Status.PENDING.value,
                                    OutboxRow.ended_at < before)
            .execution_options(synchronize_session=False))
        return _rowcount(result)
