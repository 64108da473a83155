"""Repositories of invitations, sleutelpersoon profiles and the audit log. They flush but
never commit. Changes that two people can race for are one conditional statement each."""

from __future__ import annotations

import json
from datetime import datetime, time

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import audit
from bot.domain.invitation import Invitation
from bot.domain.person import Role
from bot.domain.sleutelpersoon import Profile, Window
from bot.storage.models import AuditRow, InvitationRow, PersonRow, SleutelpersoonProfileRow
from bot.storage.repositories import _rowcount, _utc


def _invitation(row: InvitationRow) -> Invitation:
    return Invitation(
        id=row.id, role=Role(row.role), municipality=row.municipality,
        created_by=row.created_by, created_at=_utc(row.created_at) or row.created_at,
        expires_at=_utc(row.expires_at) or row.expires_at, used_by=row.used_by,
        used_at=_utc(row.used_at), accepted_at=_utc(row.accepted_at),
        declined_at=_utc(row.declined_at), revoked=row.revoked)


_PENDING = (InvitationRow.revoked.is_(False), InvitationRow.accepted_at.is_(None),
            InvitationRow.declined_at.is_(None))


class SqlInvitations:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, code_hash: str, invitation: Invitation) -> Invitation:
        row = InvitationRow(code_hash=code_hash, role=invitation.role.value,
                            municipality=invitation.municipality,
                            created_by=invitation.created_by, created_at=invitation.created_at,
                            expires_at=invitation.expires_at, revoked=False)
        self._s.add(row)
        await self._s.flush()
        return _invitation(row)

    async def by_code(self, code_hash: str) -> Invitation | None:
        row = await self._s.scalar(select(InvitationRow)
                                   .where(InvitationRow.code_hash == code_hash))
        return _invitation(row) if row else None

    async def get(self, invitation_id: int) -> Invitation | None:
        row = await self._s.scalar(select(InvitationRow)
                                   .where(InvitationRow.id == invitation_id))
        return _invitation(row) if row else None

    async def take(self, invitation_id: int, telegram_id: int, now: datetime) -> bool:
        return await self._change(
            invitation_id, (InvitationRow.used_at.is_(None), InvitationRow.revoked.is_(False),
                            InvitationRow.expires_at > now),
            used_by=telegram_id, used_at=now)

    async def accept(self, invitation_id: int, telegram_id: int, now: datetime) -> bool:
        return await self._change(
            invitation_id, (*_PENDING, InvitationRow.used_by == telegram_id,
                            InvitationRow.expires_at > now), accepted_at=now)

    async def decline(self, invitation_id: int, telegram_id: int, now: datetime) -> bool:
        return await self._change(
            invitation_id, (*_PENDING, InvitationRow.used_by == telegram_id), declined_at=now)

    async def revoke(self, invitation_id: int) -> bool:
        return await self._change(invitation_id, _PENDING, revoked=True)

    async def _change(self, invitation_id: int, conditions: tuple[ColumnElement[bool], ...],
                      **values: object) -> bool:
        result = await self._s.execute(
            update(InvitationRow).where(InvitationRow.id == invitation_id, *conditions)
            .values(**values).execution_options(synchronize_session=False))
        return _rowcount(result) == 1

    async def pending_in(self, municipality: str, now: datetime) -> list[Invitation]:
        rows = await self._s.scalars(
            select(InvitationRow).where(InvitationRow.municipality == municipality,
                                        InvitationRow.expires_at > now, *_PENDING)
            .order_by(InvitationRow.created_at, InvitationRow.id))
        return [_invitation(r) for r in rows]

    async def of(self, telegram_id: int) -> list[Invitation]:
        rows = await self._s.scalars(
            select(InvitationRow).where((InvitationRow.created_by == telegram_id)
                                        | (InvitationRow.used_by == telegram_id))
            .order_by(InvitationRow.id))
        return [_invitation(r) for r in rows]

    async def forget(self, telegram_id: int) -> None:
        await self._s.execute(delete(InvitationRow)
                              .where(InvitationRow.created_by == telegram_id)
                              .execution_options(synchronize_session=False))
        await self._s.execute(update(InvitationRow).where(InvitationRow.used_by == telegram_id)
                              .values(used_by=None)
                              .execution_options(synchronize_session=False))

    async def purge(self, expired_before: datetime) -> int:
        result = await self._s.execute(delete(InvitationRow)
                                       .where(InvitationRow.expires_at < expired_before)
                                       .execution_options(synchronize_session=False))
        return _rowcount(result)


def _windows_json(windows: tuple[Window, ...]) -> str:
    return json.dumps([[w.weekday, w.start.strftime("%H:%M"), w.end.strftime("%H:%M")]
                       for w in windows])


