"""An in-memory unit of work for service tests: same protocol, no database."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from bot.domain.person import Person, RoleGrant
from bot.domain.questions import Conversation
from bot.services.ports import StaleWrite


@dataclass
class MemoryState:
    people: dict[int, Person] = field(default_factory=dict)
    conversations: dict[int, Conversation] = field(default_factory=dict)
    roles: list[RoleGrant] = field(default_factory=list)
    next_id: int = 1
    commits: int = 0


class MemoryPeople:
    def __init__(self, state: MemoryState) -> None:
        self._st = state

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        found = next((p for p in self._st.people.values() if p.telegram_id == telegram_id), None)
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
                 if p.consented_at is None and p.last_seen_at < before]
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
        self._st.roles.append(grant)
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


class MemoryUnitOfWork:
    """Works on a copy; commit() publishes it, leaving without commit discards it."""

    def __init__(self, shared: MemoryState) -> None:
        self._shared = shared

    async def __aenter__(self) -> Self:
        self._work = copy.deepcopy(self._shared)
        self.people = MemoryPeople(self._work)
        self.conversations = MemoryConversations(self._work)
        self.roles = MemoryRoles(self._work)
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
