"""Granting and ending roles: the operator's CLI (RolesService) and, through `end_role`,
coordinators in the bot. Every change is written to the audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.content.knowledge import Knowledge
from bot.domain import audit
from bot.domain.person import Role, RoleGrant
from bot.domain.routing import Progress
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory


class UnknownMunicipality(ValueError):
    pass


async def end_role(uow: UnitOfWork, grant: RoleGrant, now: datetime) -> bool:
    """Take a role away. A sleutelpersoon's profile follows their roles: it no longer lists
    that municipality, and it goes with their last sleutelpersoon role (and so does leading
    a language in the review of translations)."""
    removed = await uow.roles.revoke(grant.telegram_id, grant.role.value, grant.municipality)
    if not removed or grant.role is not Role.SLEUTELPERSOON:
        return removed
    await _hand_back(uow, grant, now)
    left = frozenset(g.municipality for g in await uow.roles.of(grant.telegram_id)
                     if g.role is Role.SLEUTELPERSOON)
    if not left:
        await uow.reviews.end_leads(grant.telegram_id)
    profile = await uow.profiles.get(grant.telegram_id)
    if profile is None:
        return removed
    if not left:
        await uow.profiles.delete(grant.telegram_id)
    else:
        await uow.profiles.put(replace(profile, municipalities=(
            profile.municipalities & left) or left), now)
    return removed


async def _hand_back(uow: UnitOfWork, grant: RoleGrant, now: datetime) -> None:
    """Conversations they answered there go back to waiting; the handoff tick asks the
    others at its next run (routing needs no one here)."""
    for held in await uow.handoffs.claimed_by(grant.telegram_id):
        asked = frozenset({grant.telegram_id})  # the others' requests said "taken"
        if held.municipality == grant.municipality and await uow.handoffs.release(
                held.id, grant.telegram_id, asked):
            held.progress, held.wake_at = Progress(asked), now
            await uow.handoffs.save_routing(held)


def role_target(telegram_id: int, role: Role, role_id: int = 0) -> str:
    """How the audit log names a role: ids only."""
    return (f"role:{role_id} " if role_id else "") + f"person:{telegram_id} {role.value}"


class RolesService:
    def __init__(self, uow_factory: UnitOfWorkFactory, knowledge: Knowledge,
                 clock: Clock) -> None:
        self._uow = uow_factory
        self._knowledge = knowledge
        self._clock = clock

    async def grant(self, telegram_id: int, role: Role, municipality: str) -> bool:
        """True when granted, False when the person already had this role there."""
        if self._knowledge.municipality(municipality) is None:
            known = ", ".join(m.id for m in self._knowledge.municipalities)
            raise UnknownMunicipality(f"unknown municipality; choose one of {known}")
        now = self._clock()
        async with self._uow() as uow:
            added = await uow.roles.grant(RoleGrant(telegram_id, role, municipality, now))
            if added:
                await uow.audit.add(audit.Entry(now, None, audit.Act.ROLE_GRANT, True,
                                                role_target(telegram_id, role), municipality))
            await uow.commit()
        return added

    async def revoke(self, telegram_id: int, role: Role, municipality: str) -> bool:
        """True when revoked, False when the person did not have this role there. The
        municipality is not checked: a grant must stay revocable after its municipality
        has left the knowledge base."""
        now = self._clock()
        async with self._uow() as uow:
            removed = await end_role(uow, RoleGrant(telegram_id, role, municipality, now), now)
            if removed:
                await uow.audit.add(audit.Entry(now, None, audit.Act.ROLE_REVOKE, True,
                                                role_target(telegram_id, role), municipality))
            await uow.commit()
        return removed

    async def everyone(self) -> list[RoleGrant]:
        async with self._uow() as uow:
            return await uow.roles.all()
