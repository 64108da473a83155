"""Who can be reached: Telegram says 403 when a person blocked the bot."""

from __future__ import annotations

from bot.services.ports import Clock, UnitOfWorkFactory


class Reachability:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    async def unreachable(self, chat_id: int) -> None:
        """Stop sending to this chat until the person writes again (ChatService clears it)."""
        async with self._uow() as uow:
            person = await uow.people.by_chat_id(chat_id)
            if person is None or person.unreachable_since is not None:
                return
            person.unreachable_since = self._clock()
            await uow.people.save(person)
            await uow.commit()

    async def reachable(self, chat_id: int) -> None:
        async with self._uow() as uow:
            person = await uow.people.by_chat_id(chat_id)
            if person is None or person.unreachable_since is None:
                return
            person.unreachable_since = None
            await uow.people.save(person)
            await uow.commit()
