"""An in-memory unit of work for service tests: same protocol, no database."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from bot.domain import audit, outbox
from bot.domain.invitation import Invitation
from bot.domain.person import Person, RoleGrant
from bot.domain.questions import Conversation
from bot.domain.sleutelpersoon import Profile
from bot.services.ports import StaleWrite


@dataclass
class OutboxEntry:
    id: int
    message: outbox.Outgoing
    not_before: datetime
    status: outbox.Status = outbox.Status.PENDING
    attempts: int = 0
    claimed_until: datetime | None = None
    error: str | None = None
    ended_at: datetime | None = None
    sent_message_id: int | None = None
    sending_at: datetime | None = None


@dataclass
class MemoryState:
    people: dict[int, Person] = field(default_factory=dict)
    conversations: dict[int, Conversation] = field(default_factory=dict)
    roles: list[RoleGrant] = field(default_factory=list)
    outbox: list[OutboxEntry] = field(default_factory=list)
    invitations: dict[int, tuple[str, Invitation]] = field(default_factory=dict)  # id → hash
    profiles: dict[int, Profile] = field(default_factory=dict)
    audit: list[audit.Entry] = field(default_factory=list)
    next_id: int = 1
    commits: int = 0


class MemoryPeople:
    def __init__(self, state: MemoryState) -> None:
        self._st = state

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        found = next((p for p in self._st.people.values() if p.telegram_id == telegram_id), None)
        return replace(found) if found else None

    async def get(self, person_id: int) -> Person | None:
        found = self._st.people.get(person_id)
        return replace(found) if found else None

    async def add(self, telegram_id: int, chat_id: int, now: datetime) -> Person:
        person = Person(self._st.next_id, telegram_id, chat_id, now, now)
        self._st.next_id += 1
        self._st.people[person.id] = person
        return replace(person)

    async def save(self, person: Person) -> None:
        stored = self._st.people.get(person.id)
        if stored is None or stored.version != person.version:
            raise StaleWrite(person.id)
        person.version += 1
        self._st.people[person.id] = replace(person)

    async def delete(self, person_id: int) -> None:
        self._st.people.pop(person_id, None)
        self._st.conversations.pop(person_id, None)
        self._st.outbox = [e for e in self._st.outbox if e.message.recipient_id != person_id]

    async def mark_unreachable(self, chat_id: int, now: datetime) -> bool:
        return self._set_reachability(chat_id, now)

    async def mark_reachable(self, chat_id: int) -> bool:
        return self._set_reachability(chat_id, None)

    def _set_reachability(self, chat_id: int, since: datetime | None) -> bool:
        changed = False
        for person in self._st.people.values():
            if person.chat_id == chat_id and (person.unreachable_since is None) != \
                    (since is None):
                person.unreachable_since = since
                person.version += 1
                changed = True
        return changed

    async def forget_unconsented(self, before: datetime) -> int:
        stale = [p.id for p in self._st.people.values()
                 if p.consented_at is None and p.staff_consented_at is None
                 and p.last_seen_at < before]
        for person_id in stale:
            await self.delete(person_id)
        return len(stale)


class MemoryConversations:
    def __init__(self, state: MemoryState) -> None:
        self._st = state

    async def get(self, person_id: int) -> Conversation | None:
        return copy.deepcopy(self._st.conversations.get(person_id))

    async def put(self, person_id: int, conversation: Conversation, now: datetime) -> None:
        self._st.conversations[person_id] = copy.deepcopy(conversation)

    async def clear(self, person_id: int) -> None:
        self._st.conversations.pop(person_id, None)


class MemoryRoles:
    def __init__(self, state: MemoryState) -> None:
        self._st = state

    async def grant(self, grant: RoleGrant) -> bool:
        key = (grant.telegram_id, grant.role, grant.municipality)
        if any((r.telegram_id, r.role, r.municipality) == key for r in self._st.roles):
            return False
        self._st.roles.append(replace(grant, id=self._st.next_id))
        self._st.next_id += 1
        return True

    async def revoke(self, telegram_id: int, role: str, municipality: str) -> bool:
        before = len(self._st.roles)
        self._st.roles = [r for r in self._st.roles
                          if (r.telegram_id, r.role, r.municipality)
                          != (telegram_id, role, municipality)]
        return len(self._st.roles) < before

    async def of(self, telegram_id: int) -> list[RoleGrant]:
        return [r for r in self._st.roles if r.telegram_id == telegram_id]

    async def all(self) -> list[RoleGrant]:
        return list(self._st.roles)

    async def delete_all_of(self, telegram_id: int) -> None:
        self._st.roles = [r for r in self._st.roles if r.telegram_id != telegram_id]

    async def get(self, role_id: int) -> RoleGrant | None:
        return next((r for r in self._st.roles if r.id == role_id), None)

    async def in_municipality(self, municipality: str) -> list[RoleGrant]:
        return sorted((r for r in self._st.roles if r.municipality == municipality),
                      key=lambda r: (r.role.value, r.granted_at, r.id))


class MemoryInvitations:
    """The same rules as SqlInvitations, on a dict."""

    def __init__(self, state: MemoryState) -> None:
        self._st = state

    async def add(self, code_hash: str, invitation: Invitation) -> Invitation:
        stored = replace(invitation, id=self._st.next_id)
        self._st.next_id += 1
        self._st.invitations[stored.id] = (code_hash, stored)
        return stored

    async def by_code(self, code_hash: str) -> Invitation | None:
        return next((i for h, i in self._st.invitations.values() if h == code_hash), None)

    async def get(self, invitation_id: int) -> Invitation | None:
        found = self._st.invitations.get(invitation_id)
        return found[1] if found else None

    def _set(self, invitation: Invitation, **changes: object) -> bool:
        code_hash, _old = self._st.invitations[invitation.id]
        self._st.invitations[invitation.id] = (code_hash, replace(invitation, **changes))
        return True

    async def take(self, invitation_id: int, telegram_id: int, now: datetime) -> bool:
        i = await self.get(invitation_id)
        if i is None or i.used_at is not None or i.revoked or i.expires_at <= now:
            return False
        return self._set(i, used_by=telegram_id, used_at=now)

    async def accept(self, invitation_id: int, telegram_id: int, now: datetime) -> bool:
        i = await self.get(invitation_id)
        if i is None or not i.pending or i.used_by != telegram_id or i.expires_at <= now:
            return False
        return self._set(i, accepted_at=now)

    async def decline(self, invitation_id: int, telegram_id: int, now: datetime) -> bool:
        i = await self.get(invitation_id)
        if i is None or not i.pending or i.used_by != telegram_id:
            return False
        return self._set(i, declined_at=now)

    async def revoke(self, invitation_id: int) -> bool:
        i = await self.get(invitation_id)
        if i is None or not i.pending:
            return False
        return self._set(i, revoked=True)

    async def pending_in(self, municipality: str, now: datetime) -> list[Invitation]:
        return [i for _h, i in self._st.invitations.values()
                if i.municipality == municipality and i.open_at(now)]

    async def of(self, telegram_id: int) -> list[Invitation]:
        return [i for _h, i in self._st.invitations.values()
                if telegram_id in (i.created_by, i.used_by)]

    async def forget(self, telegram_id: int) -> None:
        for key, (code_hash, i) in list(self._st.invitations.items()):
            if i.created_by == telegram_id:
                del self._st.invitations[key]
            elif i.used_by == telegram_id:
                self._st.invitations[key] = (code_hash, replace(i, used_by=None))

    async def purge(self, expired_before: datetime) -> int:
        old = [k for k, (_h, i) in self._st.invitations.items() if i.expires_at < expired_before]
        for key in old:
            del self._st.invitations[key]
        return len(old)


class MemoryProfiles:
    def __init__(self, state: MemoryState) -> None:
        self._st = state

    async def get(self, telegram_id: int) -> Profile | None:
        found = self._st.profiles.get(telegram_id)
        if found is None:
            return None
        person = next((p for p in self._st.people.values() if p.telegram_id == telegram_id),
                      None)
        return replace(found, interface_language=(person.language if person else None) or "en")

    async def put(self, profile: Profile, now: datetime) -> None:
        self._st.profiles[profile.telegram_id] = profile

    async def serving(self, municipality: str) -> list[Profile]:
        return [p for t in sorted(self._st.profiles)
                if (p := await self.get(t)) and municipality in p.municipalities]

    async def delete(self, telegram_id: int) -> None:
        self._st.profiles.pop(telegram_id, None)


class MemoryAudit:
    def __init__(self, state: MemoryState) -> None:
        self._st = state

    async def add(self, entry: audit.Entry) -> None:
        self._st.audit.append(entry)

    async def latest(self, limit: int) -> list[audit.Entry]:
        return sorted(self._st.audit, key=lambda e: e.at, reverse=True)[:limit]

    async def recent(self, municipalities: list[str], limit: int) -> list[audit.Entry]:
        found = [e for e in self._st.audit if e.municipality in municipalities]
        return list(reversed(found))[:limit]

    async def of(self, telegram_id: int) -> list[audit.Entry]:
        return [e for e in self._st.audit if e.telegram_id == telegram_id]

    async def about(self, telegram_id: int) -> list[audit.Entry]:
        return [e for e in self._st.audit if e.telegram_id != telegram_id
                and f"person:{telegram_id}" in e.target.split()]

    async def purge(self, before: datetime) -> int:
        keep = [e for e in self._st.audit if e.at >= before]
        purged = len(self._st.audit) - len(keep)
        self._st.audit = keep
        return purged


class MemoryOutbox:
    """The same rules as SqlOutbox, on a list."""

    def __init__(self, state: MemoryState) -> None:
        self._st = state
        self.added = 0

    async def add(self, message: outbox.Outgoing, now: datetime) -> int | None:
        if any(e.message.key == message.key for e in self._st.outbox):
            return None
        row_id = self._st.next_id
        self._st.outbox.append(OutboxEntry(row_id, message, message.not_before or now))
        self._st.next_id += 1
        self.added += 1
        return row_id

    async def add_many(self, messages: Sequence[outbox.Outgoing], now: datetime) -> int:
        return sum([await self.add(m, now) is not None for m in messages])

    async def claim_due(self, now: datetime, limit: int, *,
                        broadcasts: bool = False) -> list[outbox.Due]:
        def held_back(e: OutboxEntry) -> bool:
            if broadcasts:
                return False
            return any(o.message.recipient_id == e.message.recipient_id and o.id < e.id
                       and o.status is outbox.Status.PENDING and not o.message.proactive
                       and (o.not_before > now or (o.claimed_until is not None
                                                   and o.claimed_until >= now))
                       for o in self._st.outbox)

        due = sorted((e for e in self._st.outbox if e.status is outbox.Status.PENDING
                      and e.not_before <= now
                      and (e.claimed_until is None or e.claimed_until < now)
                      and (e.message.broadcast_id is not None) == broadcasts
                      and not held_back(e)),
                     key=lambda e: e.id)[:limit]
        found = []
        for entry in due:
            person = self._st.people[entry.message.recipient_id]
            entry.claimed_until = now + outbox.CLAIM_LEASE
            found.append(outbox.Due(entry.id, person.chat_id, entry.message.kind,
                                    entry.message.proactive, entry.message.message,
                                    entry.attempts, person.paused,
                                    person.unreachable_since is not None,
                                    entry.message.not_after, entry.sending_at is not None,
                                    entry.message.urgent, entry.message.broadcast_id))
        return found

    def _entry(self, row_id: int) -> OutboxEntry:
        return next(e for e in self._st.outbox if e.id == row_id)

    async def end(self, row_id: int, status: outbox.Status, now: datetime,
                  error: str | None = None, message_id: int | None = None) -> None:
        entry = self._entry(row_id)
        entry.status, entry.ended_at, entry.claimed_until, entry.error = status, now, None, error
        entry.sent_message_id = message_id
        entry.attempts += status is not outbox.Status.SKIPPED

    async def has(self, key: str) -> bool:
        return any(e.message.key == key for e in self._st.outbox)

    async def sent_under(self, key_prefix: str) -> list[tuple[int, int]]:
        return [(e.message.recipient_id, e.sent_message_id) for e in self._st.outbox
                if e.message.key.startswith(key_prefix) and e.status is outbox.Status.SENT
                and e.sent_message_id is not None]

    async def withdraw(self, key_prefix: str, now: datetime) -> int:
        found = [e for e in self._st.outbox if e.message.key.startswith(key_prefix)
                 and e.status is outbox.Status.PENDING
                 and (e.claimed_until is None or e.claimed_until < now)]
        for e in found:
            e.status, e.ended_at, e.claimed_until = outbox.Status.SKIPPED, now, None
        return len(found)

    async def sending(self, row_id: int, now: datetime) -> None:
        self._entry(row_id).sending_at = now

    async def retry(self, row_id: int, at: datetime, *, attempted: bool,
                    error: str | None = None) -> None:
        entry = self._entry(row_id)
        entry.sending_at = None
        entry.not_before, entry.claimed_until = at, None
        entry.attempts += int(attempted)
        entry.error = error or entry.error

    async def next_due(self) -> datetime | None:
        return min((max(e.not_before, e.claimed_until or e.not_before) for e in self._st.outbox
                    if e.status is outbox.Status.PENDING), default=None)

    async def counts(self) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        for e in self._st.outbox:
            key = (e.message.kind.value, e.status.value)
            found[key] = found.get(key, 0) + 1
        return found

    async def failed(self, limit: int = 50) -> list[outbox.Ended]:
        return [self._ended(e) for e in self._st.outbox
                if e.status is outbox.Status.FAILED][:limit]

    async def of(self, recipient_id: int) -> list[outbox.Ended]:
        return [self._ended(e) for e in self._st.outbox
                if e.message.recipient_id == recipient_id]

    @staticmethod
    def _ended(e: OutboxEntry) -> outbox.Ended:
        return outbox.Ended(e.id, e.message.recipient_id, e.message.kind, e.attempts, e.error,
                            e.ended_at, e.status,
                            e.message.message.text if e.status is outbox.Status.PENDING
                            else None)

    async def purge_ended(self, before: datetime) -> int:
        keep = [e for e in self._st.outbox
                if e.status is outbox.Status.PENDING or e.ended_at is None
                or e.ended_at >= before]
        purged = len(self._st.outbox) - len(keep)
        self._st.outbox = keep
        return purged


class NoHandoffs:
    """The memory store keeps no handoffs: nobody has an open conversation. Tests of the
    handoff itself run on SQLite and PostgreSQL (tests/unit/test_handoff*.py)."""

    async def involving(self, newcomer_id: int, telegram_id: int) -> list[object]:
        return []

    async def open_of(self, newcomer_id: int) -> None:
        return None

    async def of_newcomer(self, newcomer_id: int) -> list[object]:
        return []

    async def claimed_by(self, telegram_id: int) -> list[object]:
        return []

    async def forget_newcomer(self, newcomer_id: int, chat_id: int) -> None:
        return None

    async def relayed_in(self, chat_id: int) -> list[object]:
        return []

    async def focus(self, telegram_id: int) -> tuple[None, None]:
        return None, None

    async def forget_helper(self, telegram_id: int) -> None:
        return None

    async def purge_content(self, ended_before: datetime) -> int:
        return 0

    def __getattr__(self, name: str) -> object:
        raise NotImplementedError(f"the memory store has no handoffs ({name})")


class NoCheckins:
    """The memory store keeps no check-in plans (their tests run on SQLite and PostgreSQL)."""

    async def of(self, person_id: int) -> list[object]:
        return []

    async def done_steps(self, person_id: int) -> frozenset[str]:
        return frozenset()

    async def replace_plan(self, person_id: int, planned: object) -> None:
        return None  # a plan is written on every begeleiding answer: nothing to keep here

    def __getattr__(self, name: str) -> object:
        raise NotImplementedError(f"the memory store has no check-in plans ({name})")


class NoBroadcasts:
    """The memory store keeps no broadcasts (their tests run on SQLite and PostgreSQL)."""

    async def written_by(self, telegram_id: int) -> list[object]:
        return []

    async def versions_by(self, telegram_id: int) -> list[object]:
        return []

    async def forget_person(self, telegram_id: int) -> None:
        return None

    def __getattr__(self, name: str) -> object:
        raise NotImplementedError(f"the memory store has no broadcasts ({name})")


class NoEvents:
    """The memory store keeps no events (their tests run on SQLite and PostgreSQL)."""

    async def of_person(self, person_id: int) -> list[object]:
        return []

    async def subscriptions(self, person_id: int) -> list[object]:
        return []

    def __getattr__(self, name: str) -> object:
        raise NotImplementedError(f"the memory store has no events ({name})")


class NoTranslations:
    """The memory store keeps no translations (the cache's tests run on SQLite and
    PostgreSQL); nothing is ever found."""

    async def get(self, keys: object, now: object) -> dict[str, str]:
        return {}

    async def put(self, entries: object, now: object) -> None:
        return None

    async def purge(self, unused_before: object) -> int:
        return 0


class NoReviews:
    """The memory store keeps no votes on catalog texts nor language leads (their tests
    run on SQLite and PostgreSQL)."""

    async def of(self, telegram_id: int) -> list[object]:
        return []

    async def appointed_by(self, telegram_id: int) -> list[object]:
        return []

    async def leads(self, language: str | None = None) -> list[object]:
        return []

    async def end_leads(self, telegram_id: int) -> int:
        return 0

    async def forget(self, telegram_id: int) -> None:
        return None

    def __getattr__(self, name: str) -> object:
        raise NotImplementedError(f"the memory store has no catalog reviews ({name})")


class MemoryUnitOfWork:
    """Works on a copy; commit() publishes it, leaving without commit discards it."""

    def __init__(self, shared: MemoryState) -> None:
        self._shared = shared

    async def __aenter__(self) -> Self:
        self._work = copy.deepcopy(self._shared)
        self.people = MemoryPeople(self._work)
        self.conversations = MemoryConversations(self._work)
        self.roles = MemoryRoles(self._work)
        self.outbox = MemoryOutbox(self._work)
        self.invitations = MemoryInvitations(self._work)
        self.profiles = MemoryProfiles(self._work)
        self.audit = MemoryAudit(self._work)
        self.handoffs = NoHandoffs()
        self.checkins = NoCheckins()
        self.seasons = NoCheckins()
        self.broadcasts = NoBroadcasts()
        self.events = NoEvents()
        self.translations = NoTranslations()
        self.reviews = NoReviews()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    async def commit(self) -> None:
        self._work.commits += 1
        self._shared.__dict__.update(copy.deepcopy(self._work).__dict__)


class MemoryStore:
    def __init__(self) -> None:
        self.state = MemoryState()

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.state)