def _windows(text: str) -> tuple[Window, ...]:
    return tuple(Window(int(day), time.fromisoformat(start), time.fromisoformat(end))
                 for day, start, end in json.loads(text or "[]"))


def _codes(text: str) -> frozenset[str]:
    return frozenset(json.loads(text or "[]"))


class SqlProfiles:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, telegram_id: int) -> Profile | None:
        found = await self._with_language(
            SleutelpersoonProfileRow.telegram_id == telegram_id)
        return found[0] if found else None

    async def serving(self, municipality: str) -> list[Profile]:
        """Profiles that list the municipality (its id is JSON-quoted in the list)."""
        return [p for p in await self._with_language(
                    SleutelpersoonProfileRow.municipalities.contains(f'"{municipality}"'))
                if municipality in p.municipalities]

    async def _with_language(self, condition: ColumnElement[bool]) -> list[Profile]:
        rows = (await self._s.execute(
            select(SleutelpersoonProfileRow, PersonRow.language)
            .outerjoin(PersonRow, PersonRow.telegram_id == SleutelpersoonProfileRow.telegram_id)
            .where(condition).order_by(SleutelpersoonProfileRow.telegram_id))).all()
        return [Profile(telegram_id=row.telegram_id, display_name=row.display_name,
                        languages=_codes(row.languages),
                        municipalities=_codes(row.municipalities), topics=_codes(row.topics),
                        windows=_windows(row.windows), capacity=row.capacity,
                        paused=row.paused, interface_language=language or "en")
                for row, language in rows]

    async def put(self, profile: Profile, now: datetime) -> None:
        row = await self._s.get(SleutelpersoonProfileRow, profile.telegram_id)
        if row is None:
            row = SleutelpersoonProfileRow(telegram_id=profile.telegram_id)
            self._s.add(row)
        row.display_name = profile.display_name.strip()
        row.languages = json.dumps(sorted(profile.languages))
        row.municipalities = json.dumps(sorted(profile.municipalities))
        row.topics = json.dumps(sorted(profile.topics))
        row.windows = _windows_json(profile.windows)
        row.capacity = profile.capacity
        row.paused = profile.paused
        row.updated_at = now
        await self._s.flush()

    async def delete(self, telegram_id: int) -> None:
        await self._s.execute(delete(SleutelpersoonProfileRow)
                              .where(SleutelpersoonProfileRow.telegram_id == telegram_id))


def _entry(row: AuditRow) -> audit.Entry:
    return audit.Entry(at=_utc(row.at) or row.at, telegram_id=row.telegram_id,
                       action=audit.Act(row.action), allowed=row.allowed, target=row.target,
                       municipality=row.municipality,
                       reason=audit.Reason(row.reason) if row.reason else None)


class SqlAudit:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, entry: audit.Entry) -> None:
        self._s.add(AuditRow(at=entry.at, telegram_id=entry.telegram_id,
                             action=entry.action.value, target=entry.target[:80],
                             municipality=entry.municipality, allowed=entry.allowed,
                             reason=entry.reason.value if entry.reason else None))
        await self._s.flush()

    async def recent(self, municipalities: list[str], limit: int) -> list[audit.Entry]:
        rows = await self._s.scalars(
            select(AuditRow).where(AuditRow.municipality.in_(municipalities))
            .order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit))
        return [_entry(r) for r in rows]

    async def latest(self, limit: int) -> list[audit.Entry]:
        """Every municipality's and none: for the operator."""
        rows = await self._s.scalars(select(AuditRow)
                                     .order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit))
        return [_entry(r) for r in rows]

    async def of(self, telegram_id: int) -> list[audit.Entry]:
        rows = await self._s.scalars(select(AuditRow).where(AuditRow.telegram_id == telegram_id)
                                     .order_by(AuditRow.at, AuditRow.id))
        return [_entry(r) for r in rows]

    async def about(self, telegram_id: int) -> list[audit.Entry]:
        """What others did that names the person ("person:<id>" in the target)."""
        mark = f"person:{telegram_id}"
        rows = await self._s.scalars(
            select(AuditRow).where(AuditRow.target.contains(mark, autoescape=True),
                                   or_(AuditRow.telegram_id.is_(None),
                                       AuditRow.telegram_id != telegram_id))
            .order_by(AuditRow.at, AuditRow.id))
        # "person:12" must not match "person:123": the id ends at a space or the end.
        return [_entry(r) for r in rows
                if any(word == mark for word in r.target.split())]

    async def purge(self, before: datetime) -> int:
        result = await self._s.execute(delete(AuditRow).where(AuditRow.at < before)
                                       .execution_options(synchronize_session=False))
        return _rowcount(result)
