"""Appointing coordinators and sleutelpersonen (the operator's CLI uses this)."""

from __future__ import annotations

from bot.content.knowledge import Knowledge
from bot.domain.person import Role, RoleGrant
from bot.services.ports import Clock, UnitOfWorkFactory


class UnknownMunicipality(ValueError):
    pass


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
        async with self._uow() as uow:
            added = await uow.roles.grant(RoleGrant(telegram_id, role, municipality,
                                                    self._clock()))
            await uow.commit()
        return added

    async def revoke(self, telegram_id: int, role: Role, municipality: str) -> bool:
        """True when revoked, False when the person did not have this role there. The
        municipality is not checked: a grant must stay revocable after its municipality
        has left the knowledge base."""
        async with self._uow() as uow:
            removed = await uow.roles.revoke(telegram_id, role.value, municipality)
            await uow.commit()
        return removed

    async def everyone(self) -> list[RoleGrant]:
        async with self._uow() as uow:
            return await uow.roles.all()
